"""ORU^R01 results received (issue #6): stored as the nurse's form would, or queued."""

from decimal import Decimal

import pytest

from monitoring import services
from monitoring.models import Alert, InboundMessage, LabResult, UnmatchedResult
from tests import hl7 as samples


def receive(raw, user, **kwargs):
    return services.receive_hl7_message(raw=raw, transport="mllp", user=user, **kwargs)


def segments(ack: str) -> list[str]:
    return ack.split("\r")


def test_a_high_trough_is_stored_and_raises_the_above_target_alert(lab, patient_a):
    outcome = receive(samples.TROUGH_HIGH, lab)

    assert outcome.code == "AA"
    result = LabResult.objects.get()
    assert result.patient == patient_a
    assert result.value == Decimal("12")
    assert result.status == "final"
    assert result.source_message == outcome.message
    assert result.last_dose_at is None
    assert "Laboratory flag: H" in result.comment
    assert result.reference_low == Decimal(6) and result.reference_high == Decimal(8)
    # Without a last dose time (not sent) the trough is also flagged as maybe not a trough.
    assert set(Alert.objects.values_list("rule_code", flat=True)) == {
        "trough-above-target",
        "not-true-trough",
    }


def test_the_ack_swaps_sender_and_receiver_and_acknowledges_the_control_id(lab, patient_a):
    ack = segments(receive(samples.TROUGH_HIGH, lab).ack)

    msh = ack[0].split("|")
    assert msh[2:6] == ["TDM", "DEMO", "LIS", "CHU-LAB"]
    assert msh[8] == "ACK^R01^ACK"
    assert msh[9] and msh[9] != "LAB-0001"
    assert msh[11] == "2.5.1"
    assert ack[1].startswith("MSA|AA|LAB-0001|Results stored: 1;")


def test_every_message_is_logged_with_its_header(lab, patient_a):
    outcome = receive(samples.TROUGH_HIGH, lab)

    logged = InboundMessage.objects.get()
    assert logged == outcome.message
    assert (logged.control_id, logged.sending_application, logged.sending_facility) == (
        "LAB-0001",
        "LIS",
        "CHU-LAB",
    )
    assert (logged.message_type, logged.version, logged.outcome) == ("ORU^R01", "2.5.1", "AA")
    assert logged.raw == samples.TROUGH_HIGH
    assert logged.ack == outcome.ack
    assert logged.received_by == lab


def test_a_v23_panel_is_stored_in_canonical_units_and_the_rest_queued(lab, patient_a):
    outcome = receive(samples.PANEL_V23, lab)

    assert outcome.code == "AE"
    creatinine = LabResult.objects.get(analyte__code="creatinine")
    assert creatinine.value == Decimal("106.08")
    assert (creatinine.value_as_entered, creatinine.unit_as_entered) == (Decimal("1.2"), "mg/dL")
    # The lab's range 0.5–1.1 mg/dL, in µmol/L.
    assert creatinine.reference_high == Decimal("97.24")
    assert LabResult.objects.get(analyte__code="potassium").value == Decimal("4.1")
    censored = LabResult.objects.get(analyte__code="tacrolimus")
    assert (censored.comparator, censored.value) == ("<", Decimal("2.0"))
    assert censored.value_display == "<2.0 ng/mL"
    # OBR-7 with its offset (08:00 +01:00) is the sample time when OBX-14 is empty.
    assert creatinine.collected_at.isoformat() == "2025-01-15T07:00:00+00:00"
    unmatched = UnmatchedResult.objects.get()
    assert (unmatched.code, unmatched.code_system, unmatched.value) == ("ZZ999", "L", "3.3")
    assert "not mapped" in unmatched.reason
    # Version 2.3: ERR-1 names the place and the code.
    assert "\rERR|OBX^4^3^103&Table value not found&HL70357" in outcome.ack


def test_escaped_characters_in_a_note_are_decoded(lab, patient_a):
    receive(samples.PANEL_V23, lab)

    comment = LabResult.objects.get(analyte__code="creatinine").comment
    assert "Sample slightly haemolysed & lipaemic\nRepeat advised | if K high" in comment


def test_an_unknown_patient_is_queued_with_the_pid_data_and_answered_ae(lab, patient_a):
    outcome = receive(samples.UNKNOWN_PATIENT, lab)

    assert outcome.code == "AE"
    assert not LabResult.objects.exists()
    unmatched = UnmatchedResult.objects.get()
    assert unmatched.clinic == patient_a.clinic
    assert (unmatched.mrn, unmatched.assigning_authority) == ("DR-9999", "demo-rheum")
    assert (unmatched.family_name, unmatched.given_name, unmatched.sex) == ("NOBODY", "NEMO", "M")
    assert unmatched.date_of_birth.isoformat() == "1970-01-01"
    # SN "<^2.0" is kept as "<2.0", which the queue's import can read.
    assert (unmatched.value, unmatched.unit, unmatched.result_status) == ("<2.0", "ng/mL", "F")
    assert "No patient with MRN “DR-9999”" in unmatched.reason
    err = [s for s in segments(outcome.ack) if s.startswith("ERR")]
    assert len(err) == 1 and err[0].startswith("ERR||PID^1^3^1|204^")


def test_the_same_message_again_stores_nothing_and_says_it_is_a_duplicate(lab, patient_a):
    first = receive(samples.TROUGH_HIGH, lab)
    again = receive(samples.TROUGH_HIGH, lab)

    assert again.duplicate and again.code == "AA"
    assert again.message == first.message
    assert LabResult.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    assert "Duplicate of message received at" in again.ack


def test_the_same_observation_in_a_new_message_is_counted_as_a_duplicate(lab, patient_a):
    receive(samples.trough("T-1", "7.1", "F"), lab)
    outcome = receive(samples.trough("T-2", "7.1", "F"), lab)

    assert outcome.code == "AA"
    assert outcome.duplicates == 1
    assert LabResult.objects.count() == 1
    assert "already received: 1" in outcome.ack


def test_preliminary_then_final_with_the_same_value_promotes_the_result(lab, patient_a):
    receive(samples.trough("T-1", "7.1", "P"), lab)
    assert LabResult.objects.get().status == "preliminary"

    outcome = receive(samples.trough("T-2", "7.1", "F"), lab)

    result = LabResult.objects.get()
    assert outcome.code == "AA"
    assert result.status == "final"
    assert result.history.first().history_change_reason.startswith("Final result from the lab")


def test_a_correction_changes_the_value_keeps_history_and_resolves_the_alert(lab, patient_a):
    receive(samples.trough("T-1", "12", "F"), lab)
    alert = Alert.objects.get(rule_code="trough-above-target")

    outcome = receive(samples.trough("T-2", "7.0", "C"), lab)

    assert outcome.code == "AA"
    result = LabResult.objects.get()
    assert (result.value, result.status) == (Decimal("7.0"), "corrected")
    latest, previous = result.history.all()[:2]
    assert previous.value == Decimal("12")
    assert latest.history_change_reason == "Corrected by the laboratory (message T-2)"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


def test_a_cancellation_marks_the_result_entered_in_error(lab, patient_a):
    receive(samples.trough("T-1", "12", "F"), lab)

    outcome = receive(samples.trough("T-2", "12", "X"), lab)

    assert outcome.code == "AA" and outcome.cancelled == 1
    result = LabResult.objects.get()
    assert result.is_entered_in_error
    assert (
        "Cancelled by the laboratory (message T-2)" in result.history.first().history_change_reason
    )
    alert = Alert.objects.get(rule_code="trough-above-target")
    assert alert.status == Alert.Status.RESOLVED


def test_a_cancellation_of_nothing_is_an_error_for_that_observation(lab, patient_a):
    outcome = receive(samples.trough("T-1", "12", "X"), lab)

    assert outcome.code == "AE"
    assert "ERR||OBX^1^11^1|204^" in outcome.ack
    assert not LabResult.objects.exists()


def test_a_final_value_different_from_a_stored_final_one_is_not_overwritten(lab, patient_a):
    receive(samples.trough("T-1", "7.1", "F"), lab)

    outcome = receive(samples.trough("T-2", "9.9", "F"), lab)

    assert outcome.code == "AE"
    assert LabResult.objects.get().value == Decimal("7.1")
    assert "correction" in UnmatchedResult.objects.get().reason


def test_an_implausible_value_is_queued_not_stored(lab, patient_a):
    outcome = receive(samples.trough("T-1", "70", "F"), lab)

    assert outcome.code == "AE"
    assert not LabResult.objects.exists()
    assert "not a plausible" in UnmatchedResult.objects.get().reason
    assert "ERR||OBX^1^5^1|207^" in outcome.ack


def test_an_unreadable_value_is_queued_with_the_field_named(lab, patient_a):
    outcome = receive(samples.trough("T-1", "see comment", "F"), lab)

    assert outcome.code == "AE"
    assert UnmatchedResult.objects.get().value == "see comment"
    assert "ERR||OBX^1^5^1|102^" in outcome.ack


def test_a_text_observation_is_an_error_for_that_observation(lab, patient_a):
    raw = samples.trough("T-1", "7.1", "F").replace("|NM|", "|TX|")

    outcome = receive(raw, lab)

    assert outcome.code == "AE"
    assert "ERR||OBX^1^2^1|102^" in outcome.ack
    assert not LabResult.objects.exists()


@pytest.mark.parametrize(
    "raw",
    ["garbage", "", "PID|1||X", "MSH|^~\\&|LIS|LAB|TDM|DEMO|2025||ORU^R01|X-1|P|2.2"],
)
def test_a_message_that_cannot_be_read_is_rejected_and_logged(lab, raw):
    outcome = receive(raw, lab)

    assert outcome.code == "AR"
    assert "\rMSA|AR|" in outcome.ack
    assert "\rERR|" in outcome.ack
    assert InboundMessage.objects.get().raw == raw
    assert not LabResult.objects.exists()


def test_a_message_without_control_id_is_rejected(lab, patient_a):
    outcome = receive(samples.TROUGH_HIGH.replace("|LAB-0001|", "||"), lab)

    assert outcome.code == "AR"
    assert "ERR||MSH^1^10^1|101^" in outcome.ack


def test_an_account_of_another_clinic_is_refused_and_nothing_is_written(nurse_other, patient_a):
    outcome = receive(samples.TROUGH_HIGH, nurse_other)

    assert outcome.code == "AR"
    assert not LabResult.objects.exists()
    assert not UnmatchedResult.objects.exists()
    assert "may not write in Demo Rheumatology" in outcome.ack


def test_without_authority_the_default_clinic_is_used(lab, patient_a, clinic):
    raw = samples.TROUGH_HIGH.replace("DR-1001^^^demo-rheum^MR", "DR-1001")

    outcome = receive(raw, lab, default_clinic=clinic)

    assert outcome.code == "AA"
    assert LabResult.objects.get().patient == patient_a


def test_an_unknown_authority_sends_the_results_to_the_queue(lab, patient_a):
    raw = samples.TROUGH_HIGH.replace("^^^demo-rheum^", "^^^ELSEWHERE^")

    outcome = receive(raw, lab)

    assert outcome.code == "AE"
    assert "ELSEWHERE" in UnmatchedResult.objects.get().reason
    assert "ERR||PID^1^3^1|204^" in outcome.ack

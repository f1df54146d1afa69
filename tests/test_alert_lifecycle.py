"""The life of an alert (clinical-reference.md A6, issue #4): repeats merge, a later result
answers it, record alerts follow the record, a doctor may silence a rule for a while, every
acknowledgement carries a decision, a corrected result reopens what was acknowledged, and a
clinic's rule settings decide what is raised."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Analyte, Decision, RuleSetting, RuleSuppression, Severity

DAY = dt.timedelta(days=1)


def noon(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(12), tzinfo=timezone.get_current_timezone())


def open_alerts(patient) -> set[tuple[str, str]]:
    return {(a.rule_code, a.subject) for a in patient.alerts.filter(status=Alert.Status.OPEN)}


def trough_alert(patient, code="trough-above-target") -> Alert:
    return patient.alerts.get(rule_code=code, status=Alert.Status.OPEN)


# --- Result alerts: merge and answer ----------------------------------------------------------


def test_a_repeat_merges_into_the_open_alert_with_its_first_and_latest_value(
    patient_a, record_trough
):
    record_trough(patient_a, "9")
    latest = record_trough(patient_a, "10.2")

    alert = trough_alert(patient_a)
    assert patient_a.alerts.count() == 1
    assert alert.occurrences == 2
    assert alert.first_value_display == "9 ng/mL"
    assert alert.value_display == "10.2 ng/mL"
    assert alert.result == latest
    assert alert.message == (
        "Tacrolimus trough 10.2 ng/mL is above the target 6–8 ng/mL (supratherapeutic)"
    )


def test_the_same_finding_for_another_patient_is_another_alert(patient_a, patient_b, record_trough):
    record_trough(patient_a, "9")
    record_trough(patient_b, "9")

    assert trough_alert(patient_a).occurrences == 1
    assert trough_alert(patient_b).occurrences == 1


def test_a_later_trough_in_target_resolves_the_alert_with_a_note(patient_a, record_trough):
    record_trough(patient_a, "9")
    alert = trough_alert(patient_a)
    sampled = timezone.now().replace(second=0, microsecond=0) - 2 * DAY

    record_trough(patient_a, "7.1", at=sampled)

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolved_at is not None
    assert alert.resolution == (
        f"Resolved by a later result: 7.1 ng/mL on {timezone.localtime(sampled):%d %b %Y}"
    )
    assert open_alerts(patient_a) == set()


def test_a_result_sampled_before_the_alerts_does_not_answer_it(patient_a, record_trough):
    record_trough(patient_a, "9")
    alert = trough_alert(patient_a)

    record_trough(patient_a, "7", at=alert.result.collected_at - 3 * DAY)  # entered late

    alert.refresh_from_db()
    assert alert.is_open


def test_a_later_trough_below_target_answers_the_high_alert_and_opens_a_low_one(
    patient_a, record_trough
):
    record_trough(patient_a, "9")

    record_trough(patient_a, "5")

    assert open_alerts(patient_a) == {("trough-below-target", "tacrolimus")}
    resolved = patient_a.alerts.get(rule_code="trough-above-target")
    assert resolved.status == Alert.Status.RESOLVED
    assert resolved.resolution.startswith("Resolved by a later result: 5 ng/mL on ")


def test_a_worse_trough_replaces_the_alert_with_a_more_specific_one(patient_a, record_trough):
    record_trough(patient_a, "9")

    record_trough(patient_a, "16")

    assert open_alerts(patient_a) == {("trough-urgent-high", "tacrolimus")}
    replaced = patient_a.alerts.get(rule_code="trough-above-target")
    assert replaced.resolution.startswith(
        "Replaced by a more specific alert on a later result (Tacrolimus trough far above "
        "target): 16 ng/mL on "
    )


def test_a_result_of_another_analyte_answers_nothing(nurse, patient_a, record_trough):
    record_trough(patient_a, "9")
    potassium = Analyte.objects.get(code="potassium")
    services.record_result(
        patient=patient_a,
        analyte=potassium,
        value=Decimal("4.2"),
        collected_at=timezone.now().replace(second=0, microsecond=0),
        entered_by=nurse,
    )

    assert trough_alert(patient_a).is_open


# --- Record alerts: state-based ---------------------------------------------------------------


@pytest.fixture
def allergy(nurse, patient_a):
    return services.record_allergy(
        patient=patient_a, substance="clarithromycin", reaction="Rash", entered_by=nurse
    )


def test_a_macrolide_allergy_raises_a_critical_alert(patient_a, allergy):
    alert = patient_a.alerts.get(rule_code="macrolide-allergy")

    assert alert.status == Alert.Status.OPEN
    assert alert.severity == Severity.CRITICAL
    assert alert.subject == f"allergy:{allergy.pk}"
    assert alert.message.startswith("Allergy to clarithromycin (macrolide)")


def test_a_record_alert_is_raised_once_while_its_condition_holds(nurse, patient_a, allergy):
    services.record_weight(
        patient=patient_a,
        weight_kg=Decimal("61"),
        measured_on=timezone.localdate(),
        entered_by=nurse,
    )
    services.record_allergy(patient=patient_a, substance="Penicillin", entered_by=nurse)

    [alert] = patient_a.alerts.filter(rule_code="macrolide-allergy")
    assert alert.is_open
    assert alert.occurrences == 1


def test_an_acknowledged_record_alert_is_not_raised_again(doctor, nurse, patient_a, allergy):
    alert = patient_a.alerts.get(rule_code="macrolide-allergy")
    services.acknowledge_alert(
        alert=alert, user=doctor, comment="Known; tacrolimus tolerated for years"
    )

    services.record_weight(
        patient=patient_a,
        weight_kg=Decimal("61"),
        measured_on=timezone.localdate(),
        entered_by=nurse,
    )

    [alert] = patient_a.alerts.filter(rule_code="macrolide-allergy")
    assert alert.status == Alert.Status.ACKNOWLEDGED


def test_an_allergy_entered_in_error_resolves_its_alert(doctor, nurse, patient_a, allergy):
    alert = patient_a.alerts.get(rule_code="macrolide-allergy")
    services.acknowledge_alert(alert=alert, user=doctor, comment="Checking with the patient")

    services.mark_entry_entered_in_error(entry=allergy, user=nurse, reason="Wrong patient")

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution == "No longer present in the record"
    assert not patient_a.alerts.filter(rule_code="macrolide-allergy").exclude(
        status=Alert.Status.RESOLVED
    )


def test_the_allergy_recorded_again_raises_a_new_alert(doctor, nurse, patient_a, allergy):
    services.mark_entry_entered_in_error(entry=allergy, user=nurse, reason="Duplicate")

    again = services.record_allergy(patient=patient_a, substance="Zeclar", entered_by=nurse)

    alert = patient_a.alerts.get(rule_code="macrolide-allergy", status=Alert.Status.OPEN)
    assert alert.subject == f"allergy:{again.pk}"


# --- Suppression ------------------------------------------------------------------------------


@pytest.fixture
def now(time_machine):
    moment = timezone.now().replace(second=0, microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


def silence(patient, doctor, *, days=7, rule_code="trough-above-target"):
    return services.suppress_rule(
        patient=patient,
        rule_code=rule_code,
        until=timezone.now() + dt.timedelta(days=days),
        reason="Dose reduced yesterday, level expected to fall",
        user=doctor,
    )


def test_while_a_rule_is_silenced_it_raises_nothing_for_the_patient(
    now, doctor, patient_a, patient_b, record_trough
):
    silence(patient_a, doctor)

    record_trough(patient_a, "9", at=now - DAY)
    record_trough(patient_b, "9", at=now - DAY)

    assert not patient_a.alerts.exists()
    assert open_alerts(patient_b) == {("trough-above-target", "tacrolimus")}


def test_a_silenced_rule_leaves_the_other_rules_alone(now, doctor, patient_a, record_trough):
    silence(patient_a, doctor)

    record_trough(patient_a, "16", at=now - DAY)

    assert open_alerts(patient_a) == {("trough-urgent-high", "tacrolimus")}


def test_once_the_silence_has_expired_the_rule_raises_again(
    now, time_machine, doctor, patient_a, record_trough
):
    silence(patient_a, doctor, days=7)
    record_trough(patient_a, "9", at=now - DAY)

    time_machine.move_to(now + 7 * DAY + dt.timedelta(minutes=1), tick=False)
    record_trough(patient_a, "9.2", at=now + 7 * DAY)

    alert = trough_alert(patient_a)
    assert alert.value_display == "9.2 ng/mL"
    assert alert.occurrences == 1


def test_a_silenced_record_rule_opens_nothing(now, doctor, nurse, patient_a):
    silence(patient_a, doctor, rule_code="macrolide-allergy")
    services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)

    assert services.evaluate_record(patient=patient_a, user=nurse) == []
    assert not patient_a.alerts.exists()


def test_saving_a_result_returns_only_the_alerts_raised(now, doctor, nurse, patient_a, tacrolimus):
    silence(patient_a, doctor, rule_code="not-true-trough")

    _, alerts = services.record_result(
        patient=patient_a,
        analyte=tacrolimus,
        value=Decimal("7"),
        collected_at=now - DAY,
        last_dose_at=None,  # not a true trough, but that rule is silenced
        entered_by=nurse,
    )

    assert alerts == []


def test_a_rule_may_be_silenced_for_90_days_at_most(now, doctor, patient_a):
    silence(patient_a, doctor, days=90)

    with pytest.raises(ValidationError, match="within the next 90 days"):
        silence(patient_a, doctor, days=91)

    assert RuleSuppression.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("reason", "Give the reason"),
        ("until", "within the next 90 days"),
        ("rule_code", "Unknown rule"),
    ],
)
def test_a_silence_needs_a_reason_a_future_date_and_a_known_rule(
    now, doctor, patient_a, field, message
):
    wrong = {"reason": "  ", "until": now - DAY, "rule_code": "no-such-rule"}
    arguments = {
        "patient": patient_a,
        "rule_code": "trough-above-target",
        "until": now + 7 * DAY,
        "reason": "Dose reduced yesterday",
        "user": doctor,
    }

    with pytest.raises(ValidationError, match=message):
        services.suppress_rule(**(arguments | {field: wrong[field]}))

    assert not RuleSuppression.objects.exists()


def test_a_silence_is_audited_with_who_and_why(now, doctor, patient_a):
    suppression = silence(patient_a, doctor)

    row = suppression.history.get()
    assert row.history_user == doctor
    assert suppression.reason == "Dose reduced yesterday, level expected to fall"


# --- Acknowledgement decisions ----------------------------------------------------------------


@pytest.fixture
def on_tacrolimus(patient_a, start_regimen):
    start_regimen(patient_a, timezone.localdate() - 60 * DAY)
    return patient_a


@pytest.fixture
def high_trough(on_tacrolimus, record_trough):
    record_trough(on_tacrolimus, "9.5")
    return trough_alert(on_tacrolimus)


def test_dose_changed_needs_a_regimen_started_since_the_alert(doctor, high_trough):
    with pytest.raises(ValidationError) as refused:
        services.acknowledge_alert(
            alert=high_trough,
            user=doctor,
            comment="Dose reduced",
            decision=Decision.DOSE_CHANGED,
        )

    assert refused.value.message_dict == {
        "decision": [
            "Record the new regimen first: no regimen was started since the alert was raised."
        ]
    }
    high_trough.refresh_from_db()
    assert high_trough.is_open


def test_dose_changed_links_the_regimen_started_since_the_alert(
    doctor, high_trough, on_tacrolimus, start_regimen
):
    new = start_regimen(on_tacrolimus, timezone.localdate(), "2.5", "2.5")

    services.acknowledge_alert(
        alert=high_trough, user=doctor, comment="Reduced to 5 mg/day", decision="dose-changed"
    )

    high_trough.refresh_from_db()
    assert high_trough.status == Alert.Status.ACKNOWLEDGED
    assert high_trough.decision == Decision.DOSE_CHANGED
    assert high_trough.decision_regimen == new
    assert high_trough.repeat_due_on is None


@pytest.mark.parametrize("days", [None, -1])
def test_repeat_test_needs_a_date_not_in_the_past(doctor, high_trough, days):
    due = None if days is None else timezone.localdate() + days * DAY

    with pytest.raises(ValidationError, match="Give the date the repeat test is due"):
        services.acknowledge_alert(
            alert=high_trough,
            user=doctor,
            comment="Repeat",
            decision=Decision.REPEAT_TEST,
            repeat_due_on=due,
        )

    high_trough.refresh_from_db()
    assert high_trough.is_open


def test_a_repeat_test_ordered_appears_in_the_patients_due_dates(
    doctor, high_trough, on_tacrolimus
):
    due_on = timezone.localdate() + 4 * DAY

    services.acknowledge_alert(
        alert=high_trough,
        user=doctor,
        comment="Sample may have been late; repeat",
        decision=Decision.REPEAT_TEST,
        repeat_due_on=due_on,
    )

    high_trough.refresh_from_db()
    assert high_trough.repeat_due_on == due_on
    [trough] = [d for d in services.patient_context(on_tacrolimus).dues if d.test == "trough"]
    assert (trough.due_on, trough.reason) == (due_on, "repeat test ordered by the doctor")


def test_a_repeat_ordered_after_the_mornings_trough_is_met_by_the_next_one(
    time_machine, doctor, on_tacrolimus, record_trough
):
    today = timezone.localdate()
    time_machine.move_to(noon(today), tick=False)
    record_trough(on_tacrolimus, "9.5", at=noon(today) - dt.timedelta(hours=4))
    time_machine.move_to(noon(today) + dt.timedelta(hours=3), tick=False)
    services.acknowledge_alert(
        alert=trough_alert(on_tacrolimus),
        user=doctor,
        comment="Repeat in 3 days",
        decision=Decision.REPEAT_TEST,
        repeat_due_on=today + 3 * DAY,
    )

    [due] = [d for d in services.patient_context(on_tacrolimus).dues if d.test == "trough"]
    assert due.due_on == today + 3 * DAY

    time_machine.move_to(noon(today) + dt.timedelta(hours=6), tick=False)
    record_trough(on_tacrolimus, "7.6", at=noon(today) + dt.timedelta(hours=5))
    [due] = [d for d in services.patient_context(on_tacrolimus).dues if d.test == "trough"]
    assert due.due_on == today + 30 * DAY


def test_an_unknown_decision_is_refused(doctor, high_trough):
    with pytest.raises(ValidationError, match="Choose a decision"):
        services.acknowledge_alert(
            alert=high_trough, user=doctor, comment="Seen", decision="ignore"
        )


# --- Reopening when the evidence changes -------------------------------------------------------


@pytest.fixture
def acknowledged(doctor, patient_a, record_trough):
    result = record_trough(patient_a, "9")
    alert = trough_alert(patient_a)
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced by phone")
    return alert, result


def test_an_acknowledged_alert_reopens_when_its_result_is_corrected(nurse, acknowledged):
    alert, result = acknowledged

    services.amend_result(
        result=result, user=nurse, reason="Typo, lab report checked", value=Decimal("9.6")
    )

    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    assert alert.value_display == "9.6 ng/mL"
    assert "9.6 ng/mL is above the target" in alert.message
    assert "Reopened: its result was corrected (value was 9; Typo, lab report checked)" in (
        alert.message
    )
    assert alert.occurrences == 1
    assert alert.acknowledgement_comment == "Dose reduced by phone"


def test_the_reopening_is_in_the_alerts_history(nurse, acknowledged):
    alert, result = acknowledged

    services.amend_result(result=result, user=nurse, reason="Typo", value=Decimal("9.6"))

    reasons = [row.history_change_reason for row in alert.history.all()]
    assert any(reason and reason.startswith("Reopened: ") for reason in reasons)
    assert any(reason and reason.startswith("Acknowledged (") for reason in reasons)


def test_a_corrected_comment_does_not_reopen_the_alert(nurse, acknowledged):
    alert, result = acknowledged

    services.amend_result(result=result, user=nurse, reason="Detail", comment="Haemolysed")

    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED


def test_a_result_corrected_into_the_target_closes_the_alert(nurse, acknowledged):
    alert, result = acknowledged

    services.amend_result(result=result, user=nurse, reason="Typo", value=Decimal("7"))

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution == "Its result was corrected to 7 ng/mL: Typo"


# --- Rule settings ----------------------------------------------------------------------------


def test_a_clinic_that_disables_a_rule_gets_no_alert_from_it(
    clinic, patient_a, patient_other, nurse_other, record_trough
):
    RuleSetting.objects.create(
        clinic=clinic, code="trough-above-target", is_enabled=False, severity=Severity.WARNING
    )

    record_trough(patient_a, "9")
    record_trough(patient_other, "9", by=nurse_other)

    assert not patient_a.alerts.exists()
    assert open_alerts(patient_other) == {("trough-above-target", "tacrolimus")}


def test_a_clinics_parameters_change_the_outcome_and_the_alert_keeps_them(
    clinic, patient_a, patient_other, nurse_other, record_trough
):
    RuleSetting.objects.create(
        clinic=clinic,
        code="trough-urgent-high",
        severity=Severity.URGENT,
        params={"above": "12"},
        version=2,
    )

    record_trough(patient_a, "13")
    record_trough(patient_other, "13", by=nurse_other)

    alert = trough_alert(patient_a, "trough-urgent-high")
    assert alert.severity == Severity.URGENT
    assert alert.rule_version == 2
    assert alert.params == {"above": "12"}
    assert alert.message.startswith("Tacrolimus trough 13 ng/mL is above 12 ng/mL")
    assert open_alerts(patient_other) == {("trough-above-target", "tacrolimus")}
    assert trough_alert(patient_other).rule_version == 1


def test_a_clinic_may_change_a_rules_severity(clinic, patient_a, record_trough):
    RuleSetting.objects.create(
        clinic=clinic, code="trough-below-target", severity=Severity.URGENT, version=4
    )

    record_trough(patient_a, "4")

    alert = trough_alert(patient_a, "trough-below-target")
    assert (alert.severity, alert.rule_version) == (Severity.URGENT, 4)

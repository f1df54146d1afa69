"""ADT^A04/A08/A31 (issue #6): the hospital registers and updates patients."""

import datetime as dt

from monitoring import services
from monitoring.models import Patient
from tests import hl7 as samples

NEW_PID = "PID|1||DR-2001^^^demo-rheum^MR||MOREAU^CLAIRE||19851203|F"


def receive(raw, user, **kwargs):
    return services.receive_hl7_message(raw=raw, transport="http", user=user, **kwargs)


def test_a04_registers_a_new_patient_in_the_clinic_of_the_authority(lab, clinic):
    outcome = receive(samples.adt("A04", "ADT-1", pid=NEW_PID), lab)

    assert outcome.code == "AA"
    patient = Patient.objects.get(mrn="DR-2001")
    assert (patient.clinic, patient.first_name, patient.last_name) == (clinic, "CLAIRE", "MOREAU")
    assert (patient.date_of_birth, patient.sex) == (dt.date(1985, 12, 3), "F")
    assert patient.history.first().history_change_reason == "ADT^A04 message ADT-1"
    assert "\rMSA|AA|ADT-1|Patient DR-2001 registered." in outcome.ack
    assert outcome.ack.split("\r")[0].split("|")[8] == "ACK^A04^ACK"


def test_a08_updates_the_name_with_the_reason(lab, patient_a):
    pid = "PID|1||DR-1001^^^demo-rheum^MR||DURAND-MARTIN^Alice||19900517|F"

    outcome = receive(samples.adt("A08", "ADT-2", pid=pid), lab)

    patient_a.refresh_from_db()
    assert outcome.code == "AA"
    assert patient_a.last_name == "DURAND-MARTIN"
    assert patient_a.history.first().history_change_reason == "ADT^A08 message ADT-2"


def test_a31_without_authority_uses_the_default_clinic(lab, clinic):
    pid = "PID|1||DR-2002||PETIT^Luc||19700101|M"

    outcome = receive(samples.adt("A31", "ADT-3", pid=pid), lab, default_clinic=clinic)

    assert outcome.code == "AA"
    assert Patient.objects.get(mrn="DR-2002").clinic == clinic


def test_an_unknown_sex_is_an_error_naming_pid_8_and_writes_nothing(lab, clinic):
    pid = NEW_PID.replace("|F", "|U")

    outcome = receive(samples.adt("A04", "ADT-4", pid=pid), lab)

    assert outcome.code == "AE"
    assert "ERR||PID^1^8^1|103^" in outcome.ack
    assert not Patient.objects.filter(mrn="DR-2001").exists()


def test_a_missing_birth_date_is_an_error_naming_pid_7(lab, clinic):
    pid = NEW_PID.replace("19851203", "")

    outcome = receive(samples.adt("A04", "ADT-5", pid=pid), lab)

    assert outcome.code == "AE"
    assert "ERR||PID^1^7^1|101^" in outcome.ack
    assert not Patient.objects.filter(mrn="DR-2001").exists()


def test_an_unknown_authority_registers_nobody(lab, clinic):
    pid = NEW_PID.replace("demo-rheum", "ELSEWHERE")

    outcome = receive(samples.adt("A04", "ADT-6", pid=pid), lab, default_clinic=clinic)

    assert outcome.code == "AE"
    assert "ERR||PID^1^3^1|204^" in outcome.ack
    assert not Patient.objects.filter(mrn="DR-2001").exists()


def test_an_account_of_another_clinic_cannot_register_there(nurse_other, clinic):
    outcome = receive(samples.adt("A04", "ADT-7", pid=NEW_PID), nurse_other)

    assert outcome.code == "AR"
    assert not Patient.objects.filter(mrn="DR-2001").exists()

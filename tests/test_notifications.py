"""E-mail to doctors (clinical-reference.md A6): a critical alert e-mails the doctors of the
patient's clinic once it is committed, and a daily digest counts the open urgent and critical
alerts. E-mail is no safe channel for health data: no message names the patient, the MRN or
the value, only a link to the worklist."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Analyte, Role, Severity
from tests.factories import UserFactory

# `mailoutbox` comes last in every test: the database set-up replaces Django's outbox, so the
# fixture must be taken after the fixtures that open the database.


@pytest.fixture
def doctors(doctor, clinic, other_clinic, doctor_other, nurse):
    """Who has an address: the demo clinic's doctor and a colleague, a doctor without one, a
    doctor who left, the other clinic's doctor and a nurse."""
    doctor.email = "daniel.martin@example.org"
    doctor.save()
    UserFactory(
        username="colleague", role=Role.DOCTOR, email="colleague@example.org", clinics=[clinic]
    )
    UserFactory(username="no-email", role=Role.DOCTOR, email="", clinics=[clinic])
    UserFactory(
        username="left",
        role=Role.DOCTOR,
        email="left@example.org",
        is_active=False,
        clinics=[clinic],
    )
    doctor_other.email = "lyon@example.org"
    doctor_other.save()
    nurse.email = "nadia@example.org"
    nurse.save()
    return {"daniel.martin@example.org", "colleague@example.org"}


def assert_no_patient_data(text: str, *values: str) -> None:
    for secret in ("Alice", "Durand", "DR-1001", *values):
        assert secret not in text


def record_potassium(patient, value, nurse, *, ago=dt.timedelta(0)):
    potassium = Analyte.objects.get(code="potassium")
    services.record_panel(
        patient=patient,
        collected_at=timezone.now().replace(second=0, microsecond=0) - ago,
        values=[
            services.PanelValue(
                analyte=potassium,
                value=Decimal(value),
                unit=potassium.units.get(code="mmol/L"),
            )
        ],
        entered_by=nurse,
    )


def test_a_critical_alert_emails_the_clinics_doctors(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)

    [mail] = mailoutbox
    assert set(mail.to) == doctors
    assert mail.subject == "tdm-tracker: a critical alert needs review"
    assert "http://127.0.0.1:8000/worklist/?severity=40" in mail.body
    assert_no_patient_data(mail.subject + mail.body, "clarithromycin", "macrolide")


def test_a_critical_value_is_not_in_the_email(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        record_potassium(patient_a, "6.5", nurse)

    [mail] = mailoutbox
    assert set(mail.to) == doctors
    assert "/worklist/" in mail.body
    assert_no_patient_data(mail.subject + mail.body, "6.5", "otassium", "mmol")


def test_the_link_uses_the_sites_address(
    settings, django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    settings.SITE_URL = "https://tdm.example.org/"

    with django_capture_on_commit_callbacks(execute=True):
        services.record_allergy(patient=patient_a, substance="Zeclar", entered_by=nurse)

    assert "https://tdm.example.org/worklist/?severity=40" in mailoutbox[0].body


def test_nothing_is_sent_before_the_transaction_commits(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)

        assert mailoutbox == []

    assert len(callbacks) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)
        raise RuntimeError("the request failed after the allergy was saved")

    assert callbacks == []
    assert mailoutbox == []
    assert not Alert.objects.exists()


def test_a_non_critical_alert_sends_nothing(
    django_capture_on_commit_callbacks, doctors, patient_a, record_trough, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        record_trough(patient_a, "16")  # urgent

    assert patient_a.alerts.filter(severity=Severity.URGENT).exists()
    assert mailoutbox == []


def test_a_repeat_of_an_open_critical_alert_sends_nothing_more(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        record_potassium(patient_a, "6.5", nurse, ago=dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        record_potassium(patient_a, "6.7", nurse)

    assert patient_a.alerts.get(rule_code="critical-value").occurrences == 2
    assert len(mailoutbox) == 1


def test_a_critical_record_alert_is_sent_once_while_it_holds(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_weight(
            patient=patient_a,
            weight_kg=Decimal("61"),
            measured_on=timezone.localdate(),
            entered_by=nurse,
        )

    assert len(mailoutbox) == 1


def test_a_silenced_critical_rule_sends_nothing(
    django_capture_on_commit_callbacks, doctors, doctor, nurse, patient_a, mailoutbox
):
    services.suppress_rule(
        patient=patient_a,
        rule_code="macrolide-allergy",
        until=timezone.now() + dt.timedelta(days=30),
        reason="Tolerated tacrolimus for years, allergist consulted",
        user=doctor,
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)

    assert mailoutbox == []


def test_a_clinic_without_doctors_to_write_to_sends_nothing(
    django_capture_on_commit_callbacks, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)

    assert patient_a.alerts.filter(rule_code="macrolide-allergy").exists()
    assert mailoutbox == []


# --- The daily digest -------------------------------------------------------------------------


def send_digest() -> str:
    out = io.StringIO()
    call_command("send_digest", stdout=out)
    return out.getvalue()


def test_the_digest_counts_open_urgent_and_critical_alerts_per_doctor(
    doctors, nurse, patient_a, patient_b, record_trough, mailoutbox
):
    services.record_allergy(patient=patient_a, substance="clarithromycin", entered_by=nurse)
    record_trough(patient_a, "16")
    record_trough(patient_b, "17")
    mailoutbox.clear()  # the critical alert's own e-mail is not under test here

    output = send_digest()

    assert output == "2 digest e-mails sent.\n"
    assert {address for mail in mailoutbox for address in mail.to} == doctors
    assert all(len(mail.to) == 1 for mail in mailoutbox)
    mail = mailoutbox[0]
    assert mail.subject == "tdm-tracker: open alerts to review"
    assert "Open in your clinics: 1 critical and 2 urgent alerts." in mail.body
    assert "http://127.0.0.1:8000/worklist/" in mail.body
    assert_no_patient_data(mail.body, "Bruno", "Lefebvre", "DR-1002", "16", "17", "clarithro")


def test_acknowledged_alerts_and_warnings_are_not_in_the_digest(
    doctors, doctor, patient_a, record_trough, mailoutbox
):
    record_trough(patient_a, "16")
    services.acknowledge_alert(
        alert=patient_a.alerts.get(), user=doctor, comment="Dose withheld one day"
    )
    record_trough(patient_a, "9")

    assert send_digest() == "0 digest e-mails sent.\n"
    assert mailoutbox == []


def test_the_digest_goes_only_to_doctors_of_clinics_with_open_alerts(
    doctors, nurse_other, patient_other, record_trough, mailoutbox
):
    record_trough(patient_other, "16", by=nurse_other)

    send_digest()

    [mail] = mailoutbox
    assert mail.to == ["lyon@example.org"]
    assert "0 critical and 1 urgent alerts" in mail.body
    assert_no_patient_data(mail.body, "David", "Garnier", "LY-2001", "16")

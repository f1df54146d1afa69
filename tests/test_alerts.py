"""Trough alerts: what raises one, how repeats merge, and how a doctor acknowledges it."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Severity


def open_alerts(patient):
    return list(patient.alerts.filter(status=Alert.Status.OPEN))


@pytest.mark.parametrize("value", ["6.0", "7.0", "8.0"])
def test_a_trough_within_the_default_target_raises_nothing(patient_a, record_trough, value):
    record_trough(patient_a, value)

    assert patient_a.alerts.count() == 0


def test_a_trough_below_the_target_raises_a_warning(patient_a, record_trough):
    record_trough(patient_a, "5.0")

    [alert] = open_alerts(patient_a)
    assert alert.severity == Severity.WARNING
    assert alert.message == (
        "Tacrolimus trough 5 ng/mL is below the target 6–8 ng/mL (subtherapeutic)"
    )


def test_a_trough_above_the_target_raises_a_warning(patient_a, record_trough):
    record_trough(patient_a, "9.0")

    [alert] = open_alerts(patient_a)
    assert alert.severity == Severity.WARNING
    assert "is above the target 6–8 ng/mL (supratherapeutic)" in alert.message


def test_a_trough_above_15_is_urgent(patient_a, record_trough):
    record_trough(patient_a, "16")

    [alert] = open_alerts(patient_a)
    assert alert.severity == Severity.URGENT
    assert "16 ng/mL is above 15 ng/mL: risk of toxicity" in alert.message


def test_a_repeat_while_the_alert_is_open_merges_into_it(client, doctor, patient_a, record_trough):
    record_trough(patient_a, "5.0")
    record_trough(patient_a, "5.4")

    [alert] = open_alerts(patient_a)
    assert alert.occurrences == 2
    assert alert.value_display == "5.4 ng/mL"
    client.force_login(doctor)
    page = client.get(reverse("monitoring:worklist")).text
    assert "5.4 ng/mL" in page
    assert "×2" in page


def test_after_acknowledgement_a_new_out_of_range_trough_opens_a_new_alert(
    doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.0")
    [first] = open_alerts(patient_a)
    services.acknowledge_alert(alert=first, user=doctor, comment="Dose increased")

    record_trough(patient_a, "5.2")

    [second] = open_alerts(patient_a)
    assert second.pk != first.pk
    assert second.occurrences == 1
    assert patient_a.alerts.count() == 2


def test_a_trough_is_judged_against_the_target_in_force_when_it_was_sampled(
    doctor, patient_a, record_trough
):
    now = timezone.now().replace(second=0, microsecond=0)
    services.set_trough_target(
        patient=patient_a,
        low=Decimal("4"),
        high=Decimal("6"),
        starts_at=now - dt.timedelta(days=3),
        reason="Maintenance phase",
        set_by=doctor,
    )

    record_trough(patient_a, "5.0", at=now - dt.timedelta(days=1))
    assert open_alerts(patient_a) == []

    # Entered late, but sampled while the old 6–8 band was in force.
    record_trough(patient_a, "5.0", at=now - dt.timedelta(days=5))
    [alert] = open_alerts(patient_a)
    assert "below the target 6–8 ng/mL" in alert.message


@pytest.fixture
def alert(patient_a, record_trough):
    record_trough(patient_a, "5.0")
    return patient_a.alerts.get()


def acknowledge(client, alert, comment, **extra):
    """The quick "no change" form of the worklist (or, with next="patient", the patient page)."""
    url = reverse("monitoring:alert_acknowledge", args=[alert.pk])
    return client.post(url, {"comment": comment, "next": "worklist", **extra}, follow=True)


def test_a_doctor_acknowledges_an_alert_with_a_decision(client, doctor, alert):
    client.force_login(doctor)
    moment = timezone.now().replace(microsecond=0)

    with time_machine.travel(moment, tick=False):
        response = acknowledge(client, alert, "Dose increased to 3 mg/day")

    assert "Acknowledged for Alice Durand" in response.text
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.acknowledged_by == doctor
    assert alert.acknowledged_at == moment
    assert alert.acknowledgement_comment == "Dose increased to 3 mg/day"


def test_an_acknowledged_alert_leaves_the_worklist(client, doctor, alert):
    client.force_login(doctor)

    response = acknowledge(client, alert, "Dose increased to 3 mg/day")

    assert response.redirect_chain[-1][0] == "/worklist/"
    worklist = client.get(reverse("monitoring:worklist")).text
    assert "No open alerts" in worklist
    assert "is below the target" not in worklist


def test_an_acknowledged_alert_stays_in_the_patients_alert_history(
    client, doctor, alert, patient_a
):
    client.force_login(doctor)
    acknowledge(client, alert, "Dose increased to 3 mg/day")

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    history = page[page.index("Alert history") :]
    assert "below the target 6–8 ng/mL" in history
    assert "Acknowledged by Daniel Martin" in history
    assert "Dose increased to 3 mg/day" in history


def test_acknowledging_from_the_patient_page_returns_there(client, doctor, alert, patient_a):
    client.force_login(doctor)

    response = acknowledge(client, alert, "Repeat trough next week", next="patient")

    assert response.redirect_chain[-1][0] == f"/patients/{patient_a.pk}/"


@pytest.mark.parametrize("comment", ["", "   "])
def test_an_acknowledgement_without_a_decision_is_refused(client, doctor, alert, comment):
    client.force_login(doctor)

    response = acknowledge(client, alert, comment)

    assert "Not acknowledged for Alice Durand: Say what you decided" in response.text
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_opening_the_acknowledge_page_acknowledges_nothing(client, doctor, alert):
    client.force_login(doctor)

    response = client.get(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]), {"comment": "Seen"}
    )

    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_nurse_cannot_acknowledge_an_alert(client, nurse, alert):
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]), {"comment": "Seen"}
    )

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_doctor_of_another_clinic_cannot_acknowledge(client, doctor_other, alert):
    client.force_login(doctor_other)

    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]), {"comment": "Seen"}
    )

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_correcting_a_result_is_not_counted_as_a_repeat(doctor, nurse, patient_a, record_trough):
    result = record_trough(patient_a, "9.0")

    services.amend_result(result=result, user=nurse, reason="Typo", value=Decimal("9.5"))

    [alert] = open_alerts(patient_a)
    assert alert.occurrences == 1
    assert alert.value_display == "9.5 ng/mL"


def test_a_corrected_result_marked_in_error_still_resolves_its_alert(
    nurse, patient_a, record_trough
):
    result = record_trough(patient_a, "9.0")
    services.amend_result(result=result, user=nurse, reason="Typo", value=Decimal("9.5"))

    services.mark_result_entered_in_error(result=result, user=nurse, reason="Wrong patient")

    assert open_alerts(patient_a) == []


def test_the_service_refuses_an_acknowledgement_without_a_decision(doctor, alert):
    with pytest.raises(ValidationError):
        services.acknowledge_alert(alert=alert, user=doctor, comment="  ")

    alert.refresh_from_db()
    assert alert.is_open


def test_an_alert_already_acknowledged_by_a_colleague_says_so(client, doctor, alert):
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose increased")
    client.force_login(doctor)

    response = acknowledge(client, alert, "Dose increased again")

    assert (
        "Not acknowledged for Alice Durand: This alert was already acknowledged." in response.text
    )
    alert.refresh_from_db()
    assert alert.acknowledgement_comment == "Dose increased"

"""The patient records the time of their last dose before a draw; staff see it as a
patient-entered suggestion where they type the time of last dose, and confirm it themselves."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from monitoring import services
from monitoring.models import DoseTimeReport, LabResult

PARIS = ZoneInfo("Europe/Paris")
# Tuesday 10 March 2026, 09:00 in Paris: the morning of a blood test.
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)
EVENING_DOSE = dt.datetime(2026, 3, 9, 20, 5, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice(patient_a):
    return patient_a.user


@pytest.fixture
def reported(patient_a, alice):
    return services.report_last_dose(patient=patient_a, taken_at=EVENING_DOSE, entered_by=alice)


def send(client, day, time):
    return client.post(
        reverse("monitoring:report_last_dose"), {"taken_on": day, "taken_time": time}
    )


# --- The patient ------------------------------------------------------------------------------


def test_the_patient_home_offers_the_last_dose_form(client, alice, patient_a):
    client.force_login(alice)

    response = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    assert "I took my last tacrolimus dose at …" in response.text
    assert 'value="2026-03-10"' in response.text  # today, by default


def test_the_patient_reports_the_time_of_their_last_dose(client, alice, patient_a):
    client.force_login(alice)

    response = send(client, "2026-03-09", "20:05")

    assert response["Location"] == reverse("monitoring:patient_chart", args=[patient_a.pk])
    report = DoseTimeReport.objects.get()
    assert report.patient == patient_a
    assert report.taken_at == EVENING_DOSE
    assert report.entered_by == alice
    home = client.get(response["Location"])
    assert "your care team will see that you took your last dose at 20:05 yesterday" in home.text
    assert "Already sent: last dose at 20:05 yesterday." in home.text


def test_a_time_in_the_future_is_refused_with_a_message(client, alice):
    client.force_login(alice)

    response = send(client, "2026-03-10", "09:30")

    assert response.status_code == 200
    assert "This time is in the future: enter when you took your last dose." in response.text
    assert not DoseTimeReport.objects.exists()


def test_a_time_more_than_48_hours_ago_is_refused_with_a_message(client, alice):
    client.force_login(alice)

    response = send(client, "2026-03-08", "08:59")

    assert "This is more than 48 hours ago" in response.text
    assert not DoseTimeReport.objects.exists()


def test_a_missing_time_is_refused_with_a_message(client, alice):
    client.force_login(alice)

    response = send(client, "2026-03-10", "")

    assert "Enter the time of your last dose." in response.text
    assert not DoseTimeReport.objects.exists()


def test_the_report_is_audited(reported, alice):
    assert reported.history.get().history_user == alice


def test_a_family_member_sees_no_dose_form_and_cannot_report(client, family, patient_a):
    client.force_login(family)

    home = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))
    posted = send(client, "2026-03-09", "20:05")

    assert "I took my last tacrolimus dose" not in home.text
    assert posted.status_code == 403
    assert not DoseTimeReport.objects.exists()


def test_another_patient_does_not_see_the_report(client, reported, patient_a, patient_b):
    client.force_login(patient_b.user)

    own_home = client.get(reverse("monitoring:patient_chart", args=[patient_b.pk]))
    alices_home = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    assert "20:05" not in own_home.text
    assert alices_home.status_code == 404
    assert "20:05" not in alices_home.text


@pytest.mark.parametrize("who", ["nurse", "doctor", "family"])
def test_only_patients_open_the_dose_report_page(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("monitoring:report_last_dose")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in_from_the_dose_report_page(client):
    response = client.get(reverse("monitoring:report_last_dose"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dose_report_page_shows_the_form(client, alice):
    client.force_login(alice)

    response = client.get(reverse("monitoring:report_last_dose"))

    assert response.status_code == 200
    assert 'for="id_taken_time"' in response.text
    assert 'type="time"' in response.text


# --- Staff ------------------------------------------------------------------------------------


def test_staff_see_it_marked_patient_entered_on_the_patient_page(
    client, nurse, reported, patient_a
):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

    assert "patient-entered" in response.text
    assert "Patient reported the last dose at 20:05 yesterday." in response.text


def test_the_trough_form_offers_the_reported_time_in_one_click(client, nurse, reported, patient_a):
    client.force_login(nurse)
    url = reverse("monitoring:record_trough", args=[patient_a.pk])

    offered = client.get(url)
    used = client.get(url + "?last_dose=reported")

    assert "Patient reported the last dose at 20:05 yesterday." in offered.text
    assert 'href="?last_dose=reported"' in offered.text
    assert 'value="2026-03-09T20:05"' not in offered.text  # never silently used
    assert 'value="2026-03-09T20:05"' in used.text
    assert "check it before you save" in used.text
    assert not LabResult.objects.exists()  # the nurse still saves the form herself


def test_the_draw_form_offers_the_reported_time_in_one_click(client, nurse, reported, patient_a):
    client.force_login(nurse)
    url = reverse("monitoring:record_draw") + f"?patient={patient_a.pk}"

    offered = client.get(url)
    used = client.get(url + "&last_dose=reported")

    assert "patient-entered" in offered.text
    assert f"?patient={patient_a.pk}&amp;last_dose=reported" in offered.text
    assert 'value="2026-03-09T20:05"' not in offered.text
    assert 'value="2026-03-09T20:05"' in used.text


def test_a_report_older_than_48_hours_is_no_longer_suggested(client, nurse, reported, patient_a):
    client.force_login(nurse)

    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        response = client.get(reverse("monitoring:record_trough", args=[patient_a.pk]))

    assert "Patient reported" not in response.text


def test_staff_of_another_clinic_cannot_see_the_report(client, nurse_other, reported, patient_a):
    client.force_login(nurse_other)

    response = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

    assert response.status_code == 404
    assert "20:05" not in response.text


def test_another_patients_report_is_not_suggested(client, nurse, reported, patient_b):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:record_trough", args=[patient_b.pk]))

    assert "Patient reported" not in response.text

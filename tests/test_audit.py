"""Corrections keep their history: who changed a result, when, why, and what it was before."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Alert, LabResult, ResultStatus
from tests.pages import figure_in, plotted_values

FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def result(patient_a, record_trough):
    return record_trough(patient_a, "5.0")


def edit(client, result, **fields):
    data = {
        "value": "5",
        "collected_at": timezone.localtime(result.collected_at).strftime(FORMAT),
        "last_dose_at": timezone.localtime(result.last_dose_at).strftime(FORMAT),
        "comment": "",
        "reason": "",
    }
    url = reverse("monitoring:result_edit", args=[result.pk])
    return client.post(url, {**data, **fields}, follow=True)


def test_a_correction_records_who_made_it_why_and_the_old_value(client, nurse, result):
    client.force_login(nurse)

    response = edit(client, result, value="5.8", reason="Transcription error, report checked")

    assert "Result corrected" in response.text
    latest = result.history.first()
    assert latest.value == Decimal("5.8")
    assert latest.history_user == nurse
    assert latest.history_change_reason == "Transcription error, report checked"
    assert latest.prev_record.value == Decimal("5.0")


def test_the_result_history_page_shows_the_correction(client, nurse, result):
    client.force_login(nurse)
    edit(client, result, value="5.8", reason="Transcription error, report checked")

    page = client.get(reverse("monitoring:result_history", args=[result.pk])).text

    assert "Transcription error, report checked" in page
    assert "Nadia Benali" in page
    assert "Entered: 5 ng/mL" in page


def test_a_correction_without_a_reason_is_refused_and_changes_nothing(client, nurse, result):
    client.force_login(nurse)

    response = edit(client, result, value="5.8", reason="")

    assert response.status_code == 200
    assert "This field is required." in response.text
    result.refresh_from_db()
    assert result.value == Decimal("5.0")
    assert result.history.count() == 1


def mark_in_error(client, result, reason):
    url = reverse("monitoring:result_entered_in_error", args=[result.pk])
    return client.post(url, {"reason": reason}, follow=True)


def test_marking_in_error_needs_a_reason(client, nurse, result):
    client.force_login(nurse)

    response = mark_in_error(client, result, "")

    assert "This field is required." in response.text
    result.refresh_from_db()
    assert result.status == ResultStatus.FINAL


@pytest.fixture
def wrong_result(patient_a, record_trough):
    """A trough kept beside a wrong one, which raised an alert."""
    record_trough(patient_a, "7.1")
    return record_trough(patient_a, "12.34")


def test_a_result_marked_in_error_is_kept_but_withdrawn(client, nurse, wrong_result):
    client.force_login(nurse)

    response = mark_in_error(client, wrong_result, "Sample from another patient")

    assert "is marked entered in error" in response.text
    assert LabResult.objects.count() == 2
    wrong_result.refresh_from_db()
    assert wrong_result.status == ResultStatus.ENTERED_IN_ERROR


def test_a_result_marked_in_error_leaves_the_patients_chart_and_table(
    client, nurse, patient_a, wrong_result
):
    client.force_login(nurse)
    mark_in_error(client, wrong_result, "Sample from another patient")
    client.force_login(patient_a.user)

    page = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])).text

    assert plotted_values(figure_in(page)) == [7.1]
    assert "12.34" not in page


def test_a_result_marked_in_error_stays_on_its_history_page(client, nurse, wrong_result):
    client.force_login(nurse)
    mark_in_error(client, wrong_result, "Sample from another patient")

    page = client.get(reverse("monitoring:result_history", args=[wrong_result.pk])).text

    assert "12.34 ng/mL" in page
    assert "Entered in error: Sample from another patient" in page


def test_marking_in_error_resolves_the_alert_it_alone_raised(client, nurse, wrong_result):
    alert = Alert.objects.get(result=wrong_result)
    assert alert.is_open
    client.force_login(nurse)

    mark_in_error(client, wrong_result, "Sample from another patient")

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert "Sample from another patient" in alert.resolution


def test_a_new_trough_may_replace_one_marked_in_error(
    client, nurse, patient_a, wrong_result, record_trough
):
    client.force_login(nurse)
    mark_in_error(client, wrong_result, "Sample from another patient")

    record_trough(patient_a, "7.3", at=wrong_result.collected_at)

    [valid] = LabResult.objects.valid().filter(collected_at=wrong_result.collected_at)
    assert valid.value == Decimal("7.3")


def test_a_result_marked_in_error_can_no_longer_be_edited(client, nurse, wrong_result):
    client.force_login(nurse)
    mark_in_error(client, wrong_result, "Sample from another patient")

    response = edit(client, wrong_result, value="7.0", reason="Retyped")

    assert response.redirect_chain[-1][0] == f"/results/{wrong_result.pk}/history/"
    assert "cannot be edited" in response.text
    wrong_result.refresh_from_db()
    assert wrong_result.value == Decimal("12.34")


def test_correcting_a_result_back_into_range_resolves_the_alert_it_raised(
    client, nurse, patient_a, record_trough
):
    typo = record_trough(patient_a, "16")  # 6.1 typed as 16: urgent alert
    alert = Alert.objects.get(result=typo)
    client.force_login(nurse)

    edit(client, typo, value="7.0", reason="Typed 16 for 6.1, lab report checked")

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert "corrected to 7 ng/mL" in alert.resolution
    assert not Alert.objects.open().exists()


def test_the_alert_history_names_the_person_who_corrected_the_result(
    client, nurse, doctor, patient_a, record_trough
):
    result = record_trough(patient_a, "9.0")  # recorded by the nurse fixture
    client.force_login(doctor)

    edit(client, result, value="9.5", reason="Lab re-issued the report")

    alert = Alert.objects.get(result=result)
    assert alert.history.first().history_user == doctor


def test_the_result_history_page_shows_values_as_entered_not_raw_decimals(client, nurse, result):
    client.force_login(nurse)
    edit(client, result, value="5.8", reason="Transcription error, report checked")

    page = client.get(reverse("monitoring:result_history", args=[result.pk])).text

    assert "5 → 5.8" in page.replace("</span>", "").replace('<span class="withdrawn">', "")
    assert "5.0000" not in page

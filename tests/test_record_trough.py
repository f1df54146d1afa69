"""Recording a trough through the nurse's form: what is refused, what is saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import LabResult

FORMAT = "%Y-%m-%dT%H:%M"


def local(hours_ago: float) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours_ago)).strftime(FORMAT)


@pytest.fixture
def post_trough(client, nurse, patient_a):
    client.force_login(nurse)
    url = reverse("monitoring:record_trough", args=[patient_a.pk])

    def post(**fields):
        data = {"value": "7.1", "collected_at": local(2), "last_dose_at": local(14)}
        return client.post(url, {**data, **fields}, follow=True)

    return post


def test_a_nurse_records_a_trough_and_sees_it_on_the_patient_page(post_trough, patient_a):
    response = post_trough(value="7.1")

    assert response.redirect_chain[-1][0] == f"/patients/{patient_a.pk}/"
    assert "Saved 7.1 ng/mL: within the target 6–8 ng/mL." in response.text
    assert patient_a.results.get().value == Decimal("7.1")


def test_a_decimal_comma_is_read_as_a_decimal_point(post_trough, patient_a):
    response = post_trough(value="7,5")

    assert "Saved 7.5 ng/mL" in response.text
    assert patient_a.results.get().value == Decimal("7.5")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "The value must be greater than 0 ng/mL."),
        ("-3", "The value must be greater than 0 ng/mL."),
        ("100.5", "100.5 ng/mL is above the plausible maximum of 100 ng/mL."),
        ("7,5,1", "“7,5,1” cannot be read as a number."),
        ("1,234.5", "“1,234.5” cannot be read as a number."),
        ("nan", "“nan” is not a measured value."),
        ("inf", "“inf” is not a measured value."),
        ("", "Enter the trough value in ng/mL."),
    ],
)
def test_an_unusable_value_is_refused_with_a_message(post_trough, db, value, message):
    response = post_trough(value=value)

    assert response.status_code == 200
    assert message in response.text
    assert LabResult.objects.count() == 0


def test_a_sample_time_in_the_future_is_refused(post_trough, db):
    response = post_trough(collected_at=local(-24))

    assert "The sample time is in the future." in response.text
    assert LabResult.objects.count() == 0


def test_a_last_dose_after_the_sample_is_refused(post_trough, db):
    response = post_trough(collected_at=local(3), last_dose_at=local(1))

    assert "The last dose is after the sample time." in response.text
    assert LabResult.objects.count() == 0


def test_an_impossible_date_is_refused(post_trough, db):
    response = post_trough(collected_at="2026-02-30T08:00", last_dose_at="2026-02-29T20:00")

    assert "Enter a real date and time" in response.text
    assert LabResult.objects.count() == 0


def test_a_second_trough_at_the_same_time_is_refused_as_a_duplicate(
    post_trough, patient_a, record_trough
):
    sampled = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    record_trough(patient_a, "7.1", at=sampled)

    response = post_trough(value="7.4", collected_at=sampled.strftime(FORMAT))

    assert "already recorded (7.1 ng/mL" in response.text
    assert LabResult.objects.count() == 1

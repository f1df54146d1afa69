"""A doctor changes a patient's trough target band from a given time on."""

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import TroughTarget

FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def post_target(client, doctor, patient_a):
    client.force_login(doctor)
    url = reverse("monitoring:trough_target_set", args=[patient_a.pk])

    def post(**fields):
        data = {
            "preset": "maintenance",
            "starts_at": timezone.localtime().strftime(FORMAT),
            "reason": "Maintenance phase from month 6",
        }
        return client.post(url, {**data, **fields}, follow=True)

    return post


def test_a_doctor_sets_the_maintenance_band(post_target, patient_a):
    response = post_target()

    assert response.redirect_chain[-1][0] == f"/patients/{patient_a.pk}/"
    assert "Target set to 4–6 ng/mL" in response.text
    assert "Target 4–6 ng/mL" in response.text


def test_a_custom_band_is_used_as_typed(post_target, patient_a):
    post_target(preset="custom", low="5,5", high="7.5")

    target = patient_a.trough_targets.get()
    assert (target.low, target.high) == (5.5, 7.5)


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        ("8", "6", "The upper limit must be above the lower limit."),
        ("", "6", "Enter the lower limit of the custom band."),
        ("0", "6", "The lower limit must be above 0 ng/mL."),
        ("6", "40", "An upper limit above 30 ng/mL is not plausible."),
    ],
)
def test_an_impossible_custom_band_is_refused(post_target, db, low, high, message):
    response = post_target(preset="custom", low=low, high=high)

    assert message in response.text
    assert TroughTarget.objects.count() == 0


def test_a_target_without_a_reason_is_refused(post_target, db):
    response = post_target(reason="")

    assert "This field is required." in response.text
    assert TroughTarget.objects.count() == 0

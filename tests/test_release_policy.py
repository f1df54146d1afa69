"""Results the clinic holds for review reach the patient only after a clinician released
them (issue #5: release policy per analyte)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Analyte


@pytest.fixture
def held_upcr(nurse, patient_a):
    """A urine protein result of a test the clinic holds for review."""
    upcr = Analyte.objects.get(code="upcr")
    upcr.release_policy = "after-review"
    upcr.save()
    at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    results, _ = services.record_panel(
        patient=patient_a,
        collected_at=at,
        values=[
            services.PanelValue(
                analyte=upcr, value=Decimal("88"), unit=upcr.units.get(code="mg/mmol")
            )
        ],
        entered_by=nurse,
    )
    return results[0]


def portal(client, patient):
    client.force_login(patient.user)
    return client.get(reverse("monitoring:patient_chart", args=[patient.pk])).text


def test_a_held_result_is_not_shown_to_the_patient(client, patient_a, held_upcr):
    assert "88 mg/mmol" not in portal(client, patient_a)


def test_staff_see_the_held_result_and_release_it(client, nurse, patient_a, held_upcr):
    client.force_login(nurse)
    stamp = int(held_upcr.collected_at.timestamp())
    draw = reverse("monitoring:draw_detail", args=[patient_a.pk, stamp])

    page = client.get(draw).text
    client.post(reverse("monitoring:draw_release", args=[patient_a.pk, stamp]))

    assert "held from the patient" in page
    held_upcr.refresh_from_db()
    assert held_upcr.reviewed_by == nurse
    assert held_upcr.history.first().history_change_reason == "Reviewed: released to the patient"
    assert "88 mg/mmol" in portal(client, patient_a)


def test_results_of_immediate_tests_are_shown_at_once(client, nurse, patient_a):
    potassium = Analyte.objects.get(code="potassium")
    services.record_panel(
        patient=patient_a,
        collected_at=timezone.now().replace(second=0, microsecond=0),
        values=[
            services.PanelValue(
                analyte=potassium, value=Decimal("4.4"), unit=potassium.units.get(code="mmol/L")
            )
        ],
        entered_by=nurse,
    )

    assert "4.4 mmol/L" in portal(client, patient_a)


def test_only_staff_of_the_clinic_can_release(client, patient_a, nurse_other, held_upcr):
    url = reverse(
        "monitoring:draw_release", args=[patient_a.pk, int(held_upcr.collected_at.timestamp())]
    )
    client.force_login(patient_a.user)
    assert client.post(url).status_code == 403
    client.force_login(nurse_other)
    assert client.post(url).status_code == 404
    held_upcr.refresh_from_db()
    assert held_upcr.reviewed_at is None

"""Eight people saving results at the same moment: every result is saved, none is refused
with "database is locked" (SQLite: WAL, IMMEDIATE transactions and a 20 s busy timeout)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import services
from monitoring.models import LabResult, Role
from tests.factories import PatientFactory, UserFactory

from .threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 8
RESULTS_EACH = 3


def test_eight_concurrent_writers_save_every_result(clinic, tacrolimus):
    patients = [PatientFactory(clinic=clinic) for _ in range(WRITERS)]
    nurses = [
        UserFactory(username=f"nurse-{n}", role=Role.NURSE, clinics=[clinic])
        for n in range(WRITERS)
    ]
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=5)

    def writer(patient, nurse):
        def write():
            for hour in range(RESULTS_EACH):
                at = start + dt.timedelta(hours=hour)
                services.record_result(
                    patient=patient,
                    analyte=tacrolimus,
                    # Above the default target from the second one on: alerts are raised
                    # and merged too, as in a busy clinic.
                    value=Decimal("6.0") + 2 * hour,
                    collected_at=at,
                    last_dose_at=at - dt.timedelta(hours=12),
                    entered_by=nurse,
                )

        return write

    outcomes = run_together([writer(p, n) for p, n in zip(patients, nurses, strict=True)])

    assert [outcome.error for outcome in outcomes] == [None] * WRITERS
    assert LabResult.objects.count() == WRITERS * RESULTS_EACH
    for patient in patients:
        assert patient.alerts.filter(rule_code="trough-above-target").count() == 1


def test_eight_results_for_one_patient_at_once_open_one_alert(patient_a, tacrolimus, clinic):
    # Each finds no open alert of its rule and would open one: the second would be refused
    # by the one-open-alert constraint (PostgreSQL) unless the writers queue per patient.
    nurses = [
        UserFactory(username=f"nurse-{n}", role=Role.NURSE, clinics=[clinic])
        for n in range(WRITERS)
    ]
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=5)

    def writer(minutes, nurse):
        at = start + dt.timedelta(minutes=minutes)
        return lambda: services.record_result(
            patient=patient_a,
            analyte=tacrolimus,
            value=Decimal("9.5"),  # above the default 4-8 ng/mL target
            collected_at=at,
            last_dose_at=at - dt.timedelta(hours=12),
            entered_by=nurse,
        )

    outcomes = run_together([writer(minutes, nurse) for minutes, nurse in enumerate(nurses)])

    assert [outcome.error for outcome in outcomes] == [None] * WRITERS
    assert patient_a.results.count() == WRITERS
    alert = patient_a.alerts.get(rule_code="trough-above-target")
    assert alert.occurrences == WRITERS


def test_the_same_result_sent_twice_at_once_is_saved_once(patient_a, tacrolimus, nurse, lab):
    at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)

    def send(user):
        return lambda: services.record_result(
            patient=patient_a,
            analyte=tacrolimus,
            value=Decimal("6.1"),
            collected_at=at,
            last_dose_at=at - dt.timedelta(hours=12),
            entered_by=user,
        )

    outcomes = run_together([send(nurse), send(lab)])

    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(errors) == 1
    # The clear refusal the form shows, not a database error.
    assert isinstance(errors[0], services.DuplicateResultError), repr(errors[0])
    assert patient_a.results.count() == 1

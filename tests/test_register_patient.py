"""Registering and updating patients from a hospital system, audited."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from monitoring import services
from monitoring.models import Patient


def test_a_new_mrn_creates_the_patient_with_the_reason_in_its_history(clinic, lab):
    patient, created = services.register_patient(
        clinic=clinic,
        mrn="DR-3001",
        first_name="Eva",
        last_name="Roux",
        date_of_birth=dt.date(1990, 4, 2),
        sex="F",
        user=lab,
        reason="ADT^A04 message 42",
    )
    assert created
    assert patient.clinic == clinic
    record = patient.history.get()
    assert record.history_user == lab
    assert record.history_change_reason == "ADT^A04 message 42"


def test_a_known_mrn_updates_the_name_and_keeps_the_old_one_in_history(patient_a, lab):
    patient, created = services.register_patient(
        clinic=patient_a.clinic,
        mrn=patient_a.mrn,
        first_name="Alice",
        last_name="Durand-Moreau",
        date_of_birth=patient_a.date_of_birth,
        sex=patient_a.sex,
        user=lab,
        reason="ADT^A08 message 43",
    )
    assert not created
    assert patient.pk == patient_a.pk
    assert Patient.objects.get(pk=patient_a.pk).last_name == "Durand-Moreau"
    assert patient.history.order_by("history_date").first().last_name == "Durand"


def test_the_same_data_again_changes_nothing(patient_a, lab):
    before = patient_a.history.count()
    services.register_patient(
        clinic=patient_a.clinic,
        mrn=patient_a.mrn,
        first_name=patient_a.first_name,
        last_name=patient_a.last_name,
        date_of_birth=patient_a.date_of_birth,
        sex=patient_a.sex,
        user=lab,
        reason="ADT^A31",
    )
    assert patient_a.history.count() == before


def test_invalid_data_writes_nothing(clinic, lab):
    with pytest.raises(ValidationError):
        services.register_patient(
            clinic=clinic,
            mrn="DR-3002",
            first_name="",
            last_name="Roux",
            date_of_birth=dt.date(1990, 4, 2),
            sex="U",
            user=lab,
            reason="ADT^A04",
        )
    assert not Patient.objects.filter(mrn="DR-3002").exists()

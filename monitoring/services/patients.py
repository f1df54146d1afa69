"""Registering patients from another system (HL7 ADT, FHIR, the unmatched-results queue)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ..models import Clinic, Patient, User
from .base import _audit

# The fields a hospital system may set or update; the clinic and the portal login stay ours.
REGISTRATION_FIELDS = ("first_name", "last_name", "date_of_birth", "sex")


@transaction.atomic
def register_patient(
    *,
    clinic: Clinic,
    mrn: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    sex: str,
    user: User,
    reason: str,
) -> tuple[Patient, bool]:
    """Create the patient with this MRN in `clinic`, or update their name, date of birth and
    sex from the hospital's data. Returns (patient, created). Every change is audited with
    `reason` (e.g. "ADT^A08 message 123"); raises ValidationError and writes nothing if the
    data is invalid."""
    patient = Patient.objects.select_for_update().filter(clinic=clinic, mrn=mrn).first()
    created = patient is None
    if created:
        patient = Patient(clinic=clinic, mrn=mrn)
    values = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "date_of_birth": date_of_birth,
        "sex": sex,
    }
    changed = [name for name, value in values.items() if getattr(patient, name) != value]
    if not created and not changed:
        return patient, False
    for name in changed:
        setattr(patient, name, values[name])
    patient.full_clean()
    _audit(patient, user=user, reason=reason)
    patient.save()
    return patient, created

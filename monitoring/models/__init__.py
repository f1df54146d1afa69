"""The clinical record: clinics, people, analytes, results, targets and alerts.

Every clinical model keeps a django-simple-history table: who changed what, when, the old
value and the reason. Nothing clinical is hard-deleted (results are marked entered in error).
"""

from .alerts import Alert, AlertQuerySet, Severity
from .dosing import TroughTarget
from .people import (
    DEFAULT_TROUGH_HIGH,
    DEFAULT_TROUGH_LOW,
    STAFF_ROLES,
    Clinic,
    Patient,
    PatientQuerySet,
    Role,
    Sex,
    Share,
    ShareQuerySet,
    User,
)
from .results import Analyte, LabResult, LabResultQuerySet, ResultStatus, format_decimal

__all__ = [
    "DEFAULT_TROUGH_HIGH",
    "DEFAULT_TROUGH_LOW",
    "STAFF_ROLES",
    "Alert",
    "AlertQuerySet",
    "Analyte",
    "Clinic",
    "LabResult",
    "LabResultQuerySet",
    "Patient",
    "PatientQuerySet",
    "ResultStatus",
    "Role",
    "Severity",
    "Sex",
    "Share",
    "ShareQuerySet",
    "TroughTarget",
    "User",
    "format_decimal",
]

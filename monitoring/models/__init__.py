"""The clinical record: clinics, people, analytes, results, targets, dosing, alerts and the
rest of the record.

Every clinical model keeps a django-simple-history table: who changed what, when, the old
value and the reason. Nothing clinical is hard-deleted (wrong entries are marked entered in
error).
"""

from .alerts import Alert, AlertQuerySet, Decision, RuleSetting, RuleSuppression, Severity
from .dosing import PRODUCTS, ClinicalEntry, Formulation, Regimen, TroughTarget, Weight
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
    UnitSystem,
    User,
)
from .record import (
    Allergy,
    Ecg,
    Effect,
    InteractingIngredient,
    InteractionFinding,
    InteractionSeverity,
    Medication,
    QtcMethod,
    ReproductiveStatus,
    Rhythm,
    Symptom,
    Vaccination,
    Vaccine,
)
from .results import (
    Analyte,
    AnalyteUnit,
    Flag,
    LabResult,
    LabResultQuerySet,
    Panel,
    ResultStatus,
    display_unit,
    format_decimal,
)

__all__ = [
    "DEFAULT_TROUGH_HIGH",
    "DEFAULT_TROUGH_LOW",
    "PRODUCTS",
    "STAFF_ROLES",
    "Alert",
    "AlertQuerySet",
    "Allergy",
    "Analyte",
    "AnalyteUnit",
    "ClinicalEntry",
    "Clinic",
    "Decision",
    "Ecg",
    "Effect",
    "Flag",
    "Formulation",
    "InteractingIngredient",
    "InteractionFinding",
    "InteractionSeverity",
    "LabResult",
    "LabResultQuerySet",
    "Medication",
    "Panel",
    "Patient",
    "PatientQuerySet",
    "QtcMethod",
    "Regimen",
    "ReproductiveStatus",
    "ResultStatus",
    "Rhythm",
    "Role",
    "RuleSetting",
    "RuleSuppression",
    "Severity",
    "Sex",
    "Share",
    "ShareQuerySet",
    "Symptom",
    "TroughTarget",
    "UnitSystem",
    "User",
    "Vaccination",
    "Vaccine",
    "Weight",
    "display_unit",
    "format_decimal",
]

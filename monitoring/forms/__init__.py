"""Forms: input normalisation and messages a nurse can act on. Writes go through services."""

from .access import BreakGlassForm
from .accounts import CodeForm, EmailChangeForm, ReauthenticateForm
from .imports import ResultsImportForm
from .panel import PanelForm
from .record import (
    AllergyForm,
    EcgForm,
    MedicationForm,
    RegimenForm,
    ReproductiveStatusForm,
    SymptomForm,
    VaccinationForm,
    WeightForm,
)
from .results import (
    AcknowledgeForm,
    BulkAcknowledgeForm,
    EnteredInErrorForm,
    MeasuredValueField,
    PatientSearchForm,
    ResultAmendForm,
    SuppressForm,
    TroughForm,
    TroughTargetForm,
    WorklistFilterForm,
    add_service_errors,
    parse_decimal,
)
from .unmatched import UnmatchedDismissForm, UnmatchedImportForm

__all__ = [
    "CodeForm",
    "EmailChangeForm",
    "ReauthenticateForm",
    "BreakGlassForm",
    "AcknowledgeForm",
    "AllergyForm",
    "BulkAcknowledgeForm",
    "EcgForm",
    "EnteredInErrorForm",
    "MeasuredValueField",
    "MedicationForm",
    "PanelForm",
    "PatientSearchForm",
    "RegimenForm",
    "ReproductiveStatusForm",
    "ResultAmendForm",
    "ResultsImportForm",
    "SuppressForm",
    "SymptomForm",
    "TroughForm",
    "TroughTargetForm",
    "UnmatchedDismissForm",
    "UnmatchedImportForm",
    "VaccinationForm",
    "WeightForm",
    "WorklistFilterForm",
    "add_service_errors",
    "parse_decimal",
]

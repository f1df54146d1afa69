"""Forms: input normalisation and messages a nurse can act on. Writes go through services."""

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
    EnteredInErrorForm,
    MeasuredValueField,
    PatientSearchForm,
    ResultAmendForm,
    TroughForm,
    TroughTargetForm,
    add_service_errors,
    parse_decimal,
)

__all__ = [
    "AcknowledgeForm",
    "AllergyForm",
    "EcgForm",
    "EnteredInErrorForm",
    "MeasuredValueField",
    "MedicationForm",
    "PanelForm",
    "PatientSearchForm",
    "RegimenForm",
    "ReproductiveStatusForm",
    "ResultAmendForm",
    "SymptomForm",
    "TroughForm",
    "TroughTargetForm",
    "VaccinationForm",
    "WeightForm",
    "add_service_errors",
    "parse_decimal",
]

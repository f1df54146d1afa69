"""The writes that change clinical data, each atomic, validated and audited.

Every function takes keyword arguments, runs in one transaction and records the acting user
(and, for changes to saved data, the reason) on the history rows it writes.
"""

from .alerts import acknowledge_alert, clinic_settings, evaluate_result, raise_alert
from .record import (
    PanelError,
    PanelValue,
    mark_entry_entered_in_error,
    match_interactions,
    match_vaccine,
    record_allergy,
    record_ecg,
    record_medication,
    record_panel,
    record_reproductive_status,
    record_symptom,
    record_vaccination,
    record_weight,
    start_regimen,
    stop_medication,
)
from .results import (
    AMENDABLE_FIELDS,
    DuplicateResultError,
    ImplausibleValueError,
    amend_result,
    find_duplicate,
    implausible_message,
    mark_result_entered_in_error,
    record_result,
    revoke_share,
    set_trough_target,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "DuplicateResultError",
    "ImplausibleValueError",
    "PanelError",
    "PanelValue",
    "acknowledge_alert",
    "clinic_settings",
    "amend_result",
    "evaluate_result",
    "find_duplicate",
    "implausible_message",
    "mark_entry_entered_in_error",
    "mark_result_entered_in_error",
    "match_interactions",
    "match_vaccine",
    "raise_alert",
    "record_allergy",
    "record_ecg",
    "record_medication",
    "record_panel",
    "record_reproductive_status",
    "record_result",
    "record_symptom",
    "record_vaccination",
    "record_weight",
    "revoke_share",
    "set_trough_target",
    "start_regimen",
    "stop_medication",
]

"""Function views, one module per area; access is decided in views/access.py."""

from .alerts import (
    alert_acknowledge,
    alert_bulk_acknowledge,
    alert_suppress,
    dashboard,
    worklist,
    worklist_alerts_csv,
)
from .charts import patient_charts, patient_results_csv
from .exports import clinic_results_csv
from .hl7 import hl7_message
from .imports import results_import, results_import_confirm, results_import_example
from .preferences import set_language, set_unit_system
from .record import (
    draw_detail,
    draw_release,
    ecg_tracing,
    interaction_match,
    medication_stop,
    record_draw,
    record_entry,
    record_entry_entered_in_error,
    report_symptom,
)
from .results import (
    healthz,
    home,
    my_chart,
    patient_chart,
    patient_detail,
    patient_list,
    record_trough,
    result_edit,
    result_entered_in_error,
    result_history,
    share_revoke,
    trough_target_set,
)
from .sharing import invitation_accept, invitation_revoke, report_last_dose, sharing
from .unmatched import unmatched_detail, unmatched_list

__all__ = [
    "hl7_message",
    "patient_charts",
    "patient_results_csv",
    "alert_acknowledge",
    "clinic_results_csv",
    "results_import",
    "results_import_confirm",
    "results_import_example",
    "worklist_alerts_csv",
    "alert_bulk_acknowledge",
    "alert_suppress",
    "dashboard",
    "draw_detail",
    "draw_release",
    "ecg_tracing",
    "healthz",
    "home",
    "interaction_match",
    "invitation_accept",
    "invitation_revoke",
    "medication_stop",
    "my_chart",
    "patient_chart",
    "patient_detail",
    "patient_list",
    "record_draw",
    "record_entry",
    "record_entry_entered_in_error",
    "record_trough",
    "report_last_dose",
    "report_symptom",
    "result_edit",
    "result_entered_in_error",
    "result_history",
    "set_language",
    "set_unit_system",
    "share_revoke",
    "sharing",
    "trough_target_set",
    "unmatched_detail",
    "unmatched_list",
    "worklist",
]

"""Import results sent in a file (issue #6): every row through record_result, all or none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Alert, Analyte, LabResult, Patient, User
from .alerts import evaluate_record
from .record import derive_egfr_for_samples
from .results import record_result

if TYPE_CHECKING:
    from ..imports.csv_results import ImportRow


@dataclass
class ImportReport:
    """What an import saved, or, when `errors` is not empty, why it saved nothing."""

    results: list[LabResult] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_saved(self) -> bool:
        return not self.errors


@transaction.atomic
def import_results(*, rows: list[ImportRow], entered_by: User) -> ImportReport:
    """Record every row as if `entered_by` had typed it in the form, or none of them.

    Each row goes through record_result (validation, unit conversion, duplicate detection,
    audit, result rules); the record rules run once per patient after the last row. If any
    row is refused, everything is rolled back and the report lists every refusal.
    """
    if not entered_by.can_import_results:
        raise ValidationError(_("Only nurses and doctors can import results."))
    visible = set(
        Patient.objects.visible_to(entered_by, break_glass=False).values_list("pk", flat=True)
    )
    report = ImportReport()
    for row in rows:
        if row.patient.pk not in visible:
            report.errors.append(
                _("Line %(line)s: %(user)s does not work in the clinic of patient %(mrn)s.")
                % {"line": row.line, "user": entered_by.username, "mrn": row.patient.mrn}
            )
            continue
        try:
            result, alerts = record_result(
                patient=row.patient,
                analyte=row.analyte,
                value=row.value,
                unit=row.unit,
                collected_at=row.collected_at,
                # As in record_panel: only a drug level is judged against the last dose.
                last_dose_at=row.last_dose_at if row.analyte.code == Analyte.TACROLIMUS else None,
                comment=row.comment,
                entered_by=entered_by,
                run_record_rules=False,
            )
        except ValidationError as error:
            report.errors.extend(
                _("Line %(line)s: %(reason)s") % {"line": row.line, "reason": message}
                for message in error.messages
            )
        else:
            report.results.append(result)
            report.alerts.extend(alerts)
    if report.errors:
        # Leaving this atomic block rolls back the rows already written.
        transaction.set_rollback(True)
        return ImportReport(errors=report.errors)
    # As the entry form does: eGFR by CKD-EPI 2021 from each creatinine without a lab eGFR.
    derived, derived_alerts = derive_egfr_for_samples(results=report.results, entered_by=entered_by)
    report.results.extend(derived)
    report.alerts.extend(derived_alerts)
    for patient in {row.patient for row in rows}:
        report.alerts.extend(evaluate_record(patient=patient, user=entered_by))
    return report

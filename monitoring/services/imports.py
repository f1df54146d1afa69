"""Import results sent in a file (issue #6): every row checked as record_result checks it,
all or none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from ..models import Alert, Analyte, LabResult, Patient, User
from .alerts import HISTORY_DAYS, RuleSession, evaluate_record, evaluate_result
from .record import derive_egfr_for_samples
from .results import DuplicateResultError, find_duplicates, new_result

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

    Each row is checked as record_result checks it (validation, unit conversion, duplicate
    detection, audit), and its result rules run in the order of the file; the record rules
    run once per patient after the last row. If any row is refused, nothing is saved and
    the report lists every refusal.

    For speed the work is done per file rather than per row: each patient is locked once,
    the duplicates are looked for in one query, the results and their history rows are
    inserted in bulk, and the rules read each patient's history, targets and open alerts
    once (alerts.RuleSession), seeing the earlier rows of the file as they would have if
    each row had been saved in turn.
    """
    if not entered_by.can_import_results:
        raise ValidationError(_("Only nurses and doctors can import results."))
    visible = set(
        Patient.objects.visible_to(entered_by, break_glass=False).values_list("pk", flat=True)
    )
    session = RuleSession()
    patients = {row.patient.pk: row.patient for row in rows if row.patient.pk in visible}
    for pk in sorted(patients):  # in the same order in every import: no deadlock
        session.lock(patients[pk])
    existing = find_duplicates(
        (row.patient, row.analyte, row.collected_at) for row in rows if row.patient.pk in visible
    )
    errors: list[str] = []
    results: list[LabResult] = []
    for row in rows:
        if row.patient.pk not in visible:
            errors.append(
                _("Line %(line)s: %(user)s does not work in the clinic of patient %(mrn)s.")
                % {"line": row.line, "user": entered_by.username, "mrn": row.patient.mrn}
            )
            continue
        key = (row.patient.pk, row.analyte.pk, row.collected_at)
        try:
            if key in existing:
                raise DuplicateResultError(existing[key])
            result = new_result(
                patient=row.patient,
                analyte=row.analyte,
                value=row.value,
                unit=row.unit,
                collected_at=row.collected_at,
                # As in record_panel: only a drug level is judged against the last dose.
                last_dose_at=row.last_dose_at if row.analyte.code == Analyte.TACROLIMUS else None,
                comment=row.comment,
                entered_by=entered_by,
            )
        except ValidationError as error:
            errors.extend(
                _("Line %(line)s: %(reason)s") % {"line": row.line, "reason": message}
                for message in error.messages
            )
        else:
            existing[key] = result  # a second row for the same sample is a duplicate
            results.append(result)
    if errors:
        # Leaving this atomic block rolls back anything written (nothing is, so far).
        transaction.set_rollback(True)
        return ImportReport(errors=errors)
    if results:
        # Read before the rows are written: the rules then see them one by one, below.
        earliest = min(result.collected_at for result in results)
        session.load_history(patients.values(), earliest - dt.timedelta(days=HISTORY_DAYS))
    # Each history row names entered_by, as record_result's save does (_audit above).
    bulk_create_with_history(results, LabResult, batch_size=500, default_user=entered_by)
    report = ImportReport(results=results)
    for result in results:
        report.alerts.extend(evaluate_result(result=result, user=entered_by, session=session))
    # As the entry form does: eGFR by CKD-EPI 2021 from each creatinine without a lab eGFR.
    derived, derived_alerts = derive_egfr_for_samples(
        results=report.results, entered_by=entered_by, session=session
    )
    report.results.extend(derived)
    report.alerts.extend(derived_alerts)
    for patient in patients.values():
        report.alerts.extend(evaluate_record(patient=patient, user=entered_by))
    return report

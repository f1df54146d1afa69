"""The nurse's CSV upload of lab results (issue #6): choose a file, see exactly what would be
saved, then save it all or nothing.

Between the two steps the file is kept in the session (server-side, in the database) under a
random key, so the nurse does not upload it again; the confirm step checks it again against
the database, since someone may have entered one of its results in the meantime.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services
from ..exports import csv_response
from ..forms import ResultsImportForm
from ..imports import csv_results
from ..models import Alert, Analyte, LabResult, Patient
from .access import staff_required

# session[PENDING] = {key: {"clinic": pk, "name": file name, "sha256": hex, "data": text}}
PENDING = "results_import_pending"
# session[SAVED] = {"results": [pk, ...], "alerts": [pk, ...]}: the last import, shown once.
SAVED = "results_import_saved"
# Files waiting for confirmation per session (two tabs): bounds what the session holds.
MAX_PENDING = 2


@staff_required
@require_http_methods(["GET", "POST"])
def results_import(request: HttpRequest) -> HttpResponse:
    """Step 1 (choose a file) and step 2 (the preview of a file waiting for confirmation)."""
    if request.method == "POST":
        form = ResultsImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return _page(request, form=form)
        clinic, data = form.cleaned_data["clinic"], form.cleaned_data["file"]
        try:
            csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
        except csv_results.ImportFileError as error:
            return _page(request, form=form, errors=error.errors)
        key = _keep(request, clinic_id=clinic.pk, name=request.FILES["file"].name, data=data)
        return redirect(reverse("monitoring:results_import") + f"?pending={key}")
    key = request.GET.get("pending", "")
    pending = request.session.get(PENDING, {}).get(key)
    if pending is None:
        return _page(request, form=ResultsImportForm(user=request.user), saved=_pop_saved(request))
    clinic = request.user.clinics.filter(pk=pending["clinic"]).first()
    try:
        if clinic is None:
            raise csv_results.ImportFileError([_("You no longer work in this clinic.")])
        rows = _checked_rows(pending, clinic)
    except csv_results.ImportFileError as error:
        _drop(request, key)
        return _page(request, form=ResultsImportForm(user=request.user), errors=error.errors)
    context = {
        "key": key,
        "pending": pending,
        "clinic": clinic,
        "rows": [_preview_row(row) for row in rows],
    }
    return render(request, "monitoring/results_import.html", context)


@staff_required
@require_POST
def results_import_confirm(request: HttpRequest) -> HttpResponse:
    """Save the previewed file (all rows or none), or cancel it."""
    key = request.POST.get("key", "")
    pending = request.session.get(PENDING, {}).get(key)
    if pending is None or pending["sha256"] != request.POST.get("sha256"):
        messages.error(
            request,
            _(
                "This file is no longer waiting for confirmation: it was saved or cancelled, "
                "or your session ended. Nothing more was saved; upload it again if needed."
            ),
        )
        return redirect("monitoring:results_import")
    _drop(request, key)
    if request.POST.get("action") == "cancel":
        messages.info(request, _("Import cancelled: nothing was saved."))
        return redirect("monitoring:results_import")
    form = ResultsImportForm(user=request.user)
    clinic = request.user.clinics.filter(pk=pending["clinic"]).first()
    try:
        if clinic is None:
            raise csv_results.ImportFileError([_("You no longer work in this clinic.")])
        # Checked again: a result of the file may have been entered since the preview.
        rows = _checked_rows(pending, clinic)
    except csv_results.ImportFileError as error:
        return _page(request, form=form, errors=error.errors)
    report = services.import_results(rows=rows, entered_by=request.user)
    if not report.is_saved:
        return _page(request, form=form, errors=report.errors)
    alerts = list(dict.fromkeys(alert.pk for alert in report.alerts))
    request.session[SAVED] = {"results": [r.pk for r in report.results], "alerts": alerts}
    messages.success(
        request,
        _("Saved %(results)s results; %(alerts)s alerts raised or updated.")
        % {"results": len(report.results), "alerts": len(alerts)},
    )
    return redirect("monitoring:results_import")


@staff_required
@require_GET
def results_import_example(request: HttpRequest) -> StreamingHttpResponse:
    """A small file in the expected format, to copy. Its MRN matches no patient, so it cannot
    be imported by mistake."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    evening_before = yesterday - dt.timedelta(days=1)
    header = ["mrn", "loinc", "value", "unit", "collected_at", "last_dose_at", "comment"]
    rows = [
        # A tacrolimus trough 12 hours after the evening dose, then a creatinine in US units.
        [
            "EXAMPLE-1",
            "77348-1",
            "7.1",
            "ng/mL",
            f"{yesterday} 08:00",
            f"{evening_before} 20:00",
            "",
        ],
        ["EXAMPLE-1", "14682-9", "1.2", "mg/dL", f"{yesterday} 08:00", "", "lab Lyon"],
    ]
    return csv_response("results-example", header, rows)


def _page(
    request: HttpRequest,
    *,
    form: ResultsImportForm,
    errors: list[str] | None = None,
    saved: dict | None = None,
) -> HttpResponse:
    context = {"form": form, "errors": errors or [], "max_mb": csv_results.MAX_BYTES // 2**20}
    if saved:
        # Only what the user may see (a clinic may have been left since).
        context["saved_results"] = (
            LabResult.objects.filter(
                pk__in=saved["results"], patient__in=Patient.objects.visible_to(request.user)
            )
            .select_related("patient", "analyte")
            .order_by("patient__last_name", "patient__first_name", "collected_at")
        )
        context["saved_alerts"] = (
            Alert.objects.visible_to(request.user)
            .filter(pk__in=saved["alerts"])
            .select_related("patient")
            .order_by("-severity", "patient__last_name")
        )
    return render(request, "monitoring/results_import.html", context)


def _keep(request: HttpRequest, *, clinic_id: int, name: str, data: bytes) -> str:
    """Keep the file for the confirm step; returns its random key."""
    pending = request.session.get(PENDING, {})
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))  # the oldest (dicts keep insertion order)
    key = secrets.token_urlsafe(16)
    pending[key] = {
        "clinic": clinic_id,
        "name": name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
        # read_csv accepted it, so it is UTF-8: the text gives back the exact bytes.
        "data": data.decode("utf-8"),
    }
    request.session[PENDING] = pending
    return key


def _drop(request: HttpRequest, key: str) -> None:
    pending = request.session.get(PENDING, {})
    if pending.pop(key, None) is not None:
        request.session[PENDING] = pending


def _pop_saved(request: HttpRequest) -> dict | None:
    return request.session.pop(SAVED, None)


def _checked_rows(pending: dict, clinic) -> list[csv_results.ImportRow]:
    data = pending["data"].encode("utf-8")
    return csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)


def _preview_row(row: csv_results.ImportRow) -> dict:
    """What record_result will save for this row, as the nurse should check it."""
    canonical = row.canonical_value
    is_drug_level = row.analyte.code == Analyte.TACROLIMUS
    return {
        "line": row.line,
        "patient": row.patient,
        "analyte": row.analyte,
        "value": row.value,
        "unit": row.unit.label,
        "canonical_value": row.canonical_shown,
        "canonical_unit": row.analyte.unit_label,
        "is_converted": row.unit.code != row.analyte.unit,
        "flag": row.analyte.flag(canonical, sex=row.patient.sex),
        "collected_at": row.collected_at,
        # As services.import_results: only a drug level keeps the time of the last dose.
        "last_dose_at": row.last_dose_at if is_drug_level else None,
        "comment": row.comment,
    }

"""The staff chart page: every analyte against its reference range, blood count and liver
tests as small multiples, the toxicity overview, each with its table and a CSV download."""

from __future__ import annotations

import csv
from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .. import charts, services
from ..models import LabResult, format_decimal
from .access import _get_patient_for_user, staff_required
from .results import _trough_chart

# Groups drawn as small multiples sharing the time axis (issue #5); others get one chart each.
GROUPS = {
    "Blood count": ("haemoglobin", "wbc", "neutrophils", "lymphocytes", "platelets"),
    "Liver tests": ("alt", "ast", "alkaline-phosphatase", "ggt"),
    "Kidney": ("creatinine", "egfr"),
}
# Reference lines beside the range, from the rules' defaults (clinical-reference.md §2.3).
LINES = {"glucose-fasting": charts.GLUCOSE_LINES, "potassium": charts.POTASSIUM_LINES}


def _series_by_analyte(patient) -> dict[str, tuple]:
    """Valid results of every analyte but tacrolimus, oldest first: one query."""
    grouped: dict[str, list[LabResult]] = defaultdict(list)
    results = (
        LabResult.objects.valid()
        .for_patient(patient)
        .exclude(analyte__code="tacrolimus")
        .select_related("analyte", "patient")
        .order_by("collected_at")
    )
    for result in results:
        grouped[result.analyte.code].append(result)
    return grouped


def _series(results: list[LabResult]) -> charts.AnalyteSeries:
    analyte = results[0].analyte
    points = []
    for result in results:
        # The lab's own range wins over the sex-specific default (A3, §1.1).
        if result.reference_low is not None or result.reference_high is not None:
            reference = (result.reference_low, result.reference_high)
        else:
            default = analyte.reference_range(result.patient.sex)
            reference = (default.low, default.high)
        points.append(
            charts.LabPoint(
                at=result.collected_at,
                value=result.value,
                low=reference[0],
                high=reference[1],
                flag=result.flag,
            )
        )
    return charts.AnalyteSeries(
        name=analyte.name,
        unit=analyte.unit_label,
        points=points,
        lines=LINES.get(analyte.code, ()),
    )


@staff_required
def patient_charts(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    context = services.patient_context(patient)
    now, tz = timezone.now(), timezone.get_current_timezone()
    grouped = _series_by_analyte(patient)
    trough_figure, trough_rows = _trough_chart(patient, context)
    panels = []
    drawn = set()
    for title, codes in GROUPS.items():
        present = [code for code in codes if grouped.get(code)]
        if present:
            series = [_series(grouped[code]) for code in present]
            panels.append(
                _panel(title, charts.small_multiples(series, now=now, tz=tz), present, grouped)
            )
            drawn.update(present)
    for code, results in grouped.items():
        if code not in drawn:
            series = _series(results)
            panels.append(
                _panel(series.name, charts.analyte_figure(series, now=now, tz=tz), [code], grouped)
            )
    trough_points = [
        charts.TroughPoint(
            at=row["result"].collected_at,
            value=row["result"].value,
            unit=row["result"].unit,
            low=row["target"].low,
            high=row["target"].high,
            caveat=row["caveat"],
        )
        for row in reversed(trough_rows)
    ]
    toxicity = charts.toxicity_figure(
        troughs=trough_points,
        creatinine_change=[(r.collected_at, r.value) for r in grouped.get("creatinine", [])],
        glucose=[
            (r.collected_at, r.value)
            for code in ("glucose-fasting", "glucose-random")
            for r in grouped.get(code, [])
        ],
        potassium=[(r.collected_at, r.value) for r in grouped.get("potassium", [])],
        qtc=[(e.recorded_at, e.qtc_ms) for e in context.ecgs],
        now=now,
        tz=tz,
    )
    page = {
        "patient": patient,
        "trough_figure": trough_figure,
        "toxicity_figure": toxicity,
        "panels": panels,
    }
    return render(request, "monitoring/patient_charts.html", page)


def _panel(title, figure, codes, grouped) -> dict:
    rows = [r for code in codes for r in grouped[code]]
    rows.sort(key=lambda r: r.collected_at, reverse=True)
    return {
        "title": title,
        "id": f"figure-{codes[0]}",
        "figure": figure,
        "rows": rows,
        "codes": ",".join(codes),
    }


@staff_required
def patient_results_csv(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Every valid result of the patient (or of `?analytes=a,b`), one row each, with units."""
    patient = _get_patient_for_user(request.user, patient_id)
    results = (
        LabResult.objects.valid()
        .for_patient(patient)
        .select_related("analyte", "patient")
        .order_by("collected_at", "analyte__sort_order")
    )
    wanted = [code for code in request.GET.get("analytes", "").split(",") if code]
    if wanted:
        results = results.filter(analyte__code__in=wanted)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="results-{patient.mrn}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            "sample time",
            "test",
            "LOINC",
            "value",
            "unit",
            "value as entered",
            "unit as entered",
            "flag",
            "lab reference low",
            "lab reference high",
            "method",
        ]
    )
    for r in results:
        writer.writerow(
            [
                timezone.localtime(r.collected_at).isoformat(timespec="minutes"),
                r.analyte.name,
                r.analyte.loinc,
                format_decimal(r.value),
                r.unit,
                format_decimal(r.value_as_entered) if r.value_as_entered is not None else "",
                r.unit_as_entered,
                r.flag,
                format_decimal(r.reference_low) if r.reference_low is not None else "",
                format_decimal(r.reference_high) if r.reference_high is not None else "",
                r.derived_method,
            ]
        )
    return response

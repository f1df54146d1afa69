"""The staff chart page: every analyte against its reference range, blood count and liver
tests as small multiples, the toxicity overview, each with its table and a CSV download."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext, gettext_lazy

from .. import charts, display, services
from ..exports import csv_response
from ..models import AccessAction, Analyte, LabResult
from .access import _get_patient_for_user, staff_required
from .results import _trough_chart

# Groups drawn as small multiples sharing the time axis (issue #5); others get one chart each.
GROUPS = {
    gettext_lazy("Blood count"): ("haemoglobin", "wbc", "neutrophils", "lymphocytes", "platelets"),
    gettext_lazy("Liver tests"): ("alt", "ast", "alkaline-phosphatase", "ggt"),
    gettext_lazy("Kidney"): ("creatinine", "egfr"),
}
# Reference lines beside the range, from the rules' defaults (clinical-reference.md §2.3).
LINES = {"glucose-fasting": charts.GLUCOSE_LINES, "potassium": charts.POTASSIUM_LINES}
# Results fetched per round trip while a download streams: memory stays flat.
EXPORT_CHUNK_SIZE = 2000


def _series_by_analyte(patient) -> dict[str, tuple]:
    """Valid results of every analyte but tacrolimus, oldest first: one query."""
    grouped: dict[str, list[LabResult]] = defaultdict(list)
    results = (
        LabResult.objects.valid()
        .for_patient(patient)
        .exclude(analyte__code="tacrolimus")
        .order_by("collected_at")
    )
    # The patient is known and the analytes are a few dozen: one small query for those rather
    # than both joined and built again on each of ~1,000 rows (issue #8).
    analytes = Analyte.objects.in_bulk()
    for result in results:
        result.patient, result.analyte = patient, analytes[result.analyte_id]
        grouped[result.analyte.code].append(result)
    return grouped


def _series(results: list[LabResult], system: str, units) -> charts.AnalyteSeries:
    """The analyte's points in the viewer's units, its range and lines converted with them."""
    analyte = results[0].analyte

    def shown(value):
        if value is None:
            return None
        return display.shown_value(value, analyte, system, units=units)[0]

    points = []
    unit = analyte.unit_label
    for result in results:
        # Judged once per result: the chart and the table both show it.
        result.shown_flag = result.flag
        # The lab's own range wins over the sex-specific default (A3, §1.1).
        if result.reference_low is not None or result.reference_high is not None:
            reference = (result.reference_low, result.reference_high)
        else:
            default = analyte.reference_range(result.patient.sex)
            reference = (default.low, default.high)
        value, unit = display.shown_value(result, analyte, system, units=units)
        result.shown_value = display.format_value(value, unit)
        points.append(
            charts.LabPoint(
                at=result.collected_at,
                value=value,
                low=shown(reference[0]),
                high=shown(reference[1]),
                flag=result.shown_flag,  # judged on the canonical value, whatever the units shown
            )
        )
    lines = [
        charts.RefLine(_converted(line.value, analyte, units), line.label)
        for line in LINES.get(analyte.code, ())
    ]
    return charts.AnalyteSeries(
        name=analyte.display_name,
        unit=unit,
        points=points,
        lines=lines,
    )


def _converted(value, analyte, units):
    """A threshold converted exactly (not rounded for display), so a line sits where the rule
    that uses it fires: fasting glucose 7.0 mmol/L is 126 mg/dL, 5.6 is 100.8."""
    unit = units.get(analyte.pk)
    if unit is None or unit.code == analyte.unit:
        return value
    return unit.from_canonical(value)


@staff_required
def patient_charts(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _get_patient_for_user(
        request.user, patient_id, what="charts", action=AccessAction.VIEW_CHART, break_glass=True
    )
    context = services.patient_context(patient)
    now, tz = timezone.now(), timezone.get_current_timezone()
    system = display.request_unit_system(request)
    units = display.request_units(request, system)
    grouped = _series_by_analyte(patient)
    trough_figure, trough_rows = _trough_chart(patient, context)
    panels = []
    flags: dict[str, str] = {}  # each flag's badge, rendered once per page
    drawn = set()
    for title, codes in GROUPS.items():
        present = [code for code in codes if grouped.get(code)]
        if present:
            series = [_series(grouped[code], system, units) for code in present]
            panels.append(
                _panel(
                    title,
                    charts.small_multiples(series, now=now, tz=tz),
                    present,
                    grouped,
                    flags,
                )
            )
            drawn.update(present)
    for code, results in grouped.items():
        if code not in drawn:
            series = _series(results, system, units)
            panels.append(
                _panel(
                    series.name,
                    charts.analyte_figure(series, now=now, tz=tz),
                    [code],
                    grouped,
                    flags,
                )
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
    glucose, glucose_unit, glucose_lines = _glucose(grouped, system, units)
    toxicity = charts.toxicity_figure(
        troughs=trough_points,
        creatinine_change=[(r.collected_at, r.value) for r in grouped.get("creatinine", [])],
        glucose=glucose,
        glucose_unit=glucose_unit,
        glucose_lines=glucose_lines,
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


def _glucose(grouped, system: str, units) -> tuple[list, str, list]:
    """Fasting and random glucose readings with the ADA lines, in the viewer's units."""
    readings = [
        (r.collected_at, display.shown_value(r, r.analyte, system, units=units)[0])
        for code in ("glucose-fasting", "glucose-random")
        for r in grouped.get(code, [])
    ]
    unit = next((u for u in units.values() if u.analyte.code == "glucose-fasting"), None)
    if unit is None or unit.code == unit.analyte.unit:
        return readings, "mmol/L", list(charts.GLUCOSE_LINES)
    lines = [
        charts.RefLine(_converted(line.value, unit.analyte, units), line.label)
        for line in charts.GLUCOSE_LINES
    ]
    return readings, unit.label, lines


# A row of a chart's table of values (patient_charts.html shows them newest first).
TABLE_ROW = (
    '<tr><td class="text-nowrap">{}</td><td>{}</td><td class="text-nowrap">'
    '<span class="value">{}</span></td><td class="text-nowrap">{}</td></tr>'
)


def _panel(title, figure, codes, grouped, flags: dict) -> dict:
    """A chart with its table of values. A five-year table has ~1,000 rows: they are written
    here with format_html (escaped like template variables), each cell the text the template
    filters and tags would write, not through a tag and an include per cell (issue #8)."""
    results = [r for code in codes for r in grouped[code]]
    results.sort(key=lambda r: r.collected_at, reverse=True)
    when = charts.datetime_formatter("SHORT_DATETIME_FORMAT")
    tz = timezone.get_current_timezone()
    names = {code: grouped[code][0].analyte.display_name for code in codes}
    for r in results:
        if r.shown_flag not in flags:  # each flag's badge rendered once per page
            flags[r.shown_flag] = render_to_string("monitoring/_flag.html", {"flag": r.shown_flag})
    rows = format_html_join(
        "\n",
        TABLE_ROW,
        (
            (
                when(r.collected_at.astimezone(tz)),
                names[r.analyte.code],
                r.shown_value,
                flags[r.shown_flag],
            )
            for r in results
        ),
    )
    return {
        "title": title,
        "id": f"figure-{codes[0]}",
        "figure": figure,
        "rows": rows,
        "row_count": len(results),
        "codes": ",".join(codes),
    }


@staff_required
def patient_results_csv(request: HttpRequest, patient_id: int) -> StreamingHttpResponse:
    """Every valid result of the patient (or of `?analytes=a,b`), one row each, with units."""
    patient = _get_patient_for_user(
        request.user, patient_id, what="results.csv", action=AccessAction.EXPORT, break_glass=True
    )
    # The patient is known and the analytes are a few dozen: one small query for those rather
    # than both built again on each of thousands of rows (issue #8).
    analytes = Analyte.objects.in_bulk()
    results = (
        LabResult.objects.valid()
        .for_patient(patient)
        .order_by("collected_at", "analyte__sort_order")
    )
    wanted = [code for code in request.GET.get("analytes", "").split(",") if code]
    if wanted:
        results = results.filter(analyte__code__in=wanted)
    # The canonical (SI) value stays first; the value as the viewer reads it is added at the end
    # so existing imports of the file keep their columns.
    system = display.request_unit_system(request)
    units = display.request_units(request, system)
    header = [
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
        gettext("value as displayed"),
        gettext("unit as displayed"),
    ]

    def rows():
        for r in results.iterator(chunk_size=EXPORT_CHUNK_SIZE):
            r.patient, r.analyte = patient, analytes[r.analyte_id]
            shown, shown_unit = display.shown_value(r, r.analyte, system, units=units)
            yield [
                r.collected_at,
                r.analyte.name,
                r.analyte.loinc,
                r.value.normalize(),
                r.unit,
                _normalized(r.value_as_entered),
                r.unit_as_entered,
                r.flag,
                _normalized(r.reference_low),
                _normalized(r.reference_high),
                r.derived_method,
                shown,
                shown_unit,
            ]

    return csv_response(f"results-{patient.mrn}", header, rows())


def _normalized(value: Decimal | None) -> Decimal | None:
    """A stored decimal without its trailing zeros (106.080000 → 106.08), or None."""
    return None if value is None else value.normalize()

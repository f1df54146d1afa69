"""Staff downloads of a whole clinic's results (issue #6); the alert worklist's download sits
beside the worklist in views/alerts.py. Both go through exports.csv_response."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, StreamingHttpResponse

from ..catalogue.analytes import Range
from ..exports import csv_response
from ..models import Analyte, LabResult, Patient, format_decimal
from .access import _get_clinic_for_user, staff_required

# Rows fetched per round trip while streaming: memory stays flat whatever the clinic's size.
CHUNK_SIZE = 2000

CLINIC_RESULTS_HEADER = [
    "MRN",
    "patient",
    "test",
    "LOINC",
    "value",
    "unit",
    "value as entered",
    "unit as entered",
    "comparator",
    "flag",
    "status",
    "reference range",
    "sample time",
    "last dose",
    "hours after dose",
    "comment",
    "entered by",
    "entered at",
]


@staff_required
def clinic_results_csv(request: HttpRequest, code: str) -> StreamingHttpResponse:
    """Every valid result of the clinic's patients, one row each, oldest first."""
    clinic = _get_clinic_for_user(request.user, code)
    results = (
        LabResult.objects.valid()
        .filter(patient__in=Patient.objects.visible_to(request.user).filter(clinic=clinic))
        .select_related("patient", "analyte", "entered_by")
        .order_by("collected_at", "patient__mrn", "analyte__sort_order", "pk")
    )
    rows = (_clinic_row(r) for r in results.iterator(chunk_size=CHUNK_SIZE))
    return csv_response(f"results-{clinic.code}", CLINIC_RESULTS_HEADER, rows)


def _clinic_row(r: LabResult) -> list:
    hours = r.hours_after_dose if r.analyte.code == Analyte.TACROLIMUS else None
    return [
        r.patient.mrn,
        r.patient.full_name,
        r.analyte.name,
        r.analyte.loinc,
        r.value.normalize(),
        r.unit,
        None if r.value_as_entered is None else r.value_as_entered.normalize(),
        r.unit_as_entered,
        r.comparator,
        r.flag,
        r.status,
        _reference_range(r),
        r.collected_at,
        r.last_dose_at,
        None if hours is None else Decimal(str(round(hours, 1))),
        r.comment,
        r.entered_by.username,
        r.entered_at,
    ]


def _reference_range(r: LabResult) -> str:
    """The lab's own range when it sent one (A3), else the catalogue default for the sex,
    in the canonical unit: "3.5–5.1", "≤ 5", "≥ 60", or empty."""
    if r.reference_low is not None or r.reference_high is not None:
        reference = Range(r.reference_low, r.reference_high)
    else:
        reference = r.analyte.reference_range(r.patient.sex)
    low, high = reference.low, reference.high
    if low is not None and high is not None:
        return f"{format_decimal(low)}–{format_decimal(high)}"
    if high is not None:
        return f"{'≤' if reference.high_inclusive else '<'} {format_decimal(high)}"
    if low is not None:
        return f"{'≥' if reference.low_inclusive else '>'} {format_decimal(low)}"
    return ""

"""Kidney rules on a new creatinine or eGFR (clinical-reference.md A3, §2.2): KDIGO acute
kidney injury, and the BSR creatinine rise over 12 months and eGFR below 60.

Creatinine is in µmol/L and eGFR in mL/min/1.73 m² (canonical units). The history of the
context holds the earlier valid results of the same analyte, oldest first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .. import formulas
from ..models.alerts import Severity
from .base import Finding, LabContext, Setting, Text, decimal, rule
from .labs import BSR, BSR_ACTION, CTCAE, OUT_OF_RANGE, amount, below, shown


def _values_within(ctx: LabContext, window: dt.timedelta) -> list[Decimal]:
    """The earlier values sampled at most `window` before this one (the bound included).
    A value of 0 or less (a typo saved with a confirmation) is no baseline."""
    return [point.value for point in ctx.history if ctx.at - point.at <= window and point.value > 0]


@rule(
    "kdigo-aki",
    name=_("Acute kidney injury (KDIGO)"),
    family="kdigo",
    severity=Severity.URGENT,
    source=(
        "KDIGO 2012 AKI definition and staging [S12]; clinical-reference.md §2.2 and A3 "
        "(rise ≥ 26.5 µmol/L within 48 h, or ≥ 1.5 × the lowest value of the prior 7 days)"
    ),
    # The windows of §2.2. The thresholds (26.5 µmol/L, 1.5×, the stages) are KDIGO's
    # definition and live in formulas.kdigo_aki_stage.
    params={"rise_hours": "48", "baseline_days": "7"},
    analytes=("creatinine",),
    # An acute rise says more than the slow BSR rise or the reference range.
    supersedes=(OUT_OF_RANGE, CTCAE, "bsr-creatinine-rise"),
)
def kdigo_aki(ctx: LabContext, setting: Setting) -> Finding | None:
    if ctx.value <= 0:
        return None
    # §2.2 implementation note: baseline = the lowest value of the prior 7 days (for the 1.5×
    # rule); the rise is measured from the lowest value of the prior 48 h, i.e. against any value
    # in that window. Both windows include their bound (exactly 48 h or 7 days before counts).
    baseline_values = _values_within(ctx, dt.timedelta(days=float(setting["baseline_days"])))
    rise_values = _values_within(ctx, dt.timedelta(hours=float(setting["rise_hours"])))
    if not baseline_values:
        return None
    baseline = min(baseline_values)
    rise = ctx.value - min(rise_values) if rise_values else None
    stage = formulas.kdigo_aki_stage(
        current_umol_l=ctx.value, baseline_umol_l=baseline, rise_48h_umol_l=rise
    )
    if stage is None:
        return None
    params = {
        **shown(ctx),
        "stage": str(stage),
        "days": decimal(setting["baseline_days"]),
        "baseline": amount(baseline, ctx),
    }
    if rise is not None and rise > 0:
        message = gettext_noop(
            "%(analyte)s %(value)s %(unit)s: acute kidney injury, KDIGO stage %(stage)s (lowest "
            "value of the prior %(days)s days %(baseline)s; rise of %(rise)s within %(hours)s h); "
            "check the tacrolimus trough"
        )
        params.update(rise=amount(rise, ctx), hours=decimal(setting["rise_hours"]))
    else:
        message = gettext_noop(
            "%(analyte)s %(value)s %(unit)s: acute kidney injury, KDIGO stage %(stage)s (lowest "
            "value of the prior %(days)s days %(baseline)s); check the tacrolimus trough"
        )
    return Finding(
        setting.code,
        setting.severity,
        Text(message, params),
        subject=ctx.analyte_code,
        stage=stage,
    )


@rule(
    "bsr-creatinine-rise",
    name=_("Creatinine rise above the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": creatinine increase > 30 % over 12 months",
    # Kept simple: compared with the lowest value of the 365 days before the sample (bound
    # included); any earlier value in that window counts, however recent.
    params={"above_percent": "30", "days": "365"},  # increase > 30 %, strict [S45]
    analytes=("creatinine",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_creatinine_rise(ctx: LabContext, setting: Setting) -> Finding | None:
    earlier = _values_within(ctx, dt.timedelta(days=float(setting["days"])))
    if not earlier:
        return None
    lowest = min(earlier)
    if ctx.value <= lowest * (1 + setting["above_percent"] / 100):
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop(
                "%(analyte)s %(value)s %(unit)s is more than %(percent)s %% above %(lowest)s, the "
                "lowest value of the prior %(days)s days (%(note)s)"
            ),
            {
                **shown(ctx),
                "percent": decimal(setting["above_percent"]),
                "lowest": amount(lowest, ctx),
                "days": decimal(setting["days"]),
                "note": Text(BSR_ACTION),
            },
        ),
        subject=ctx.analyte_code,
    )


@rule(
    "bsr-egfr-low",
    name=_("eGFR below the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": eGFR < 60 mL/min/1.73 m²",
    params={"below": "60"},  # eGFR < 60, strict: 60 raises nothing [S45]
    analytes=("egfr",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_egfr_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, BSR_ACTION)

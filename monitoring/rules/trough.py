"""Tacrolimus trough against the target band in force at sampling time (clinical-reference.md
A1): below → subtherapeutic, above → supratherapeutic, above 15 ng/mL → urgent."""

from __future__ import annotations

from ..models import format_decimal
from ..models.alerts import Severity
from .base import Finding, LabContext, Setting, rule

TROUGH = ("tacrolimus",)
SOURCE = "clinical-reference.md A1 (target band 6–8 ng/mL by default; > 15 ng/mL urgent)"


def _band(ctx: LabContext) -> str:
    return f"{format_decimal(ctx.target_low)}–{format_decimal(ctx.target_high)} {ctx.unit}"


@rule(
    "trough-urgent-high",
    name="Tacrolimus trough far above target",
    family="trough",
    severity=Severity.URGENT,
    source=SOURCE + "; §1.2: no published panic value, about twice the top of the band",
    # Above this, urgent whatever the patient's band (A1, §1.2 tacrolimus row).
    params={"above": "15"},
    analytes=TROUGH,
    supersedes=("trough-above-target",),
)
def trough_urgent_high(ctx: LabContext, setting: Setting) -> Finding | None:
    if ctx.value <= setting["above"]:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"Tacrolimus trough {ctx.shown} is above {format_decimal(setting['above'])} {ctx.unit}: "
        f"risk of toxicity (target {_band(ctx)})",
        subject=ctx.analyte_code,
    )


@rule(
    "trough-above-target",
    name="Tacrolimus trough above target (supratherapeutic)",
    family="trough",
    severity=Severity.WARNING,
    source=SOURCE,
    analytes=TROUGH,
)
def trough_above_target(ctx: LabContext, setting: Setting) -> Finding | None:
    if ctx.target_high is None or ctx.value <= ctx.target_high:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"Tacrolimus trough {ctx.shown} is above the target {_band(ctx)} (supratherapeutic)",
        subject=ctx.analyte_code,
    )


@rule(
    "trough-below-target",
    name="Tacrolimus trough below target (subtherapeutic)",
    family="trough",
    severity=Severity.WARNING,
    source=SOURCE,
    analytes=TROUGH,
)
def trough_below_target(ctx: LabContext, setting: Setting) -> Finding | None:
    if ctx.target_low is None or ctx.value >= ctx.target_low:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"Tacrolimus trough {ctx.shown} is below the target {_band(ctx)} (subtherapeutic)",
        subject=ctx.analyte_code,
    )

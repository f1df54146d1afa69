"""Tacrolimus trough against the target band in force at sampling time (clinical-reference.md
A1): below → subtherapeutic, above → supratherapeutic, above 15 ng/mL → urgent."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..models.alerts import Severity
from .base import Finding, LabContext, Setting, Text, decimal, rule

TROUGH = ("tacrolimus",)
SOURCE = "clinical-reference.md A1 (target band 6–8 ng/mL by default; > 15 ng/mL urgent)"


def _params(ctx: LabContext) -> dict[str, str]:
    """The value and the band in force, as Text params."""
    return {
        "value": decimal(ctx.value),
        "unit": ctx.unit,
        "low": decimal(ctx.target_low),
        "high": decimal(ctx.target_high),
    }


@rule(
    "trough-urgent-high",
    name=_("Tacrolimus trough far above target"),
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
        Text(
            gettext_noop(
                "Tacrolimus trough %(value)s %(unit)s is above %(above)s %(unit)s: risk of "
                "toxicity (target %(low)s–%(high)s %(unit)s)"
            ),
            {**_params(ctx), "above": decimal(setting["above"])},
        ),
        subject=ctx.analyte_code,
    )


@rule(
    "trough-above-target",
    name=_("Tacrolimus trough above target (supratherapeutic)"),
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
        Text(
            gettext_noop(
                "Tacrolimus trough %(value)s %(unit)s is above the target %(low)s–%(high)s "
                "%(unit)s (supratherapeutic)"
            ),
            _params(ctx),
        ),
        subject=ctx.analyte_code,
    )


@rule(
    "trough-below-target",
    name=_("Tacrolimus trough below target (subtherapeutic)"),
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
        Text(
            gettext_noop(
                "Tacrolimus trough %(value)s %(unit)s is below the target %(low)s–%(high)s "
                "%(unit)s (subtherapeutic)"
            ),
            _params(ctx),
        ),
        subject=ctx.analyte_code,
    )

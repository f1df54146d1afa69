"""Glucose rules (clinical-reference.md A3, §2.3): ADA diabetes criteria on fasting and random
glucose (mmol/L) and HbA1c (%), and impaired fasting glucose. Tacrolimus can cause new-onset
diabetes; its label asks for glucose monitoring (§2.3 [S17c][S40]).

The ADA thresholds are inclusive ("≥ 7.0"): 7.0 is in the diabetes range, 6.99 is not. With
18 mg/dL per mmol/L (catalogue), 126 mg/dL is exactly 7.0 mmol/L and 200 mg/dL is 11.1."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..models.alerts import Severity
from .base import Finding, LabContext, Setting, Text, decimal, rule
from .labs import OUT_OF_RANGE, amount, shown

ADA = "ADA Standards of Care, diagnosis of diabetes [S13]; clinical-reference.md §2.3 and A3"
# Without unequivocal hyperglycaemia, the diagnosis needs two abnormal results (§2.3 [S13]).
CONFIRM = gettext_noop("in the diabetes range (ADA); confirm with a second abnormal result")


def at_or_above(ctx: LabContext, setting: Setting, note: str) -> Finding | None:
    """The setting's finding when the value is at or above params["at_or_above"]; `note` is a
    msgid marked with gettext_noop."""
    if ctx.value < setting["at_or_above"]:
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop("%(analyte)s %(value)s %(unit)s is at or above %(limit)s: %(note)s"),
            {**shown(ctx), "limit": amount(setting["at_or_above"], ctx), "note": Text(note)},
        ),
        subject=ctx.analyte_code,
    )


@rule(
    "ada-fasting-glucose",
    name=_("Fasting glucose in the diabetes range (ADA)"),
    family="ada",
    severity=Severity.WARNING,
    source=ADA + ": fasting plasma glucose ≥ 7.0 mmol/L (126 mg/dL)",
    params={"at_or_above": "7.0"},  # FPG ≥ 7.0 mmol/L, inclusive [S13]
    analytes=("glucose-fasting",),
    supersedes=(OUT_OF_RANGE, "ada-impaired-fasting"),
)
def ada_fasting_glucose(ctx: LabContext, setting: Setting) -> Finding | None:
    return at_or_above(ctx, setting, CONFIRM)


@rule(
    "ada-random-glucose",
    name=_("Random glucose in the diabetes range (ADA)"),
    family="ada",
    severity=Severity.WARNING,
    source=ADA + ": random plasma glucose ≥ 11.1 mmol/L (200 mg/dL) with classic symptoms",
    params={"at_or_above": "11.1"},  # random ≥ 11.1 mmol/L, inclusive [S13]
    analytes=("glucose-random",),
    supersedes=(OUT_OF_RANGE,),
)
def ada_random_glucose(ctx: LabContext, setting: Setting) -> Finding | None:
    return at_or_above(
        ctx, setting, gettext_noop("diabetes if with classic symptoms of hyperglycaemia (ADA)")
    )


@rule(
    "ada-hba1c",
    name=_("HbA1c in the diabetes range (ADA)"),
    family="ada",
    severity=Severity.WARNING,
    source=ADA + ": HbA1c ≥ 6.5 % (48 mmol/mol)",
    params={"at_or_above": "6.5"},  # HbA1c ≥ 6.5 %, inclusive [S13]
    analytes=("hba1c",),
    supersedes=(OUT_OF_RANGE,),
)
def ada_hba1c(ctx: LabContext, setting: Setting) -> Finding | None:
    # HbA1c reads falsely low with anaemia, haemolysis or a recent transfusion (§1.1).
    return at_or_above(ctx, setting, CONFIRM)


@rule(
    "ada-impaired-fasting",
    name=_("Impaired fasting glucose (ADA prediabetes)"),
    family="ada",
    severity=Severity.INFO,
    source=ADA + ": impaired fasting glucose 5.6–6.9 mmol/L (100–125 mg/dL)",
    # 5.6 ≤ value < 7.0: "5.6–6.9" with no gap below the diabetes threshold, so 6.95 counts.
    params={"at_or_above": "5.6", "below": "7.0"},  # [S13]
    analytes=("glucose-fasting",),
    supersedes=(OUT_OF_RANGE,),
)
def ada_impaired_fasting(ctx: LabContext, setting: Setting) -> Finding | None:
    low, high = setting["at_or_above"], setting["below"]
    if not low <= ctx.value < high:
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop(
                "%(analyte)s %(value)s %(unit)s is from %(low)s to below %(high)s: impaired "
                "fasting glucose (prediabetes, ADA)"
            ),
            {**shown(ctx), "low": decimal(low), "high": amount(high, ctx)},
        ),
        subject=ctx.analyte_code,
    )

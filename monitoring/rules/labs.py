"""Laboratory rules on one new result (clinical-reference.md A3): out of reference range, the
BSR action thresholds of the blood count and liver tests, the CTCAE v5 grade, critical values,
potassium, magnesium and uric acid. Kidney rules live in kidney.py, glucose rules in glucose.py.

Boundaries are exactly as the sources state them: "< 3.5" is strict (3.5 raises nothing),
"≥ 7.0" inclusive; CTCAE grades use admiral's strict `<` / `>` (§2.1).

Overlaps, on purpose: a value may raise an action-threshold alert (BSR, potassium, magnesium,
uric acid) and its CTCAE grade at once; neither replaces the other, because once a clinic
tunes them either may be the more severe, and a superseded finding is dropped whatever its
severity. Only the critical value replaces them all (it is the most severe)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..catalogue.analytes import BY_CODE, Range
from ..models.alerts import Severity
from .base import Finding, LabContext, Setting, Text, decimal, rule

TACROLIMUS = "tacrolimus"
# Every analyte of the catalogue but tacrolimus: its target band is the trough rules' business
# (A1), and it has no reference range or published panic value (§1.1, §1.2).
LAB_ANALYTES = tuple(code for code in BY_CODE if code != TACROLIMUS)

OUT_OF_RANGE = "out-of-reference-range"
# A threshold rule (BSR, potassium, magnesium, uric acid, AKI) says the same thing as the
# CTCAE grade in plainer words: it replaces the grade when at least as severe (rules/base.py).
CTCAE = "ctcae-grade"
BSR = "BSR/BHPR 2017 DMARD monitoring [S45]; clinical-reference.md A3 (action thresholds)"
BSR_ACTION = gettext_noop("BSR action threshold: withhold and discuss with the specialist team")


def shown(ctx: LabContext) -> dict[str, str]:
    """The analyte, value and unit of the result, as Text params."""
    return {"analyte": ctx.analyte_code, "value": decimal(ctx.value), "unit": ctx.unit}


def amount(value: Decimal, ctx: LabContext) -> Text:
    """A number in the result's unit: '5.5 mmol/L'."""
    return Text(gettext_noop("%(amount)s %(unit)s"), {"amount": decimal(value), "unit": ctx.unit})


def below(ctx: LabContext, setting: Setting, note: str) -> Finding | None:
    """The setting's finding when the value is strictly below params["below"]; `note` is a
    msgid marked with gettext_noop."""
    if ctx.value >= setting["below"]:
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop("%(analyte)s %(value)s %(unit)s is below %(limit)s (%(note)s)"),
            {**shown(ctx), "limit": amount(setting["below"], ctx), "note": Text(note)},
        ),
        subject=ctx.analyte_code,
    )


def above(ctx: LabContext, setting: Setting, note: str) -> Finding | None:
    """The setting's finding when the value is strictly above params["above"]; `note` is a
    msgid marked with gettext_noop."""
    if ctx.value <= setting["above"]:
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop("%(analyte)s %(value)s %(unit)s is above %(limit)s (%(note)s)"),
            {**shown(ctx), "limit": amount(setting["above"], ctx), "note": Text(note)},
        ),
        subject=ctx.analyte_code,
    )


def range_text(reference: Range, ctx: LabContext) -> Text:
    """'3.5–5.1 mmol/L', '≥ 60 mL/min/1.73 m²', '≥ 3.9 and < 5.6 mmol/L'."""
    low, high = reference.low, reference.high
    params = {"unit": ctx.unit}
    if low is not None:
        params.update(low=decimal(low), low_sign="≥" if reference.low_inclusive else ">")
    if high is not None:
        params.update(high=decimal(high), high_sign="≤" if reference.high_inclusive else "<")
    if low is not None and high is not None:
        if reference.low_inclusive and reference.high_inclusive:
            return Text(gettext_noop("%(low)s–%(high)s %(unit)s"), params)
        return Text(
            gettext_noop("%(low_sign)s %(low)s and %(high_sign)s %(high)s %(unit)s"), params
        )
    if low is not None:
        return Text(gettext_noop("%(low_sign)s %(low)s %(unit)s"), params)
    return Text(gettext_noop("%(high_sign)s %(high)s %(unit)s"), params)


def is_below(reference: Range, value: Decimal) -> bool:
    """Outside `reference` on its low side."""
    return not Range(reference.low, None, low_inclusive=reference.low_inclusive).contains(value)


def is_above(reference: Range, value: Decimal) -> bool:
    """Outside `reference` on its high side."""
    return not Range(None, reference.high, high_inclusive=reference.high_inclusive).contains(value)


# --- Reference range ----------------------------------------------------------------------------


@rule(
    OUT_OF_RANGE,
    name=_("Out of reference range"),
    family="reference",
    severity=Severity.INFO,
    source=(
        "clinical-reference.md A3 row 1 and §1.1: the lab's own range when it sends one, else "
        "the sex-specific default"
    ),
    analytes=LAB_ANALYTES,
)
def out_of_reference_range(ctx: LabContext, setting: Setting) -> Finding | None:
    if ctx.reference.contains(ctx.value):
        return None
    if is_below(ctx.reference, ctx.value):
        message = gettext_noop(
            "%(analyte)s %(value)s %(unit)s is below the reference range %(range)s"
        )
    else:
        message = gettext_noop(
            "%(analyte)s %(value)s %(unit)s is above the reference range %(range)s"
        )
    return Finding(
        setting.code,
        setting.severity,
        Text(message, {**shown(ctx), "range": range_text(ctx.reference, ctx)}),
        subject=ctx.analyte_code,
    )


# --- BSR action thresholds (A3, [S45]): strict, as the guideline writes "<" and ">" -----------


@rule(
    "bsr-wbc-low",
    name=_("White cells below the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": WCC < 3.5 ×10⁹/L",
    params={"below": "3.5"},  # WCC < 3.5 ×10⁹/L [S45]
    analytes=("wbc",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_wbc_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, BSR_ACTION)


@rule(
    "bsr-neutrophils-low",
    name=_("Neutrophils below the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": neutrophils < 1.6 ×10⁹/L",
    params={"below": "1.6"},  # neutrophils < 1.6 ×10⁹/L [S45]
    analytes=("neutrophils",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_neutrophils_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, BSR_ACTION)


@rule(
    "bsr-platelets-low",
    name=_("Platelets below the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": platelets < 140 ×10⁹/L",
    params={"below": "140"},  # platelets < 140 ×10⁹/L [S45]
    analytes=("platelets",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_platelets_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, BSR_ACTION)


@rule(
    "bsr-alt-high",
    name=_("ALT above the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": ALT and/or AST > 100 U/L",
    params={"above": "100"},  # ALT > 100 U/L [S45]
    analytes=("alt",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_alt_high(ctx: LabContext, setting: Setting) -> Finding | None:
    return above(ctx, setting, BSR_ACTION)


@rule(
    "bsr-ast-high",
    name=_("AST above the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": ALT and/or AST > 100 U/L",
    params={"above": "100"},  # AST > 100 U/L [S45]
    analytes=("ast",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_ast_high(ctx: LabContext, setting: Setting) -> Finding | None:
    return above(ctx, setting, BSR_ACTION)


@rule(
    "bsr-eosinophils-high",
    name=_("Eosinophils above the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": eosinophils > 0.5 ×10⁹/L",
    params={"above": "0.5"},  # eosinophils > 0.5 ×10⁹/L [S45]
    analytes=("eosinophils",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_eosinophils_high(ctx: LabContext, setting: Setting) -> Finding | None:
    return above(ctx, setting, BSR_ACTION)


@rule(
    "bsr-mcv-high",
    name=_("MCV above the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": MCV > 105 fL",
    params={"above": "105"},  # MCV > 105 fL [S45]
    analytes=("mcv",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_mcv_high(ctx: LabContext, setting: Setting) -> Finding | None:
    return above(ctx, setting, BSR_ACTION)


@rule(
    "bsr-albumin-low",
    name=_("Albumin below the BSR action threshold"),
    family="bsr",
    severity=Severity.WARNING,
    source=BSR + ": unexplained albumin < 30 g/L",
    params={"below": "30"},  # unexplained albumin < 30 g/L [S45]
    analytes=("albumin",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def bsr_albumin_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(
        ctx,
        setting,
        gettext_noop(
            "BSR action threshold: withhold and discuss with the specialist team if unexplained"
        ),
    )


# --- CTCAE v5 grade (§2.1 [S10]) ---------------------------------------------------------------


@dataclass(frozen=True)
class CtcaeTerm:
    """A CTCAE v5 term graded from a lab value, as admiral does (§2.1): grade 1 is beyond the
    reference limit (LLN or ULN); higher grades beyond fixed limits or multiples of the ULN.
    Decreasing terms grade by strict `<`, increasing ones by strict `>`."""

    name: str  # the CTCAE term, a msgid (gettext_noop)
    is_decreasing: bool
    limits: tuple[tuple[int, str], ...] = ()  # (grade, limit), most severe first
    times_uln: bool = False  # the limits are multiples of the upper limit of normal

    def is_beyond(self, value: Decimal, limit: Decimal) -> bool:
        return value < limit if self.is_decreasing else value > limit


# Canonical units: g/L, ×10⁹/L, mmol/L; enzymes and creatinine as multiples of the ULN.
# The grades are the standard's definitions, not clinic settings.
CTCAE_TERMS = {
    # Grade 4 anaemia is clinical ("life-threatening"), no number.
    "haemoglobin": CtcaeTerm(gettext_noop("Anaemia"), True, ((3, "80"), (2, "100"))),
    "wbc": CtcaeTerm(
        gettext_noop("White blood cell decreased"), True, ((4, "1.0"), (3, "2.0"), (2, "3.0"))
    ),
    "neutrophils": CtcaeTerm(
        gettext_noop("Neutrophil count decreased"), True, ((4, "0.5"), (3, "1.0"), (2, "1.5"))
    ),
    "lymphocytes": CtcaeTerm(
        gettext_noop("Lymphocyte count decreased"), True, ((4, "0.2"), (3, "0.5"), (2, "0.8"))
    ),
    "platelets": CtcaeTerm(
        gettext_noop("Platelet count decreased"), True, ((4, "25"), (3, "50"), (2, "75"))
    ),
    # Liver enzymes: the "baseline normal" branch only (multiples of the ULN). The branch for
    # an abnormal baseline (multiples of the baseline) needs a baseline we do not define.
    "alt": CtcaeTerm(
        gettext_noop("ALT increased"), False, ((4, "20"), (3, "5"), (2, "3")), times_uln=True
    ),
    "ast": CtcaeTerm(
        gettext_noop("AST increased"), False, ((4, "20"), (3, "5"), (2, "3")), times_uln=True
    ),
    "alkaline-phosphatase": CtcaeTerm(
        gettext_noop("Alkaline phosphatase increased"),
        False,
        ((4, "20"), (3, "5"), (2, "2.5")),
        times_uln=True,
    ),
    "ggt": CtcaeTerm(
        gettext_noop("GGT increased"), False, ((4, "20"), (3, "5"), (2, "2.5")), times_uln=True
    ),
    # Against the ULN only; the "× baseline" criteria of grades 2–3 are left to KDIGO AKI.
    "creatinine": CtcaeTerm(
        gettext_noop("Creatinine increased"),
        False,
        ((4, "6"), (3, "3"), (2, "1.5")),
        times_uln=True,
    ),
    # Grade 1 only: higher grades need physiologic consequences (gout, stones, AKI), §2.1 note.
    "uric-acid": CtcaeTerm(gettext_noop("Hyperuricaemia"), False),
    "potassium": CtcaeTerm(
        gettext_noop("Hyperkalaemia"), False, ((4, "7.0"), (3, "6.0"), (2, "5.5"))
    ),
    "magnesium": CtcaeTerm(
        gettext_noop("Hypomagnesaemia"), True, ((4, "0.3"), (3, "0.4"), (2, "0.5"))
    ),
}


def ctcae_grade(ctx: LabContext) -> tuple[int, Text] | None:
    """The CTCAE v5 grade of the value and the limit it crossed, as words ('3 × ULN (123 U/L)'),
    or None. Without a reference limit, grade 1 and the ULN multiples cannot be graded."""
    term = CTCAE_TERMS[ctx.analyte_code]
    uln = ctx.reference.high
    for grade, limit in term.limits:
        cut = Decimal(limit)
        if term.times_uln:
            if uln is None:
                break
            cut *= uln
        if term.is_beyond(ctx.value, cut):
            if not term.times_uln:
                return grade, amount(cut, ctx)
            return grade, Text(
                gettext_noop("%(times)s × ULN (%(limit)s)"),
                {"times": limit, "limit": amount(cut, ctx)},
            )
    normal = ctx.reference.low if term.is_decreasing else uln
    if normal is not None and term.is_beyond(ctx.value, normal):
        if term.is_decreasing:
            words = gettext_noop("the lower limit of normal (%(limit)s)")
        else:
            words = gettext_noop("the upper limit of normal (%(limit)s)")
        return 1, Text(words, {"limit": amount(normal, ctx)})
    return None


@rule(
    "ctcae-grade",
    name=_("CTCAE v5 grade"),
    family="ctcae",
    severity=Severity.URGENT,
    source=(
        "CTCAE v5.0 grade text and admiral boundary semantics (ncictcaev5.json) [S10]; "
        "clinical-reference.md §2.1 and A3 (grade ≥ 3 urgent)"
    ),
    # The rule's severity (urgent) is that of grades from urgent_from_grade up (A3: grade ≥ 3);
    # below it, grade 2 is a warning and grade 1 info (A6: info stays off the worklist).
    params={"urgent_from_grade": "3"},
    analytes=tuple(CTCAE_TERMS),
    supersedes=(OUT_OF_RANGE,),
)
def ctcae(ctx: LabContext, setting: Setting) -> Finding | None:
    graded = ctcae_grade(ctx)
    if graded is None:
        return None
    grade, limit = graded
    if grade >= setting["urgent_from_grade"]:
        severity = setting.severity
    elif grade >= 2:
        severity = Severity.WARNING
    else:
        severity = Severity.INFO
    term = CTCAE_TERMS[ctx.analyte_code]
    if term.is_decreasing:
        message = gettext_noop(
            "%(term)s, CTCAE grade %(grade)s: %(analyte)s %(value)s %(unit)s is below %(limit)s"
        )
    else:
        message = gettext_noop(
            "%(term)s, CTCAE grade %(grade)s: %(analyte)s %(value)s %(unit)s is above %(limit)s"
        )
    return Finding(
        setting.code,
        severity,
        Text(message, {**shown(ctx), "term": Text(term.name), "grade": str(grade), "limit": limit}),
        subject=ctx.analyte_code,
        grade=grade,
    )


# --- Critical values (§1.2 [S36]) --------------------------------------------------------------


@rule(
    "critical-value",
    name=_("Critical value"),
    family="critical",
    severity=Severity.CRITICAL,
    source=(
        "clinical-reference.md §1.2 suggested defaults [S36] and A3 (e.g. K ≤ 2.8 or ≥ 6.0, "
        "glucose ≤ 2.8 or ≥ 25 mmol/L, Hb < 70 g/L, platelets < 20, neutrophils < 0.5, "
        "creatinine ≥ 442 µmol/L); the limits are the analyte's, editable in the admin"
    ),
    analytes=LAB_ANALYTES,
    # The most severe finding replaces every other one on the analyte, except an acute kidney
    # injury, which says something else (a rise, and a stage).
    supersedes=(
        OUT_OF_RANGE,
        "bsr-wbc-low",
        "bsr-neutrophils-low",
        "bsr-platelets-low",
        "bsr-alt-high",
        "bsr-ast-high",
        "bsr-eosinophils-high",
        "bsr-mcv-high",
        "bsr-albumin-low",
        "bsr-creatinine-rise",
        "bsr-egfr-low",
        "ctcae-grade",
        "ada-fasting-glucose",
        "ada-random-glucose",
        "ada-hba1c",
        "ada-impaired-fasting",
        "potassium-high",
        "magnesium-low",
        "magnesium-very-low",
        "uric-acid-high",
    ),
)
def critical_value(ctx: LabContext, setting: Setting) -> Finding | None:
    if not ctx.is_critical:
        return None
    if is_below(ctx.reference, ctx.value):
        message = gettext_noop("%(analyte)s %(value)s %(unit)s is critically low (critical value)")
    elif is_above(ctx.reference, ctx.value):
        message = gettext_noop("%(analyte)s %(value)s %(unit)s is critically high (critical value)")
    else:
        message = gettext_noop(
            "%(analyte)s %(value)s %(unit)s is a critical value (critical value)"
        )
    return Finding(
        setting.code, setting.severity, Text(message, shown(ctx)), subject=ctx.analyte_code
    )


# --- Potassium, magnesium, uric acid (A3) ------------------------------------------------------


@rule(
    "potassium-high",
    name=_("Potassium high"),
    family="electrolytes",
    severity=Severity.WARNING,
    source="clinical-reference.md A3 (potassium > 5.5 mmol/L warning; CTCAE v5 hyperkalaemia "
    "grade 2 [S10]); ≥ 6.0 is the critical value (§1.2)",
    params={"above": "5.5"},  # > 5.5 mmol/L, strict (CTCAE grade 2 "> 5.5–6.0")
    analytes=("potassium",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def potassium_high(ctx: LabContext, setting: Setting) -> Finding | None:
    return above(ctx, setting, gettext_noop("hyperkalaemia; haemolysis gives false highs"))


@rule(
    "magnesium-low",
    name=_("Magnesium low"),
    family="electrolytes",
    severity=Severity.WARNING,
    source="clinical-reference.md A3 (magnesium < 0.7 mmol/L warning; CTCAE v5 "
    "hypomagnesaemia [S10])",
    params={"below": "0.7"},  # < 0.7 mmol/L, strict (0.70 is the reference LLN, §1.1)
    analytes=("magnesium",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def magnesium_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, gettext_noop("hypomagnesaemia, a known effect of tacrolimus"))


@rule(
    "magnesium-very-low",
    name=_("Magnesium very low"),
    family="electrolytes",
    severity=Severity.URGENT,
    source="clinical-reference.md A3 (magnesium < 0.4 mmol/L urgent; CTCAE v5 hypomagnesaemia "
    "grade 3 [S10])",
    params={"below": "0.4"},  # < 0.4 mmol/L, strict (CTCAE grade 3 "< 0.4–0.3")
    analytes=("magnesium",),
    supersedes=(OUT_OF_RANGE, CTCAE, "magnesium-low"),
)
def magnesium_very_low(ctx: LabContext, setting: Setting) -> Finding | None:
    return below(ctx, setting, gettext_noop("severe hypomagnesaemia"))


@rule(
    "uric-acid-high",
    name=_("Uric acid above the upper limit of normal"),
    family="electrolytes",
    severity=Severity.INFO,
    source="clinical-reference.md A3 and §1.1 (above the sex-specific ULN: F 357, M 428 µmol/L "
    "[S37b], or the lab's own)",
    analytes=("uric-acid",),
    supersedes=(OUT_OF_RANGE, CTCAE),
)
def uric_acid_high(ctx: LabContext, setting: Setting) -> Finding | None:
    # The reference in the context is already the lab's own or the sex-specific default.
    if ctx.reference.high is None or not is_above(ctx.reference, ctx.value):
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop(
                "%(analyte)s %(value)s %(unit)s is above the upper limit of normal %(limit)s "
                "(hyperuricaemia)"
            ),
            {**shown(ctx), "limit": amount(ctx.reference.high, ctx)},
        ),
        subject=ctx.analyte_code,
    )

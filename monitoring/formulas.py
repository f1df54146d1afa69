"""Clinical formulas: pure functions, Decimal in and out, no database.

eGFR, QTc, dose per kg, KDIGO AKI stage, and rounding a dose to what the capsules allow.
Every formula cites ../shared/clinical-reference.md (the clinic's reference) and its paper.
Inputs that would give a meaningless number raise ValueError instead of returning one.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

WHOLE = Decimal("1")
THOUSANDTH = Decimal("0.001")

# --- eGFR -------------------------------------------------------------------------------------

# Stored beside every eGFR we compute, so a value is never mistaken for the lab's own
# (clinical-reference.md A3: "stored with the equation name").
EGFR_METHOD = "CKD-EPI 2021 (creatinine)"

# mg/dL × 88.4 = µmol/L (clinical-reference.md §1.1, creatinine row).
CREATININE_UMOL_L_PER_MG_DL = Decimal("88.4")

# CKD-EPI 2021 constants per sex: κ, α, sex factor (clinical-reference.md §3.2, Inker 2021).
_CKD_EPI_2021 = {
    "F": (Decimal("0.7"), Decimal("-0.241"), Decimal("1.012")),
    "M": (Decimal("0.9"), Decimal("-0.302"), Decimal("1")),
}


def egfr_ckd_epi_2021(*, creatinine_umol_l: Decimal, age_years: int, sex: str) -> Decimal:
    """eGFR in mL/min/1.73 m² by the race-free CKD-EPI 2021 creatinine equation.

        eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [if female]

    Scr in mg/dL (µmol/L ÷ 88.4); κ = 0.7 (F) / 0.9 (M); α = −0.241 (F) / −0.302 (M).
    Source: clinical-reference.md §3.2; Inker LA et al., NEJM 2021;385:1737–49,
    doi:10.1056/NEJMoa2102953. Valid for adults (≥ 18 y) with a stable, IDMS-traceable
    creatinine; not during AKI (§3.2 limitations). Rounded to a whole number, half up.
    `sex` is "F" or "M" (the codes of `monitoring.models.Sex`).
    """
    if sex not in _CKD_EPI_2021:
        raise ValueError(f"sex must be 'F' or 'M', not {sex!r}")
    if age_years < 18:
        raise ValueError("CKD-EPI 2021 is validated for adults only (age ≥ 18 years)")
    if creatinine_umol_l <= 0:
        raise ValueError("creatinine must be positive")
    kappa, alpha, sex_factor = _CKD_EPI_2021[sex]
    ratio = creatinine_umol_l / CREATININE_UMOL_L_PER_MG_DL / kappa
    egfr = (
        142
        * min(ratio, WHOLE) ** alpha
        * max(ratio, WHOLE) ** Decimal("-1.200")
        * Decimal("0.9938") ** age_years
        * sex_factor
    )
    return egfr.quantize(WHOLE, rounding=ROUND_HALF_UP)


# --- QTc --------------------------------------------------------------------------------------


class QtcMethod(NamedTuple):
    name: str
    reference: str


# Formulas and references: clinical-reference.md §3.1 [S15]. Fridericia is the product default
# for trends (A3, §2.4: a 2016 meta-analysis favoured QTcF over QTcB); trends never mix methods.
QTC_METHODS: dict[str, QtcMethod] = {
    "fridericia": QtcMethod("Fridericia (QT / RR^1/3)", "Fridericia, Acta Med Scand 1920;53:469"),
    "bazett": QtcMethod("Bazett (QT / √RR)", "Bazett, Heart 1920;7:353"),
    "framingham": QtcMethod(
        "Framingham (QT + 154 × (1 − RR))",
        "Sagie et al., Am J Cardiol 1992;70:797, doi:10.1016/0002-9149(92)90562-d",
    ),
    "hodges": QtcMethod("Hodges (QT + 1.75 × (HR − 60))", "Hodges et al., JACC 1983"),
}
DEFAULT_QTC_METHOD = "fridericia"

# Plausibility limits on entered values (inclusive); outside them the entry is almost surely
# a typo or a unit mistake, and a corrected QT computed from it would be misleading.
QT_PLAUSIBLE_MS = (Decimal("200"), Decimal("700"))
HEART_RATE_PLAUSIBLE_BPM = (Decimal("20"), Decimal("250"))
RR_PLAUSIBLE_MS = (Decimal("240"), Decimal("3000"))  # the same limits: RR = 60 000 / HR


def qtc(
    *,
    qt_ms: Decimal,
    method: str,
    heart_rate_bpm: Decimal | None = None,
    rr_ms: Decimal | None = None,
) -> Decimal:
    """Heart-rate-corrected QT in ms, rounded to a whole number (half up).

    Give exactly one of `heart_rate_bpm` or `rr_ms`; RR in seconds is rr_ms / 1000, or
    60 / HR (clinical-reference.md §3.1 [S15]). Methods (keys of QTC_METHODS):
    fridericia QT / RR^(1/3); bazett QT / √RR; framingham QT + 154 × (1 − RR);
    hodges QT + 1.75 × (HR − 60). At 60 /min (RR 1 s) every method returns QT unchanged.
    Bazett over-corrects at high heart rates and under-corrects at low ones (§3.1).
    """
    if method not in QTC_METHODS:
        raise ValueError(f"unknown QTc method {method!r}; use one of {', '.join(QTC_METHODS)}")
    if (heart_rate_bpm is None) == (rr_ms is None):
        raise ValueError("give exactly one of heart_rate_bpm or rr_ms")
    if qt_ms <= 0:
        raise ValueError("QT must be positive")
    _check_plausible("QT", qt_ms, QT_PLAUSIBLE_MS, "ms")
    if rr_ms is not None:
        if rr_ms <= 0:
            raise ValueError("RR interval must be positive")
        _check_plausible("RR interval", rr_ms, RR_PLAUSIBLE_MS, "ms")
        rr_s = rr_ms / 1000
        heart_rate_bpm = 60 / rr_s
    else:
        if heart_rate_bpm <= 0:
            raise ValueError("heart rate must be positive")
        _check_plausible("heart rate", heart_rate_bpm, HEART_RATE_PLAUSIBLE_BPM, "/min")
        rr_s = 60 / heart_rate_bpm

    if method == "fridericia":
        corrected = qt_ms / rr_s ** (WHOLE / 3)
    elif method == "bazett":
        corrected = qt_ms / rr_s.sqrt()
    elif method == "framingham":
        corrected = qt_ms + 154 * (1 - rr_s)
    else:  # hodges
        corrected = qt_ms + Decimal("1.75") * (heart_rate_bpm - 60)
    return corrected.quantize(WHOLE, rounding=ROUND_HALF_UP)


def _check_plausible(
    label: str, value: Decimal, limits: tuple[Decimal, Decimal], unit: str
) -> None:
    low, high = limits
    if not low <= value <= high:
        raise ValueError(f"{label} {value:f} {unit} is outside the plausible {low}–{high} {unit}")


# --- KDIGO acute kidney injury ----------------------------------------------------------------

# KDIGO thresholds (clinical-reference.md §2.2 [S12]): 0.3 mg/dL = 26.5 µmol/L; 4.0 mg/dL =
# 353.6 µmol/L.
AKI_RISE_48H_UMOL_L = Decimal("26.5")
AKI_STAGE_3_CREATININE_UMOL_L = Decimal("353.6")


def kdigo_aki_stage(
    *, current_umol_l: Decimal, baseline_umol_l: Decimal, rise_48h_umol_l: Decimal | None
) -> int | None:
    """KDIGO AKI stage (1, 2 or 3) from serum creatinine, or None when there is no AKI.

    `baseline_umol_l` is the lowest creatinine of the prior 7 days (for the ratio rules);
    `rise_48h_umol_l` is the rise over the lowest value of the prior 48 h, or None without one
    (clinical-reference.md §2.2 implementation note). AKI is present when the current value is
    ≥ 1.5 × baseline or has risen ≥ 26.5 µmol/L within 48 h. Its stage: 3 for ≥ 3.0 × baseline
    or a current value ≥ 353.6 µmol/L (4.0 mg/dL); 2 for 2.0–2.9 × baseline; else 1.
    The 353.6 rule only stages an AKI already present: KDIGO reads "increase … to ≥ 4.0
    mg/dL", so a stable high creatinine (advanced CKD) is not AKI. Urine output and renal
    replacement therapy, also KDIGO criteria, are not covered. Source: KDIGO 2012 [S12].
    """
    if current_umol_l <= 0 or baseline_umol_l <= 0:
        raise ValueError("creatinine values must be positive")
    # Compare against multiples of the baseline rather than dividing, so 1.5× is exact.
    ratio_rule = current_umol_l >= Decimal("1.5") * baseline_umol_l
    rise_rule = rise_48h_umol_l is not None and rise_48h_umol_l >= AKI_RISE_48H_UMOL_L
    if not (ratio_rule or rise_rule):
        return None
    if current_umol_l >= 3 * baseline_umol_l or current_umol_l >= AKI_STAGE_3_CREATININE_UMOL_L:
        return 3
    if current_umol_l >= 2 * baseline_umol_l:
        return 2
    return 1


# --- Dose -------------------------------------------------------------------------------------

# 0.10–0.30 mg/kg/day: the source text's range (clinical-reference.md A2 and §3.3). The 0.30
# ceiling is likely CPIC's maximum for CYP3A5 expressers [S38]; lupus nephritis trials use less
# (§3.3), so the range is a default a clinic may narrow. Bounds are inclusive.
DOSE_RANGE_MG_PER_KG_DAY = (Decimal("0.10"), Decimal("0.30"))

# A weight older than this makes mg/kg/day doubtful (clinical-reference.md A2).
WEIGHT_MAX_AGE_DAYS = 90


def daily_dose_mg(*, dose_per_intake_mg: Decimal, intakes_per_day: int) -> Decimal:
    """Total daily dose: immediate release is taken twice daily (2 intakes), extended release
    once daily (1 intake) (clinical-reference.md §3.3, §7.6)."""
    if intakes_per_day < 1:
        raise ValueError("intakes per day must be at least 1")
    if dose_per_intake_mg < 0:
        raise ValueError("dose cannot be negative")
    return dose_per_intake_mg * intakes_per_day


def mg_per_kg_day(*, daily_dose_mg: Decimal, weight_kg: Decimal) -> Decimal:
    """Total daily dose ÷ actual body weight, in mg/kg/day rounded to 3 decimals (half up).

    Source: clinical-reference.md §3.3 (use actual body weight and store the weight date).
    """
    if weight_kg <= 0:
        raise ValueError("weight must be positive")
    if daily_dose_mg < 0:
        raise ValueError("dose cannot be negative")
    return (daily_dose_mg / weight_kg).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def dose_in_range(mg_per_kg: Decimal) -> bool:
    """Whether mg/kg/day lies within DOSE_RANGE_MG_PER_KG_DAY, bounds included (A2, §3.3)."""
    low, high = DOSE_RANGE_MG_PER_KG_DAY
    return low <= mg_per_kg <= high


def weight_is_stale(
    *, measured_on: date, today: date, max_age_days: int = WEIGHT_MAX_AGE_DAYS
) -> bool:
    """Whether a weight is too old to trust for mg/kg/day: older than 90 days by default.

    A weight exactly `max_age_days` old is still fresh (clinical-reference.md A2).
    """
    return (today - measured_on).days > max_age_days


def round_to_strengths(
    *, daily_dose_mg: Decimal, strengths_mg: tuple[Decimal, ...], intakes_per_day: int
) -> Decimal:
    """The daily dose nearest to `daily_dose_mg` that the capsules can make at every intake.

    Kept simple on purpose: each intake is rounded (half up) to a whole number of the smallest
    strength, which any set of capsules can always make. Intakes are equal (an IR dose is
    split evenly between morning and evening). With strengths that are not multiples of the
    smallest (Envarsus 0.75/1/4 mg, §7.6) some makeable doses, such as 1 mg, are never chosen.
    A positive dose never rounds down to nothing: the minimum is one smallest unit per intake,
    because a suggestion of 0 mg would read as "stop tacrolimus". Used for the proportional
    dose suggestion (clinical-reference.md A2, §3.4: "round to available strengths").
    """
    if not strengths_mg or min(strengths_mg) <= 0:
        raise ValueError("give at least one strength, all positive")
    if intakes_per_day < 1:
        raise ValueError("intakes per day must be at least 1")
    if daily_dose_mg < 0:
        raise ValueError("dose cannot be negative")
    if daily_dose_mg == 0:
        return Decimal("0")
    step = min(strengths_mg)
    units = (daily_dose_mg / intakes_per_day / step).quantize(WHOLE, rounding=ROUND_HALF_UP)
    return max(units, WHOLE) * step * intakes_per_day

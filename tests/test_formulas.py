"""Clinical formulas: pure functions, no database.

Expected values are computed by hand from the formulas in clinical-reference.md §3 (the
arithmetic is in each docstring), not by calling the code under test.
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from monitoring.formulas import (
    QTC_METHODS,
    daily_dose_mg,
    dose_in_range,
    egfr_ckd_epi_2021,
    kdigo_aki_stage,
    mg_per_kg_day,
    qtc,
    round_to_strengths,
    weight_is_stale,
)

# --- eGFR, CKD-EPI 2021 -----------------------------------------------------------------------


def test_ckd_epi_2021_matches_the_published_vector():
    """§3.2 [S16b]: 1.2 mg/dL (× 88.4 = 106.08 µmol/L), man of 55 → 71."""
    assert egfr_ckd_epi_2021(creatinine_umol_l=D("106.08"), age_years=55, sex="M") == 71


def test_ckd_epi_2021_for_a_woman_at_kappa_uses_only_age_and_sex():
    """0.7 mg/dL (61.88 µmol/L), woman of 40: Scr/κ = 0.7/0.7 = 1, so min and max terms are 1.
    142 × 0.9938^40 (0.77976) × 1.012 = 112.05 → 112."""
    assert egfr_ckd_epi_2021(creatinine_umol_l=D("61.88"), age_years=40, sex="F") == 112


def test_ckd_epi_2021_below_kappa_uses_the_alpha_exponent():
    """0.5 mg/dL (44.2 µmol/L), woman of 30: Scr/κ = 0.714286; 0.714286^−0.241 = 1.08447.
    142 × 1.08447 × 0.9938^30 (0.82979) × 1.012 = 129.32 → 129."""
    assert egfr_ckd_epi_2021(creatinine_umol_l=D("44.2"), age_years=30, sex="F") == 129


def test_ckd_epi_2021_above_kappa_uses_the_minus_1_2_exponent():
    """2.0 mg/dL (176.8 µmol/L), man of 70: Scr/κ = 2.2222; 2.2222^−1.200 = 0.38358.
    142 × 0.38358 × 0.9938^70 (0.64704) = 35.24 → 35."""
    assert egfr_ckd_epi_2021(creatinine_umol_l=D("176.8"), age_years=70, sex="M") == 35


@pytest.mark.parametrize("sex", ["F", "M"])
def test_higher_creatinine_gives_a_lower_egfr(sex):
    creatinines = [D("40"), D("60"), D("80"), D("106"), D("150"), D("300")]
    egfrs = [egfr_ckd_epi_2021(creatinine_umol_l=c, age_years=50, sex=sex) for c in creatinines]
    assert egfrs == sorted(egfrs, reverse=True)
    assert len(set(egfrs)) == len(egfrs)


def test_ckd_epi_2021_is_for_adults_only():
    assert egfr_ckd_epi_2021(creatinine_umol_l=D("70"), age_years=18, sex="F") > 0
    with pytest.raises(ValueError, match="adults"):
        egfr_ckd_epi_2021(creatinine_umol_l=D("70"), age_years=17, sex="F")


@pytest.mark.parametrize(
    ("creatinine", "sex"), [(D("0"), "F"), (D("-5"), "M"), (D("70"), "X"), (D("70"), "f")]
)
def test_ckd_epi_2021_rejects_a_bad_creatinine_or_sex(creatinine, sex):
    with pytest.raises(ValueError):
        egfr_ckd_epi_2021(creatinine_umol_l=creatinine, age_years=40, sex=sex)


# --- QTc --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(QTC_METHODS))
def test_every_qtc_method_leaves_qt_unchanged_at_60_per_minute(method):
    assert qtc(qt_ms=D("412"), method=method, heart_rate_bpm=D("60")) == 412
    assert qtc(qt_ms=D("412"), method=method, rr_ms=D("1000")) == 412


@pytest.mark.parametrize(
    ("method", "expected"),
    [("bazett", 490), ("fridericia", 458), ("framingham", 451), ("hodges", 453)],
)
def test_qtc_at_90_per_minute_matches_the_hand_computation(method, expected):
    """QT 400 ms, HR 90 → RR = 60/90 = 0.6667 s.
    Bazett 400 / √0.6667 = 400 × 1.224745 = 489.90 → 490.
    Fridericia 400 / 0.6667^(1/3) = 400 × 1.144714 = 457.89 → 458.
    Framingham 400 + 154 × (1 − 0.6667) = 451.33 → 451.
    Hodges 400 + 1.75 × (90 − 60) = 452.5 → 453 (half up)."""
    assert qtc(qt_ms=D("400"), method=method, heart_rate_bpm=D("90")) == expected


def test_bazett_over_corrects_at_high_and_under_corrects_at_low_heart_rate():
    """§3.1. At HR 90 Bazett 490 > Fridericia 458 (above). At HR 50 (RR 1.2 s):
    Bazett 400 / √1.2 = 365.15 → 365; Fridericia 400 / 1.2^(1/3) = 376.41 → 376."""
    bazett_fast = qtc(qt_ms=D("400"), method="bazett", heart_rate_bpm=D("90"))
    fridericia_fast = qtc(qt_ms=D("400"), method="fridericia", heart_rate_bpm=D("90"))
    bazett_slow = qtc(qt_ms=D("400"), method="bazett", heart_rate_bpm=D("50"))
    fridericia_slow = qtc(qt_ms=D("400"), method="fridericia", heart_rate_bpm=D("50"))
    assert bazett_fast > fridericia_fast
    assert (bazett_slow, fridericia_slow) == (365, 376)


@pytest.mark.parametrize("method", list(QTC_METHODS))
def test_an_rr_of_800_ms_equals_a_heart_rate_of_75(method):
    from_rr = qtc(qt_ms=D("400"), method=method, rr_ms=D("800"))
    assert from_rr == qtc(qt_ms=D("400"), method=method, heart_rate_bpm=D("75"))
    assert from_rr != 400


def test_qtc_needs_exactly_one_of_heart_rate_or_rr():
    with pytest.raises(ValueError, match="exactly one"):
        qtc(qt_ms=D("400"), method="fridericia")
    with pytest.raises(ValueError, match="exactly one"):
        qtc(qt_ms=D("400"), method="fridericia", heart_rate_bpm=D("75"), rr_ms=D("800"))


@pytest.mark.parametrize(
    "values",
    [
        {"qt_ms": D("0"), "heart_rate_bpm": D("60")},
        {"qt_ms": D("199"), "heart_rate_bpm": D("60")},
        {"qt_ms": D("701"), "heart_rate_bpm": D("60")},
        {"qt_ms": D("400"), "heart_rate_bpm": D("0")},
        {"qt_ms": D("400"), "heart_rate_bpm": D("19")},
        {"qt_ms": D("400"), "heart_rate_bpm": D("251")},
        {"qt_ms": D("400"), "rr_ms": D("-800")},
        {"qt_ms": D("400"), "rr_ms": D("239")},
        {"qt_ms": D("400"), "rr_ms": D("3001")},
    ],
)
def test_qtc_rejects_non_positive_and_implausible_values(values):
    with pytest.raises(ValueError):
        qtc(method="fridericia", **values)


def test_qtc_accepts_the_plausibility_limits_themselves():
    assert qtc(qt_ms=D("200"), method="fridericia", heart_rate_bpm=D("20")) > 0
    assert qtc(qt_ms=D("700"), method="fridericia", heart_rate_bpm=D("250")) > 0


def test_qtc_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="unknown QTc method"):
        qtc(qt_ms=D("400"), method="Fridericia", heart_rate_bpm=D("75"))


# --- Dose -------------------------------------------------------------------------------------


def test_daily_dose_counts_two_intakes_for_ir_and_one_for_xr():
    assert daily_dose_mg(dose_per_intake_mg=D("2.5"), intakes_per_day=2) == D("5")
    assert daily_dose_mg(dose_per_intake_mg=D("4"), intakes_per_day=1) == D("4")


def test_daily_dose_rejects_no_intakes_and_a_negative_dose():
    with pytest.raises(ValueError):
        daily_dose_mg(dose_per_intake_mg=D("2"), intakes_per_day=0)
    with pytest.raises(ValueError):
        daily_dose_mg(dose_per_intake_mg=D("-1"), intakes_per_day=2)


@pytest.mark.parametrize(
    ("dose", "weight", "expected"),
    [
        ("6", "60", "0.100"),
        ("7", "60", "0.117"),  # 0.11666… rounds up
        ("5", "60", "0.083"),  # 0.08333… rounds down
        ("5", "80", "0.063"),  # 0.0625: half up, not half even
    ],
)
def test_mg_per_kg_day_is_rounded_to_three_decimals(dose, weight, expected):
    result = mg_per_kg_day(daily_dose_mg=D(dose), weight_kg=D(weight))
    assert str(result) == expected


@pytest.mark.parametrize(("dose", "weight"), [("5", "0"), ("5", "-60"), ("-1", "60")])
def test_mg_per_kg_day_rejects_a_non_positive_weight_or_negative_dose(dose, weight):
    with pytest.raises(ValueError):
        mg_per_kg_day(daily_dose_mg=D(dose), weight_kg=D(weight))


@pytest.mark.parametrize(
    ("mg_per_kg", "expected"),
    [("0.099", False), ("0.10", True), ("0.2", True), ("0.30", True), ("0.301", False)],
)
def test_the_dose_range_includes_its_bounds(mg_per_kg, expected):
    assert dose_in_range(D(mg_per_kg)) is expected


def test_a_weight_is_stale_only_after_90_days():
    today = date(2025, 6, 30)
    assert weight_is_stale(measured_on=today - timedelta(days=90), today=today) is False
    assert weight_is_stale(measured_on=today - timedelta(days=91), today=today) is True
    assert weight_is_stale(measured_on=today, today=today) is False


def test_a_clinic_can_shorten_the_weight_age_limit():
    today = date(2025, 6, 30)
    measured_on = today - timedelta(days=31)
    assert weight_is_stale(measured_on=measured_on, today=today, max_age_days=30) is True


# --- KDIGO AKI --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "baseline", "rise_48h", "expected"),
    [
        ("149", "100", None, None),  # 1.49 × baseline
        ("150", "100", None, 1),  # 1.5 ×
        ("126.4", "100", "26.4", None),  # rise just under 0.3 mg/dL
        ("126.5", "100", "26.5", 1),  # rise of 0.3 mg/dL, ratio 1.265
        ("199", "100", None, 1),  # 1.99 ×
        ("200", "100", None, 2),  # 2.0 ×
        ("299", "100", None, 2),  # 2.99 ×
        ("300", "100", None, 3),  # 3.0 ×
        ("353.5", "250", "26.5", 1),  # AKI by rise, just under 4.0 mg/dL
        ("353.6", "250", "26.5", 3),  # AKI by rise, reaching 4.0 mg/dL
    ],
)
def test_kdigo_stage_boundaries(current, baseline, rise_48h, expected):
    rise = None if rise_48h is None else D(rise_48h)
    stage = kdigo_aki_stage(
        current_umol_l=D(current), baseline_umol_l=D(baseline), rise_48h_umol_l=rise
    )
    assert stage == expected


def test_a_stable_high_creatinine_is_not_aki():
    """KDIGO stage 3 reads "increase to ≥ 4.0 mg/dL": advanced CKD at 400 µmol/L is not AKI."""
    stage = kdigo_aki_stage(
        current_umol_l=D("400"), baseline_umol_l=D("395"), rise_48h_umol_l=D("5")
    )
    assert stage is None


def test_kdigo_stage_rejects_a_non_positive_creatinine():
    with pytest.raises(ValueError):
        kdigo_aki_stage(current_umol_l=D("100"), baseline_umol_l=D("0"), rise_48h_umol_l=None)


# --- Rounding to capsule strengths ------------------------------------------------------------

PROGRAF_IR = (D("0.5"), D("1"), D("5"))  # §7.6


@pytest.mark.parametrize(
    ("daily", "expected"),
    [
        ("5.3", "5"),  # 2.65 per intake → 5 × 0.5 mg = 2.5
        ("5.6", "6"),  # 2.8 per intake → 6 × 0.5 mg = 3
        ("5.5", "6"),  # 2.75 per intake, half way → up to 3
        ("0.2", "1"),  # 0.1 per intake would round to nothing → one 0.5 mg capsule
        ("0", "0"),
    ],
)
def test_a_twice_daily_dose_rounds_each_intake_to_half_milligrams(daily, expected):
    rounded = round_to_strengths(daily_dose_mg=D(daily), strengths_mg=PROGRAF_IR, intakes_per_day=2)
    assert rounded == D(expected)


def test_a_once_daily_dose_rounds_to_the_smallest_strength():
    """Envarsus 0.75/1/4 mg (§7.6): 3.5 / 0.75 = 4.67 → 5 tablets of 0.75 = 3.75 mg."""
    envarsus = (D("4"), D("1"), D("0.75"))
    rounded = round_to_strengths(daily_dose_mg=D("3.5"), strengths_mg=envarsus, intakes_per_day=1)
    assert rounded == D("3.75")


@pytest.mark.parametrize(
    ("strengths", "intakes"), [((), 2), ((D("0"), D("1")), 2), (PROGRAF_IR, 0)]
)
def test_round_to_strengths_rejects_missing_strengths_or_intakes(strengths, intakes):
    with pytest.raises(ValueError):
        round_to_strengths(daily_dose_mg=D("4"), strengths_mg=strengths, intakes_per_day=intakes)

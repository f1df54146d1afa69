"""Kidney rules as pure functions: KDIGO acute kidney injury (clinical-reference.md §2.2), the
BSR creatinine rise over 12 months and eGFR below 60 (A3 [S45]). Creatinine in µmol/L."""

import datetime as dt

import pytest

from monitoring.models import Severity
from tests.test_rules_labs import check, kept, lab

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def creatinine(value, *history, sex="F"):
    """A creatinine of `value` with earlier values given as (time before, value)."""
    return lab("creatinine", value, sex=sex, history=sorted(history, reverse=True))


# --- KDIGO acute kidney injury ----------------------------------------------------------------


def test_a_first_creatinine_is_no_acute_kidney_injury():
    assert check("kdigo-aki", creatinine("300")) is None


@pytest.mark.parametrize(("value", "stage"), [("106.4", None), ("106.5", 1)])
def test_a_rise_of_26_5_within_48_hours_is_acute_kidney_injury(value, stage):
    finding = check("kdigo-aki", creatinine(value, (24 * HOUR, "80")))

    assert (finding.stage if finding else None) == stage


@pytest.mark.parametrize(("before", "stage"), [(47 * HOUR, 1), (48 * HOUR, 1), (49 * HOUR, None)])
def test_the_rise_counts_only_against_values_of_the_prior_48_hours(before, stage):
    # 80 → 110 µmol/L: a rise of 30, but only 1.375 × the baseline.
    finding = check("kdigo-aki", creatinine("110", (before, "80")))

    assert (finding.stage if finding else None) == stage


@pytest.mark.parametrize(("value", "stage"), [("119.9", None), ("120", 1)])
def test_1_5_times_the_lowest_value_of_the_prior_7_days_is_acute_kidney_injury(value, stage):
    finding = check("kdigo-aki", creatinine(value, (5 * DAY, "80")))

    assert (finding.stage if finding else None) == stage


@pytest.mark.parametrize(("before", "stage"), [(6 * DAY, 1), (7 * DAY, 1), (8 * DAY, None)])
def test_the_ratio_counts_only_against_values_of_the_prior_7_days(before, stage):
    finding = check("kdigo-aki", creatinine("130", (before, "80")))

    assert (finding.stage if finding else None) == stage


def test_the_baseline_is_the_lowest_value_of_the_prior_7_days():
    ctx = creatinine("140", (5 * DAY, "100"), (3 * DAY, "70"), (1 * DAY, "90"))

    finding = check("kdigo-aki", ctx)

    assert finding.stage == 2  # 140 = 2.0 × 70
    assert finding.severity == Severity.URGENT
    assert finding.subject == "creatinine"
    assert str(finding.message) == (
        "Creatinine 140 µmol/L: acute kidney injury, KDIGO stage 2 (lowest value of the prior "
        "7 days 70 µmol/L; rise of 50 µmol/L within 48 h); check the tacrolimus trough"
    )


@pytest.mark.parametrize(
    ("history", "value", "stage"),
    [
        ((2 * DAY, "70"), "209", 2),
        ((2 * DAY, "70"), "210", 3),  # ≥ 3.0 × baseline
        ((1 * DAY, "320"), "354", 3),  # a 34 µmol/L rise to ≥ 353.6 µmol/L (4.0 mg/dL)
    ],
)
def test_kdigo_stages(history, value, stage):
    assert check("kdigo-aki", creatinine(value, history)).stage == stage


def test_a_stable_high_creatinine_is_no_acute_kidney_injury():
    assert check("kdigo-aki", creatinine("400", (1 * DAY, "395"))) is None


def test_a_clinic_can_widen_the_rise_window():
    ctx = creatinine("110", (60 * HOUR, "80"))

    assert check("kdigo-aki", ctx) is None
    assert check("kdigo-aki", ctx, rise_hours="72").stage == 1


def test_a_zero_saved_by_mistake_is_no_baseline():
    assert check("kdigo-aki", creatinine("90", (1 * DAY, "0"))) is None


def test_acute_kidney_injury_replaces_the_bsr_rise_and_keeps_the_ctcae_grade():
    found = kept(creatinine("140", (1 * DAY, "70")))

    assert set(found) == {"kdigo-aki"}
    assert found["kdigo-aki"].grade == 2  # 2 × baseline: CTCAE grade 2 (> 1.5–3.0 × baseline)


def test_a_critical_creatinine_keeps_its_acute_kidney_injury_alert():
    found = kept(creatinine("450", (1 * DAY, "300")))

    assert set(found) == {"critical-value", "kdigo-aki"}
    assert found["kdigo-aki"].stage == 3


# --- BSR creatinine rise over 12 months -------------------------------------------------------


@pytest.mark.parametrize(("value", "raised"), [("130", False), ("130.1", True)])
def test_a_creatinine_rise_above_30_percent_is_a_warning(value, raised):
    finding = check("bsr-creatinine-rise", creatinine(value, (200 * DAY, "100")))

    assert bool(finding) is raised


def test_the_rise_is_measured_from_the_lowest_value_of_the_prior_year():
    ctx = creatinine("110", (300 * DAY, "80"), (30 * DAY, "120"))

    finding = check("bsr-creatinine-rise", ctx)

    assert finding.severity == Severity.WARNING
    assert str(finding.message) == (
        "Creatinine 110 µmol/L is more than 30 % above 80 µmol/L, the lowest value of the prior "
        "365 days (BSR action threshold: withhold and discuss with the specialist team)"
    )


@pytest.mark.parametrize(("before", "raised"), [(365 * DAY, True), (366 * DAY, False)])
def test_the_creatinine_rise_looks_back_365_days(before, raised):
    assert bool(check("bsr-creatinine-rise", creatinine("150", (before, "100")))) is raised


def test_without_an_earlier_creatinine_there_is_no_rise():
    assert check("bsr-creatinine-rise", creatinine("150")) is None


def test_a_clinic_can_change_the_percentage():
    ctx = creatinine("140", (100 * DAY, "100"))

    assert check("bsr-creatinine-rise", ctx, above_percent="50") is None
    assert check("bsr-creatinine-rise", ctx, above_percent="35")


def test_a_slow_rise_raises_the_bsr_alert_instead_of_the_reference_range_alert():
    found = kept(creatinine("95", (200 * DAY, "60"), (100 * DAY, "70")))

    assert set(found) == {"bsr-creatinine-rise"}  # replaces the grade-1 alert too


# --- eGFR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "raised"), [("60", False), ("59.9", True)])
def test_an_egfr_below_60_is_a_warning(value, raised):
    finding = check("bsr-egfr-low", lab("egfr", value))

    assert bool(finding) is raised


def test_a_low_egfr_raises_the_bsr_alert_instead_of_the_reference_range_alert():
    found = kept(lab("egfr", "45"))

    assert set(found) == {"bsr-egfr-low"}
    assert str(found["bsr-egfr-low"].message).startswith(
        "eGFR (CKD-EPI 2021) 45 mL/min/1.73 m² is below 60 mL/min/1.73 m²"
    )


def test_creatinine_reference_is_sex_specific():
    # 100 µmol/L: above the women's ULN 92 (CTCAE grade 1), inside the men's 65–119 (§1.1).
    assert set(kept(creatinine("100", sex="F"))) == {"ctcae-grade"}
    assert kept(creatinine("100", sex="M")) == {}

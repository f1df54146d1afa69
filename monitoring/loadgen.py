"""A synthetic cohort at hospital scale for the benchmark (issue #8): pure functions that plan
each patient's visits and values; `manage.py generate_load_data` writes them in bulk.

Visits follow the monitoring schedule (monitoring/schedule.py DEFAULT_PROTOCOL, from
clinical-reference.md A4): every 14 days until the dose is stable 6 weeks, then every 30 days;
ALP, GGT and uric acid monthly; HbA1c every 90 days. Values are drawn around each analyte's
reference range with a slow personal drift and occasional out-of-range episodes, so alerts,
trends and charts have something to show. Nothing here is clinical advice or real data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from . import formulas
from .schedule import DEFAULT_PROTOCOL, STABLE_AFTER, TESTS

# The tests drawn at a visit, and how often (days once stable).
VISIT_TESTS = ("trough", "blood-count", "kidney", "liver", "glucose", "alp-ggt-urate", "hba1c")
# Only one glucose per visit: the fasting one.
SKIP_ANALYTES = {"glucose-random"}
# A trough episode out of the 6–8 ng/mL target (clinical-reference.md §4.3) in this share of
# visits, and an out-of-range lab value in this share of draws.
TROUGH_EXCURSION_RATE = 0.12
LAB_EXCURSION_RATE = 0.04


@dataclass(frozen=True)
class AnalyteSpec:
    """What the generator needs of an analyte (read once from the database)."""

    code: str
    unit: str
    decimal_places: int
    low: Decimal | None
    high: Decimal | None
    plausible_low: Decimal | None
    plausible_high: Decimal | None


@dataclass(frozen=True)
class PlannedResult:
    code: str
    value: Decimal
    collected_at: dt.datetime
    last_dose_at: dt.datetime | None


def visit_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Visit days from `start` to `end`: every 14 days for the first 6 weeks (A4), then 30."""
    initial, stable = DEFAULT_PROTOCOL["trough"]
    days, day = [], start
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=initial if day - start < STABLE_AFTER else stable)
    return days


def _quantize(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _clamp(value: float, spec: AnalyteSpec) -> float:
    if spec.plausible_low is not None:
        value = max(value, float(spec.plausible_low))
    if spec.plausible_high is not None:
        value = min(value, float(spec.plausible_high))
    return value


def lab_value(spec: AnalyteSpec, rng: random.Random, drift: float) -> Decimal:
    """A value near the middle of the reference range, shifted by the patient's drift (in
    range widths), now and then beyond a limit."""
    low = float(spec.low) if spec.low is not None else None
    high = float(spec.high) if spec.high is not None else None
    if low is None and high is None:
        low, high = 0.0, 1.0
    elif low is None:
        low = high * 0.5
    elif high is None:
        high = low * 1.5
    width = max(high - low, 1e-6)
    middle = (low + high) / 2 + drift * width
    value = rng.gauss(middle, width / 6)
    if rng.random() < LAB_EXCURSION_RATE:
        value = high + width * rng.uniform(0.1, 0.6) if rng.random() < 0.6 else low * 0.8
    return _quantize(max(_clamp(value, spec), 0.0), spec.decimal_places)


def trough_value(rng: random.Random, level: float) -> Decimal:
    """A trough around the patient's usual level, with excursions out of 6–8 ng/mL."""
    value = rng.gauss(level, 0.8)
    if rng.random() < TROUGH_EXCURSION_RATE:
        value = rng.uniform(9.0, 16.0) if rng.random() < 0.5 else rng.uniform(2.5, 5.0)
    return _quantize(max(value, 1.0), 1)


def plan_patient(
    *,
    specs: dict[str, AnalyteSpec],
    start: dt.date,
    end: dt.date,
    rng: random.Random,
    tz: dt.tzinfo,
    age_years: int,
    sex: str,
) -> list[PlannedResult]:
    """Every result of one patient from `start` to `end`, in visit order."""
    drift = {code: rng.uniform(-0.15, 0.15) for code in specs}
    trough_level = rng.uniform(5.5, 8.5)
    last_test_on: dict[str, dt.date] = {}
    planned: list[PlannedResult] = []
    for day in visit_days(start, end):
        # Morning draws, 12 h after the evening dose (twice-daily IR, A3 trough timing).
        collected_at = dt.datetime.combine(
            day, dt.time(7, rng.randrange(30, 60), rng.randrange(60)), tzinfo=tz
        )
        last_dose_at = collected_at - dt.timedelta(hours=12, minutes=rng.randrange(-20, 20))
        for test in VISIT_TESTS:
            initial, stable = DEFAULT_PROTOCOL[test]
            every = initial if day - start < STABLE_AFTER else stable
            previous = last_test_on.get(test)
            if previous is not None and (day - previous).days < every:
                continue
            last_test_on[test] = day
            creatinine = None
            for code in TESTS[test][1]:
                if code in SKIP_ANALYTES or code not in specs:
                    continue
                if code == "tacrolimus":
                    value, dose = trough_value(rng, trough_level), last_dose_at
                elif code == "egfr":
                    if creatinine is None:
                        continue
                    # The eGFR a lab reports beside the creatinine (CKD-EPI 2021, §3.2).
                    value = formulas.egfr_ckd_epi_2021(
                        creatinine_umol_l=creatinine, age_years=age_years, sex=sex
                    )
                    dose = None
                else:
                    value, dose = lab_value(specs[code], rng, drift[code]), None
                    if code == "creatinine":
                        creatinine = value
                planned.append(PlannedResult(code, value, collected_at, dose))
    return planned

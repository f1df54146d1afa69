"""Dose and trough-timing rules over the patient's record (clinical-reference.md A1, A2, §3.3,
§4.1, §4.2): mg/kg/day, a stale weight, a formulation switch, whether the latest trough is a
true trough at steady state, and the variability of the troughs at an unchanged regimen.

State-based RECORD rules: an alert stays while its finding is returned, so messages name dates
rather than "N days ago", which would change the message every day."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .. import formulas
from ..models import format_decimal
from ..models.alerts import Severity
from .base import Event, Finding, PatientContext, RegimenInfo, Setting, TroughInfo, rule

# A1, §4.1: a true trough (C0) is drawn about 12 h after an immediate-release (twice-daily)
# dose, 24 h after an extended-release (once-daily) one; the product accepts 10–14 h / 22–26 h,
# bounds included.
TRUE_TROUGH_HOURS = {
    "IR": (Decimal("10"), Decimal("14")),
    "XR": (Decimal("22"), Decimal("26")),
}
# A1, §4.2: steady state ≥ 3 days after an IR dose change (t½ ≈ 12 h [S38][S17d]), ≈ 7 days for
# XR (Envarsus label [S18]).
STEADY_STATE_DAYS = {"IR": 3, "XR": 7}
# A2: a formulation switch calls for a trough recheck in 7 days.
SWITCH_RECHECK_DAYS = 7

FORMULATION_NAMES = {"IR": "immediate release", "XR": "extended release"}


def _day(at: dt.datetime) -> dt.date:
    """The clinic's calendar day of a moment (datetimes are stored in UTC)."""
    return timezone.localdate(at)


def _regimen(regimen: RegimenInfo) -> str:
    return f"{regimen.product} {format_decimal(regimen.daily_dose_mg)} mg/day"


def _trough(trough: TroughInfo) -> str:
    return f"Tacrolimus trough {format_decimal(trough.value)} ng/mL of {_day(trough.at):%d %b %Y}"


def minutes_after_dose(trough: TroughInfo) -> int | None:
    """Whole minutes from the last dose to the sample, None when the dose time is missing."""
    if trough.last_dose_at is None:
        return None
    return (trough.at - trough.last_dose_at) // dt.timedelta(minutes=1)


def regimen_of(ctx: PatientContext, trough: TroughInfo) -> RegimenInfo | None:
    """The regimen a trough reflects: the one in force on the day of the last dose before the
    sample. A trough drawn the morning a new regimen starts reflects the previous one (the
    doctor often changes the dose that day, after reading it). Without a dose time, the
    regimen of the day it was drawn."""
    taken = trough.at if trough.last_dose_at is None else min(trough.at, trough.last_dose_at)
    return ctx.regimen_on(_day(taken))


def _hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"


# --- Dose -------------------------------------------------------------------------------------


@rule(
    "dose-out-of-range",
    name="Tacrolimus dose outside the mg/kg/day range",
    family="dosing",
    severity=Severity.WARNING,
    source="clinical-reference.md A2, §3.3 (source text 0.10–0.30 mg/kg/day; the 0.30 ceiling "
    "is CPIC's maximum [S38])",
    # A2, §3.3: 0.10–0.30 mg/kg/day, bounds included (formulas.DOSE_RANGE_MG_PER_KG_DAY, which
    # the patient page also uses).
    params={
        "low": str(formulas.DOSE_RANGE_MG_PER_KG_DAY[0]),
        "high": str(formulas.DOSE_RANGE_MG_PER_KG_DAY[1]),
    },
    event=Event.RECORD,
)
def dose_out_of_range(ctx: PatientContext, setting: Setting) -> Finding | None:
    regimen = ctx.regimen_on(ctx.today)
    weight = ctx.weight_on(ctx.today)
    if regimen is None or weight is None:
        return None  # no weight at all: weight-stale says so
    # Judged on the value shown (3 decimals, as on the patient page).
    dose = formulas.mg_per_kg_day(daily_dose_mg=regimen.daily_dose_mg, weight_kg=weight.kg)
    low, high = setting["low"], setting["high"]
    if low <= dose <= high:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"{_regimen(regimen)} is {format_decimal(dose)} mg/kg/day at "
        f"{format_decimal(weight.kg)} kg (weighed {weight.measured_on:%d %b %Y}): outside "
        f"{format_decimal(low)}–{format_decimal(high)} mg/kg/day",
        subject=f"regimen:{regimen.pk}",
    )


@rule(
    "weight-stale",
    name="Weight missing or too old for mg/kg/day",
    family="dosing",
    severity=Severity.WARNING,
    source="clinical-reference.md A2 (warn if the weight is older than 90 days), §3.3",
    # A2: a weight older than 90 days makes mg/kg/day doubtful; exactly 90 days is still fresh.
    params={"max_age_days": str(formulas.WEIGHT_MAX_AGE_DAYS)},
    event=Event.RECORD,
)
def weight_stale(ctx: PatientContext, setting: Setting) -> Finding | None:
    if ctx.regimen_on(ctx.today) is None:
        return None
    weight = ctx.weight_on(ctx.today)
    max_age = int(setting["max_age_days"])
    if weight is None:
        message = "No weight on record: the tacrolimus dose in mg/kg/day cannot be checked"
    elif formulas.weight_is_stale(
        measured_on=weight.measured_on, today=ctx.today, max_age_days=max_age
    ):
        message = (
            f"Latest weight {format_decimal(weight.kg)} kg was measured on "
            f"{weight.measured_on:%d %b %Y}, more than {max_age} days ago: weigh the patient to "
            "check the dose in mg/kg/day"
        )
    else:
        return None
    return Finding(setting.code, setting.severity, message, subject="weight")


@rule(
    "formulation-switch",
    name="Tacrolimus formulation switched (IR ↔ XR)",
    family="dosing",
    severity=Severity.WARNING,
    source="clinical-reference.md A2 (IR and XR are not interchangeable; recheck in 7 days), "
    "§7.6 [S18][S17a]",
    # Kept open for the first 14 days of the new regimen (product default, not a guideline).
    params={"days": "14"},
    event=Event.RECORD,
)
def formulation_switch(ctx: PatientContext, setting: Setting) -> Finding | None:
    regimen = ctx.regimen_on(ctx.today)
    if regimen is None or not regimen.is_formulation_switch:
        return None
    if (ctx.today - regimen.started_on).days > int(setting["days"]):
        return None
    recheck_on = regimen.started_on + dt.timedelta(days=SWITCH_RECHECK_DAYS)
    return Finding(
        setting.code,
        setting.severity,
        f"Formulation switched to {FORMULATION_NAMES[regimen.formulation]} "
        f"({_regimen(regimen)}) on {regimen.started_on:%d %b %Y}: IR and XR are not "
        f"interchangeable; recheck trough in {SWITCH_RECHECK_DAYS} days "
        f"(by {recheck_on:%d %b %Y})",
        subject=f"regimen:{regimen.pk}",
    )


# --- Trough timing ----------------------------------------------------------------------------


@rule(
    "not-true-trough",
    name="Trough not drawn at trough time",
    family="dosing",
    severity=Severity.INFO,
    source="clinical-reference.md A1, §4.1 (C0 ≈ 12 h after an IR dose [S17a], ≈ 24 h after XR; "
    "window 10–14 h / 22–26 h)",
    # A1, §4.1: hours from the last dose, bounds included.
    params={
        "ir_min_hours": str(TRUE_TROUGH_HOURS["IR"][0]),
        "ir_max_hours": str(TRUE_TROUGH_HOURS["IR"][1]),
        "xr_min_hours": str(TRUE_TROUGH_HOURS["XR"][0]),
        "xr_max_hours": str(TRUE_TROUGH_HOURS["XR"][1]),
    },
    event=Event.RECORD,
)
def not_true_trough(ctx: PatientContext, setting: Setting) -> Finding | None:
    if not ctx.troughs:
        return None
    trough = ctx.troughs[-1]
    subject = f"trough:{trough.pk}"
    minutes = minutes_after_dose(trough)
    if minutes is None:
        return Finding(
            setting.code,
            setting.severity,
            f"{_trough(trough)} has no time of last dose: it cannot count as a true trough "
            "(kept, excluded from dose suggestions)",
            subject=subject,
        )
    # The formulation decides the window: that of the regimen the trough reflects.
    regimen = regimen_of(ctx, trough)
    if regimen is None:
        return None
    prefix = regimen.formulation.lower()
    low, high = setting[f"{prefix}_min_hours"], setting[f"{prefix}_max_hours"]
    if low * 60 <= minutes <= high * 60:
        return None
    when = (
        "before the last dose recorded" if minutes < 0 else f"{_hours(minutes)} after the last dose"
    )
    return Finding(
        setting.code,
        setting.severity,
        f"{_trough(trough)} was drawn {when}, outside {format_decimal(low)}–"
        f"{format_decimal(high)} h for {FORMULATION_NAMES[regimen.formulation]}: not a true "
        "trough (kept, excluded from dose suggestions)",
        subject=subject,
    )


@rule(
    "not-steady-state",
    name="Trough drawn before steady state",
    family="dosing",
    severity=Severity.INFO,
    source="clinical-reference.md A1, §4.2 (IR ≥ 3 days after a dose change [S38][S17d]; "
    "XR ≈ 7 days, Envarsus label [S18])",
    # A1, §4.2: whole days from the start of the regimen the trough reflects (a dose change
    # starts a new regimen) to the day of sampling.
    params={"ir_days": str(STEADY_STATE_DAYS["IR"]), "xr_days": str(STEADY_STATE_DAYS["XR"])},
    event=Event.RECORD,
)
def not_steady_state(ctx: PatientContext, setting: Setting) -> Finding | None:
    if not ctx.troughs:
        return None
    trough = ctx.troughs[-1]
    regimen = regimen_of(ctx, trough)
    if regimen is None:
        return None
    needed = int(setting[f"{regimen.formulation.lower()}_days"])
    elapsed = (_day(trough.at) - regimen.started_on).days
    if elapsed >= needed:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"{_trough(trough)} was drawn {elapsed} day{'s' if elapsed != 1 else ''} after "
        f"{_regimen(regimen)} started on {regimen.started_on:%d %b %Y}; "
        f"{FORMULATION_NAMES[regimen.formulation]} needs {needed} days to reach steady state: "
        "not at steady state (kept, excluded from dose suggestions)",
        subject=f"trough:{trough.pk}",
    )


# --- Variability ------------------------------------------------------------------------------


def _is_true_trough_at_steady_state(
    ctx: PatientContext, trough: TroughInfo, regimen: RegimenInfo
) -> bool:
    """Whether `trough` was drawn under `regimen`, in the true-trough window, at steady state.

    Uses the A1 default windows (TRUE_TROUGH_HOURS, STEADY_STATE_DAYS): this rule's settings
    do not carry those of not-true-trough and not-steady-state."""
    day = _day(trough.at)
    in_force = regimen_of(ctx, trough)
    if in_force is None or in_force.pk != regimen.pk:
        return False
    minutes = minutes_after_dose(trough)
    low, high = TRUE_TROUGH_HOURS[regimen.formulation]
    if minutes is None or not low * 60 <= minutes <= high * 60:
        return False
    return (day - regimen.started_on).days >= STEADY_STATE_DAYS[regimen.formulation]


@rule(
    "trough-variability",
    name="Tacrolimus troughs vary widely at an unchanged dose",
    family="dosing",
    severity=Severity.INFO,
    source="clinical-reference.md A1 (CV of the last 3–6 true troughs at an unchanged dose "
    "≥ 30 %; transplant literature uses 25–35 %, unverified here)",
    # A1: coefficient of variation of the last 3 to 6 true troughs; ≥ 30 % is unstable.
    params={"min_count": "3", "max_count": "6", "cv_percent": "30"},
    event=Event.RECORD,
)
def trough_variability(ctx: PatientContext, setting: Setting) -> Finding | None:
    regimen = ctx.regimen_on(ctx.today)
    if regimen is None:
        return None
    troughs = [t for t in ctx.troughs if _is_true_trough_at_steady_state(ctx, t, regimen)]
    troughs = troughs[-int(setting["max_count"]) :]
    if len(troughs) < int(setting["min_count"]):
        return None
    values = [t.value for t in troughs]
    mean = statistics.mean(values)
    if mean <= 0:
        return None
    # Sample standard deviation (n − 1): the troughs are a sample of the patient's exposure,
    # and with 3–6 values the population SD would understate the spread.
    cv = statistics.stdev(values) / mean * 100
    if cv < setting["cv_percent"]:
        return None
    shown = ", ".join(format_decimal(v) for v in values)
    return Finding(
        setting.code,
        setting.severity,
        f"Tacrolimus troughs vary: coefficient of variation "
        f"{cv.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} % over the last {len(values)} "
        f"true troughs at {_regimen(regimen)} ({shown} ng/mL), at or above "
        f"{format_decimal(setting['cv_percent'])} %: unstable exposure, check adherence and "
        "interactions",
        subject="tacrolimus-variability",
    )


def trough_caveat(ctx: PatientContext, trough: TroughInfo) -> str:
    """Why a trough is not a reliable C0, in words for a chart's hover; "" when it is one
    (A1 default windows, as in the variability rule)."""
    regimen = regimen_of(ctx, trough)
    if regimen is None:
        return ""
    minutes = minutes_after_dose(trough)
    if minutes is None:
        return "not a true trough: no time of last dose"
    low, high = TRUE_TROUGH_HOURS[regimen.formulation]
    if not low * 60 <= minutes <= high * 60:
        return f"not a true trough: drawn {_hours(minutes)} after the dose"
    days = (_day(trough.at) - regimen.started_on).days
    if days < STEADY_STATE_DAYS[regimen.formulation]:
        return f"not at steady state: {days} day{'s' if days != 1 else ''} after the dose change"
    return ""

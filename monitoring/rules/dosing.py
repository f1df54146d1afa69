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
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from .. import formulas
from ..models.alerts import Severity
from .base import (
    Event,
    Finding,
    PatientContext,
    RegimenInfo,
    Setting,
    Text,
    TroughInfo,
    decimal,
    on,
    rule,
)

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

FORMULATION_NAMES = {
    "IR": gettext_noop("immediate release"),
    "XR": gettext_noop("extended release"),
}


def _day(at: dt.datetime) -> dt.date:
    """The clinic's calendar day of a moment (datetimes are stored in UTC)."""
    return timezone.localdate(at)


def _regimen(regimen: RegimenInfo) -> Text:
    return Text(
        gettext_noop("%(product)s %(dose)s mg/day"),
        {"product": regimen.product, "dose": decimal(regimen.daily_dose_mg)},
    )


def _trough(trough: TroughInfo) -> Text:
    return Text(
        gettext_noop("Tacrolimus trough %(value)s ng/mL of %(sampled_on)s"),
        {"value": decimal(trough.value), "sampled_on": on(_day(trough.at))},
    )


def _formulation(regimen: RegimenInfo) -> Text:
    return Text(FORMULATION_NAMES[regimen.formulation])


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
    name=_("Tacrolimus dose outside the mg/kg/day range"),
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
        Text(
            gettext_noop(
                "%(regimen)s is %(dose)s mg/kg/day at %(kg)s kg (weighed %(weighed_on)s): outside "
                "%(low)s–%(high)s mg/kg/day"
            ),
            {
                "regimen": _regimen(regimen),
                "dose": decimal(dose),
                "kg": decimal(weight.kg),
                "weighed_on": on(weight.measured_on),
                "low": decimal(low),
                "high": decimal(high),
            },
        ),
        subject=f"regimen:{regimen.pk}",
    )


@rule(
    "weight-stale",
    name=_("Weight missing or too old for mg/kg/day"),
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
        message = Text(
            gettext_noop("No weight on record: the tacrolimus dose in mg/kg/day cannot be checked")
        )
    elif formulas.weight_is_stale(
        measured_on=weight.measured_on, today=ctx.today, max_age_days=max_age
    ):
        message = Text(
            gettext_noop(
                "Latest weight %(kg)s kg was measured on %(measured_on)s, more than %(max_age)s "
                "days ago: weigh the patient to check the dose in mg/kg/day"
            ),
            {
                "kg": decimal(weight.kg),
                "measured_on": on(weight.measured_on),
                "max_age": str(max_age),
            },
        )
    else:
        return None
    return Finding(setting.code, setting.severity, message, subject="weight")


@rule(
    "formulation-switch",
    name=_("Tacrolimus formulation switched (IR ↔ XR)"),
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
        Text(
            gettext_noop(
                "Formulation switched to %(formulation)s (%(regimen)s) on %(started_on)s: IR and "
                "XR are not interchangeable; recheck trough in %(days)s days (by %(recheck_on)s)"
            ),
            {
                "formulation": _formulation(regimen),
                "regimen": _regimen(regimen),
                "started_on": on(regimen.started_on),
                "days": str(SWITCH_RECHECK_DAYS),
                "recheck_on": on(recheck_on),
            },
        ),
        subject=f"regimen:{regimen.pk}",
    )


# --- Trough timing ----------------------------------------------------------------------------


@rule(
    "not-true-trough",
    name=_("Trough not drawn at trough time"),
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
            Text(
                gettext_noop(
                    "%(trough)s has no time of last dose: it cannot count as a true trough (kept, "
                    "excluded from dose suggestions)"
                ),
                {"trough": _trough(trough)},
            ),
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
    if minutes < 0:
        message = gettext_noop(
            "%(trough)s was drawn before the last dose recorded, outside %(low)s–%(high)s h for "
            "%(formulation)s: not a true trough (kept, excluded from dose suggestions)"
        )
    else:
        message = gettext_noop(
            "%(trough)s was drawn %(after)s after the last dose, outside %(low)s–%(high)s h for "
            "%(formulation)s: not a true trough (kept, excluded from dose suggestions)"
        )
    params = {
        "trough": _trough(trough),
        "after": _hours(minutes),  # "14 h 06 min": the same in English and French
        "low": decimal(low),
        "high": decimal(high),
        "formulation": _formulation(regimen),
    }
    return Finding(setting.code, setting.severity, Text(message, params), subject=subject)


@rule(
    "not-steady-state",
    name=_("Trough drawn before steady state"),
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
        Text(
            gettext_noop(
                "%(trough)s was drawn %(elapsed)s after %(regimen)s started on %(started_on)s; "
                "%(formulation)s needs %(needed)s days to reach steady state: not at steady state "
                "(kept, excluded from dose suggestions)"
            ),
            {
                "trough": _trough(trough),
                "elapsed": Text.ngettext("%(count)s day", "%(count)s days", elapsed),
                "regimen": _regimen(regimen),
                "started_on": on(regimen.started_on),
                "formulation": _formulation(regimen),
                "needed": str(needed),
            },
        ),
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
    name=_("Tacrolimus troughs vary widely at an unchanged dose"),
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
    return Finding(
        setting.code,
        setting.severity,
        Text(
            gettext_noop(
                "Tacrolimus troughs vary: coefficient of variation %(cv)s %% over the last "
                "%(count)s true troughs at %(regimen)s (%(values_list)s ng/mL), at or above "
                "%(cv_limit)s %%: unstable exposure, check adherence and interactions"
            ),
            {
                "cv": str(cv.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
                "count": str(len(values)),
                "regimen": _regimen(regimen),
                "values_list": ", ".join(decimal(v) for v in values),
                "cv_limit": decimal(setting["cv_percent"]),
            },
        ),
        subject="tacrolimus-variability",
    )


def trough_caveat(ctx: PatientContext, trough: TroughInfo) -> str:
    """Why a trough is not a reliable C0, in words for a chart's hover; "" when it is one
    (A1 default windows, as in the variability rule)."""
    regimen = regimen_of(ctx, trough)
    if regimen is None:
        return ""
    minutes = minutes_after_dose(trough)
    # Read when a page is drawn, so in the reader's language.
    if minutes is None:
        return gettext("not a true trough: no time of last dose")
    low, high = TRUE_TROUGH_HOURS[regimen.formulation]
    if not low * 60 <= minutes <= high * 60:
        return gettext("not a true trough: drawn %(time)s after the dose") % {
            "time": _hours(minutes)
        }
    days = (_day(trough.at) - regimen.started_on).days
    if days < STEADY_STATE_DAYS[regimen.formulation]:
        return ngettext(
            "not at steady state: %(count)s day after the dose change",
            "not at steady state: %(count)s days after the dose change",
            days,
        ) % {"count": days}
    return ""

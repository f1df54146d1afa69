"""Dose suggestion by the proportional rule (clinical-reference.md A2, §3.4): a pure function
that shows its reasoning, or says why it offers nothing. Never applied automatically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext, gettext_noop, pgettext

from . import formulas
from .models import format_decimal
from .rules import dosing
from .rules.base import PatientContext, Setting

# At most this change per step (A2: "capped at ±50 % per step"; §3.4 caveat 6).
CAP_PERCENT = Decimal("50")
# No suggestion within this many days of an interacting drug started or stopped (A2).
INTERACTION_CHANGE_DAYS = 7
PK_EFFECTS = ("increase", "decrease", "increase-or-decrease")


@dataclass(frozen=True)
class Suggestion:
    offered: bool
    reasoning: list[str] = field(default_factory=list)
    daily_dose_mg: Decimal | None = None
    morning_dose_mg: Decimal | None = None
    evening_dose_mg: Decimal | None = None
    product: str = ""
    strength_mg: Decimal | None = None


def suggest_dose(
    ctx: PatientContext,
    *,
    settings: dict[str, Setting],
    strengths_mg: dict[str, tuple[Decimal, ...]],
) -> Suggestion | None:
    """The suggestion for the latest trough, or None when there is nothing to suggest about
    (no trough, or the latest one is within its target)."""
    if not ctx.troughs:
        return None
    trough = ctx.troughs[-1]
    if trough.target_low <= trough.value <= trough.target_high:
        return None
    refusals = []
    sampled_on = timezone.localdate(trough.at)
    regimen = dosing.regimen_of(ctx, trough)
    if regimen is None:
        return Suggestion(False, [gettext("No regimen was recorded for the day of the sample.")])
    # The rule scales the dose the trough was drawn on: once it has changed, the trough no
    # longer says anything about the current dose.
    current = ctx.regimen_on(ctx.today)
    if current is not None and current.pk != regimen.pk:
        refusals.append(
            gettext(
                "The regimen changed after this trough (%(product)s %(dose)s mg/day since "
                "%(since)s): wait for a trough at steady state on it."
            )
            % {
                "product": current.product,
                "dose": _num(current.daily_dose_mg),
                "since": _date(current.started_on),
            }
        )
    for check in (dosing.not_true_trough, dosing.not_steady_state):
        finding = check(ctx, settings[_code(check)])
        if finding is not None and finding.subject == f"trough:{trough.pk}":
            refusals.append(str(finding.message))  # in the reader's language
    since = sampled_on - dt.timedelta(days=INTERACTION_CHANGE_DAYS)
    for medication in ctx.medications:
        if not any(i.effect in PK_EFFECTS for i in medication.interactions):
            continue
        changes = (
            (
                medication.started_on,
                gettext_noop(
                    "%(medication)s, which changes tacrolimus levels, was started on %(on)s: "
                    "wait until its effect is steady."
                ),
            ),
            (
                medication.stopped_on,
                gettext_noop(
                    "%(medication)s, which changes tacrolimus levels, was stopped on %(on)s: "
                    "wait until its effect is steady."
                ),
            ),
        )
        for changed, message in changes:
            if changed and since <= changed <= sampled_on:
                refusals.append(
                    gettext(message) % {"medication": medication.name, "on": _date(changed)}
                )
    if refusals:
        return Suggestion(False, refusals)
    return _proportional(trough=trough, regimen=regimen, strengths_mg=strengths_mg)


def _code(check) -> str:
    return {"not_true_trough": "not-true-trough", "not_steady_state": "not-steady-state"}[
        check.__name__
    ]


def _proportional(*, trough, regimen, strengths_mg) -> Suggestion:
    current = regimen.daily_dose_mg
    middle = (trough.target_low + trough.target_high) / 2
    raw = current * middle / trough.value
    low, high = current * (1 - CAP_PERCENT / 100), current * (1 + CAP_PERCENT / 100)
    capped = min(max(raw, low), high)
    intakes = 2 if regimen.formulation == "IR" else 1
    strengths = strengths_mg.get(regimen.product, ())
    if not strengths:
        return Suggestion(
            False,
            [gettext("The strengths of %(product)s are not known.") % {"product": regimen.product}],
        )
    rounded = formulas.round_to_strengths(
        daily_dose_mg=capped, strengths_mg=strengths, intakes_per_day=intakes
    )
    numbers = {
        "product": regimen.product,
        "current": _num(current),
        "value": _num(trough.value),
        "low": _num(trough.target_low),
        "high": _num(trough.target_high),
        "middle": _num(middle),
        "raw": _num(_mg(raw)),
        "capped": _num(_mg(capped)),
        "cap": _num(CAP_PERCENT),
        "strengths": pgettext("separator of numbers in alert texts", ", ").join(
            _num(s) for s in strengths
        ),
        "rounded": _num(rounded),
    }
    reasoning = [
        gettext("Current dose %(current)s mg/day (%(product)s).") % numbers,
        gettext(
            "Measured trough %(value)s ng/mL; target %(low)s–%(high)s ng/mL, "
            "midpoint %(middle)s ng/mL."
        )
        % numbers,
        gettext("Proportional rule: %(current)s × %(middle)s / %(value)s = %(raw)s mg/day.")
        % numbers,
    ]
    if capped != raw:
        reasoning.append(gettext("Capped at ±%(cap)s %% per step: %(capped)s mg/day.") % numbers)
    if intakes == 2:
        rounded_text = gettext(
            "Rounded to what %(strengths)s mg units allow twice daily: %(rounded)s mg/day."
        )
    else:
        rounded_text = gettext(
            "Rounded to what %(strengths)s mg units allow once daily: %(rounded)s mg/day."
        )
    reasoning.append(rounded_text % numbers)
    if rounded == current:
        reasoning.append(gettext("That is the current dose: no change is suggested."))
        return Suggestion(False, reasoning)
    per_intake = rounded / intakes
    reasoning.append(
        gettext(
            "Caveats: check adherence, timing of the sample, interacting drugs, food, "
            "haematocrit and diarrhoea before changing (§3.4). This is a suggestion for the "
            "doctor, never applied automatically."
        )
    )
    return Suggestion(
        True,
        reasoning,
        daily_dose_mg=rounded,
        morning_dose_mg=per_intake,
        evening_dose_mg=per_intake if intakes == 2 else None,
        product=regimen.product,
        strength_mg=min(strengths),
    )


def _mg(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> str:
    """A number as the reasoning shows it, in the active language: '7.1', « 7,1 »."""
    return format_decimal(value).replace(".", get_format("DECIMAL_SEPARATOR"))


def _date(day: dt.date) -> str:
    """A date as alert texts show it: '05 Mar 2026', « 5 mars 2026 »."""
    return date_format(day, pgettext("date in alert texts", "d M Y"))

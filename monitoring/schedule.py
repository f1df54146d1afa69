"""The monitoring schedule (clinical-reference.md A4, BSR/BHPR 2017 [S45]): when each test is
next due for a patient, and why. Pure functions over plain data; no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from .rules.base import Text

# Test groups: which analytes count as having done the test. The names are marked for
# translation but stay English here (they reach stored alert texts): templates translate them
# with {% translate due.name %}.
TESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "trough": (gettext_noop("Tacrolimus trough"), ("tacrolimus",)),
    "blood-count": (
        gettext_noop("Blood count"),
        ("haemoglobin", "wbc", "neutrophils", "lymphocytes", "platelets"),
    ),
    "kidney": (gettext_noop("Creatinine and eGFR"), ("creatinine", "egfr")),
    "liver": (gettext_noop("ALT and AST"), ("alt", "ast")),
    "glucose": (gettext_noop("Glucose"), ("glucose-fasting", "glucose-random")),
    "alp-ggt-urate": (
        gettext_noop("Alkaline phosphatase, GGT, uric acid"),
        ("alkaline-phosphatase", "ggt", "uric-acid"),
    ),
    "hba1c": (gettext_noop("HbA1c"), ("hba1c",)),
}

# (days between tests while starting or after a dose increase, days once stable), A4: every
# 2 weeks until the dose has been stable 6 weeks, then monthly; ALP/GGT/urate monthly ("the
# source text: regularly"); HbA1c every 3 months (unverified here).
DEFAULT_PROTOCOL: dict[str, tuple[int, int]] = {
    "trough": (14, 30),
    "blood-count": (14, 30),
    "kidney": (14, 30),
    "liver": (14, 30),
    "glucose": (14, 30),
    "alp-ggt-urate": (30, 30),
    "hba1c": (90, 90),
}
# The dose counts as stable 6 weeks after the last start or increase (A4, [S45]).
STABLE_AFTER = dt.timedelta(weeks=6)
# A trough recheck is due this long after a dose change, a formulation switch or an
# interacting drug started or stopped (A4: "3–7 days"; §4.2); an interaction may ask sooner.
RECHECK_AFTER_CHANGE = dt.timedelta(days=7)
# A test this close before the start of treatment is its baseline (A4: "baseline before or at
# start"; the window is a design choice to confirm with the clinical lead).
BASELINE_BEFORE_START = dt.timedelta(days=30)
# Overdue by this much more, the alert becomes urgent (A4).
ESCALATE_AFTER = dt.timedelta(days=14)


def test_of(analyte_code: str) -> str | None:
    for test, (_, codes) in TESTS.items():
        if analyte_code in codes:
            return test
    return None


@dataclass(frozen=True)
class Change:
    """Something after which a trough recheck is due: a dose change, a formulation switch,
    an interacting drug started or stopped."""

    on: dt.date
    what: str | Text  # "the dose change", or a Text to show it in the reader's language
    recheck_days: int | None = None


@dataclass(frozen=True)
class Due:
    test: str
    name: str
    due_on: dt.date
    reason: str  # in English, as stored alert texts and tests read it
    # The same reason for the reader's language (None: show `reason` as it is).
    reason_text: Text | None = None

    @property
    def shown_reason(self) -> str:
        return str(self.reason_text) if self.reason_text is not None else self.reason

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.due_on).days

    def is_overdue(self, today: dt.date) -> bool:
        return today > self.due_on


def due_dates(
    *,
    today: dt.date,
    treatment_start: dt.date | None,
    last_increase: dt.date | None,
    last_done: dict[str, dt.date],
    changes: tuple[Change, ...] = (),
    repeat_orders: tuple[tuple[str, dt.date, dt.date], ...] = (),
    protocol: dict[str, tuple[int, int]] | None = None,
) -> list[Due]:
    """When each test is next due. No treatment (no regimen), no schedule."""
    # Imported here: monitoring.models imports this module, and rules.base sits after models.
    from .rules.base import Text

    if treatment_start is None:
        return []
    protocol = {**DEFAULT_PROTOCOL, **(protocol or {})}
    settling_since = max(d for d in (treatment_start, last_increase) if d)
    is_settling = today - settling_since < STABLE_AFTER
    dues = []
    for test, (initial_days, stable_days) in protocol.items():
        if test not in TESTS:
            continue
        name = TESTS[test][0]
        done = last_done.get(test)
        if done is None or done < treatment_start - BASELINE_BEFORE_START:
            due, reason = treatment_start, Text(gettext_noop("baseline at the start of treatment"))
        else:
            days = initial_days if is_settling else stable_days
            if is_settling:
                reason = Text.ngettext(
                    "every %(count)s day (until the dose is stable 6 weeks)",
                    "every %(count)s days (until the dose is stable 6 weeks)",
                    days,
                )
            else:
                reason = Text.ngettext(
                    "every %(count)s day (dose stable)", "every %(count)s days (dose stable)", days
                )
            due = done + dt.timedelta(days=days)
        if test == "trough":
            for change in changes:
                # A trough taken since answers the change; one of the same day does not: it
                # is usually the one that prompted the change, drawn before the new dose.
                if done is not None and change.on < done:
                    continue
                after = (
                    dt.timedelta(days=change.recheck_days)
                    if change.recheck_days
                    else RECHECK_AFTER_CHANGE
                )
                if change.on + after < due:
                    due = change.on + after
                    reason = Text(gettext_noop("recheck after %(what)s"), {"what": change.what})
        # (test, ordered on, due on): an order is met by a test done on a later day; the test
        # of the day it was made is usually the one that prompted it.
        for ordered_test, ordered_on, ordered_due in repeat_orders:
            if ordered_test == test and (done is None or done <= ordered_on) and ordered_due < due:
                due, reason = ordered_due, Text(gettext_noop("repeat test ordered by the doctor"))
        dues.append(Due(test, name, due, reason.english(), reason))
    return sorted(dues, key=lambda d: d.due_on)

"""The rule engine's vocabulary: rule definitions, per-clinic settings, findings, and the plain
data the rules read. Rules are pure functions registered with `@rule`; no database here."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

from ..catalogue.analytes import BY_CODE, Range
from ..models.alerts import Severity


class Event:
    """Which rules run when (issue #4: whatever the entry path).

    RESULT rules judge one new result (event-based: each out-of-range result raises or merges).
    RECORD rules judge the patient's whole record as it stands (state-based: an alert exists
    while its condition holds, is not raised again once acknowledged, and is resolved when the
    condition clears); they run after every save and in the periodic overdue check."""

    RESULT = "result"
    RECORD = "record"


@dataclass(frozen=True)
class RuleDef:
    code: str
    name: str
    family: str
    severity: Severity
    source: str  # guideline and section, e.g. "BSR/BHPR 2017 [S45]; clinical-reference.md A3"
    params: dict[str, Decimal] = field(default_factory=dict)
    # Less specific rules that this one replaces when both fire on the same subject (a trough
    # of 16 raises "far above target", not also "above target"): one alert, no noise.
    supersedes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setting:
    """A rule as one clinic runs it: its own severity, parameters and version."""

    code: str
    severity: Severity
    params: dict[str, Decimal]
    version: int = 1
    is_enabled: bool = True

    def __getitem__(self, name: str) -> Decimal:
        return self.params[name]


# --- Texts: a rule's message as data, rendered in the reader's language (issue #5) ---------------

# A canonical decimal as rules store numbers: "7.1", "-3", "140" (no exponent, no grouping).
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Text:
    """A message kept as data so that it can be stored and rendered later in any language.

    `msgid` is an English %-format template marked with gettext_noop (so makemessages extracts
    it; a literal % is written %%). `params` are plain data, typed by this convention:
    - key "analyte": an analyte code, shown as the catalogue name in the active language;
    - key ending in "_on": an ISO date ("2026-03-05"), shown as a date in the active language;
    - key ending in "_list": numbers joined by ", " ("6.1, 8"), shown each as a number below
      and joined by the language's separator ("6,1 ; 8" in French, where "," is the decimal);
    - key ending in "_text": an English catalogue text marked with gettext_noop where it is
      written (an interaction's effect or action), shown translated as a whole, never
      %-formatted (it may hold a bare "%": "AUC +21 %");
    - a Text (stored as {"msgid": ..., "params": ...}): a fragment translated on its own;
    - a canonical decimal string ("7.1", "140"): a number, shown with the language's decimal
      separator and the same decimal places ("7,1" in French);
    - anything else (a unit label, a medicine's name as typed): shown as it is.
    `plural` (with a "count" param) makes it a plural pair; build those with Text.ngettext.
    `str(text)` renders it in the active language."""

    msgid: str
    params: dict = field(default_factory=dict)
    plural: str = ""

    @classmethod
    def ngettext(cls, singular: str, plural: str, count: int) -> Text:
        """A plural pair counted by `count` (named after gettext's ngettext so that
        makemessages extracts the pair)."""
        return cls(singular, {"count": str(count)}, plural)

    def __str__(self) -> str:
        return render_text(self.msgid, self.params, plural=self.plural)

    def english(self) -> str:
        """The text in English, as stored in Alert.message."""
        with translation.override("en"):
            return str(self)

    def to_json(self) -> dict:
        """Plain JSON data (Alert.message_params holds nested texts this way)."""
        data = {"msgid": self.msgid, "params": params_to_json(self.params)}
        if self.plural:
            data["plural"] = self.plural
        return data

    @classmethod
    def from_json(cls, data: dict) -> Text:
        return cls(data["msgid"], data.get("params", {}), data.get("plural", ""))


def params_to_json(params: dict) -> dict:
    return {
        key: value.to_json() if isinstance(value, Text) else value for key, value in params.items()
    }


def analyte_name(code: str) -> str:
    """The catalogue name of an analyte in the active language (no database query)."""
    analyte = BY_CODE.get(code)
    if analyte is None:
        return code
    return analyte.name_fr if translation.get_language() == "fr" else analyte.name_en


def _localized(key: str, value) -> str:
    """One param as shown in the active language (the convention of Text)."""
    if isinstance(value, dict):
        value = Text.from_json(value)
    if isinstance(value, Text):
        return str(value)
    return _localized_scalar(translation.get_language(), key, str(value))


# A page of alerts renders the same analyte names, dates and numbers again and again, and
# Django's format lookups dominate the cost (issue #8): remember them per language. What
# they depend on besides the language (catalogues, format settings) is fixed while the
# process runs; tests that override settings clear the cache (setting_changed below).
@functools.lru_cache(maxsize=4096)
def _localized_scalar(language: str | None, key: str, value: str) -> str:
    if key == "analyte":
        return analyte_name(value)
    if key.endswith("_on"):
        # Translators choose the date format: "05 Mar 2026" in English, "5 mars 2026" in French.
        return date_format(dt.date.fromisoformat(value), pgettext("date in alert texts", "d M Y"))
    if key.endswith("_text"):
        return gettext(value)
    if key.endswith("_list"):
        separator = pgettext("separator of numbers in alert texts", ", ")
        return separator.join(_number(item) for item in value.split(", "))
    return _number(value)


@receiver(setting_changed)
def _clear_text_cache(**kwargs) -> None:
    _localized_scalar.cache_clear()


def _number(value: str) -> str:
    """A canonical decimal with the language's separator and the same decimal places."""
    if _DECIMAL.fullmatch(value):
        return number_format(Decimal(value), decimal_pos=len(value.partition(".")[2]))
    return value


def render_text(msgid: str, params: dict, *, plural: str = "") -> str:
    """The message `msgid` with its `params` in the active language (see Text)."""
    shown = {key: _localized(key, value) for key, value in params.items()}
    template = ngettext(msgid, plural, int(params["count"])) if plural else gettext(msgid)
    return template % shown


def decimal(value: Decimal) -> str:
    """A number as a Text param: '7.1', '12' (like models.format_decimal)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def on(day: dt.date) -> str:
    """A date as a Text param (key ending in "_on")."""
    return day.isoformat()


# An alert reopened after a correction of its result keeps its message and says why.
REOPENED = gettext_noop("%(message)s — Reopened: %(what)s after it was acknowledged.")


@dataclass(frozen=True)
class Finding:
    """What a rule found. `subject` says what it is about (an analyte code, "medication:12"),
    so that repeats about the same thing merge into one open alert."""

    rule_code: str
    severity: Severity
    message: Text
    subject: str = ""
    grade: int | None = None  # CTCAE grade
    stage: int | None = None  # KDIGO AKI stage


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    value: Decimal


@dataclass(frozen=True)
class LabContext:
    """One new result and what the lab rules need around it (all values canonical unit)."""

    analyte_code: str
    analyte_name: str
    unit: str  # as shown, e.g. "µmol/L"
    value: Decimal
    at: dt.datetime
    sex: str  # "F" or "M"
    reference: Range  # the lab's own range when given, else the sex-specific default
    is_critical: bool
    history: tuple[Point, ...] = ()  # earlier valid results of this analyte, oldest first
    target_low: Decimal | None = None  # tacrolimus: the band in force at sampling time
    target_high: Decimal | None = None

    @property
    def shown(self) -> str:
        from ..models import format_decimal

        return f"{format_decimal(self.value)} {self.unit}"


@dataclass(frozen=True)
class RegisteredRule:
    definition: RuleDef
    check: Callable
    event: str
    analytes: frozenset[str] | None  # result rules: the analytes they apply to (None = all)


REGISTRY: dict[str, RegisteredRule] = {}


def rule(
    code: str,
    *,
    name: str,
    family: str,
    severity: Severity,
    source: str,
    params: dict[str, str] | None = None,
    event: str = Event.RESULT,
    analytes: tuple[str, ...] | None = None,
    supersedes: tuple[str, ...] = (),
):
    """Register a rule function with its default settings (a clinic may change them)."""

    def register(check: Callable) -> Callable:
        if code in REGISTRY:
            raise ValueError(f"Rule {code} is registered twice")
        definition = RuleDef(
            code=code,
            name=name,
            family=family,
            severity=severity,
            source=source,
            params={key: Decimal(value) for key, value in (params or {}).items()},
            supersedes=supersedes,
        )
        REGISTRY[code] = RegisteredRule(
            definition, check, event, frozenset(analytes) if analytes else None
        )
        return check

    return register


def default_setting(code: str) -> Setting:
    definition = REGISTRY[code].definition
    return Setting(code=code, severity=definition.severity, params=dict(definition.params))


def most_specific(findings: list[Finding]) -> list[Finding]:
    """Drop the findings that another finding on the same subject supersedes, provided the
    replacing finding is at least as severe (a tuned threshold never hides a worse grade)."""

    def replaces(other: Finding, finding: Finding) -> bool:
        return (
            other is not finding
            and finding.rule_code in REGISTRY[other.rule_code].definition.supersedes
            and other.subject == finding.subject
            and other.severity >= finding.severity
        )

    kept = []
    for finding in findings:
        if any(replaces(other, finding) for other in findings):
            continue
        # The CTCAE grade of a replaced finding stays on the alert that replaces it (A3).
        grades = [f.grade for f in findings if f.grade and replaces(finding, f)]
        if grades and finding.grade is None:
            finding = replace(finding, grade=max(grades))
        kept.append(finding)
    return kept


# --- The patient-level context of the record rules ---------------------------------------------


@dataclass(frozen=True)
class RegimenInfo:
    pk: int
    product: str
    formulation: str  # "IR" (twice daily) or "XR" (once daily)
    daily_dose_mg: Decimal
    started_on: dt.date
    ended_on: dt.date | None
    is_formulation_switch: bool


@dataclass(frozen=True)
class WeightInfo:
    kg: Decimal
    measured_on: dt.date


@dataclass(frozen=True)
class TroughInfo:
    pk: int
    at: dt.datetime
    value: Decimal
    last_dose_at: dt.datetime | None
    target_low: Decimal
    target_high: Decimal


@dataclass(frozen=True)
class InteractionInfo:
    code: str
    ingredient: str
    effect: str  # "increase", "decrease", "increase-or-decrease", "kidney-toxicity", ...
    effect_text: str
    severity: str  # "avoid", "major", "moderate", "minor"
    action: str
    recheck_days: int | None


@dataclass(frozen=True)
class MedicationInfo:
    pk: int
    name: str
    started_on: dt.date
    stopped_on: dt.date | None
    interactions: tuple[InteractionInfo, ...] = ()


@dataclass(frozen=True)
class AllergyInfo:
    pk: int
    substance: str
    allergy_class: str
    is_contraindication: bool


@dataclass(frozen=True)
class VaccinationInfo:
    pk: int
    name: str
    state: str  # "given" or "planned"
    date: dt.date
    is_live: bool


@dataclass(frozen=True)
class ReproductiveInfo:
    pk: int
    kind: str  # "pregnant" or "breastfeeding"
    started_on: dt.date
    ended_on: dt.date | None


@dataclass(frozen=True)
class SymptomInfo:
    pk: int
    kind: str
    started_on: dt.date
    is_neurotoxicity: bool
    entered_at: dt.datetime


@dataclass(frozen=True)
class EcgInfo:
    pk: int
    recorded_at: dt.datetime
    qtc_ms: int
    qtc_method: str  # "fridericia" or "bazett": trends never mix methods (§2.4)


@dataclass(frozen=True)
class PatientContext:
    """Everything the record rules read about one patient, oldest first in every tuple.
    Built by services.alerts.patient_context; rules never touch the database."""

    sex: str
    age: int
    now: dt.datetime
    today: dt.date
    regimens: tuple[RegimenInfo, ...] = ()
    weights: tuple[WeightInfo, ...] = ()
    troughs: tuple[TroughInfo, ...] = ()  # valid tacrolimus troughs
    medications: tuple[MedicationInfo, ...] = ()
    allergies: tuple[AllergyInfo, ...] = ()
    vaccinations: tuple[VaccinationInfo, ...] = ()
    reproductive: tuple[ReproductiveInfo, ...] = ()
    symptoms: tuple[SymptomInfo, ...] = ()
    ecgs: tuple[EcgInfo, ...] = ()
    # When each monitoring test is next due (monitoring/schedule.py, A4).
    dues: tuple = ()

    def regimen_on(self, day: dt.date) -> RegimenInfo | None:
        """The regimen in force on `day`."""
        for regimen in reversed(self.regimens):
            if regimen.started_on <= day and (regimen.ended_on is None or regimen.ended_on > day):
                return regimen
        return None

    def weight_on(self, day: dt.date) -> WeightInfo | None:
        """The latest weight measured on or before `day`."""
        earlier = [w for w in self.weights if w.measured_on <= day]
        return earlier[-1] if earlier else None

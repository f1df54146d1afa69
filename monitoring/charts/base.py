"""What every figure shares: the point dataclasses, colours, wording and small helpers.

Wording is looked up with gettext when a figure is built (never at import), so a figure speaks
the language active for the request. Hover text (values and dates) is written here in Python
with Django's localized formats: plotly would format dates and decimals in English.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import dateformat
from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

# Colour-blind-safe palette (Okabe–Ito): blue for in target, vermilion for out of target.
IN_COLOUR = "#0072B2"
OUT_COLOUR = "#D55E00"
# Critical values: the same vermilion hue darkened, drawn bigger with a black outline, so they
# read as "more out of range" without needing a new hue.
CRITICAL_COLOUR = "#8F3A00"
DOSE_COLOUR = "#CC79A7"  # Okabe–Ito reddish purple
EVENT_COLOUR = "#555555"
REF_LINE_COLOUR = "#555555"
TREND_COLOUR = "#8a8f98"
BAND_COLOUR = "rgba(0, 158, 115, 0.18)"
BAND_EDGE = "rgba(0, 158, 115, 0.6)"

# Lazy: compared with trace names in tests and views, turned into text when a figure is built.
CAVEAT_NAME = _("Not a true trough / not at steady state")
CLIPPED_NAME = _("Beyond the axis (true value in hover)")
# Each point's hover carries its own text (value, unit, time) written in the active language.
HOVER_TEXT = "%{text}"
# Plotly's own interface (the modebar's tooltips) stays in English: it has no locale loaded.
CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def config() -> dict:
    """Plotly's config for the active language. Plotly ships English month names only, so for
    another language the page registers a locale built from Django's own names (charts.js
    reads `locale_format`). English stays plotly's built-in: re-registering it breaks plotly."""
    language = get_language() or "en"
    return CONFIG if language.startswith("en") else {**CONFIG, "locale": language}


def locale_format() -> dict:
    """Month and day names for plotly's date axes, in the active language; the short months
    are those of our short dates (tdm_tracker/formats: "juil." in French, "Jul" in English)."""
    return copy.deepcopy(_locale_format(get_language()))


@functools.lru_cache(maxsize=8)
def _locale_format(language: str | None) -> dict:
    short = "N" if "N" in get_format("SHORT_DATE_FORMAT") else "M"
    months = [dt.date(2001, month, 1) for month in range(1, 13)]
    sunday_first = [dt.date(2001, 1, 7) + dt.timedelta(days=k) for k in range(7)]
    return {
        "months": [date_format(d, "F") for d in months],
        "shortMonths": [date_format(d, short) for d in months],
        "days": [date_format(d, "l") for d in sunday_first],
        "shortDays": [date_format(d, "D") for d in sunday_first],
        "decimal": get_format("DECIMAL_SEPARATOR"),
        "thousands": get_format("THOUSAND_SEPARATOR"),
    }


def range_selector() -> dict:
    return {
        "x": 0,
        "y": 1,
        "yanchor": "bottom",
        "buttons": [
            {
                "count": 3,
                "label": gettext("3 months"),
                "step": "month",
                "stepmode": "backward",
            },
            {"count": 1, "label": gettext("1 year"), "step": "year", "stepmode": "backward"},
            {"label": gettext("All"), "step": "all"},
        ],
    }


def separators() -> str:
    """Plotly's decimal and thousands separators for the active language (axis ticks)."""
    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}"


@dataclass(frozen=True)
class TroughPoint:
    at: dt.datetime
    value: Decimal
    unit: str
    low: Decimal  # the target band in force at sampling time
    high: Decimal
    # Why this value is not a true steady-state trough (e.g. "Sampled 4 h after the dose",
    # "Only 2 days after a dose change"); such points are drawn hollow, off the trend line.
    caveat: str = ""

    @property
    def position(self) -> str:
        if self.value < self.low:
            return "below"
        if self.value > self.high:
            return "above"
        return "in"


@dataclass(frozen=True)
class BandStep:
    starts_at: dt.datetime
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class DoseStep:
    """A tacrolimus dose in force from `starts_at` until the next step."""

    starts_at: dt.datetime
    daily_mg: Decimal
    mg_per_kg: Decimal | None  # per day; None when no weight is on record
    label: str  # e.g. "Prograf 2 mg + 1.5 mg"


@dataclass(frozen=True)
class EventMarker:
    """A moment worth a vertical line: a formulation switch, an interacting drug started..."""

    at: dt.datetime
    label: str


@dataclass(frozen=True)
class LabPoint:
    at: dt.datetime
    value: Decimal
    low: Decimal | None  # the lab's own reference range for this sample
    high: Decimal | None
    flag: str = ""  # "", "L", "H", "LL", "HH" as the lab reported it
    caveat: str = ""  # e.g. "Haemolysed sample": drawn hollow with the reason in the hover

    @property
    def effective_flag(self) -> str:
        """The lab's flag; when it sent none, the position against its own range."""
        if self.flag:
            return self.flag
        if self.low is not None and self.value < self.low:
            return "L"
        if self.high is not None and self.value > self.high:
            return "H"
        return ""


@dataclass(frozen=True)
class RefLine:
    value: Decimal
    label: str  # e.g. "Prolonged (men)" for QTc 450 ms; may be lazy (translated when drawn)


@dataclass(frozen=True)
class AnalyteSeries:
    name: str
    unit: str
    points: Sequence[LabPoint]
    lines: Sequence[RefLine] = ()


def _x(when: dt.datetime, tz: dt.tzinfo) -> str:
    # Local wall-clock time without offset: plotly shows it as written.
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _when(when: dt.datetime, tz: dt.tzinfo) -> str:
    """A hover date in the active language: '5 Feb 2026 07:45', '5 Fév 2026 07:45'."""
    return datetime_formatter("j M Y H:i")(when.astimezone(tz))


# --- Dates and numbers for thousands of points (issue #8) -----------------------------------
# A five-year chart page formats ~2,000 dates and numbers; Django's date_format and
# number_format look up the language's formats and names on every call. These give the same
# text, with the names and formats looked up once per language. Catalogues and format
# settings are fixed while the process runs; tests that override settings clear the caches.

# The specifiers datetime_formatter writes itself, as str.format fields of (value, names of
# its month); any other letter goes to Django.
_DATE_FIELDS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}
_MONTH_NAMES = ("M", "N", "F", "b", "E")


@functools.lru_cache(maxsize=32)
def _datetime_formatter(language: str | None, format_name: str):
    # The format itself may depend on the language (SHORT_DATETIME_FORMAT): resolve it.
    fmt = get_format(format_name) if format_name.isupper() else format_name
    template = []
    for char in fmt:
        if char in _DATE_FIELDS:
            template.append(_DATE_FIELDS[char])
        elif char in _MONTH_NAMES:
            template.append(f"{{1[{char}]}}")
        elif char.isalpha() or char == "\\":
            # Escapes and rarer specifiers (weekday names, am/pm...): Django's own formatter.
            return functools.partial(dateformat.format, format_string=fmt)
        else:
            template.append(char.replace("{", "{{").replace("}", "}}"))
    template = "".join(template)
    months = [
        {spec: dateformat.format(dt.date(2001, month, 1), spec) for spec in _MONTH_NAMES}
        for month in range(1, 13)
    ]
    return lambda value: template.format(value, months[value.month - 1])


def datetime_formatter(format_name: str):
    """A function that formats a datetime as Django's date_format(value, format_name) does in
    the active language (the value already in the wall-clock time to show)."""
    return _datetime_formatter(get_language(), format_name)


@functools.lru_cache(maxsize=4096)
def _localized_number(language: str | None, text: str) -> str:
    return number_format(Decimal(text))


@receiver(setting_changed)
def _clear_format_caches(**kwargs) -> None:
    _datetime_formatter.cache_clear()
    _localized_number.cache_clear()
    _locale_format.cache_clear()


def _text(label) -> str:
    # Plotly renders hover and annotation text as a small HTML subset: show labels as written.
    return escape(str(label), quote=False)


def _number(value: Decimal | float) -> str:
    return f"{float(value):g}"


def _local_number(value: Decimal | float) -> str:
    """A number as people of the active language write it: 7.1 → '7,1' in French."""
    if not isinstance(value, Decimal):
        value = Decimal(_number(value))
    text = f"{value:f}"
    if "." in text:  # 7.100000 → 7.1: the stored scale is not a precision
        text = text.rstrip("0").rstrip(".")
    return _localized_number(get_language(), text)


def _hover(value: Decimal | float, unit: str, when: dt.datetime, tz, *extra: str) -> str:
    """One point's hover: the value with its unit, the time, then any extra lines."""
    lines = [f"{_local_number(value)} {_text(unit)}", _when(when, tz), *extra]
    return "<br>".join(line for line in lines if line)


def figure_size_bytes(figure: dict) -> int:
    """The size of the figure as compact JSON, to check a chart against its payload budget.

    `json_script` adds a space after separators, so the page carries a few percent more.
    """
    return len(json.dumps(figure, separators=(",", ":")).encode())

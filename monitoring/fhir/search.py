"""Search parameters: read from the query string, checked, and turned into filters.

Anything a search does not understand is a SearchError (400 with an OperationOutcome): a
client that misspells a parameter must not get every result as if it had not filtered.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from ..models import Analyte
from .resources import ANALYTE_SYSTEM, LOINC

DEFAULT_COUNT = 50
MAX_COUNT = 500
# Parameters any search accepts: paging, and the format (JSON is the only one).
COMMON = {"_count", "_offset", "_format"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


class SearchError(Exception):
    """A search the server cannot run as asked; the message says which parameter and why."""


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def check_names(query: QueryDict, allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed - COMMON)
    if unknown:
        raise SearchError(
            _("Unknown search parameter %(names)s (this server supports %(supported)s).")
            % {"names": ", ".join(unknown), "supported": ", ".join(sorted(allowed | COMMON))}
        )
    wanted = query.get("_format", "json")
    if wanted not in JSON_FORMATS:
        raise SearchError(_("Only JSON is served (_format=json)."))


def values(query: QueryDict, name: str) -> list[str]:
    """Every value of a parameter, repeated or comma-separated (FHIR's OR)."""
    found = []
    for raw in query.getlist(name):
        parts = [part.strip() for part in raw.split(",")]
        if not all(parts):
            raise SearchError(_("%(name)s has an empty value.") % {"name": name})
        found.extend(parts)
    return found


def page(query: QueryDict) -> Page:
    count = _whole_number(query, "_count", DEFAULT_COUNT)
    offset = _whole_number(query, "_offset", 0)
    # A larger page is served as the largest one (FHIR lets the server reduce _count).
    return Page(count=min(count, MAX_COUNT), offset=offset)


def _whole_number(query: QueryDict, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise SearchError(
            _("%(name)s must be a whole number of 0 or more, not “%(value)s”.")
            % {"name": name, "value": raw}
        )
    return int(raw)


def patient_ids(query: QueryDict, name: str = "patient") -> list[int] | None:
    """The patient ids a search names (`Patient/12` or `12`), or None when it names none."""
    if name not in query:
        return None
    ids = []
    for value in values(query, name):
        number = value.removeprefix("Patient/")
        if not number.isdigit():
            raise SearchError(
                _("%(name)s must be Patient/<id> or <id>, not “%(value)s”.")
                % {"name": name, "value": value}
            )
        ids.append(int(number))
    return ids


def tokens(query: QueryDict, name: str) -> list[tuple[str | None, str]]:
    """Token values as (system, code): `system|code`, `|code` (no system) or `code` (any
    system, given as None)."""
    found = []
    for value in values(query, name):
        if "|" in value:
            system, _bar, code = value.partition("|")
            found.append((system, code))
        else:
            found.append((None, value))
    return found


def analyte_filter(codes: list[tuple[str | None, str]]) -> Q:
    """LabResults of the analytes these codes name: a LOINC (ours or a mapped alternative),
    our analyte code, or a lab code mapped with its system. One subquery, no query now."""
    wanted = Q(pk__in=[])
    for system, code in codes:
        if not code:
            raise SearchError(_("code needs a code after the system."))
        mapped = Q(code_mappings__code__iexact=code)
        if system is None or system == "":
            wanted |= Q(loinc__iexact=code) | Q(code__iexact=code) | mapped
        elif system == LOINC:
            wanted |= Q(loinc__iexact=code) | (mapped & Q(code_mappings__system__in=["", "LN"]))
        elif system == ANALYTE_SYSTEM:
            wanted |= Q(code__iexact=code)
        else:
            wanted |= mapped & Q(code_mappings__system__iexact=system)
    return Q(analyte__in=Analyte.objects.filter(wanted).values("pk"))


# A FHIR date or dateTime: 2026, 2026-03, 2026-03-05, 2026-03-05T08:30[:00[.000]][Z|+01:00].
_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
PREFIXES = ("eq", "ge", "le", "gt", "lt")


def date_filter(query: QueryDict, name: str, field: str) -> Q:
    """The `date` parameter: each value a prefix (eq by default) and a date or datetime, all
    ANDed. A date stands for its whole day (in TIME_ZONE); `ge2026-03-05` starts at its
    midnight, `le2026-03-05` ends at the next one."""
    condition = Q()
    for raw in query.getlist(name):
        value = raw.strip()
        prefix = value[:2] if value[:2].isalpha() else "eq"
        text = value[2:] if value[:2].isalpha() else value
        if prefix not in PREFIXES:
            raise SearchError(
                _("%(name)s: the prefix “%(prefix)s” is not supported (use %(prefixes)s).")
                % {"name": name, "prefix": prefix, "prefixes": ", ".join(PREFIXES)}
            )
        start, end = _date_range(name, text)
        if prefix == "eq":
            condition &= Q(**{f"{field}__gte": start, f"{field}__lt": end})
        elif prefix == "ge":
            condition &= Q(**{f"{field}__gte": start})
        elif prefix == "gt":
            condition &= Q(**{f"{field}__gte": end})
        elif prefix == "le":
            condition &= Q(**{f"{field}__lt": end})
        else:
            condition &= Q(**{f"{field}__lt": start})
    return condition


def _date_range(name: str, text: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [start, end) a date or datetime stands for."""
    match = _DATE.match(text)
    try:
        if not match:
            raise ValueError
        year, month, day = match["year"], match["month"], match["day"]
        local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        if match["time"]:
            time = match["time"]
            start = dt.datetime.fromisoformat(f"{year}-{month}-{day}T{time}{match['zone'] or ''}")
            if start.tzinfo is None:
                start = start.replace(tzinfo=local)
            # A time stands for its minute, its second, or (with a fraction) that instant.
            if "." in time:
                step = dt.timedelta(microseconds=1)
            elif time.count(":") == 2:
                step = dt.timedelta(seconds=1)
            else:
                step = dt.timedelta(minutes=1)
            return start, start + step
        first = dt.date(int(year), int(month or 1), int(day or 1))
        if day:
            after = first + dt.timedelta(days=1)
        elif month:
            after = (first + dt.timedelta(days=32)).replace(day=1)
        else:
            after = first.replace(year=first.year + 1)
        return (
            dt.datetime.combine(first, dt.time(), tzinfo=local),
            dt.datetime.combine(after, dt.time(), tzinfo=local),
        )
    except ValueError:
        raise SearchError(
            _(
                "%(name)s: “%(value)s” is not a date (2026-03-05) or a date and time "
                "(2026-03-05T08:30:00+01:00)."
            )
            % {"name": name, "value": text}
        ) from None


def status_values(query: QueryDict, allowed: list[str]) -> list[str] | None:
    if "status" not in query:
        return None
    wanted = values(query, "status")
    unknown = [value for value in wanted if value not in allowed]
    if unknown:
        raise SearchError(
            _("status “%(value)s” is not one of %(allowed)s.")
            % {"value": unknown[0], "allowed": ", ".join(allowed)}
        )
    return wanted


def sort_descending(query: QueryDict, allowed: str = "date") -> bool:
    """`_sort=-date` (the default) or `_sort=date`."""
    wanted = query.get("_sort", f"-{allowed}").strip()
    if wanted not in (allowed, f"-{allowed}"):
        raise SearchError(
            _("_sort “%(value)s” is not supported (use %(allowed)s or -%(allowed)s).")
            % {"value": wanted, "allowed": allowed}
        )
    return wanted.startswith("-")

"""Read a CSV file of lab results into typed rows, and check them against the database.

Two steps, so a dry run and a real import see exactly the same rows:
- `read_csv(data)`: bytes → `CsvRow`s (text as in the file, with its line number); refuses
  files that are too large, not UTF-8, or lack a required column.
- `validate_rows(rows, clinic=...)`: `CsvRow`s → `ImportRow`s (patient, analyte, value, unit,
  times), reading the database only. Every bad row is reported, not just the first.

Implausible values are refused here, unlike in the entry form: nobody is at hand to confirm
them, so the lab must be asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..forms.results import CLOCK_TOLERANCE, parse_decimal, validate_against_analyte
from ..models import Analyte, AnalyteUnit, Clinic, Patient, display_unit, format_decimal
from ..services import find_duplicates
from .codes import AnalyteIndex, find_unit

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

# Header names (case-insensitive) → field; `loinc` may also be sent as `code`.
COLUMNS = {
    "mrn": "mrn",
    "loinc": "code",
    "code": "code",
    "analyte code": "code",
    "value": "value",
    "unit": "unit",
    "collected_at": "collected_at",
    "last_dose_at": "last_dose_at",
    "comment": "comment",
}
REQUIRED = ("mrn", "code", "value", "unit", "collected_at")


class ImportFileError(Exception):
    """The file cannot be imported; `errors` lists every reason, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class CsvRow:
    """One data row as text, with its line number in the file (the header is line 1)."""

    line: int
    mrn: str
    code: str
    value: str
    unit: str
    collected_at: str
    last_dose_at: str = ""
    comment: str = ""


@dataclass(frozen=True)
class ImportRow:
    """A checked row, ready for services.record_result. `value` is in `unit`."""

    line: int
    patient: Patient
    analyte: Analyte
    value: Decimal
    unit: AnalyteUnit
    collected_at: dt.datetime
    last_dose_at: dt.datetime | None
    comment: str

    @property
    def canonical_value(self) -> Decimal:
        return self.unit.to_canonical(self.value)

    @property
    def canonical_shown(self) -> Decimal:
        """The value as it will be shown once saved: as sent in the canonical unit, else
        converted at the analyte's precision (6.1 mg/dL uric acid → 363 µmol/L), as
        LabResult.value_display shows it."""
        if self.unit.code == self.analyte.unit:
            return self.value
        places = Decimal(1).scaleb(-self.analyte.decimal_places)
        return self.canonical_value.quantize(places, rounding=ROUND_HALF_EVEN)

    def describe(self) -> str:
        """One line for a dry run: MRN, analyte, value in the canonical unit, sample time."""
        shown = f"{self.canonical_shown:f} {display_unit(self.analyte.unit)}"
        if self.unit.code != self.analyte.unit:
            shown += f" ({format_decimal(self.value)} {self.unit.label})"
        at = timezone.localtime(self.collected_at)
        return f"{self.patient.mrn}  {self.analyte.display_name}  {shown}  {at:%Y-%m-%d %H:%M %Z}"


def read_csv(data: bytes) -> list[CsvRow]:
    """Parse the file: UTF-8 with or without BOM, comma or semicolon separated."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            [
                _("The file is larger than %(limit)s MB: split it into smaller files.")
                % {"limit": MAX_BYTES // (1024 * 1024)}
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            [_("The file is not UTF-8 text: save it from the spreadsheet as “CSV UTF-8”.")]
        ) from error
    if "\x00" in text:
        # Never text from a spreadsheet; PostgreSQL cannot even look such a value up.
        raise ImportFileError(
            [_("The file contains NUL characters, so it is not CSV text: export it again.")]
        )
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    # French spreadsheets separate with ";" because "," is their decimal mark.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    if header is None:
        raise ImportFileError([_("The file is empty.")])
    fields = [COLUMNS.get(name.strip().casefold()) for name in header]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise ImportFileError(
            [
                _(
                    "The header row lacks the column(s) %(missing)s. Expected: mrn, loinc (or "
                    "code), value, unit, collected_at, and optionally last_dose_at, comment."
                )
                % {"missing": ", ".join(missing)}
            ]
        )
    rows: list[CsvRow] = []
    errors: list[str] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of an export
        if len(rows) + len(errors) >= MAX_ROWS:
            raise ImportFileError(
                [
                    _("The file has more than %(limit)s rows: split it into smaller files.")
                    % {"limit": MAX_ROWS}
                ]
            )
        if len(cells) > len(header):
            errors.append(_line(reader.line_num, _("more cells than columns in the header row.")))
            continue
        values = {field: cell.strip() for field, cell in zip(fields, cells, strict=False) if field}
        rows.append(CsvRow(line=reader.line_num, **{f: values.get(f, "") for f in _FIELDS}))
    if errors:
        raise ImportFileError(errors)
    if not rows:
        raise ImportFileError([_("The file has a header row but no results.")])
    return rows


_FIELDS = ("mrn", "code", "value", "unit", "collected_at", "last_dose_at", "comment")


def validate_rows(rows: list[CsvRow], *, clinic: Clinic) -> list[ImportRow]:
    """Check every row against the clinic's patients, the analytes and their units, and the
    results already recorded. Reads the database only; raises ImportFileError with every
    bad row, or returns all rows typed."""
    patients = {
        p.mrn: p for p in Patient.objects.filter(clinic=clinic, mrn__in={row.mrn for row in rows})
    }
    analytes = AnalyteIndex()
    checked: list[ImportRow] = []
    # Every row's reasons, in the order of `checked`; a duplicate of a recorded result is
    # looked for after the loop, for the whole file in one query.
    reasons_of: list[list[str]] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        reasons = []
        patient = patients.get(row.mrn)
        if patient is None:
            reasons.append(
                _("no patient with MRN “%(mrn)s” in %(clinic)s.")
                % {"mrn": row.mrn, "clinic": clinic.name}
            )
        analyte = analytes.find(row.code)
        if analyte is None:
            reasons.append(_("unknown LOINC or analyte code “%(code)s”.") % {"code": row.code})
        value = unit = None
        try:
            value = parse_decimal(row.value)
        except ValidationError as error:
            reasons.extend(error.messages)
        if analyte is not None:
            unit = find_unit(analyte, row.unit)
            if unit is None:
                reasons.append(
                    _(
                        "the unit “%(unit)s” is not accepted for %(analyte)s; "
                        "use one of: %(allowed)s."
                    )
                    % {
                        "unit": row.unit,
                        "analyte": analyte.display_name,
                        "allowed": ", ".join(u.label for u in analyte.units.all()),
                    }
                )
        collected_at = _parse_time(row.collected_at, _("sample time"), reasons, required=True)
        last_dose_at = _parse_time(row.last_dose_at, _("last dose time"), reasons)
        if collected_at and last_dose_at and last_dose_at > collected_at:
            reasons.append(_("the last dose is after the sample time."))
        if patient and collected_at and collected_at.date() < patient.date_of_birth:
            reasons.append(_("the sample time is before the patient's date of birth."))
        if analyte and value is not None and unit is not None:
            reasons.extend(import_value_problems(analyte, value, unit))
        if patient and analyte and collected_at:
            key = (patient.pk, analyte.pk, collected_at)
            if key in seen:
                reasons.append(
                    _("the same result as line %(line)s (patient, test and sample time).")
                    % {"line": seen[key]}
                )
            seen.setdefault(key, row.line)
        reasons_of.append(reasons)
        checked.append(
            ImportRow(
                line=row.line,
                patient=patient,
                analyte=analyte,
                value=value,
                unit=unit,
                collected_at=collected_at,
                last_dose_at=last_dose_at,
                comment=row.comment,
            )
        )
    recorded = find_duplicates(
        (row.patient, row.analyte, row.collected_at)
        for row in checked
        if row.patient and row.analyte and row.collected_at
    )
    errors: list[str] = []
    for row, reasons in zip(checked, reasons_of, strict=True):
        if row.patient and row.analyte and row.collected_at:
            existing = recorded.get((row.patient.pk, row.analyte.pk, row.collected_at))
            if existing:
                reasons.append(
                    _("%(analyte)s at this sample time is already recorded (%(value)s).")
                    % {"analyte": row.analyte.display_name, "value": existing.value_display}
                )
        errors.extend(_line(row.line, reason) for reason in reasons)
    if errors:
        raise ImportFileError(errors)
    return checked


def _line(number: int, reason: str) -> str:
    return _("Line %(line)s: %(reason)s") % {"line": number, "reason": reason}


def _parse_time(text: str, what: str, reasons: list[str], *, required: bool = False):
    """An ISO 8601 date and time; naive times are in settings.TIME_ZONE."""
    if not text:
        if required:
            reasons.append(_("the %(what)s is missing.") % {"what": what})
        return None
    try:
        # A date alone (10 characters) has no time: a trough cannot be judged without one.
        value = dt.datetime.fromisoformat(text) if len(text) > 10 else None
    except ValueError:
        value = None
    if value is None:
        reasons.append(
            _("the %(what)s “%(text)s” is not an ISO 8601 date and time (e.g. 2026-01-05 08:00).")
            % {"what": what, "text": text}
        )
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    if value > timezone.now() + CLOCK_TOLERANCE:
        reasons.append(_("the %(what)s is in the future.") % {"what": what})
        return None
    return value


def import_value_problems(analyte: Analyte, value: Decimal, unit: AnalyteUnit) -> list[str]:
    canonical = unit.to_canonical(value)
    try:
        validate_against_analyte(canonical, analyte)
    except ValidationError as error:
        return error.messages
    if not analyte.is_plausible(canonical):
        return [
            _(
                "%(value)s %(unit)s is not a plausible %(analyte)s value; an import cannot be "
                "confirmed, so check it with the lab and enter it in the form if it is right."
            )
            % {"value": format_decimal(value), "unit": unit.label, "analyte": analyte.display_name}
        ]
    return []

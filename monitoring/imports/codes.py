"""What every import path shares (CSV, HL7, FHIR, the unmatched-results queue): finding our
analyte for a lab's code, our unit for a lab's spelling, and reading a value that may be
censored ("<2.0")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..forms.results import parse_decimal
from ..models import Analyte, AnalyteUnit, CodeMapping, Comparator


class AnalyteIndex:
    """Analytes by LOINC, by our own code and by mapped codes (CodeMapping): two queries,
    then lookups in memory, so an import of many rows does not query per row."""

    def __init__(self) -> None:
        self.by_code: dict[str, Analyte] = {}
        for analyte in Analyte.objects.prefetch_related("units"):
            self.by_code[analyte.code.casefold()] = analyte
            if analyte.loinc:
                self.by_code[analyte.loinc.casefold()] = analyte
        by_id = {analyte.pk: analyte for analyte in self.by_code.values()}
        self.mapped: dict[tuple[str, str], Analyte] = {
            (m.code.casefold(), m.system.casefold()): by_id[m.analyte_id]
            for m in CodeMapping.objects.all()
            if m.analyte_id in by_id
        }

    def find(self, code: str, system: str = "") -> Analyte | None:
        """Our analyte for `code`: a mapping for this coding system first, then a mapping for
        any system, then our LOINC and analyte codes."""
        code, system = code.strip().casefold(), system.strip().casefold()
        if not code:
            return None
        return (
            (self.mapped.get((code, system)) if system else None)
            or self.mapped.get((code, ""))
            or self.by_code.get(code)
        )


def find_unit(analyte: Analyte, spelling: str) -> AnalyteUnit | None:
    """The accepted unit spelt `spelling` (its UCUM code, label or an alias), ignoring case.

    `analyte.units` should be prefetched (AnalyteIndex does)."""
    wanted = _normalise_unit(spelling)
    for unit in analyte.units.all():
        if wanted in {_normalise_unit(s) for s in (unit.code, unit.label, *unit.aliases)}:
            return unit
    return None


def _normalise_unit(spelling: str) -> str:
    # "µ" has two code points (micro sign, Greek mu); labs also write "u" or "mc".
    return spelling.strip().casefold().replace("\u00b5", "u").replace("\u03bc", "u")


# "<2.0", "< 2,0", ">=40", "≤ 0.5": a comparator, then a number.
_CENSORED = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*(.+)$")
_SYMBOLS = {"≤": "<=", "≥": ">="}


def parse_lab_value(text: str) -> tuple[str, Decimal]:
    """Read a sent value into (comparator, number): "7.1" → ("", 7.1); "<2.0" → ("<", 2.0).

    Raises ValidationError with a readable message for anything else."""
    match = _CENSORED.match(text)
    if match:
        comparator = _SYMBOLS.get(match.group(1), match.group(1))
        return comparator, parse_decimal(match.group(2))
    return Comparator.EXACT, parse_decimal(text)


def parse_structured_numeric(components: list[str]) -> tuple[str, Decimal]:
    """HL7 SN (structured numeric): comparator ^ num1 ^ separator ^ num2.

    "<^2.0" is a censored value; "^7.1" a plain one. Ratios and ranges ("1^:^128",
    "2^-^5") are not single measured values and are refused."""
    parts = [*components, "", "", "", ""][:4]
    comparator, number, separator, second = (part.strip() for part in parts)
    if separator or second:
        raise ValidationError(
            _("“%(value)s” is a ratio or a range, not a single measured value.")
            % {"value": "^".join(components)}
        )
    if comparator not in {"", "<", ">", "<=", ">=", "="}:
        raise ValidationError(
            _("“%(comparator)s” is not a comparator (use <, >, <=, >= or =).")
            % {"comparator": comparator}
        )
    try:
        value = parse_decimal(number)
    except ValidationError:
        raise
    except InvalidOperation as error:  # pragma: no cover - parse_decimal refuses first
        raise ValidationError(_("Enter a number such as 7.1.")) from error
    return ("" if comparator == "=" else comparator), value

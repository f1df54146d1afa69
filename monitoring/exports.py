"""CSV downloads: every export goes through `csv_response`, which escapes formulas.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (OWASP "CSV
injection"): a comment `=HYPERLINK(...)` typed by anyone would run on the doctor's machine.
Text cells that start with one of these (or with a tab or carriage return, which some
spreadsheets strip before looking) get a leading `'`. Numbers are written as numbers: -2 is
a value, not a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone, translation

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per chunk of a streamed download.
ROWS_PER_CHUNK = 200


def safe_cell(value) -> str:
    """One cell as text: numbers as numbers, datetimes in ISO 8601 with their offset, text
    with a leading `'` when a spreadsheet would read it as a formula.

    Decimals are written in plain notation as given (never 1E+2): pass `value.normalize()`
    to drop trailing zeros."""
    if type(value) is str:  # most cells: tested first (a download has ~15 cells a row)
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields each row."""

    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list, rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV download streamed row by row: `rows` may be a queryset iterator of a million
    results without holding them in memory. Every cell, the header too, goes through
    safe_cell. `filename` gets today's date: results-DR-1001 → results-DR-1001-2026-01-05.csv.
    """
    writer = csv.writer(_Echo())
    # The rows are written after the view has returned: keep its language for the texts.
    language = translation.get_language()

    def lines():
        with translation.override(language):
            yield writer.writerow([safe_cell(cell) for cell in header])
            # Sent in blocks of rows: a chunk per row costs more than the row (issue #8).
            block = []
            for row in rows:
                block.append(writer.writerow([safe_cell(cell) for cell in row]))
                if len(block) == ROWS_PER_CHUNK:
                    yield "".join(block)
                    block = []
            if block:
                yield "".join(block)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{timezone.localdate().isoformat()}.csv"'
    )
    # Health data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response

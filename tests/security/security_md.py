"""Reading SECURITY.md's tables, so that tests keep the document and the code in step."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

MATRIX_HEADING = "## Who may do what"


def _text() -> str:
    return (Path(settings.BASE_DIR) / "SECURITY.md").read_text(encoding="utf-8")


def matrix_rows() -> dict[tuple[str, str], dict[str, str]]:
    """The object-access matrix: (URL name, method) → persona → "ok", a status or "login"."""
    section = _text().split(MATRIX_HEADING, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        _label, url_name, method, *answers = cells
        rows[(url_name, method)] = dict(zip(header[3:], answers, strict=True))
    return rows


def listed_routes() -> set[str]:
    """The routes of the URL table, written `/route`."""
    return set(re.findall(r"^\| `/([^`]*)` \|", _text(), flags=re.MULTILINE))

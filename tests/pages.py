"""Reading what a page shows: its chart data, its script tags and its form rows."""

import json
import re
from html import unescape

FIGURE = re.compile(r'<script id="trough-figure" type="application/json">(.*?)</script>', re.S)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)


def figure_in(html: str) -> dict:
    """The trough figure a page hands to charts.js (its json_script element)."""
    return json.loads(FIGURE.search(html).group(1))


def plotted_values(figure: dict) -> list[float]:
    """Every trough drawn as a marker, lowest first."""
    return sorted(y for trace in figure["data"] if trace["mode"] == "markers" for y in trace["y"])


def inline_scripts(html: str) -> list[str]:
    """Script tags that run code written in the page (not a src file, not JSON data)."""
    return [
        tag
        for tag in SCRIPT_TAG.findall(html)
        if "src=" not in tag and "application/json" not in tag
    ]


def beside(page: str, name: str) -> str:
    """The text of the form row that holds the field `name` (a panel row or a crispy field)."""
    for block in re.split(r'(?=<div class="panel-row|<div id="div_id_)', page):
        if f'name="{name}"' in block:
            return unescape(block)
    raise AssertionError(f"no field {name} on the page")

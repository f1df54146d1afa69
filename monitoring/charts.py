"""Charts as pure functions: plain data in, a plotly figure dict out.

The dicts are handed to the page with `json_script` and drawn by static/js/charts.js, so no
template ever holds a script. Building dicts directly (not plotly.graph_objects) keeps this fast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# Colour-blind-safe pair (Okabe–Ito): blue for in target, vermilion for out of target.
IN_COLOUR = "#0072B2"
OUT_COLOUR = "#D55E00"
BAND_COLOUR = "rgba(0, 158, 115, 0.18)"
BAND_EDGE = "rgba(0, 158, 115, 0.6)"


@dataclass(frozen=True)
class TroughPoint:
    at: dt.datetime
    value: Decimal
    unit: str
    low: Decimal  # the target band in force at sampling time
    high: Decimal

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


def _x(when: dt.datetime, tz: dt.tzinfo) -> str:
    # Local wall-clock time without offset: plotly shows it as written.
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _points_trace(points: list[TroughPoint], tz, *, name, colour, symbol, unit) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [_x(p.at, tz) for p in points],
        "y": [float(p.value) for p in points],
        "marker": {
            "color": colour,
            "symbol": symbol,
            "size": 11,
            "line": {"color": "#ffffff", "width": 1},
        },
        "hovertemplate": f"%{{y}} {unit}<br>%{{x|%d %b %Y %H:%M}}<extra>{name}</extra>",
    }


def trough_figure(
    points: list[TroughPoint],
    bands: list[BandStep],
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
    unit: str = "ng/mL",
) -> dict:
    """Troughs over time on the target band, stepped where the target changed.

    Points outside the band differ by colour *and* shape (triangles up/down), so the chart
    reads without colour vision. `bands` are sorted by start; the first covers the first point.
    """
    points = sorted(points, key=lambda p: p.at)
    start = min([p.at for p in points] + [now]) - dt.timedelta(days=7)
    band_x, band_low, band_high = [], [], []
    for step in sorted(bands, key=lambda b: b.starts_at):
        band_x.append(_x(max(step.starts_at, start), tz))
        band_low.append(float(step.low))
        band_high.append(float(step.high))
    if band_x:
        band_x.append(_x(now, tz))
        band_low.append(band_low[-1])
        band_high.append(band_high[-1])
    band_hover = f"Target %{{y}} {unit}<extra></extra>"
    data: list[dict] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Target band (low)",
            "showlegend": False,
            "x": band_x,
            "y": band_low,
            "line": {"shape": "hv", "width": 1, "color": BAND_EDGE},
            "hovertemplate": band_hover,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Target band",
            "x": band_x,
            "y": band_high,
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "line": {"shape": "hv", "width": 1, "color": BAND_EDGE},
            "hovertemplate": band_hover,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Trend",
            "showlegend": False,
            "x": [_x(p.at, tz) for p in points],
            "y": [float(p.value) for p in points],
            "line": {"color": "#8a8f98", "width": 1.5},
            "hoverinfo": "skip",
        },
        _points_trace(
            [p for p in points if p.position == "in"],
            tz,
            name="In target",
            colour=IN_COLOUR,
            symbol="circle",
            unit=unit,
        ),
        _points_trace(
            [p for p in points if p.position == "above"],
            tz,
            name="Above target",
            colour=OUT_COLOUR,
            symbol="triangle-up",
            unit=unit,
        ),
        _points_trace(
            [p for p in points if p.position == "below"],
            tz,
            name="Below target",
            colour=OUT_COLOUR,
            symbol="triangle-down",
            unit=unit,
        ),
    ]
    top = max([float(p.value) for p in points] + band_high + [1.0])
    return {
        "data": data,
        "layout": {
            "height": 380,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 20},
            "hovermode": "closest",
            "legend": {"orientation": "h", "y": -0.12, "x": 0},
            "xaxis": {
                "type": "date",
                "rangeselector": {
                    "buttons": [
                        {"count": 3, "label": "3 months", "step": "month", "stepmode": "backward"},
                        {"count": 1, "label": "1 year", "step": "year", "stepmode": "backward"},
                        {"label": "All", "step": "all"},
                    ]
                },
            },
            "yaxis": {
                "title": {"text": f"Tacrolimus trough ({unit})"},
                "range": [0, round(top * 1.15, 1)],
                "rangemode": "tozero",
            },
            "plot_bgcolor": "#ffffff",
            "paper_bgcolor": "#ffffff",
        },
        "config": {
            "responsive": True,
            "displaylogo": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        },
    }

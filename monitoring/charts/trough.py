"""Tacrolimus troughs on the stepped target band, with the daily dose beneath."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext

from .base import (
    BAND_COLOUR,
    BAND_EDGE,
    CAVEAT_NAME,
    DOSE_COLOUR,
    EVENT_COLOUR,
    IN_COLOUR,
    OUT_COLOUR,
    TREND_COLOUR,
    BandStep,
    DoseStep,
    EventMarker,
    TroughPoint,
    _hover,
    _local_number,
    _text,
    _when,
    _x,
    config,
    locale_format,
    range_selector,
    separators,
)


def _points_trace(points: list[TroughPoint], tz, *, name, colour, symbol, unit) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [_x(p.at, tz) for p in points],
        "y": [float(p.value) for p in points],
        "text": [_hover(p.value, unit, p.at, tz) for p in points],
        "marker": {
            "color": colour,
            "symbol": symbol,
            "size": 11,
            "line": {"color": "#ffffff", "width": 1},
        },
        "hovertemplate": f"%{{text}}<extra>{name}</extra>",
    }


_OPEN_SYMBOL = {"in": "circle-open", "above": "triangle-up-open", "below": "triangle-down-open"}


def _caveat_trace(points: list[TroughPoint], tz, *, unit) -> dict:
    """Hollow markers keep the above/below shape; the reason is in the hover."""
    name = str(CAVEAT_NAME)
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [_x(p.at, tz) for p in points],
        "y": [float(p.value) for p in points],
        "customdata": [_text(p.caveat) for p in points],
        "text": [_hover(p.value, unit, p.at, tz, _text(p.caveat)) for p in points],
        "marker": {
            "color": [IN_COLOUR if p.position == "in" else OUT_COLOUR for p in points],
            "symbol": [_OPEN_SYMBOL[p.position] for p in points],
            "size": 11,
            "line": {"width": 2},
        },
        "hovertemplate": f"%{{text}}<extra>{name}</extra>",
    }


def _dose_trace(doses: Sequence[DoseStep], *, start: dt.datetime, now: dt.datetime, tz) -> dict:
    steps = sorted(doses, key=lambda d: d.starts_at)
    # Steps superseded before the chart starts are not drawn; the one in force is, from `start`.
    while len(steps) > 1 and steps[1].starts_at <= start:
        steps.pop(0)
    xs = [_x(max(s.starts_at, start), tz) for s in steps] + [_x(now, tz)]
    ys = [float(s.daily_mg) for s in steps]
    ys.append(ys[-1])
    extra = [
        [_local_number(s.mg_per_kg) if s.mg_per_kg is not None else "—", _text(s.label)]
        for s in steps
    ]
    extra.append(extra[-1])
    per_day, per_kg, since = gettext("mg/day"), gettext("mg/kg/day"), gettext("from %(time)s")
    texts = [
        "<br>".join(
            [
                f"{_local_number(s.daily_mg)} {per_day}",
                f"{kg} {per_kg}",
                label,
                since % {"time": _when(max(s.starts_at, start), tz)},
            ]
        )
        for s, (kg, label) in zip(steps, extra, strict=False)
    ]
    texts.append(texts[-1])
    name = gettext("Dose")
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "xaxis": "x",
        "yaxis": "y2",
        "x": xs,
        "y": ys,
        "customdata": extra,
        "text": texts,
        "line": {"shape": "hv", "width": 2, "color": DOSE_COLOUR},
        "marker": {"size": 5, "color": DOSE_COLOUR},
        "hovertemplate": f"%{{text}}<extra>{name}</extra>",
    }


def _event_shapes(markers: Sequence[EventMarker], tz) -> tuple[list[dict], list[dict]]:
    """Dashed vertical lines across every panel, each labelled, the label's hover dated."""
    shapes, annotations = [], []
    for marker in sorted(markers, key=lambda m: m.at):
        x = _x(marker.at, tz)
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": EVENT_COLOUR, "width": 1, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "xref": "x",
                "yref": "paper",
                "x": x,
                "y": 1,
                "xanchor": "left",
                "yanchor": "top",
                "textangle": -90,
                "showarrow": False,
                "text": _text(marker.label),
                "hovertext": f"{_text(marker.label)}<br>{_when(marker.at, tz)}",
                "font": {"size": 10, "color": EVENT_COLOUR},
            }
        )
    return shapes, annotations


def trough_figure(
    points: list[TroughPoint],
    bands: list[BandStep],
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
    unit: str = "ng/mL",
    doses: Sequence[DoseStep] = (),
    markers: Sequence[EventMarker] = (),
) -> dict:
    """Troughs over time on the target band, stepped where the target changed.

    Points outside the band differ by colour *and* shape (triangles up/down), so the chart
    reads without colour vision. `bands` are sorted by start; the first covers the first point.
    Points with a caveat are hollow and left off the trend line: they are not comparable troughs.
    With `doses`, a second panel below shares the time axis and steps the daily dose (mg/day,
    mg/kg/day in the hover). `markers` draw dashed vertical lines across both panels.
    """
    points = sorted(points, key=lambda p: p.at)
    troughs = [p for p in points if not p.caveat]
    caveated = [p for p in points if p.caveat]
    start = min([p.at for p in points] + [now]) - dt.timedelta(days=7)
    band_x, band_low, band_high = [], [], []
    band_text_low, band_text_high = [], []
    target = gettext("Target")
    for step in sorted(bands, key=lambda b: b.starts_at):
        band_x.append(_x(max(step.starts_at, start), tz))
        band_low.append(float(step.low))
        band_high.append(float(step.high))
        band_text_low.append(f"{target} {_local_number(step.low)} {unit}")
        band_text_high.append(f"{target} {_local_number(step.high)} {unit}")
    if band_x:
        band_x.append(_x(now, tz))
        band_low.append(band_low[-1])
        band_high.append(band_high[-1])
        band_text_low.append(band_text_low[-1])
        band_text_high.append(band_text_high[-1])
    band_hover = "%{text}<extra></extra>"
    data: list[dict] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": gettext("Target band (low)"),
            "showlegend": False,
            "x": band_x,
            "y": band_low,
            "text": band_text_low,
            "line": {"shape": "hv", "width": 1, "color": BAND_EDGE},
            "hovertemplate": band_hover,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": gettext("Target band"),
            "x": band_x,
            "y": band_high,
            "text": band_text_high,
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "line": {"shape": "hv", "width": 1, "color": BAND_EDGE},
            "hovertemplate": band_hover,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": gettext("Trend"),
            "showlegend": False,
            "x": [_x(p.at, tz) for p in troughs],
            "y": [float(p.value) for p in troughs],
            "line": {"color": TREND_COLOUR, "width": 1.5},
            "hoverinfo": "skip",
        },
        _points_trace(
            [p for p in troughs if p.position == "in"],
            tz,
            name=gettext("In target"),
            colour=IN_COLOUR,
            symbol="circle",
            unit=unit,
        ),
        _points_trace(
            [p for p in troughs if p.position == "above"],
            tz,
            name=gettext("Above target"),
            colour=OUT_COLOUR,
            symbol="triangle-up",
            unit=unit,
        ),
        _points_trace(
            [p for p in troughs if p.position == "below"],
            tz,
            name=gettext("Below target"),
            colour=OUT_COLOUR,
            symbol="triangle-down",
            unit=unit,
        ),
    ]
    if caveated:
        data.append(_caveat_trace(caveated, tz, unit=unit))
    top = max([float(p.value) for p in points] + band_high + [1.0])
    layout: dict = {
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 20},
        "hovermode": "closest",
        "separators": separators(),
        "legend": {"orientation": "h", "y": -0.12, "x": 0},
        "xaxis": {"type": "date", "rangeselector": range_selector()},
        "yaxis": {
            "title": {"text": gettext("Tacrolimus trough (%(unit)s)") % {"unit": unit}},
            "range": [0, round(top * 1.15, 1)],
            "rangemode": "tozero",
        },
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }
    if doses:
        data.append(_dose_trace(doses, start=start, now=now, tz=tz))
        # One x axis for both panels, drawn under the dose panel: zoom and range buttons move
        # troughs and doses together.
        layout["height"] = 540
        layout["xaxis"]["anchor"] = "y2"
        layout["yaxis"]["domain"] = [0.36, 1]
        layout["yaxis2"] = {
            "title": {"text": gettext("Dose (%(unit)s)") % {"unit": gettext("mg/day")}},
            "domain": [0, 0.26],
            "anchor": "x",
            "rangemode": "tozero",
        }
    if markers:
        layout["shapes"], layout["annotations"] = _event_shapes(markers, tz)
    return {"data": data, "layout": layout, "config": config(), "locale_format": locale_format()}

"""Lab panels: one analyte on its reference range, alone or as small multiples."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext

from .base import (
    BAND_COLOUR,
    BAND_EDGE,
    CAVEAT_NAME,
    CLIPPED_NAME,
    CRITICAL_COLOUR,
    IN_COLOUR,
    OUT_COLOUR,
    REF_LINE_COLOUR,
    TREND_COLOUR,
    AnalyteSeries,
    LabPoint,
    RefLine,
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


@dataclass(frozen=True)
class _Wording:
    """The legend names of one kind of panel, in the language active when it was made."""

    in_range: str
    low: str
    high: str
    critical_low: str
    critical_high: str
    band: str
    caveat: str


def range_wording() -> _Wording:
    return _Wording(
        in_range=gettext("In range"),
        low=gettext("Below range"),
        high=gettext("Above range"),
        critical_low=gettext("Critically low"),
        critical_high=gettext("Critically high"),
        band=gettext("Reference range"),
        caveat=gettext("With a caveat (reason in hover)"),
    )


def target_wording() -> _Wording:
    return _Wording(
        in_range=gettext("In target"),
        low=gettext("Below target"),
        high=gettext("Above target"),
        critical_low=gettext("Critically low"),
        critical_high=gettext("Critically high"),
        band=gettext("Target band"),
        caveat=str(CAVEAT_NAME),
    )


def threshold_wording() -> _Wording:
    return _Wording(
        in_range=gettext("Under threshold"),
        low=gettext("Below range"),
        high=gettext("Above threshold"),
        critical_low=gettext("Critically low"),
        critical_high=gettext("Critically high"),
        band=gettext("Reference range"),
        caveat=gettext("With a caveat (reason in hover)"),
    )


# flag -> (wording attribute, colour, symbol, size, outline)
_FLAG_STYLE = {
    "": ("in_range", IN_COLOUR, "circle", 9, {"color": "#ffffff", "width": 1}),
    "L": ("low", OUT_COLOUR, "triangle-down", 10, {"color": "#ffffff", "width": 1}),
    "H": ("high", OUT_COLOUR, "triangle-up", 10, {"color": "#ffffff", "width": 1}),
    "LL": ("critical_low", CRITICAL_COLOUR, "triangle-down", 15, {"color": "#000000", "width": 2}),
    "HH": ("critical_high", CRITICAL_COLOUR, "triangle-up", 15, {"color": "#000000", "width": 2}),
}


def _axis_range(
    values: list[float], limits: list[float], *, from_zero: bool = True
) -> tuple[float, float, float | None]:
    """(bottom, top, clip_at) for a panel, so one wild value cannot flatten all the others.

    The ceiling is the larger of 3 × the highest reference limit or line and the 95th
    percentile of the values (lower nearest rank, so with few values the single highest can
    still be clipped); with no reference at all, 3 × that percentile. Values above the ceiling
    are drawn at it with an arrow marker whose hover shows the true value: never dropped.
    Low values are not clipped: the axis reaches down to 0 (or the lowest negative value), or
    without `from_zero` (QTc) to just under the lowest value or line.
    """
    upper = max(limits, default=0.0)
    if values:
        ordered = sorted(values)
        percentile = ordered[math.floor(0.95 * (len(ordered) - 1))]
        ceiling = max(3 * upper, percentile) if upper > 0 else 3 * percentile
    else:
        ceiling = 0.0
    clip_at = ceiling if ceiling > 0 and any(v > ceiling for v in values) else None
    shown = [min(v, clip_at) if clip_at is not None else v for v in values]
    top = max([*shown, upper, 0.0]) * 1.1 or 1.0
    if from_zero:
        bottom = min([*shown, *limits, 0.0]) * 1.15
    else:
        lowest = min([*shown, *limits], default=0.0)
        bottom = lowest - 0.1 * (top - lowest)
    return round(bottom, 2), round(top, 2), clip_at


def _lab_panel(
    points: Sequence[LabPoint],
    *,
    title: str,
    unit: str,
    lines: Sequence[RefLine],
    now: dt.datetime,
    tz: dt.tzinfo,
    xa: str,
    ya: str,
    shown_in_legend: set[str],
    wording: _Wording | None = None,
    from_zero: bool = True,
) -> tuple[list[dict], list[dict], list[dict], dict]:
    """The traces, shapes, annotations and y axis of one analyte on axes `xa`/`ya`.

    `unit` is the unit the values are given in: the view converts them to the viewer's units.
    """
    wording = wording or range_wording()
    points = sorted(points, key=lambda p: p.at)
    values = [float(p.value) for p in points]
    limits = [float(p.high) for p in points if p.high is not None]
    limits += [float(p.low) for p in points if p.low is not None]
    limits += [float(line.value) for line in lines]
    bottom, top, clip_at = _axis_range(values, limits, from_zero=from_zero)
    axes = {"xaxis": xa, "yaxis": ya}

    def legend(name: str) -> dict:
        first = name not in shown_in_legend
        shown_in_legend.add(name)
        return {"name": name, "legendgroup": name, "showlegend": first}

    traces: list[dict] = []
    # The band steps where the lab's range changed, from the first sample to now. A one-sided
    # range (upper limit only) fills from 0; a sample without any range leaves a gap.
    band_x: list[str] = []
    band_low: list[float | None] = []
    band_high: list[float | None] = []
    previous = None
    for p in points:
        if (p.low, p.high) == previous:
            continue
        previous = (p.low, p.high)
        band_x.append(_x(p.at, tz))
        if p.low is None and p.high is None:
            band_low.append(None)
            band_high.append(None)
        else:
            band_low.append(float(p.low) if p.low is not None else 0.0)
            band_high.append(float(p.high) if p.high is not None else top)
    if any(v is not None for v in band_high):
        band_x.append(_x(now, tz))
        band_low.append(band_low[-1])
        band_high.append(band_high[-1])
        band_text = [
            f"{wording.band} {_local_number(v)} {_text(unit)}" if v is not None else ""
            for v in band_high
        ]
        hover = "%{text}<extra></extra>"
        edge = {"shape": "hv", "width": 1, "color": BAND_EDGE}
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                **axes,
                "name": f"{wording.band} (low)",
                "showlegend": False,
                "x": band_x,
                "y": band_low,
                "text": [
                    f"{wording.band} {_local_number(v)} {_text(unit)}" if v is not None else ""
                    for v in band_low
                ],
                "line": edge,
                "hovertemplate": hover,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                **axes,
                **legend(wording.band),
                "x": band_x,
                "y": band_high,
                "text": band_text,
                "fill": "tonexty",
                "fillcolor": BAND_COLOUR,
                "line": edge,
                "hovertemplate": hover,
            }
        )

    def shown(value: float) -> float:
        return min(value, clip_at) if clip_at is not None else value

    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            **axes,
            "name": gettext("Trend"),
            "showlegend": False,
            "x": [_x(p.at, tz) for p in points if not p.caveat],
            "y": [shown(float(p.value)) for p in points if not p.caveat],
            "line": {"color": TREND_COLOUR, "width": 1.2},
            "hoverinfo": "skip",
        }
    )
    clipped = [p for p in points if clip_at is not None and float(p.value) > clip_at]
    caveated = [p for p in points if p.caveat and p not in clipped]
    for flag, (attr, colour, symbol, size, outline) in _FLAG_STYLE.items():
        group = [p for p in points if p.effective_flag == flag]
        group = [p for p in group if p not in clipped and not p.caveat]
        if not group:
            continue
        name = getattr(wording, attr)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                **axes,
                **legend(name),
                "x": [_x(p.at, tz) for p in group],
                "y": [float(p.value) for p in group],
                "text": [_hover(p.value, unit, p.at, tz) for p in group],
                "marker": {"color": colour, "symbol": symbol, "size": size, "line": outline},
                # The analyte's name heads every hover: written once here, not in each text.
                "hovertemplate": f"{_text(title)}<br>%{{text}}<extra>{name}</extra>",
            }
        )
    if caveated:
        styles = [_FLAG_STYLE.get(p.effective_flag, _FLAG_STYLE[""]) for p in caveated]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                **axes,
                **legend(wording.caveat),
                "x": [_x(p.at, tz) for p in caveated],
                "y": [float(p.value) for p in caveated],
                "customdata": [_text(p.caveat) for p in caveated],
                "text": [_hover(p.value, unit, p.at, tz, _text(p.caveat)) for p in caveated],
                "marker": {
                    "color": [s[1] for s in styles],
                    "symbol": [f"{s[2]}-open" for s in styles],
                    "size": 11,
                    "line": {"width": 2},
                },
                "hovertemplate": f"{_text(title)}<br>%{{text}}<extra>{wording.caveat}</extra>",
            }
        )
    if clipped:
        clipped_name = str(CLIPPED_NAME)
        beyond = gettext("%(value)s %(unit)s (beyond the axis)")
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                **axes,
                **legend(clipped_name),
                "x": [_x(p.at, tz) for p in clipped],
                "y": [round(clip_at, 2)] * len(clipped),
                "customdata": [[float(p.value), _text(p.caveat)] for p in clipped],
                "text": [
                    "<br>".join(
                        line
                        for line in [
                            _text(title),
                            beyond % {"value": _local_number(p.value), "unit": _text(unit)},
                            _when(p.at, tz),
                            _text(p.caveat),
                        ]
                        if line
                    )
                    for p in clipped
                ],
                "marker": {
                    "color": CRITICAL_COLOUR,
                    "symbol": "arrow-bar-up",
                    "size": 14,
                    "line": {"color": "#000000", "width": 1},
                },
                "hovertemplate": f"%{{text}}<extra>{clipped_name}</extra>",
            }
        )

    shapes, annotations = [], []
    for line in lines:
        y = float(line.value)
        shapes.append(
            {
                "type": "line",
                "xref": f"{xa} domain",
                "x0": 0,
                "x1": 1,
                "yref": ya,
                "y0": y,
                "y1": y,
                "line": {"color": REF_LINE_COLOUR, "width": 1, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "xref": f"{xa} domain",
                "x": 1,
                "xanchor": "right",
                "yref": ya,
                "y": y,
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"{_text(line.label)} ({_local_number(line.value)} {_text(unit)})",
                "font": {"size": 10, "color": REF_LINE_COLOUR},
            }
        )
    yaxis = {
        "title": {"text": f"{_text(title)} ({unit})"},
        "range": [bottom, top],
        "zeroline": bottom < 0,
    }
    return traces, shapes, annotations, yaxis


def _base_layout(height: int) -> dict:
    return {
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 40, "b": 20},
        "hovermode": "closest",
        "separators": separators(),
        "legend": {"orientation": "h", "y": -0.08, "x": 0},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }


def analyte_figure(series: AnalyteSeries, *, now: dt.datetime, tz: dt.tzinfo) -> dict:
    """One analyte over time on the lab's own reference range, stepped where it changed.

    Below/above range points are vermilion triangles down/up; critical (LL/HH) ones are bigger,
    darker and outlined. A value far beyond the bulk is drawn clipped at the top edge with its
    true value in the hover (see `_axis_range`). `series.lines` become dotted labelled lines.
    """
    traces, shapes, annotations, yaxis = _lab_panel(
        series.points,
        title=series.name,
        unit=series.unit,
        lines=series.lines,
        now=now,
        tz=tz,
        xa="x",
        ya="y",
        shown_in_legend=set(),
    )
    layout = _base_layout(380)
    layout["legend"]["y"] = -0.12
    layout["xaxis"] = {"type": "date", "rangeselector": range_selector()}
    layout["yaxis"] = yaxis
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": traces, "layout": layout, "config": config(), "locale_format": locale_format()}


def _axis_key(axis: str, k: int) -> tuple[str, str]:
    """("xaxis2", "x2") for k=2; ("xaxis", "x") for k=1."""
    suffix = "" if k == 1 else str(k)
    return f"{axis}axis{suffix}", f"{axis}{suffix}"


def small_multiples(
    series: Sequence[AnalyteSeries], *, now: dt.datetime, tz: dt.tzinfo, columns: int = 2
) -> dict:
    """A grid of analyte panels (a blood count, liver tests), one per analyte, read row by row.

    Every x axis matches the first, so zooming or a range button moves all panels together.
    """
    columns = max(1, min(columns, len(series) or 1))
    rows = math.ceil(len(series) / columns) or 1
    h_gap, v_gap = 0.08, 0.12 / rows
    width = (1 - (columns - 1) * h_gap) / columns
    height = (1 - (rows - 1) * v_gap) / rows
    layout = _base_layout(60 + 230 * rows)
    layout["legend"]["y"] = -0.3 / rows
    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    seen: set[str] = set()
    for i, one in enumerate(series):
        k = i + 1
        row, col = divmod(i, columns)
        x_key, xa = _axis_key("x", k)
        y_key, ya = _axis_key("y", k)
        traces, panel_shapes, panel_notes, yaxis = _lab_panel(
            one.points,
            title=one.name,
            unit=one.unit,
            lines=one.lines,
            now=now,
            tz=tz,
            xa=xa,
            ya=ya,
            shown_in_legend=seen,
        )
        data += traces
        shapes += panel_shapes
        annotations += panel_notes
        left = col * (width + h_gap)
        top = 1 - row * (height + v_gap)
        xaxis: dict = {"type": "date", "domain": [round(left, 4), round(left + width, 4)]}
        xaxis["anchor"] = ya
        if k == 1:
            xaxis["rangeselector"] = range_selector()
        else:
            xaxis["matches"] = "x"
        yaxis["domain"] = [round(top - height, 4), round(top, 4)]
        yaxis["anchor"] = xa
        yaxis["title"]["font"] = {"size": 11}
        layout[x_key] = xaxis
        layout[y_key] = yaxis
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": data, "layout": layout, "config": config(), "locale_format": locale_format()}

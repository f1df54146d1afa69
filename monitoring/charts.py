"""Charts as pure functions: plain data in, a plotly figure dict out.

The dicts are handed to the page with `json_script` and drawn by static/js/charts.js, so no
template ever holds a script. Building dicts directly (not plotly.graph_objects) keeps this fast.

Every figure keeps to the same conventions: units in every axis title and hover, local wall-clock
times, Okabe–Ito colours, and out-of-range points that differ by colour *and* marker shape.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

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

CAVEAT_NAME = "Not a true trough / not at steady state"
CLIPPED_NAME = "Beyond the axis (true value in hover)"
HOVER_TIME = "%{x|%d %b %Y %H:%M}"

RANGE_SELECTOR = {
    "x": 0,
    "y": 1,
    "yanchor": "bottom",
    "buttons": [
        {"count": 3, "label": "3 months", "step": "month", "stepmode": "backward"},
        {"count": 1, "label": "1 year", "step": "year", "stepmode": "backward"},
        {"label": "All", "step": "all"},
    ],
}
CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


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
    label: str  # e.g. "Prolonged (men)" for QTc 450 ms


@dataclass(frozen=True)
class AnalyteSeries:
    name: str
    unit: str
    points: Sequence[LabPoint]
    lines: Sequence[RefLine] = ()


def _x(when: dt.datetime, tz: dt.tzinfo) -> str:
    # Local wall-clock time without offset: plotly shows it as written.
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _text(label: str) -> str:
    # Plotly renders hover and annotation text as a small HTML subset: show labels as written.
    return escape(label, quote=False)


def _number(value: Decimal | float) -> str:
    return f"{float(value):g}"


def figure_size_bytes(figure: dict) -> int:
    """The size of the figure as compact JSON, to check a chart against its payload budget.

    `json_script` adds a space after separators, so the page carries a few percent more.
    """
    return len(json.dumps(figure, separators=(",", ":")).encode())


# --- Tacrolimus troughs -------------------------------------------------------------------------


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
        "hovertemplate": f"%{{y}} {unit}<br>{HOVER_TIME}<extra>{name}</extra>",
    }


_OPEN_SYMBOL = {"in": "circle-open", "above": "triangle-up-open", "below": "triangle-down-open"}


def _caveat_trace(points: list[TroughPoint], tz, *, unit) -> dict:
    """Hollow markers keep the above/below shape; the reason is in the hover."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": CAVEAT_NAME,
        "x": [_x(p.at, tz) for p in points],
        "y": [float(p.value) for p in points],
        "customdata": [_text(p.caveat) for p in points],
        "marker": {
            "color": [IN_COLOUR if p.position == "in" else OUT_COLOUR for p in points],
            "symbol": [_OPEN_SYMBOL[p.position] for p in points],
            "size": 11,
            "line": {"width": 2},
        },
        "hovertemplate": (
            f"%{{y}} {unit}<br>{HOVER_TIME}<br>%{{customdata}}<extra>{CAVEAT_NAME}</extra>"
        ),
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
        [_number(s.mg_per_kg) if s.mg_per_kg is not None else "—", _text(s.label)] for s in steps
    ]
    extra.append(extra[-1])
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "Dose",
        "xaxis": "x",
        "yaxis": "y2",
        "x": xs,
        "y": ys,
        "customdata": extra,
        "line": {"shape": "hv", "width": 2, "color": DOSE_COLOUR},
        "marker": {"size": 5, "color": DOSE_COLOUR},
        "hovertemplate": (
            "%{y} mg/day<br>%{customdata[0]} mg/kg/day<br>%{customdata[1]}"
            f"<br>from {HOVER_TIME}<extra>Dose</extra>"
        ),
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
                "hovertext": f"{_text(marker.label)}<br>{x}",
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
            "x": [_x(p.at, tz) for p in troughs],
            "y": [float(p.value) for p in troughs],
            "line": {"color": TREND_COLOUR, "width": 1.5},
            "hoverinfo": "skip",
        },
        _points_trace(
            [p for p in troughs if p.position == "in"],
            tz,
            name="In target",
            colour=IN_COLOUR,
            symbol="circle",
            unit=unit,
        ),
        _points_trace(
            [p for p in troughs if p.position == "above"],
            tz,
            name="Above target",
            colour=OUT_COLOUR,
            symbol="triangle-up",
            unit=unit,
        ),
        _points_trace(
            [p for p in troughs if p.position == "below"],
            tz,
            name="Below target",
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
        "legend": {"orientation": "h", "y": -0.12, "x": 0},
        "xaxis": {"type": "date", "rangeselector": RANGE_SELECTOR},
        "yaxis": {
            "title": {"text": f"Tacrolimus trough ({unit})"},
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
            "title": {"text": "Dose (mg/day)"},
            "domain": [0, 0.26],
            "anchor": "x",
            "rangemode": "tozero",
        }
    if markers:
        layout["shapes"], layout["annotations"] = _event_shapes(markers, tz)
    return {"data": data, "layout": layout, "config": CONFIG}


# --- Lab panels: one analyte on its reference range ---------------------------------------------


@dataclass(frozen=True)
class _Wording:
    in_range: str = "In range"
    low: str = "Below range"
    high: str = "Above range"
    critical_low: str = "Critically low"
    critical_high: str = "Critically high"
    band: str = "Reference range"
    caveat: str = "With a caveat (reason in hover)"


_RANGE_WORDING = _Wording()
_TARGET_WORDING = _Wording(
    "In target", "Below target", "Above target", band="Target band", caveat=CAVEAT_NAME
)
_THRESHOLD_WORDING = _Wording("Under threshold", high="Above threshold")

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
    wording: _Wording = _RANGE_WORDING,
    from_zero: bool = True,
) -> tuple[list[dict], list[dict], list[dict], dict]:
    """The traces, shapes, annotations and y axis of one analyte on axes `xa`/`ya`."""
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
        hover = f"{wording.band} %{{y}} {unit}<extra></extra>"
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
            "name": "Trend",
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
                "marker": {"color": colour, "symbol": symbol, "size": size, "line": outline},
                "hovertemplate": (
                    f"{_text(title)}<br>%{{y}} {unit}<br>{HOVER_TIME}<extra>{name}</extra>"
                ),
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
                "marker": {
                    "color": [s[1] for s in styles],
                    "symbol": [f"{s[2]}-open" for s in styles],
                    "size": 11,
                    "line": {"width": 2},
                },
                "hovertemplate": (
                    f"{_text(title)}<br>%{{y}} {unit}<br>{HOVER_TIME}<br>%{{customdata}}"
                    f"<extra>{wording.caveat}</extra>"
                ),
            }
        )
    if clipped:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                **axes,
                **legend(CLIPPED_NAME),
                "x": [_x(p.at, tz) for p in clipped],
                "y": [round(clip_at, 2)] * len(clipped),
                "customdata": [[float(p.value), _text(p.caveat)] for p in clipped],
                "marker": {
                    "color": CRITICAL_COLOUR,
                    "symbol": "arrow-bar-up",
                    "size": 14,
                    "line": {"color": "#000000", "width": 1},
                },
                "hovertemplate": (
                    f"{_text(title)}<br>%{{customdata[0]}} {unit} (beyond the axis)"
                    f"<br>{HOVER_TIME}<br>%{{customdata[1]}}<extra>{CLIPPED_NAME}</extra>"
                ),
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
                "text": f"{_text(line.label)} ({_number(line.value)} {unit})",
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
    layout["xaxis"] = {"type": "date", "rangeselector": RANGE_SELECTOR}
    layout["yaxis"] = yaxis
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": traces, "layout": layout, "config": CONFIG}


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
            xaxis["rangeselector"] = RANGE_SELECTOR
        else:
            xaxis["matches"] = "x"
        yaxis["domain"] = [round(top - height, 4), round(top, 4)]
        yaxis["anchor"] = xa
        yaxis["title"]["font"] = {"size": 11}
        layout[x_key] = xaxis
        layout[y_key] = yaxis
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": data, "layout": layout, "config": CONFIG}


# --- The doctor's toxicity overview -------------------------------------------------------------

Reading = tuple[dt.datetime, Decimal]

CREATININE_RISE_PERCENT = Decimal(30)  # BSR: a rise > 30 % from baseline calls for a dose review
GLUCOSE_LINES = (RefLine(Decimal("5.6"), "Impaired fasting"), RefLine(Decimal("7.0"), "Diabetes"))
POTASSIUM_LINES = (RefLine(Decimal("5.5"), "Hyperkalaemia"),)
QTC_LINES = (
    RefLine(Decimal(450), "Prolonged (men)"),
    RefLine(Decimal(470), "Prolonged (women)"),
    RefLine(Decimal(500), "High risk"),
)


def _threshold_points(
    readings: Sequence[Reading], *, above: Decimal, critical: Decimal | None = None
) -> list[LabPoint]:
    points = []
    for at, value in readings:
        flag = ""
        if critical is not None and value > critical:
            flag = "HH"
        elif value > above:
            flag = "H"
        points.append(LabPoint(at=at, value=value, low=None, high=None, flag=flag))
    return points


def toxicity_figure(
    *,
    troughs: Sequence[TroughPoint],
    creatinine_change: Sequence[Reading],
    glucose: Sequence[Reading],
    potassium: Sequence[Reading],
    qtc: Sequence[Reading],
    now: dt.datetime,
    tz: dt.tzinfo,
    trough_unit: str = "ng/mL",
) -> dict:
    """Tacrolimus troughs and its toxicities stacked on one time axis, for the doctor.

    - `troughs`: TroughPoints; the target band steps with each point's low/high, caveated
      points are hollow.
    - `creatinine_change`: creatinine readings (at, value) in any one unit; plotted as % change
      from the first reading (the baseline), with the BSR +30 % line.
    - `glucose` (at, mmol/L), lines at 5.6 and 7.0; `potassium` (at, mmol/L), line at 5.5;
      `qtc` (at, ms), lines at 450, 470 and 500.
    A point above a panel's action line (+30 %, 7.0, 5.5, 450) is an up triangle; a QTc above
    500 ms is critical. Panels run top to bottom in that order.
    """
    creatinine = sorted(creatinine_change)
    change: list[Reading] = []
    if creatinine and creatinine[0][1]:
        baseline = creatinine[0][1]
        change = [(at, round((v - baseline) / baseline * 100, 1)) for at, v in creatinine]
    trough_points = [
        LabPoint(
            at=p.at,
            value=p.value,
            low=p.low,
            high=p.high,
            flag={"in": "", "above": "H", "below": "L"}[p.position],
            caveat=p.caveat,
        )
        for p in troughs
    ]
    panels = [
        ("Tacrolimus trough", trough_unit, trough_points, (), _TARGET_WORDING),
        (
            "Creatinine change",
            "%",
            _threshold_points(change, above=CREATININE_RISE_PERCENT),
            (RefLine(CREATININE_RISE_PERCENT, "+30 % from baseline (BSR)"),),
            _THRESHOLD_WORDING,
        ),
        (
            "Glucose",
            "mmol/L",
            _threshold_points(glucose, above=Decimal("7.0")),
            GLUCOSE_LINES,
            _THRESHOLD_WORDING,
        ),
        (
            "Potassium",
            "mmol/L",
            _threshold_points(potassium, above=Decimal("5.5")),
            POTASSIUM_LINES,
            _THRESHOLD_WORDING,
        ),
        (
            "QTc",
            "ms",
            _threshold_points(qtc, above=Decimal(450), critical=Decimal(500)),
            QTC_LINES,
            _THRESHOLD_WORDING,
        ),
    ]
    gap = 0.035
    height = (1 - gap * (len(panels) - 1)) / len(panels)
    layout = _base_layout(980)
    layout["legend"]["y"] = -0.04
    layout["xaxis"] = {"type": "date", "anchor": f"y{len(panels)}", "rangeselector": RANGE_SELECTOR}
    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    seen: set[str] = set()
    for i, (title, unit, points, lines, wording) in enumerate(panels):
        # A QTc axis from 0 ms would squeeze 400-520 ms into a sliver.
        y_key, ya = _axis_key("y", i + 1)
        traces, panel_shapes, panel_notes, yaxis = _lab_panel(
            points,
            title=title,
            unit=unit,
            lines=lines,
            now=now,
            tz=tz,
            xa="x",
            ya=ya,
            shown_in_legend=seen,
            wording=wording,
            from_zero=title != "QTc",
        )
        top = 1 - i * (height + gap)
        yaxis["domain"] = [round(top - height, 4), round(top, 4)]
        yaxis["anchor"] = "x"
        yaxis["title"]["font"] = {"size": 11}
        layout[y_key] = yaxis
        data += traces
        shapes += panel_shapes
        annotations += panel_notes
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": data, "layout": layout, "config": CONFIG}

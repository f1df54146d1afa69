"""The doctor's toxicity overview: troughs and tacrolimus toxicities on one time axis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import LabPoint, RefLine, TroughPoint, config, locale_format, range_selector
from .labs import _axis_key, _base_layout, _lab_panel, target_wording, threshold_wording

Reading = tuple[dt.datetime, Decimal]

CREATININE_RISE_PERCENT = Decimal(30)  # BSR: a rise > 30 % from baseline calls for a dose review
# Fasting glucose in mmol/L, ADA (clinical-reference.md §2.3): 5.6 impaired, 7.0 diabetes.
# The labels are lazy: they are translated when a figure is drawn, in the viewer's language.
GLUCOSE_LINES = (
    RefLine(Decimal("5.6"), _("Impaired fasting")),
    RefLine(Decimal("7.0"), _("Diabetes")),
)
# Potassium > 5.5 mmol/L (A3, CTCAE §2.1); QTc 450 / 470 / 500 ms (A3, §2.4).
POTASSIUM_LINES = (RefLine(Decimal("5.5"), _("Hyperkalaemia")),)
QTC_LINES = (
    RefLine(Decimal(450), _("Prolonged (men)")),
    RefLine(Decimal(470), _("Prolonged (women)")),
    RefLine(Decimal(500), _("High risk")),
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
    glucose_unit: str = "mmol/L",
    glucose_lines: Sequence[RefLine] = GLUCOSE_LINES,
) -> dict:
    """Tacrolimus troughs and its toxicities stacked on one time axis, for the doctor.

    - `troughs`: TroughPoints; the target band steps with each point's low/high, caveated
      points are hollow.
    - `creatinine_change`: creatinine readings (at, value) in any one unit; plotted as % change
      from the first reading (the baseline), with the BSR +30 % line.
    - `glucose` (at, value) in `glucose_unit` with `glucose_lines` in the same unit (by default
      mmol/L, lines at 5.6 and 7.0; the view converts both for a US viewer); `potassium`
      (at, mmol/L), line at 5.5; `qtc` (at, ms), lines at 450, 470 and 500.
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
    # The diabetes line (the highest glucose line) is the action threshold, in either unit.
    glucose_above = max((line.value for line in glucose_lines), default=Decimal("7.0"))
    thresholds = threshold_wording()
    panels = [
        (gettext("Tacrolimus trough"), trough_unit, trough_points, (), target_wording()),
        (
            gettext("Creatinine change"),
            "%",
            _threshold_points(change, above=CREATININE_RISE_PERCENT),
            (
                RefLine(
                    CREATININE_RISE_PERCENT,
                    gettext("+%(percent)s %% from baseline (BSR)")
                    % {"percent": CREATININE_RISE_PERCENT},
                ),
            ),
            thresholds,
        ),
        (
            gettext("Glucose"),
            glucose_unit,
            _threshold_points(glucose, above=glucose_above),
            glucose_lines,
            thresholds,
        ),
        (
            gettext("Potassium"),
            "mmol/L",
            _threshold_points(potassium, above=Decimal("5.5")),
            POTASSIUM_LINES,
            thresholds,
        ),
        (
            gettext("QTc"),
            "ms",
            _threshold_points(qtc, above=Decimal(450), critical=Decimal(500)),
            QTC_LINES,
            thresholds,
        ),
    ]
    gap = 0.035
    height = (1 - gap * (len(panels) - 1)) / len(panels)
    layout = _base_layout(980)
    layout["legend"]["y"] = -0.04
    layout["xaxis"] = {
        "type": "date",
        "anchor": f"y{len(panels)}",
        "rangeselector": range_selector(),
    }
    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    seen: set[str] = set()
    for i, (title, unit, points, lines, wording) in enumerate(panels):
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
            # A QTc axis from 0 ms would squeeze 400-520 ms into a sliver.
            from_zero=unit != "ms",
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
    return {"data": data, "layout": layout, "config": config(), "locale_format": locale_format()}

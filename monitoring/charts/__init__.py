"""Charts as pure functions: plain data in, a plotly figure dict out.

The dicts are handed to the page with `json_script` and drawn by static/js/charts.js, so no
template ever holds a script. Building dicts directly (not plotly.graph_objects) keeps this fast.

Every figure keeps to the same conventions: units in every axis title and hover, local wall-clock
times, Okabe–Ito colours, and out-of-range points that differ by colour *and* marker shape.
Values arrive in the viewer's units (the views convert them, see monitoring/display.py) and the
wording is in the active language.

- base: the point dataclasses, colours, hover and number helpers
- trough: tacrolimus troughs on the target band with the dose beneath
- labs: one analyte on its reference range, and small multiples
- toxicity: the doctor's overview of troughs and toxicities on one time axis
"""

from .base import (
    CAVEAT_NAME,
    CLIPPED_NAME,
    CONFIG,
    AnalyteSeries,
    BandStep,
    DoseStep,
    EventMarker,
    LabPoint,
    RefLine,
    TroughPoint,
    datetime_formatter,
    figure_size_bytes,
)
from .labs import analyte_figure, small_multiples
from .toxicity import (
    CREATININE_RISE_PERCENT,
    GLUCOSE_LINES,
    POTASSIUM_LINES,
    QTC_LINES,
    Reading,
    toxicity_figure,
)
from .trough import trough_figure

__all__ = [
    "CAVEAT_NAME",
    "CLIPPED_NAME",
    "CONFIG",
    "CREATININE_RISE_PERCENT",
    "GLUCOSE_LINES",
    "POTASSIUM_LINES",
    "QTC_LINES",
    "AnalyteSeries",
    "BandStep",
    "DoseStep",
    "EventMarker",
    "LabPoint",
    "Reading",
    "RefLine",
    "TroughPoint",
    "analyte_figure",
    "datetime_formatter",
    "figure_size_bytes",
    "small_multiples",
    "toxicity_figure",
    "trough_figure",
]

"""The pure chart functions beyond the plain trough chart: doses, events, caveats, lab panels."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from monitoring import charts

PARIS = ZoneInfo("Europe/Paris")
T0 = dt.datetime(2026, 1, 5, 7, 45, tzinfo=PARIS)
NOW = T0 + dt.timedelta(days=120)
EVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def day(n):
    return T0 + dt.timedelta(days=n)


def trough(days, value, caveat=""):
    return charts.TroughPoint(
        at=day(days),
        value=Decimal(value),
        unit="ng/mL",
        low=Decimal(6),
        high=Decimal(8),
        caveat=caveat,
    )


def lab(days, value, low="3.5", high="5.0", flag=""):
    return charts.LabPoint(
        at=day(days),
        value=Decimal(value),
        low=Decimal(low) if low is not None else None,
        high=Decimal(high) if high is not None else None,
        flag=flag,
    )


def trace(figure, name):
    return next(t for t in figure["data"] if t["name"] == name)


def traces(figure, name):
    return [t for t in figure["data"] if t["name"] == name]


def axis_titles(figure):
    layout = figure["layout"]
    return [
        layout[key]["title"]["text"]
        for key in sorted(layout)
        if key.startswith(("xaxis", "yaxis")) and "title" in layout[key]
    ]


@pytest.fixture
def trough_with_doses():
    return charts.trough_figure(
        [
            trough(0, "7.1"),
            trough(14, "9.4"),
            trough(20, "12.0", caveat="Sampled 3 h after the dose"),
            trough(28, "5.0", caveat="Only 2 days after a dose change"),
            trough(42, "6.5"),
        ],
        [charts.BandStep(EVER, Decimal(6), Decimal(8))],
        now=NOW,
        tz=PARIS,
        doses=[
            charts.DoseStep(EVER, Decimal(3), Decimal("0.05"), "Prograf 1.5 mg twice daily"),
            charts.DoseStep(day(26), Decimal(2), None, "Prograf 1 mg twice daily"),
        ],
        markers=[
            charts.EventMarker(day(10), "Switch to Advagraf"),
            charts.EventMarker(day(30), "Diltiazem started"),
        ],
    )


def test_the_dose_panel_steps_below_the_troughs_on_the_same_time_axis(trough_with_doses):
    dose = trace(trough_with_doses, "Dose")
    layout = trough_with_doses["layout"]

    assert dose["line"]["shape"] == "hv"
    assert dose["xaxis"] == "x" and dose["yaxis"] == "y2"
    assert dose["y"] == [3.0, 2.0, 2.0]  # the last dose carried on to now
    assert dose["text"][0].split("<br>")[:2] == ["3 mg/day", "0.05 mg/kg/day"]
    assert "mg/day" in layout["yaxis2"]["title"]["text"]
    assert layout["yaxis2"]["domain"][1] < layout["yaxis"]["domain"][0]
    assert layout["xaxis"]["anchor"] == "y2"


def test_the_dose_hover_gives_mg_per_kg_and_a_dash_without_a_weight(trough_with_doses):
    assert [row[0] for row in trace(trough_with_doses, "Dose")["customdata"]] == [
        "0.05",
        "—",
        "—",
    ]


def test_markers_become_dashed_vertical_lines_with_their_label(trough_with_doses):
    layout = trough_with_doses["layout"]

    assert [(s["x0"], s["x1"]) for s in layout["shapes"]] == [
        ("2026-01-15 07:45", "2026-01-15 07:45"),
        ("2026-02-04 07:45", "2026-02-04 07:45"),
    ]
    for shape in layout["shapes"]:
        assert shape["line"]["dash"] == "dash"
        assert (shape["xref"], shape["yref"]) == ("x", "paper")
        assert (shape["y0"], shape["y1"]) == (0, 1)
    assert [a["text"] for a in layout["annotations"]] == [
        "Switch to Advagraf",
        "Diltiazem started",
    ]


def test_caveat_points_are_hollow_with_the_reason_in_the_hover(trough_with_doses):
    caveated = trace(trough_with_doses, charts.CAVEAT_NAME)

    assert caveated["y"] == [12.0, 5.0]
    assert caveated["marker"]["symbol"] == ["triangle-up-open", "triangle-down-open"]
    assert caveated["customdata"] == [
        "Sampled 3 h after the dose",
        "Only 2 days after a dose change",
    ]
    assert caveated["text"][0].startswith("12 ng/mL<br>")
    assert caveated["text"][0].endswith("<br>Sampled 3 h after the dose")


def test_caveat_points_are_kept_off_the_trend_and_the_true_trough_traces(trough_with_doses):
    assert trace(trough_with_doses, "Trend")["y"] == [7.1, 9.4, 6.5]
    assert trace(trough_with_doses, "Above target")["y"] == [9.4]
    assert trace(trough_with_doses, "Below target")["y"] == []


def test_the_trough_figure_without_extras_has_one_panel_and_no_shapes():
    figure = charts.trough_figure(
        [trough(0, "7.1")], [charts.BandStep(EVER, Decimal(6), Decimal(8))], now=NOW, tz=PARIS
    )

    assert "yaxis2" not in figure["layout"]
    assert "shapes" not in figure["layout"]
    assert not traces(figure, charts.CAVEAT_NAME)


@pytest.fixture
def potassium():
    points = [
        lab(0, "4.2"),
        lab(7, "5.3", flag="H"),
        lab(14, "3.1", flag="L"),
        lab(21, "4.4", low="3.6", high="5.2"),  # the lab changed its range
        lab(28, "6.8", low="3.6", high="5.2", flag="HH"),
        lab(35, "2.4", low="3.6", high="5.2", flag="LL"),
        lab(42, "4.0", low="3.6", high="5.2"),
    ]
    series = charts.AnalyteSeries(
        "Potassium", "mmol/L", points, [charts.RefLine(Decimal("5.5"), "Hyperkalaemia")]
    )
    return charts.analyte_figure(series, now=NOW, tz=PARIS)


def test_the_reference_band_follows_each_samples_own_range(potassium):
    upper = next(t for t in potassium["data"] if t.get("fill") == "tonexty")
    lower = potassium["data"][potassium["data"].index(upper) - 1]

    assert upper["line"]["shape"] == "hv"
    assert upper["x"] == ["2026-01-05 07:45", "2026-01-26 07:45", "2026-05-05 07:45"]
    assert upper["y"] == [5.0, 5.2, 5.2]
    assert lower["y"] == [3.5, 3.6, 3.6]
    assert lower["x"] == upper["x"]


def test_out_of_range_points_differ_from_in_range_by_colour_and_symbol(potassium):
    within = trace(potassium, "In range")
    above = trace(potassium, "Above range")
    below = trace(potassium, "Below range")

    assert within["y"] == [4.2, 4.4, 4.0]
    assert above["y"] == [5.3]
    assert below["y"] == [3.1]
    for outside in (above, below):
        assert outside["marker"]["color"] != within["marker"]["color"]
        assert outside["marker"]["symbol"] != within["marker"]["symbol"]
    assert (above["marker"]["symbol"], below["marker"]["symbol"]) == (
        "triangle-up",
        "triangle-down",
    )


def test_critical_points_are_bigger_darker_and_outlined(potassium):
    above = trace(potassium, "Above range")
    for name, symbol in [("Critically high", "triangle-up"), ("Critically low", "triangle-down")]:
        critical = trace(potassium, name)
        assert critical["marker"]["symbol"] == symbol
        assert critical["marker"]["size"] > above["marker"]["size"]
        assert critical["marker"]["color"] != above["marker"]["color"]
        assert critical["marker"]["line"]["width"] > above["marker"]["line"]["width"]
    assert trace(potassium, "Critically high")["y"] == [6.8]
    assert trace(potassium, "Critically low")["y"] == [2.4]


def test_a_point_without_a_lab_flag_is_placed_by_its_own_range():
    series = charts.AnalyteSeries("Sodium", "mmol/L", [lab(0, "150", low="135", high="145")])

    figure = charts.analyte_figure(series, now=NOW, tz=PARIS)

    assert trace(figure, "Above range")["y"] == [150.0]


def test_a_reference_line_is_drawn_dotted_with_its_value_and_unit(potassium):
    (shape,) = potassium["layout"]["shapes"]
    (note,) = potassium["layout"]["annotations"]

    assert (shape["y0"], shape["y1"], shape["line"]["dash"]) == (5.5, 5.5, "dot")
    assert note["text"] == "Hyperkalaemia (5.5 mmol/L)"


def test_an_extreme_value_stays_on_the_chart_clipped_with_its_true_value_in_the_hover():
    points = [
        lab(n * 7, v, low="0", high="5")
        for n, v in enumerate(["1", "3", "2", "8", "4", "2", "950", "3", "6", "2"])
    ]
    series = charts.AnalyteSeries("CRP", "mg/L", points)

    figure = charts.analyte_figure(series, now=NOW, tz=PARIS)

    clipped = trace(figure, charts.CLIPPED_NAME)
    top = figure["layout"]["yaxis"]["range"][1]
    assert clipped["marker"]["symbol"] == "arrow-bar-up"
    assert clipped["customdata"][0][0] == 950.0
    assert "950 mg/L (beyond the axis)" in clipped["text"][0]
    assert clipped["y"][0] <= top < 950
    assert trace(figure, "Above range")["y"] == [8.0, 6.0]  # the bulk keeps its true place
    plotted = sorted(y for t in figure["data"] if t["mode"] == "markers" for y in t["y"])
    assert len(plotted) == len(points)


def test_values_within_three_times_the_upper_limit_are_not_clipped():
    points = [lab(0, "4", low="0", high="5"), lab(7, "14", low="0", high="5", flag="H")]
    figure = charts.analyte_figure(charts.AnalyteSeries("CRP", "mg/L", points), now=NOW, tz=PARIS)

    assert not traces(figure, charts.CLIPPED_NAME)
    assert figure["layout"]["yaxis"]["range"][1] > 14


def test_units_are_in_every_axis_title(potassium, trough_with_doses):
    assert axis_titles(potassium) == ["Potassium (mmol/L)"]
    assert axis_titles(trough_with_doses) == [
        "Tacrolimus trough (ng/mL)",
        "Dose (mg/day)",
    ]


def blood_count():
    return [
        charts.AnalyteSeries("Haemoglobin", "g/dL", [lab(0, "12.1", "12", "16")]),
        charts.AnalyteSeries("White cells", "10^9/L", [lab(0, "3.2", "4", "10", "L")]),
        charts.AnalyteSeries("Neutrophils", "10^9/L", [lab(0, "1.9", "2", "7.5", "L")]),
        charts.AnalyteSeries("Lymphocytes", "10^9/L", [lab(0, "0.8", "1", "4", "L")]),
        charts.AnalyteSeries("Platelets", "10^9/L", [lab(0, "210", "150", "400")]),
    ]


def test_small_multiples_share_the_time_axis_one_panel_per_analyte():
    figure = charts.small_multiples(blood_count(), now=NOW, tz=PARIS, columns=2)
    layout = figure["layout"]

    xaxes = [k for k in layout if k.startswith("xaxis")]
    assert len(xaxes) == 5
    assert all(layout[k]["matches"] == "x" for k in xaxes if k != "xaxis")
    assert "rangeselector" in layout["xaxis"]
    assert [layout[f"yaxis{k}"]["title"]["text"] for k in ["", 2, 3, 4, 5]] == [
        "Haemoglobin (g/dL)",
        "White cells (10^9/L)",
        "Neutrophils (10^9/L)",
        "Lymphocytes (10^9/L)",
        "Platelets (10^9/L)",
    ]
    # Two columns: the second panel sits beside the first, the third below it.
    assert layout["xaxis2"]["domain"][0] > layout["xaxis"]["domain"][1]
    assert layout["yaxis3"]["domain"][1] < layout["yaxis"]["domain"][0]


def test_small_multiples_draw_each_band_on_its_own_axes_and_name_the_legend_once():
    figure = charts.small_multiples(blood_count(), now=NOW, tz=PARIS)

    bands = [t for t in figure["data"] if t.get("fill") == "tonexty"]
    assert [(t["xaxis"], t["yaxis"]) for t in bands] == [
        ("x", "y"),
        ("x2", "y2"),
        ("x3", "y3"),
        ("x4", "y4"),
        ("x5", "y5"),
    ]
    assert sum(t["showlegend"] for t in traces(figure, "Below range")) == 1


@pytest.fixture
def toxicity():
    return charts.toxicity_figure(
        troughs=[trough(0, "7.1"), trough(14, "9.4")],
        creatinine_change=[(day(0), Decimal(70)), (day(14), Decimal(77)), (day(28), Decimal(98))],
        glucose=[(day(0), Decimal("5.1")), (day(14), Decimal("7.4"))],
        potassium=[(day(0), Decimal("4.6")), (day(14), Decimal("5.8"))],
        qtc=[(day(0), Decimal(430)), (day(14), Decimal(510))],
        now=NOW,
        tz=PARIS,
    )


def test_the_toxicity_figure_stacks_five_panels_on_one_time_axis(toxicity):
    layout = toxicity["layout"]

    assert [k for k in layout if k.startswith("xaxis")] == ["xaxis"]
    assert axis_titles(toxicity) == [
        "Tacrolimus trough (ng/mL)",
        "Creatinine change (%)",
        "Glucose (mmol/L)",
        "Potassium (mmol/L)",
        "QTc (ms)",
    ]
    domains = [layout[k]["domain"] for k in ["yaxis", "yaxis2", "yaxis3", "yaxis4", "yaxis5"]]
    assert all(lower[1] < upper[0] for upper, lower in zip(domains, domains[1:], strict=False))
    assert {t["xaxis"] for t in toxicity["data"]} == {"x"}


def test_creatinine_is_plotted_as_change_from_the_first_value_with_the_30_percent_line(toxicity):
    change = [t for t in toxicity["data"] if t["yaxis"] == "y2" and t["mode"] == "markers"]
    lines = [s for s in toxicity["layout"]["shapes"] if s["yref"] == "y2"]

    assert sorted(y for t in change for y in t["y"]) == [0.0, 10.0, 40.0]
    assert next(t for t in change if t["y"] == [40.0])["name"] == "Above threshold"
    assert [s["y0"] for s in lines] == [30.0]


def test_the_toxicity_lines_are_at_the_clinical_thresholds(toxicity):
    lines = {}
    for shape in toxicity["layout"]["shapes"]:
        lines.setdefault(shape["yref"], []).append(shape["y0"])

    assert lines == {"y2": [30.0], "y3": [5.6, 7.0], "y4": [5.5], "y5": [450.0, 470.0, 500.0]}


def test_a_qtc_above_500_ms_is_critical(toxicity):
    critical = [t for t in toxicity["data"] if t["name"] == "Critically high"]

    assert [(t["yaxis"], t["y"]) for t in critical] == [("y5", [510.0])]


def test_the_qtc_axis_does_not_start_at_zero(toxicity):
    low, high = toxicity["layout"]["yaxis5"]["range"]

    assert 300 < low < 430 < 510 < high


def weekly(years=5):
    return [day(7 * n) for n in range(52 * years)]


def test_five_years_of_weekly_data_stays_under_the_300_kb_budget():
    dates = weekly()
    figures = {
        "troughs": charts.trough_figure(
            [trough(7 * n, f"{5 + n % 5}.{n % 10}") for n in range(len(dates))],
            [charts.BandStep(EVER, Decimal(6), Decimal(8))],
            now=dates[-1],
            tz=PARIS,
            doses=[
                charts.DoseStep(day(n), Decimal(2 + n % 3), Decimal("0.05"), "Prograf")
                for n in range(0, 1800, 60)
            ],
            markers=[charts.EventMarker(day(n), "Switch") for n in range(0, 1800, 200)],
        ),
        "small multiples": charts.small_multiples(
            [
                charts.AnalyteSeries(
                    name,
                    "10^9/L",
                    [lab(7 * n, f"{3 + n % 4}.{n % 9}", "4", "10") for n in range(len(dates))],
                )
                for name in ["Hb", "WBC", "Neutrophils", "Lymphocytes", "Platelets"]
            ],
            now=dates[-1],
            tz=PARIS,
        ),
        "toxicity": charts.toxicity_figure(
            troughs=[trough(7 * n, f"{5 + n % 5}.{n % 10}") for n in range(len(dates))],
            creatinine_change=[(d, Decimal(70 + i % 20)) for i, d in enumerate(dates)],
            glucose=[(d, Decimal(f"5.{i % 10}")) for i, d in enumerate(dates)],
            potassium=[(d, Decimal(f"4.{i % 10}")) for i, d in enumerate(dates)],
            qtc=[(d, Decimal(420 + i % 40)) for i, d in enumerate(dates)],
            now=dates[-1],
            tz=PARIS,
        ),
    }

    for name, figure in figures.items():
        assert charts.figure_size_bytes(figure) < 300_000, name


def test_figure_size_is_the_length_of_its_compact_json():
    figure = {"data": [{"y": [1.5, "µ"]}]}

    assert charts.figure_size_bytes(figure) == len('{"data":[{"y":[1.5,"\\u00b5"]}]}')


def test_every_figure_is_json_serialisable(trough_with_doses, potassium, toxicity):
    multiples = charts.small_multiples(blood_count(), now=NOW, tz=PARIS, columns=3)
    empty = charts.analyte_figure(charts.AnalyteSeries("ALT", "U/L", []), now=NOW, tz=PARIS)

    for figure in [trough_with_doses, potassium, toxicity, multiples, empty]:
        assert json.loads(json.dumps(figure)) == figure

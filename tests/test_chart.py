"""The trough chart: a pure figure function, and the pages that carry it."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import charts, services
from monitoring.models import Analyte
from tests.pages import figure_in, inline_scripts, plotted_values

PARIS = ZoneInfo("Europe/Paris")
T0 = dt.datetime(2026, 1, 5, 7, 45, tzinfo=PARIS)


def point(days, value, low, high):
    return charts.TroughPoint(
        at=T0 + dt.timedelta(days=days),
        value=Decimal(value),
        unit="ng/mL",
        low=Decimal(low),
        high=Decimal(high),
    )


@pytest.fixture
def figure():
    points = [
        point(0, "7.1", 6, 8),
        point(14, "5.2", 6, 8),
        point(28, "9.4", 6, 8),
        point(60, "4.5", 4, 6),
        point(75, "6.8", 4, 6),
    ]
    bands = [
        charts.BandStep(dt.datetime.min.replace(tzinfo=dt.UTC), Decimal(6), Decimal(8)),
        charts.BandStep(T0 + dt.timedelta(days=45), Decimal(4), Decimal(6)),
    ]
    return charts.trough_figure(points, bands, now=T0 + dt.timedelta(days=90), tz=PARIS)


def markers(figure, name):
    return next(t for t in figure["data"] if t["mode"] == "markers" and t["name"] == name)


def test_the_target_band_is_filled_between_its_limits_and_steps_where_it_changed(figure):
    data = figure["data"]
    upper_index = next(i for i, t in enumerate(data) if t.get("fill") == "tonexty")
    lower, upper = data[upper_index - 1], data[upper_index]

    assert set(lower["y"]) == {6.0, 4.0}
    assert set(upper["y"]) == {8.0, 6.0}
    assert upper["line"]["shape"] == "hv"
    assert lower["x"] == upper["x"]


def test_in_target_and_out_of_target_points_differ_by_colour_and_shape(figure):
    within = markers(figure, "In target")
    above = markers(figure, "Above target")
    below = markers(figure, "Below target")

    assert within["y"] == [7.1, 4.5]
    assert above["y"] == [9.4, 6.8]  # 6.8 is above the later 4–6 band
    assert below["y"] == [5.2]
    for outside in (above, below):
        assert outside["marker"]["color"] != within["marker"]["color"]
        assert outside["marker"]["symbol"] != within["marker"]["symbol"]
    assert above["marker"]["symbol"] != below["marker"]["symbol"]


def test_every_trough_is_plotted(figure):
    assert plotted_values(figure) == [4.5, 5.2, 6.8, 7.1, 9.4]


def test_hovering_a_point_shows_its_value_unit_and_time(figure):
    for name in ["In target", "Above target", "Below target"]:
        trace = markers(figure, name)
        assert trace["hovertemplate"].startswith("%{text}")
        assert all("ng/mL" in text for text in trace["text"])
    assert markers(figure, "In target")["text"][0] == "7.1 ng/mL<br>5 Jan 2026 07:45"


@pytest.fixture
def troughs(patient_a, record_trough):
    record_trough(patient_a, "7.1")
    record_trough(patient_a, "5.2")
    record_trough(patient_a, "9.4")


@pytest.mark.parametrize("url_name", ["patient_detail", "patient_chart"])
def test_the_page_hands_the_chart_its_data_without_inline_script(
    client, nurse, patient_a, troughs, url_name
):
    client.force_login(nurse if url_name == "patient_detail" else patient_a.user)

    page = client.get(reverse(f"monitoring:{url_name}", args=[patient_a.pk])).text

    assert 'id="trough-figure"' in page
    assert plotted_values(figure_in(page)) == [5.2, 7.1, 9.4]
    assert inline_scripts(page) == []
    assert '<script src="/static/plotly/plotly.min.js"></script>' in page


@pytest.mark.parametrize("url_name", ["patient_detail", "patient_chart"])
def test_the_page_has_a_table_with_the_same_values(client, nurse, patient_a, troughs, url_name):
    client.force_login(nurse if url_name == "patient_detail" else patient_a.user)

    page = client.get(reverse(f"monitoring:{url_name}", args=[patient_a.pk])).text

    table = page[page.index('id="trough-table"') :]
    table = table[: table.index("</table>")]
    assert "<caption" in table
    assert '<th scope="col">Trough</th>' in table
    for value in ["7.1", "5.2", "9.4"]:
        assert f'<span class="value">{value}</span>' in table
    assert "▲ H" in table
    assert "▼ L" in table


def test_the_chart_steps_where_a_doctor_changed_the_target(
    client, nurse, doctor, patient_a, troughs
):
    services.set_trough_target(
        patient=patient_a,
        low=Decimal(4),
        high=Decimal(6),
        starts_at=timezone.now() - dt.timedelta(days=1),
        reason="Maintenance phase",
        set_by=doctor,
    )
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    upper = next(t for t in figure_in(page)["data"] if t.get("fill") == "tonexty")
    assert set(upper["y"]) == {8.0, 6.0}


def test_the_patient_home_says_what_is_due_how_to_prepare_and_what_each_test_is_for(
    client, patient_a, start_regimen, record_trough, nurse
):
    start_regimen(patient_a, timezone.localdate() - dt.timedelta(days=60), "2", "2")
    record_trough(patient_a, "7.1")
    potassium = Analyte.objects.get(code="potassium")
    services.record_panel(
        patient=patient_a,
        collected_at=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1),
        values=[
            services.PanelValue(
                analyte=potassium, value=Decimal("5.4"), unit=potassium.units.get(code="mmol/L")
            )
        ],
        entered_by=nurse,
    )
    client.force_login(patient_a.user)

    page = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])).text

    assert "Take your morning tacrolimus after the blood draw" in page
    assert "A salt the heart and muscles need" in page
    assert "higher than usual" in page  # in words, not colour alone
    assert "Prograf" in page and "4 mg a day" in page


def test_a_french_chart_carries_french_month_names_for_plotlys_date_axes():
    from django.utils import translation

    from monitoring.charts.base import config, locale_format

    with translation.override("fr"):
        names, locale = locale_format(), config()["locale"]
    with translation.override("en"):
        english, english_config = locale_format(), config()

    assert locale == "fr"
    assert "locale" not in english_config  # plotly's own English
    assert names["months"][6] == "juillet"
    assert names["shortMonths"][6] == "juil."
    assert names["days"][0] == "dimanche"  # plotly's week starts on Sunday
    assert names["decimal"] == ","
    assert english["shortMonths"][6] == "Jul"


# The portal home's queries (issue #8): session, user, patient, the access log insert, the unit
# preference, what the chart and the schedule read (one query per list), the latest results
# and the patient's dose report.
PATIENT_CHART_QUERIES = 17


@pytest.mark.parametrize("size", [3, 30])
def test_the_home_costs_the_same_queries_for_3_or_30_results_and_medicines(
    client, nurse, patient_a, record_trough, start_regimen, django_assert_num_queries, size
):
    start_regimen(patient_a, timezone.localdate() - dt.timedelta(days=60))
    creatinine = Analyte.objects.get(code="creatinine")
    for n in range(size):
        record_trough(patient_a, "7.5")
        services.record_result(
            patient=patient_a,
            analyte=creatinine,
            value=Decimal("70"),
            collected_at=timezone.now() - dt.timedelta(days=n + 1),
            entered_by=nurse,
        )
        services.record_medication(
            patient=patient_a,
            name=f"Medicine {n}",
            started_on=timezone.localdate() - dt.timedelta(days=n),
            entered_by=nurse,
        )
    client.force_login(patient_a.user)
    url = reverse("monitoring:patient_chart", args=[patient_a.pk])
    client.get(url)  # warm up (content types)

    with django_assert_num_queries(PATIENT_CHART_QUERIES):
        response = client.get(url)

    assert response.text.count("Medicine ") == size
    assert response.text.count(">7.5<") == size  # every trough in the table

"""Results in the viewer's unit system and language: conversions, the tag, the unit switch,
charts and the CSV for a US viewer, the printed charts."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from monitoring import charts, display, services
from monitoring.context_processors import unit_system
from monitoring.models import Analyte, UnitSystem

PARIS = ZoneInfo("Europe/Paris")
T0 = dt.datetime(2026, 1, 5, 7, 45, tzinfo=PARIS)


def analyte(code):
    return Analyte.objects.get(code=code)


@pytest.fixture
def draw(nurse):
    def record(patient, days_ago, code, value, unit):
        test = analyte(code)
        services.record_panel(
            patient=patient,
            collected_at=timezone.now().replace(second=0, microsecond=0)
            - dt.timedelta(days=days_ago),
            values=[
                services.PanelValue(
                    analyte=test, value=Decimal(value), unit=test.units.get(code=unit)
                )
            ],
            entered_by=nurse,
        )
        return patient.results.filter(analyte=test).latest("pk")

    return record


# --- Conversions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "canonical", "system", "shown"),
    [
        ("creatinine", "88.4", "US", ("1.00", "mg/dL")),  # 1 mg/dL = 88.4 µmol/L exactly
        ("creatinine", "106.08", "US", ("1.20", "mg/dL")),
        ("creatinine", "106.08", "SI", ("106", "µmol/L")),
        ("glucose-fasting", "7.0", "US", ("126", "mg/dL")),  # ADA: 7.0 mmol/L = 126 mg/dL
        ("glucose-fasting", "5.6", "US", ("101", "mg/dL")),  # 100.8 at mg/dL precision
        ("glucose-fasting", "7.0", "SI", ("7.0", "mmol/L")),
        ("haemoglobin", "121", "US", ("12.1", "g/dL")),
        ("tacrolimus", "7.1", "US", ("7.1", "ng/mL")),  # the same unit in both systems
        ("potassium", "5.8", "US", ("5.8", "mmol/L")),
    ],
)
def test_a_canonical_value_is_shown_exactly_converted_at_the_units_precision(
    db, code, canonical, system, shown
):
    value, unit = display.shown_value(Decimal(canonical), analyte(code), system)

    assert (f"{value:f}", unit) == shown


def test_a_value_typed_in_the_shown_unit_is_shown_as_typed(patient_a, draw):
    typed_us = draw(patient_a, 2, "creatinine", "1.2", "mg/dL")
    typed_si = draw(patient_a, 3, "glucose-fasting", "7.0", "mmol/L")

    assert display.shown_value(typed_us, typed_us.analyte, "US") == (Decimal("1.2"), "mg/dL")
    assert display.shown_value(typed_us, typed_us.analyte, "SI") == (Decimal(106), "µmol/L")
    assert display.shown_value(typed_si, typed_si.analyte, "US") == (Decimal(126), "mg/dL")


# --- Whose unit system -----------------------------------------------------------------------


def test_the_users_choice_beats_the_clinics(nurse, clinic):
    clinic.unit_system = UnitSystem.US
    nurse.unit_system = UnitSystem.SI

    assert display.unit_system_for(nurse, clinic) == "SI"


def test_without_a_choice_the_clinics_system_applies_else_si(nurse, clinic):
    clinic.unit_system = UnitSystem.US

    assert display.unit_system_for(nurse, clinic) == "US"
    assert display.unit_system_for(nurse, None) == "SI"


@pytest.mark.parametrize("who", ["nurse", "patient", "family"])
def test_the_viewers_clinic_sets_the_system_in_one_query_per_request(
    request, clinic, patient_a, family, who, django_assert_num_queries
):
    clinic.unit_system = UnitSystem.US
    clinic.save()
    user = {"nurse": None, "patient": patient_a.user, "family": family}[who]
    user = user or request.getfixturevalue("nurse")
    page_request = RequestFactory().get("/")
    page_request.user = user

    with django_assert_num_queries(1):
        context = unit_system(page_request)
        assert context["unit_system"] == "US"
        assert str(context["unit_system"]) == "US"  # cached on the request


def test_a_page_that_shows_no_value_costs_no_query(nurse, django_assert_num_queries):
    page_request = RequestFactory().get("/")
    page_request.user = nurse

    with django_assert_num_queries(0):
        unit_system(page_request)


# --- The template tag ------------------------------------------------------------------------


def render_value(result, system, language):
    template = Template("{% load monitoring_tags %}{% show_value result %}")
    with translation.override(language):
        return template.render(Context({"result": result, "unit_system": system}))


def test_the_tag_shows_the_value_in_the_viewers_units_with_the_languages_decimal_mark(
    patient_a, draw
):
    result = draw(patient_a, 2, "creatinine", "106", "umol/L")

    assert render_value(result, "US", "en") == "1.20 mg/dL"
    assert render_value(result, "US", "fr") == "1,20 mg/dL"
    assert render_value(result, "SI", "fr") == "106 µmol/L"


def test_a_us_viewer_reads_the_patient_page_in_mg_per_dl(client, nurse, patient_a, draw):
    draw(patient_a, 2, "creatinine", "106", "umol/L")
    nurse.unit_system = UnitSystem.US
    nurse.save()
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert '<span class="value">1.20 mg/dL</span>' in page


# --- The unit switch -------------------------------------------------------------------------


def switch_url():
    return reverse("monitoring:set_unit_system")


def test_the_unit_switch_saves_the_choice_and_goes_back(client, patient_a):
    client.force_login(patient_a.user)
    back = reverse("monitoring:patient_chart", args=[patient_a.pk])

    response = client.post(switch_url(), {"unit_system": "US", "next": back})

    assert response.status_code == 302 and response["Location"] == back
    patient_a.user.refresh_from_db()
    assert patient_a.user.unit_system == "US"


def test_the_unit_switch_refuses_an_unknown_system_and_another_sites_next(client, nurse):
    client.force_login(nurse)

    assert client.post(switch_url(), {"unit_system": "imperial"}).status_code == 400
    response = client.post(switch_url(), {"unit_system": "SI", "next": "https://evil.example/"})
    assert response["Location"] == reverse("monitoring:home")


def test_the_unit_switch_needs_a_login_and_a_post(client, nurse):
    response = client.post(switch_url(), {"unit_system": "US"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    client.force_login(nurse)
    assert client.get(switch_url()).status_code == 405
    nurse.refresh_from_db()
    assert nurse.unit_system == ""


@pytest.mark.parametrize("url_name", ["patient_chart", "patient_charts"])
def test_the_chart_pages_offer_the_switch_with_the_current_system_pressed(
    client, nurse, patient_a, url_name
):
    client.force_login(patient_a.user if url_name == "patient_chart" else nurse)

    page = client.get(reverse(f"monitoring:{url_name}", args=[patient_a.pk])).text

    assert f'action="{switch_url()}"' in page
    assert re.search(r'value="SI" class="[^"]*" aria-pressed="true"', page)
    assert re.search(r'value="US" class="[^"]*" aria-pressed="false"', page)


# --- Charts and CSV for a US viewer ----------------------------------------------------------


def figure(page, element_id):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1))


@pytest.fixture
def us_nurse(nurse):
    nurse.unit_system = UnitSystem.US
    nurse.save()
    return nurse


def test_a_us_viewers_charts_are_in_mg_per_dl_with_converted_points_and_lines(
    client, us_nurse, patient_a, draw
):
    draw(patient_a, 20, "creatinine", "88.4", "umol/L")
    draw(patient_a, 2, "creatinine", "106", "umol/L")
    draw(patient_a, 3, "glucose-fasting", "7.0", "mmol/L")
    client.force_login(us_nurse)

    page = client.get(reverse("monitoring:patient_charts", args=[patient_a.pk])).text

    kidney = figure(page, "figure-creatinine")
    assert kidney["layout"]["yaxis"]["title"]["text"].endswith("(mg/dL)")
    points = [
        y for t in kidney["data"] if t["mode"] == "markers" and t["yaxis"] == "y" for y in t["y"]
    ]
    assert sorted(points) == [1.0, 1.2]
    toxicity = figure(page, "toxicity-figure")
    assert toxicity["layout"]["yaxis3"]["title"]["text"] == "Glucose (mg/dL)"
    glucose_lines = [s["y0"] for s in toxicity["layout"]["shapes"] if s["yref"] == "y3"]
    assert glucose_lines == [100.8, 126.0]
    assert "1.20 mg/dL" in page  # the table under the chart


def test_the_csv_keeps_the_si_value_and_adds_the_viewers(client, us_nurse, patient_a, draw):
    draw(patient_a, 2, "creatinine", "106", "umol/L")
    client.force_login(us_nurse)

    response = client.get(
        reverse("monitoring:patient_results_csv", args=[patient_a.pk]), {"analytes": "creatinine"}
    )

    header, row = list(csv.reader(io.StringIO(response.getvalue().decode())))
    by_column = dict(zip(header, row, strict=True))
    assert (by_column["value"], by_column["unit"]) == ("106", "umol/L")
    assert (by_column["value as displayed"], by_column["unit as displayed"]) == ("1.20", "mg/dL")


# --- Wording per language --------------------------------------------------------------------


def one_trough_figure():
    point = charts.TroughPoint(T0, Decimal("7.1"), "ng/mL", Decimal(6), Decimal(8))
    return charts.trough_figure(
        [point],
        [charts.BandStep(T0 - dt.timedelta(days=30), Decimal(6), Decimal(8))],
        now=T0 + dt.timedelta(days=30),
        tz=PARIS,
        doses=[charts.DoseStep(T0, Decimal("3.5"), None, "Prograf")],
    )


def test_hover_numbers_follow_the_language_and_plotly_gets_its_separators():
    with translation.override("fr"):
        fr = one_trough_figure()

    within = next(t for t in fr["data"] if t.get("mode") == "markers")
    assert within["text"][0].startswith("7,1 ng/mL<br>")
    assert fr["layout"]["separators"][0] == ","
    assert one_trough_figure()["layout"]["separators"][0] == "."


@pytest.mark.needs_translations
def test_chart_wording_is_in_french_under_a_french_request():
    with translation.override("fr"):
        fr = one_trough_figure()

    names = {t["name"] for t in fr["data"]}
    assert "Dans la cible" in names
    assert fr["layout"]["yaxis"]["title"]["text"] == "Taux résiduel de tacrolimus (ng/mL)"
    assert [b["label"] for b in fr["layout"]["xaxis"]["rangeselector"]["buttons"]] == [
        "3 mois",
        "1 an",
        "Tout",
    ]
    dose = next(t for t in fr["data"] if t["name"] == "Dose")["text"][0]
    assert dose.startswith("3,5 mg/j<br>— mg/kg/j<br>Prograf<br>depuis le 5 ")


# --- Printing --------------------------------------------------------------------------------


def print_rules() -> str:
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    return "".join(re.findall(r"@media print\s*{((?:[^{}]*{[^{}]*})*)[^{}]*}", css))


def test_the_printed_summary_keeps_each_chart_and_its_table_whole(
    client, nurse, patient_a, record_trough
):
    record_trough(patient_a, "7.1")
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert 'class="chart-area"' in page
    assert 'class="table table-sm table-results' in page
    rules = print_rules()
    kept_whole = re.findall(r"([^{}]*){[^{}]*break-inside:\s*avoid", rules)
    assert any(".chart-area" in rule and ".table-results" in rule for rule in kept_whole)
    assert re.search(r"\.chart-area\s*{[^}]*width:\s*180mm", rules)

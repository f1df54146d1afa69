"""The staff chart page and the CSV download: every analyte with its unit, nothing of other
clinics' patients."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Analyte


@pytest.fixture
def draw(nurse):
    def record(patient, days_ago, **values):
        at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=days_ago)
        entries = []
        for code, (value, unit) in values.items():
            analyte = Analyte.objects.get(code=code.replace("_", "-"))
            entries.append(
                services.PanelValue(
                    analyte=analyte, value=Decimal(value), unit=analyte.units.get(code=unit)
                )
            )
        services.record_panel(patient=patient, collected_at=at, values=entries, entered_by=nurse)

    return record


def figure(page: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page)
    return json.loads(found.group(1))


def axis_titles(fig: dict) -> set[str]:
    return {
        axis["title"]["text"]
        for key, axis in fig["layout"].items()
        if key.startswith("yaxis") and isinstance(axis, dict) and "title" in axis
    }


def charts_url(patient):
    return reverse("monitoring:patient_charts", args=[patient.pk])


def csv_url(patient):
    return reverse("monitoring:patient_results_csv", args=[patient.pk])


def test_the_chart_page_draws_each_analyte_group_with_its_unit(client, nurse, patient_a, draw):
    draw(patient_a, 20, platelets=("250", "10*9/L"), potassium=("4.2", "mmol/L"))
    draw(patient_a, 2, platelets=("120", "10*9/L"), potassium=("5.8", "mmol/L"))
    client.force_login(nurse)

    page = client.get(charts_url(patient_a)).text

    assert 'id="toxicity-figure"' in page
    titles = axis_titles(figure(page, "figure-platelets"))  # the blood count small multiples
    assert "Platelets (×10⁹/L)" in titles
    assert "Potassium (mmol/L)" in axis_titles(figure(page, "figure-potassium"))
    assert "5.8 mmol/L" in page  # the accessible table


def test_the_csv_lists_values_with_units_and_as_entered(client, nurse, patient_a, draw):
    draw(patient_a, 2, creatinine=("1.2", "mg/dL"))
    client.force_login(nurse)

    response = client.get(csv_url(patient_a), {"analytes": "creatinine"})

    lines = response.getvalue().decode().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("sample time,test,LOINC,value,unit,value as entered")
    assert len(lines) == 2  # the header and the creatinine, not its derived eGFR
    assert ",106.08,umol/L,1.2,mg/dL," in lines[1]


@pytest.mark.parametrize("url", [charts_url, csv_url])
def test_only_staff_of_the_patients_clinic_see_charts_and_csv(
    client, url, patient_a, nurse_other, family
):
    assert client.get(url(patient_a)).status_code == 302  # anonymous → login
    client.force_login(patient_a.user)
    assert client.get(url(patient_a)).status_code == 403
    client.force_login(family)
    assert client.get(url(patient_a)).status_code == 403
    client.force_login(nurse_other)
    response = client.get(url(patient_a))
    assert response.status_code == 404
    assert "Durand" not in response.content.decode()


def test_the_table_of_values_lists_them_newest_first_with_unit_and_flag(
    client, nurse, patient_a, draw
):
    draw(patient_a, 20, potassium=("4.2", "mmol/L"))
    draw(patient_a, 2, potassium=("5.8", "mmol/L"))
    client.force_login(nurse)

    page = client.get(charts_url(patient_a)).text

    table = page[page.index("Potassium, newest first") :]
    newest, older = table.index("5.8 mmol/L"), table.index("4.2 mmol/L")
    assert newest < older
    assert "Table of the values (2)" in page
    above = '<span class="flag flag-above" title="Above the reference range">▲ H</span>'
    assert above in table[newest:older]
    assert "in range" in table[older:]


def test_the_table_of_values_speaks_french_to_a_french_reader(client, nurse, patient_a, draw):
    draw(patient_a, 2, potassium=("5.8", "mmol/L"))
    nurse.language = "fr"
    nurse.save()
    client.force_login(nurse)

    page = client.get(charts_url(patient_a)).text

    assert "5,8 mmol/L" in page
    assert "Tableau des valeurs (1)" in page
    assert 'title="Au-dessus des valeurs de référence">▲ H</span>' in page


def test_the_figures_are_sent_as_compact_json(client, nurse, patient_a, draw):
    draw(patient_a, 2, potassium=("5.8", "mmol/L"))
    client.force_login(nurse)

    page = client.get(charts_url(patient_a)).text

    raw = re.search(r'<script id="figure-potassium" type="application/json">(.*?)</script>', page)
    assert raw.group(1).startswith('{"data":[{"type":"scatter"')
    assert figure(page, "figure-potassium")["data"]


@pytest.mark.parametrize("url", [charts_url, csv_url])
def test_the_query_count_does_not_grow_with_the_number_of_results(
    client, nurse, patient_a, draw, url, django_assert_num_queries
):
    draw(patient_a, 30, potassium=("4.2", "mmol/L"), creatinine=("80", "umol/L"))
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as few:
        client.get(url(patient_a)).getvalue()  # a download runs its query while it streams
    for days in range(1, 12):
        draw(patient_a, days, potassium=("5.8", "mmol/L"), platelets=("120", "10*9/L"))

    with django_assert_num_queries(len(few)):
        body = client.get(url(patient_a)).getvalue()

    assert body.count(b"5.8") >= 11

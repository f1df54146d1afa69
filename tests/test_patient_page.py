"""The staff patient page: one screen with the whole record, at a constant query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Analyte
from tests.pages import figure_in


@pytest.fixture
def units():
    def unit(code, unit_code=None):
        analyte = Analyte.objects.get(code=code)
        return analyte, analyte.units.get(code=unit_code or analyte.unit)

    return unit


def draw(patient, nurse, units, days_ago, **values):
    """Record a blood draw of `values` ({analyte code: value in its canonical unit})."""
    at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=days_ago)
    entries = []
    for code, value in values.items():
        analyte, unit = units(code.replace("_", "-"))
        entries.append(services.PanelValue(analyte=analyte, value=Decimal(value), unit=unit))
    services.record_panel(patient=patient, collected_at=at, values=entries, entered_by=nurse)


def record(patient, nurse, doctor, days_ago):
    """One of each record item, `days_ago` old."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    services.record_weight(
        patient=patient, weight_kg=Decimal("60"), measured_on=day, entered_by=nurse
    )
    services.start_regimen(
        patient=patient,
        product="Prograf",
        strength_mg=Decimal("0.5"),
        morning_dose_mg=Decimal("3"),
        evening_dose_mg=Decimal("3"),
        started_on=day,
        reason="Induction",
        prescriber=doctor,
        entered_by=doctor,
    )
    services.record_medication(
        patient=patient, name=f"Vfend {days_ago}", started_on=day, entered_by=nurse
    )
    services.record_allergy(
        patient=patient, substance=f"clarithromycin {days_ago}", entered_by=nurse
    )
    services.record_vaccination(
        patient=patient, name="Shingrix", state="given", date=day, entered_by=nurse
    )
    services.record_symptom(
        patient=patient, kind="tremor", severity="mild", started_on=day, entered_by=nurse
    )
    services.record_ecg(
        patient=patient,
        recorded_at=timezone.now() - dt.timedelta(days=days_ago),
        qt_ms=400,
        heart_rate_bpm=72,
        entered_by=nurse,
    )


def test_it_shows_the_latest_value_of_each_analyte_with_unit_and_flag(
    client, nurse, patient_a, units
):
    draw(patient_a, nurse, units, 30, creatinine="70", potassium="4.2")
    draw(patient_a, nurse, units, 2, creatinine="75", potassium="6.1")
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert "75 µmol/L" in page
    assert "70 µmol/L" not in page  # only the latest
    assert "6.1 mmol/L" in page
    assert "HH critical" in page  # K ≥ 6.0 is critical (clinical-reference.md §1.2)
    assert "mL/min/1.73 m²" in page  # eGFR derived from the creatinine


def test_it_shows_the_dose_in_mg_per_kg_per_day_and_flags_a_stale_weight(
    client, nurse, doctor, patient_a
):
    services.record_weight(
        patient=patient_a,
        weight_kg=Decimal("60"),
        measured_on=timezone.localdate() - dt.timedelta(days=120),
        entered_by=nurse,
    )
    services.start_regimen(
        patient=patient_a,
        product="Prograf",
        strength_mg=Decimal("0.5"),
        morning_dose_mg=Decimal("1"),
        evening_dose_mg=Decimal("1"),
        started_on=timezone.localdate() - dt.timedelta(days=10),
        reason="Induction",
        prescriber=doctor,
        entered_by=doctor,
    )
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert "2 mg/day" in page
    assert "0.033 mg/kg/day" in page
    assert "outside 0.1–0.3" in page  # A2: 0.10–0.30 mg/kg/day
    assert "weight older than 90 days" in page


def test_it_shows_interactions_contraindications_and_a_missing_ecg(
    client, nurse, doctor, patient_a
):
    services.record_medication(
        patient=patient_a,
        name="Rifadine 600 mg",
        started_on=timezone.localdate(),
        entered_by=nurse,
    )
    services.record_allergy(patient=patient_a, substance="Zithromax", entered_by=nurse)
    services.record_vaccination(
        patient=patient_a,
        name="Stamaril",
        state="planned",
        date=timezone.localdate() + dt.timedelta(days=20),
        entered_by=nurse,
    )
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert "Interaction · Major" in page
    assert "rifampicin" in page.lower()
    assert "Contraindication: macrolide" in page
    assert "Live vaccine: contraindicated" in page
    assert "No ECG on record" in page


def test_its_query_count_does_not_grow_with_the_record(
    client, nurse, doctor, patient_a, units, record_trough, django_assert_num_queries
):
    draw(patient_a, nurse, units, 40, creatinine="70", potassium="4.2", platelets="200")
    record(patient_a, nurse, doctor, 40)
    record_trough(patient_a, "7.0")
    client.force_login(nurse)
    url = reverse("monitoring:patient_detail", args=[patient_a.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for days_ago in range(30, 5, -3):
        draw(
            patient_a,
            nurse,
            units,
            days_ago,
            creatinine="72",
            potassium="4.4",
            platelets="210",
            alt="20",
        )
        record(patient_a, nurse, doctor, days_ago)
        record_trough(patient_a, "9.0")

    with django_assert_num_queries(len(few)):
        response = client.get(url)

    assert response.text.count("Interaction · ") >= 9


def test_it_lists_earlier_regimens_with_their_mg_per_kg_per_day(client, nurse, doctor, patient_a):
    start = timezone.localdate() - dt.timedelta(days=60)
    services.record_weight(
        patient=patient_a, weight_kg=Decimal("50"), measured_on=start, entered_by=nurse
    )
    for days, morning in ((0, "2.5"), (30, "3")):
        services.start_regimen(
            patient=patient_a,
            product="Prograf",
            strength_mg=Decimal("0.5"),
            morning_dose_mg=Decimal(morning),
            evening_dose_mg=Decimal(morning),
            started_on=start + dt.timedelta(days=days),
            reason=f"Step {days}",
            prescriber=doctor,
            entered_by=doctor,
        )
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    history = page[page.index('id="regimen-history"') :]
    assert "5 mg/day (0.1 mg/kg/day)" in history  # 2.5 + 2.5 mg at 50 kg
    assert "6 mg/day" in page  # the current regimen


def test_the_trough_chart_shows_the_daily_dose_beneath_and_hollow_unreliable_troughs(
    client, nurse, start_regimen, patient_a, record_trough
):
    start_regimen(patient_a, timezone.localdate() - dt.timedelta(days=30), "2", "2")
    sampled = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    record_trough(patient_a, "7.0", at=sampled, last_dose_at=sampled - dt.timedelta(hours=3))
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    traces = {trace["name"]: trace for trace in figure_in(page)["data"]}
    assert set(traces["Dose"]["y"]) == {4.0}  # mg/day (a step held to today), own panel
    assert traces["Dose"]["yaxis"] == "y2"
    caveat = next(t for t in traces.values() if "open" in str(t.get("marker", {}).get("symbol")))
    assert "not a true trough: drawn 3 h 00 min after the dose" in str(caveat)
    assert "not a true trough: drawn 3 h 00 min after the dose" in page  # and in the table


# The staff patient page's queries (issue #8): session, user, patient, the access log
# insert, the unmatched count and unit preferences of the navigation, the record (one query
# per list), the schedule, alerts, suppressions, latest results, withdrawn results, rule
# settings of the dose suggestion and the patient's dose report.
PATIENT_PAGE_QUERIES = 28


def long_record(patient, nurse, doctor, units, record_trough, size):
    """`size` troughs, blood draws and medicines, and one of every other record item."""
    record(patient, nurse, doctor, size + 1)
    for n in range(size):
        record_trough(patient, "7.5")
        draw(patient, nurse, units, n + 1, creatinine="70", potassium="4.2")
        services.record_medication(
            patient=patient,
            name=f"Medicine {n}",
            started_on=timezone.localdate() - dt.timedelta(days=n),
            entered_by=nurse,
        )


@pytest.mark.parametrize("size", [3, 30])
def test_it_costs_the_same_queries_for_3_or_30_results_and_medicines(
    client, nurse, doctor, patient_a, units, record_trough, django_assert_num_queries, size
):
    long_record(patient_a, nurse, doctor, units, record_trough, size)
    client.force_login(nurse)
    url = reverse("monitoring:patient_detail", args=[patient_a.pk])
    client.get(url)  # warm up (content types)

    with django_assert_num_queries(PATIENT_PAGE_QUERIES):
        response = client.get(url)

    assert response.text.count("Medicine ") == size
    assert response.text.count(">7.5<") == size  # every trough in the table

"""CSV downloads (issue #6): formula escaping, the clinic's results, the worklist's alerts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.exports import safe_cell
from monitoring.imports.codes import find_unit
from monitoring.models import Analyte, Severity
from tests.factories import AlertFactory, PatientFactory

CLINIC_URL = reverse("monitoring:clinic_results_csv", args=["demo-rheum"])
ALERTS_URL = reverse("monitoring:worklist_alerts_csv")
INJECTIONS = ['=HYPERLINK("http://x")', "@SUM(A1)", "+1", "-2+3", "\tcmd", "\rcmd"]


def rows_of(response) -> list[dict]:
    """The CSV's rows as dicts by header; consumes the streamed body."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


@pytest.mark.parametrize("text", INJECTIONS)
def test_a_text_cell_a_spreadsheet_would_run_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (Decimal("-2"), "-2"),
        (Decimal("-0.5"), "-0.5"),
        (-3, "-3"),
        (Decimal("1.1E+2"), "110"),
        (Decimal("106.08"), "106.08"),
        (None, ""),
        ("Lyon, lab", "Lyon, lab"),
    ],
)
def test_numbers_stay_numbers_and_plain_text_is_unchanged(value, written):
    assert safe_cell(value) == written


def test_a_negative_number_sent_as_text_is_escaped():
    # Only typed numbers are numbers: "-2" in a comment is text.
    assert safe_cell("-2") == "'-2"


def record(patient, code, value, *, at, unit=None, comment="", last_dose_at=None, by):
    analyte = Analyte.objects.get(code=code)
    result, _alerts = services.record_result(
        patient=patient,
        analyte=analyte,
        value=Decimal(value),
        unit=find_unit(analyte, unit) if unit else None,
        collected_at=at,
        last_dose_at=last_dose_at,
        comment=comment,
        entered_by=by,
    )
    return result


@pytest.fixture
def yesterday_8am():
    day = timezone.localdate() - dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))


def test_the_clinic_csv_escapes_comments_and_keeps_values_numbers(
    client, nurse, patient_a, yesterday_8am
):
    for hours, comment in enumerate(INJECTIONS):
        at = yesterday_8am - dt.timedelta(hours=hours)
        record(patient_a, "potassium", "4.2", at=at, comment=comment, by=nurse)
    client.force_login(nurse)

    rows = rows_of(client.get(CLINIC_URL))

    assert sorted(row["comment"] for row in rows) == sorted("'" + text for text in INJECTIONS)
    assert {row["value"] for row in rows} == {"4.2"}


def test_the_clinic_csv_has_one_full_row_per_valid_result(
    client, nurse, patient_a, tacrolimus, yesterday_8am
):
    trough = record(
        patient_a,
        "tacrolimus",
        "7.1",
        at=yesterday_8am,
        last_dose_at=yesterday_8am - dt.timedelta(hours=12),
        by=nurse,
    )
    creatinine = record(
        patient_a, "creatinine", "1.2", unit="mg/dL", at=yesterday_8am, comment="lab", by=nurse
    )
    wrong = record(patient_a, "potassium", "9.9", at=yesterday_8am, by=nurse)
    services.mark_result_entered_in_error(result=wrong, user=nurse, reason="wrong patient")
    client.force_login(nurse)

    response = client.get(CLINIC_URL)

    by_test = {row["test"]: row for row in rows_of(response)}
    assert set(by_test) == {"Tacrolimus trough (C0)", "Creatinine"}
    sampled = timezone.localtime(yesterday_8am).isoformat(timespec="minutes")
    assert by_test["Tacrolimus trough (C0)"] | {"entered at": ""} == {
        "MRN": "DR-1001",
        "patient": "Alice Durand",
        "test": "Tacrolimus trough (C0)",
        "LOINC": tacrolimus.loinc,
        "value": "7.1",
        "unit": "ng/mL",
        "value as entered": "7.1",
        "unit as entered": "ng/mL",
        "comparator": "",
        "flag": trough.flag,
        "status": "final",
        "reference range": "",
        "sample time": sampled,
        "last dose": timezone.localtime(trough.last_dose_at).isoformat(timespec="minutes"),
        "hours after dose": "12.0",
        "comment": "",
        "entered by": "nurse",
        "entered at": "",
    }
    row = by_test["Creatinine"]
    assert (row["value"], row["unit"]) == ("106.08", "umol/L")
    assert (row["value as entered"], row["unit as entered"]) == ("1.2", "mg/dL")
    assert row["flag"] == creatinine.flag == "H"
    assert row["reference range"].count("–") == 1  # the woman's default range, low–high
    assert row["hours after dose"] == ""
    assert sampled[-6:] in ("+01:00", "+02:00")  # ISO 8601 with the offset
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="results-demo-rheum-{today}.csv"'
    )
    assert response["Cache-Control"] == "no-store"


def test_the_clinic_csv_holds_only_the_clinics_patients(
    client, nurse, nurse_other, patient_a, patient_other, record_trough
):
    record_trough(patient_a, "7.0")
    record_trough(patient_other, "7.0", by=nurse_other)
    client.force_login(nurse)

    body = client.get(CLINIC_URL).getvalue().decode()

    assert "DR-1001" in body
    assert "LY-2001" not in body and "Garnier" not in body


def test_the_clinic_csv_is_for_the_clinics_staff_only(
    client, nurse_other, doctor, patient_a, family, record_trough
):
    record_trough(patient_a, "7.0")
    assert client.get(CLINIC_URL).status_code == 302  # anonymous → login
    for user in (patient_a.user, family):
        client.force_login(user)
        assert client.get(CLINIC_URL).status_code == 403
    client.force_login(nurse_other)
    response = client.get(CLINIC_URL)
    assert response.status_code == 404
    assert "Durand" not in response.content.decode()
    nowhere = reverse("monitoring:clinic_results_csv", args=["nowhere"])
    assert client.get(nowhere).status_code == 404
    client.force_login(doctor)
    assert client.get(CLINIC_URL).status_code == 200


def test_the_clinic_csv_costs_the_same_queries_for_2_or_10_patients(
    client, nurse, clinic, record_trough, django_assert_num_queries
):
    for _ in range(2):
        record_trough(PatientFactory(clinic=clinic), "7.0")
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as few:
        assert len(rows_of(client.get(CLINIC_URL))) == 2
    for _ in range(8):
        record_trough(PatientFactory(clinic=clinic), "7.0")

    with django_assert_num_queries(len(few)):
        assert len(rows_of(client.get(CLINIC_URL))) == 10


def test_the_patient_list_links_to_the_clinic_csv(client, nurse):
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_list")).text

    assert f'href="{CLINIC_URL}"' in page


def test_the_patient_csv_escapes_text_cells(client, nurse, patient_a, yesterday_8am):
    result = record(patient_a, "potassium", "4.2", at=yesterday_8am, by=nurse)
    result.derived_method = "=cmd|' /C calc'!A0"  # text a lab interface could send
    result.save(update_fields=["derived_method"])
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_results_csv", args=[patient_a.pk]))

    [row] = rows_of(response)
    assert row["method"] == "'=cmd|' /C calc'!A0"
    assert row["value"] == "4.2"
    assert 'filename="results-DR-1001-' in response["Content-Disposition"]


# --- The worklist's alerts ---------------------------------------------------------------------


def test_the_alerts_csv_lists_the_worklists_alerts_with_their_text(
    client, doctor, patient_a, patient_b, record_trough
):
    record_trough(patient_a, "16")
    record_trough(patient_b, "5.3")
    AlertFactory(patient=patient_a, severity=Severity.INFO, message="Trough drawn late")
    client.force_login(doctor)

    response = client.get(ALERTS_URL)

    rows = rows_of(response)
    assert [(row["MRN"], row["severity"]) for row in rows] == [
        ("DR-1001", "Urgent"),
        ("DR-1002", "Warning"),
    ]
    assert rows[1]["alert"] == (
        "Tacrolimus trough 5.3 ng/mL is below the target 6–8 ng/mL (subtherapeutic)"
    )
    assert rows[1]["rule"] == "trough-below-target"
    assert rows[1]["status"] == "Open"
    assert 'filename="alerts-' in response["Content-Disposition"]


def test_the_alerts_csv_honours_the_filters(client, doctor, patient_a, patient_b, record_trough):
    record_trough(patient_a, "16")
    record_trough(patient_b, "5.3")
    AlertFactory(patient=patient_a, severity=Severity.INFO, message="Trough drawn late")
    client.force_login(doctor)

    by_patient = rows_of(client.get(ALERTS_URL, {"patient": "lefeb"}))
    with_info = rows_of(client.get(ALERTS_URL, {"severity": "10", "patient": "DR-1001"}))
    by_rule = rows_of(client.get(ALERTS_URL, {"rule": "trough-urgent-high", "page": "9"}))

    assert [row["MRN"] for row in by_patient] == ["DR-1002"]
    assert sorted(row["alert"] for row in with_info)[-1] == "Trough drawn late"
    assert len(with_info) == 2
    assert [row["rule"] for row in by_rule] == ["trough-urgent-high"]


def test_the_alerts_csv_escapes_names_and_comments(client, doctor, clinic):
    patient = PatientFactory(clinic=clinic, first_name="=HYPERLINK(1)", last_name="@x")
    alert = AlertFactory(patient=patient, severity=Severity.WARNING, message="+1 check")
    services.acknowledge_alert(alert=alert, user=doctor, comment="-2+3 noted")
    client.force_login(doctor)

    [row] = rows_of(client.get(ALERTS_URL, {"status": "acknowledged"}))

    assert row["patient"].startswith("'")
    assert row["alert"] == "'+1 check"
    assert row["comment"] == "'-2+3 noted"
    assert row["acknowledged by"] == doctor.display_name
    assert row["acknowledged at"]


def test_the_alerts_csv_speaks_the_doctors_language(client, doctor, patient_b, record_trough):
    record_trough(patient_b, "5.3")
    client.force_login(doctor)

    [row] = rows_of(client.get(ALERTS_URL, HTTP_ACCEPT_LANGUAGE="fr"))

    [text] = [cell for cell in row.values() if "tacrolimus" in cell]
    assert text.startswith("Taux résiduel de tacrolimus 5")
    assert "(infrathérapeutique)" in text


def test_the_alerts_csv_leaves_out_other_clinics_and_is_for_doctors(
    client, doctor, nurse, doctor_other, patient_a, patient_other, family, record_trough
):
    record_trough(patient_other, "16", by=doctor_other)
    assert client.get(ALERTS_URL).status_code == 302  # anonymous → login
    for user in (nurse, patient_a.user, family):  # as the worklist: doctors only
        client.force_login(user)
        assert client.get(ALERTS_URL).status_code == 403
    client.force_login(doctor)

    assert rows_of(client.get(ALERTS_URL)) == []


def test_the_alerts_csv_costs_the_same_queries_for_2_or_10_alerts(
    client, doctor, clinic, django_assert_num_queries
):
    def add_alerts(count):
        for _ in range(count):
            AlertFactory(patient=PatientFactory(clinic=clinic), severity=Severity.WARNING)

    add_alerts(2)
    client.force_login(doctor)
    with CaptureQueriesContext(connection) as few:
        assert len(rows_of(client.get(ALERTS_URL))) == 2
    add_alerts(8)

    with django_assert_num_queries(len(few)):
        assert len(rows_of(client.get(ALERTS_URL))) == 10


def test_the_worklist_links_to_its_csv_with_its_filters(client, doctor):
    client.force_login(doctor)

    page = client.get(reverse("monitoring:worklist"), {"patient": "alice"}).text

    assert f'href="{ALERTS_URL}?patient=alice"' in page

"""The doctor's worklist: open alerts of their clinics, most severe first, then oldest."""

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Severity
from tests.factories import AlertFactory, PatientFactory

URL = reverse("monitoring:worklist")


def test_it_lists_urgent_alerts_first_then_the_oldest(
    client, doctor, clinic, patient_a, patient_b, record_trough
):
    now = timezone.now()
    patient_c = PatientFactory(clinic=clinic, first_name="Chloe", last_name="Bernard")
    with time_machine.travel(now - dt.timedelta(days=2)):
        record_trough(patient_a, "5.0")
    with time_machine.travel(now - dt.timedelta(days=3)):
        record_trough(patient_b, "9.0")
    with time_machine.travel(now - dt.timedelta(days=1)):
        record_trough(patient_c, "16")
    client.force_login(doctor)

    page = client.get(URL).text

    positions = [page.index(name) for name in ["Chloe Bernard", "Bruno Lefebvre", "Alice Durand"]]
    assert positions == sorted(positions)


def test_it_shows_the_patient_the_value_and_the_rule_message(
    client, doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.3")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Alice Durand" in page
    assert "5.3 ng/mL" in page
    assert "Tacrolimus trough 5.3 ng/mL is below the target 6–8 ng/mL (subtherapeutic)" in page


def test_it_leaves_out_info_alerts(client, doctor, patient_a):
    AlertFactory(patient=patient_a, severity=Severity.INFO, message="Trough drawn late")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Trough drawn late" not in page
    assert "No open alerts" in page


def test_it_leaves_out_alerts_of_other_clinics(client, doctor, patient_other, record_trough):
    record_trough(patient_other, "16")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Garnier" not in page
    assert "No open alerts" in page


def test_its_query_count_does_not_grow_with_the_number_of_alerts(
    client, doctor, clinic, record_trough, django_assert_num_queries
):
    for value in ["5.0", "16"]:
        record_trough(PatientFactory(clinic=clinic), value)
    client.force_login(doctor)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for value in ["5.0", "9.0", "16"] * 6:
        record_trough(PatientFactory(clinic=clinic), value)

    with django_assert_num_queries(len(few)):
        response = client.get(URL)

    assert response.text.count("Acknowledge</button>") == 20

"""The nurse's patient list: the patients of her clinics with their latest trough."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from tests.factories import PatientFactory

URL = reverse("monitoring:patient_list")


def test_it_lists_the_clinics_patients_in_alphabetical_order(
    client, nurse, clinic, patient_a, patient_b
):
    PatientFactory(clinic=clinic, first_name="Chloe", last_name="Bernard")
    client.force_login(nurse)

    page = client.get(URL).text

    positions = [page.index(name) for name in ["Bernard, Chloe", "Durand, Alice", "Lefebvre"]]
    assert positions == sorted(positions)


def test_it_shows_the_latest_valid_trough_and_open_alerts(client, nurse, patient_a, record_trough):
    now = timezone.now().replace(second=0, microsecond=0)
    record_trough(patient_a, "7.2", at=now - dt.timedelta(days=3))
    record_trough(patient_a, "5.1", at=now - dt.timedelta(days=1))
    client.force_login(nurse)

    page = client.get(URL).text

    assert '<span class="value">5.1</span> <span class="unit">ng/mL</span>' in page
    assert "7.2" not in page
    assert "1 open" in page


def test_it_leaves_out_patients_of_other_clinics(client, nurse, patient_a, patient_other):
    client.force_login(nurse)

    page = client.get(URL).text

    assert "Durand" in page
    assert "Garnier" not in page
    assert "LY-2001" not in page


def test_it_finds_a_patient_by_name_or_mrn(client, nurse, patient_a, patient_b):
    client.force_login(nurse)

    by_name = client.get(URL, {"q": "lefeb"}).text
    by_mrn = client.get(URL, {"q": "DR-1001"}).text

    assert "Lefebvre" in by_name
    assert "Durand" not in by_name
    assert "Durand" in by_mrn
    assert "Lefebvre" not in by_mrn


def test_its_query_count_does_not_grow_with_the_number_of_patients(
    client, nurse, clinic, record_trough, django_assert_num_queries
):
    for _ in range(2):
        record_trough(PatientFactory(clinic=clinic), "5.0")
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for value in ["5.0", "7.0"] * 9:
        record_trough(PatientFactory(clinic=clinic), value)

    with django_assert_num_queries(len(few)):
        response = client.get(URL)

    assert response.text.count("Record trough</a>") == 20


def test_a_later_page_shows_the_latest_trough_and_open_alerts_of_its_own_patients(
    client, nurse, clinic, record_trough
):
    # The troughs and alert counts are worked out for the page's patients only (issue #8).
    for n in range(50):
        PatientFactory(clinic=clinic, last_name=f"Aaa{n:02d}")
    last = PatientFactory(clinic=clinic, last_name="Zorn", first_name="Zoe")
    now = timezone.now().replace(second=0, microsecond=0)
    record_trough(last, "7.4", at=now - dt.timedelta(days=2))
    record_trough(last, "11.6", at=now - dt.timedelta(days=1))
    client.force_login(nurse)

    first = client.get(URL).text
    second = client.get(URL, {"page": 2}).text

    assert "Zorn" not in first
    assert "11.6" not in first
    assert "Zorn, Zoe" in second
    assert '<span class="value">11.6</span> <span class="unit">ng/mL</span>' in second
    assert "1 open" in second
    assert "Page 2 of 2" in second


def test_a_trough_marked_entered_in_error_is_no_longer_the_latest(
    client, nurse, patient_a, record_trough
):
    now = timezone.now().replace(second=0, microsecond=0)
    record_trough(patient_a, "6.8", at=now - dt.timedelta(days=3))
    wrong = record_trough(patient_a, "16.8", at=now - dt.timedelta(days=1))
    services.mark_result_entered_in_error(result=wrong, user=nurse, reason="Wrong patient's tube")
    client.force_login(nurse)

    page = client.get(URL).text

    assert '<span class="value">6.8</span> <span class="unit">ng/mL</span>' in page
    assert "16.8" not in page

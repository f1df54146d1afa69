"""A database failure part-way leaves nothing behind, and a lost connection shows the plain
error page once; the next request works."""

import datetime as dt

import pytest
from django.db import IntegrityError, close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.imports import csv_results
from monitoring.models import Alert, LabResult

from .faults import database_fails

pytestmark = pytest.mark.django_db(transaction=True)

# An import writes its results in one statement, then runs each row's rules in turn: every
# row here raises or merges the above-target alert, so the third alert history row is
# written while the third row is processed.
THIRD_ROW = {"when": 'INSERT INTO "monitoring_historicalalert"', "call": 3}


@pytest.fixture(autouse=True)
def _drop_a_broken_connection(transactional_db):
    yield
    # A test that failed half-way may leave its connection broken: a new one for the flush.
    connection.close()


def csv_file(*values):
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    lines = ["mrn,loinc,value,unit,collected_at,last_dose_at"]
    lines += [
        f"DR-1001,77348-1,{value},ng/mL,{day}T0{hour}:00,{day}T00:00"
        for hour, value in enumerate(values, start=1)
    ]
    return "\n".join(lines).encode()


def test_a_database_error_on_the_third_row_leaves_no_row_saved(patient_a, nurse, clinic):
    rows = csv_results.validate_rows(
        csv_results.read_csv(csv_file("9.1", "9.2", "9.3", "9.4")), clinic=clinic
    )

    with (
        database_fails(**THIRD_ROW, error=IntegrityError("disk I/O error")),
        pytest.raises(IntegrityError),
    ):
        services.import_results(rows=rows, entered_by=nurse)

    assert LabResult.objects.count() == 0
    assert LabResult.history.count() == 0
    # The first two rows had raised an alert (above target) before the failure.
    assert Alert.objects.count() == 0
    assert Alert.history.count() == 0


def test_the_same_import_saves_every_row_once_the_database_is_back(patient_a, nurse, clinic):
    data = csv_file("9.1", "9.2", "9.3", "9.4")
    rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
    with (
        database_fails(**THIRD_ROW, error=IntegrityError("disk I/O error")),
        pytest.raises(IntegrityError),
    ):
        services.import_results(rows=rows, entered_by=nurse)

    rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
    report = services.import_results(rows=rows, entered_by=nurse)

    assert report.is_saved
    assert LabResult.objects.count() == 4


def test_a_lost_database_connection_shows_the_error_page_and_the_next_request_works(
    client, nurse, patient_a
):
    client.force_login(nurse)
    client.raise_request_exception = False
    url = reverse("monitoring:patient_list")

    with database_fails(when='"monitoring_patient"'):
        response = client.get(url)

    assert response.status_code == 500
    assert [template.name for template in response.templates] == ["500.html"]
    assert "Something went wrong" in response.text
    assert "Durand" not in response.text
    # What the server does when a request ends (the test client leaves it out): a
    # connection that failed is closed, and the next request opens a new one.
    close_old_connections()
    response = client.get(url)
    assert response.status_code == 200
    assert "Durand" in response.text

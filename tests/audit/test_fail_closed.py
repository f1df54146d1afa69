"""Fail closed: when the audit row cannot be written, the change (or the read) does not
happen. A database trigger stands in for a full disk or a broken audit table."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, BreakGlassGrant, LabResult


@pytest.fixture
def broken_table(db):
    """Makes INSERTs into a table fail, until the test's transaction rolls back."""

    def break_inserts(table):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER test_broken BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'audit table broken'); END"
                )
            else:
                cursor.execute(
                    "CREATE FUNCTION test_broken() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'audit table broken'; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER test_broken BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION test_broken()"
                )

    return break_inserts


def test_a_result_whose_history_cannot_be_written_is_not_saved(
    broken_table, patient_a, tacrolimus, nurse
):
    broken_table("monitoring_historicallabresult")
    now = timezone.now()

    with pytest.raises(DatabaseError, match="audit table broken"):
        services.record_result(
            patient=patient_a,
            analyte=tacrolimus,
            value=Decimal("9.4"),
            collected_at=now,
            last_dose_at=now - dt.timedelta(hours=12),
            entered_by=nurse,
        )

    assert not LabResult.objects.exists()
    assert not Alert.objects.exists()


def test_an_acknowledgement_whose_history_cannot_be_written_leaves_the_alert_open(
    broken_table, patient_a, record_trough, doctor
):
    record_trough(patient_a, "9.4")
    alert = patient_a.alerts.get()
    broken_table("monitoring_historicalalert")

    with pytest.raises(DatabaseError, match="audit table broken"):
        services.acknowledge_alert(alert=alert, user=doctor, comment="Seen")

    alert.refresh_from_db()
    assert alert.is_open


def test_a_break_glass_grant_that_cannot_be_logged_is_not_given(
    broken_table, break_glass, doctor, patient_other
):
    broken_table("monitoring_accessevent")

    with pytest.raises(DatabaseError, match="audit table broken"):
        break_glass()

    assert not BreakGlassGrant.objects.exists()


def test_a_page_whose_read_cannot_be_logged_is_not_shown(broken_table, client, nurse, patient_a):
    client.force_login(nurse)
    broken_table("monitoring_accessevent")
    client.raise_request_exception = True

    with pytest.raises(DatabaseError, match="audit table broken"):
        client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

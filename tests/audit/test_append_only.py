"""The audit tables are append-only in the database itself: raw SQL cannot rewrite them."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from monitoring import append_only, services
from monitoring.models import AccessAction, AccessEvent, LabResult


@pytest.fixture
def enforced(db):
    """The triggers as in production: the test settings let DELETE through for the flush
    (tests/conftest.py); this test's transaction takes that back, and rolls back after."""
    append_only.allow_delete(connection, enabled=False)


def run(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def access_row(nurse, patient_a):
    return services.record_access(user=nurse, action=AccessAction.VIEW_RECORD, patient=patient_a)


@pytest.fixture
def history_row(patient_a, record_trough):
    result = record_trough(patient_a, "7.1")
    return result.history.get()


def test_an_access_event_cannot_be_changed(enforced, access_row):
    with pytest.raises(DatabaseError, match="append-only"):
        run("UPDATE monitoring_accessevent SET action = 'login' WHERE id = %s", [access_row.pk])

    access_row.refresh_from_db()
    assert access_row.action == AccessAction.VIEW_RECORD


def test_an_access_event_cannot_be_deleted(enforced, access_row):
    with pytest.raises(DatabaseError, match="append-only"):
        run("DELETE FROM monitoring_accessevent WHERE id = %s", [access_row.pk])

    assert AccessEvent.objects.filter(pk=access_row.pk).exists()


def test_a_history_row_cannot_be_changed(enforced, history_row):
    table = history_row._meta.db_table

    with pytest.raises(DatabaseError, match="append-only"):
        run(f"UPDATE {table} SET value = 1 WHERE history_id = %s", [history_row.pk])

    history_row.refresh_from_db()
    assert history_row.value == Decimal("7.1")


def test_a_history_row_cannot_be_deleted(enforced, history_row):
    table = history_row._meta.db_table

    with pytest.raises(DatabaseError, match="append-only"):
        run(f"DELETE FROM {table} WHERE history_id = %s", [history_row.pk])

    assert LabResult.history.filter(pk=history_row.pk).exists()


def test_the_orm_cannot_change_history_either(enforced, history_row):
    with pytest.raises(DatabaseError), transaction.atomic():
        type(history_row).objects.filter(pk=history_row.pk).update(value=1)


def test_the_maintenance_switch_lets_deletes_through_but_never_updates(access_row):
    # The test settings have the switch on (for the flush): DELETE passes, UPDATE does not.
    with pytest.raises(DatabaseError, match="append-only"):
        run("UPDATE monitoring_accessevent SET action = 'login' WHERE id = %s", [access_row.pk])

    run("DELETE FROM monitoring_accessevent WHERE id = %s", [access_row.pk])

    assert not AccessEvent.objects.filter(pk=access_row.pk).exists()


def protected_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            rows = cursor.fetchall()
            updates = {t for t, sql in rows if "BEFORE UPDATE" in sql and "append-only" in sql}
            deletes = {t for t, sql in rows if "BEFORE DELETE" in sql and "append-only" in sql}
            return updates & deletes
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE action_statement LIKE '%%monitoring_append_only%%' "
            "GROUP BY event_object_table HAVING COUNT(DISTINCT event_manipulation) = 2"
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_history_table_is_append_only(db):
    # A migration that rebuilds a history table on SQLite drops its triggers: call
    # append_only.protect_tables() for it in that migration.
    history_tables = {
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.db_table.startswith("monitoring_historical")
    }
    audit_tables = {"monitoring_accessevent", "monitoring_breakglassgrant"}

    assert len(history_tables) > 20
    assert history_tables | audit_tables <= protected_tables()

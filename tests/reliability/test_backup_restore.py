"""`manage.py backup FILE` and `manage.py restore FILE --yes` put the data back exactly as it
was; restore says what it overwrites and does nothing without --yes."""

import hashlib
import shutil
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from monitoring import services
from monitoring.models import Alert, LabResult, Patient

IS_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    # The commands read the database through their own connections: the data must be committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        IS_POSTGRESQL and not (shutil.which("pg_dump") and shutil.which("pg_restore")),
        reason="pg_dump and pg_restore (PostgreSQL client programs) are not installed",
    ),
]


def content():
    """Row counts and a checksum of the clinical tables and their history."""
    tables = {
        "patients": Patient.objects.order_by("pk").values_list("pk", "mrn", "last_name"),
        "results": LabResult.objects.order_by("pk").values_list(
            "pk", "patient_id", "value", "collected_at", "status"
        ),
        "alerts": Alert.objects.order_by("pk").values_list(
            "pk", "status", "occurrences", "acknowledged_by_id"
        ),
        "result history": LabResult.history.order_by("pk").values_list("pk", "value"),
        "alert history": Alert.history.order_by("pk").values_list("pk", "status"),
    }
    return {
        name: (len(rows), hashlib.sha256(repr(list(rows)).encode()).hexdigest())
        for name, rows in tables.items()
    }


def restore(path, *args):
    out = StringIO()
    try:
        call_command("restore", str(path), *args, stdout=out)
    finally:
        restore.stdout = out.getvalue()


def test_a_restore_puts_back_exactly_what_was_backed_up(tmp_path, patient_a, record_trough, doctor):
    record_trough(patient_a, "9.1")
    record_trough(patient_a, "9.4")
    before = content()
    path = tmp_path / "tdm.backup"
    call_command("backup", str(path), stdout=StringIO())
    # Work goes on after the backup.
    services.acknowledge_alert(
        alert=Alert.objects.get(rule_code="trough-above-target"), user=doctor, comment="Seen"
    )
    record_trough(patient_a, "5.2")
    Patient.objects.filter(pk=patient_a.pk).update(last_name="Changed")
    assert content() != before

    restore(path, "--yes")

    assert content() == before
    assert "Restored" in restore.stdout
    # The site goes on from there: a new result is saved (sequences and locks are sound).
    record_trough(patient_a, "6.0")
    assert LabResult.objects.count() == 3


def test_restore_without_yes_says_what_it_would_overwrite_and_changes_nothing(
    tmp_path, patient_a, record_trough
):
    path = tmp_path / "tdm.backup"
    call_command("backup", str(path), stdout=StringIO())
    record_trough(patient_a, "6.1")
    after = content()

    with pytest.raises(CommandError, match="Run again with --yes"):
        restore(path)

    kind = "PostgreSQL" if IS_POSTGRESQL else "SQLite"
    assert f"This replaces everything in the {kind} database" in restore.stdout
    assert settings.DATABASES["default"]["NAME"] in restore.stdout
    assert "whatever was entered since is lost" in restore.stdout
    assert content() == after


def test_a_file_that_is_not_a_backup_is_refused(tmp_path, patient_a, record_trough):
    record_trough(patient_a, "6.1")
    after = content()
    path = tmp_path / "results.csv"
    path.write_text("mrn,loinc,value\n")

    with pytest.raises(CommandError):
        restore(path, "--yes")

    assert content() == after
    with pytest.raises(CommandError, match="does not exist"):
        restore(tmp_path / "missing.backup", "--yes")

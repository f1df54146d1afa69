"""Production settings refuse to start half-configured and pass Django's deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, **env):
    """Run python in the project with only PATH and the given variables in the environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_secret_key_the_settings_refuse_to_load():
    process = run("-c", "import tdm_tracker.settings", ALLOWED_HOSTS="example.org")

    assert process.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in process.stderr


def test_without_allowed_hosts_the_settings_refuse_to_load():
    process = run("-c", "import tdm_tracker.settings", SECRET_KEY=secrets.token_urlsafe(50))

    assert process.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS is not set" in process.stderr


def test_the_production_defaults_pass_the_deploy_checks():
    process = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
    )

    assert process.returncode == 0, process.stderr
    assert "System check identified no issues" in process.stdout


def test_the_default_database_is_sqlite_with_wal_and_immediate_transactions():
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "db = settings.DATABASES['default'];"
        "print(db['ENGINE'], db['OPTIONS']['transaction_mode'], db['OPTIONS']['init_command'])"
    )

    process = run(
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="tdm_tracker.settings",
        SECRET_KEY="x",
        ALLOWED_HOSTS="example.org",
    )

    assert process.returncode == 0, process.stderr
    assert process.stdout.split()[:2] == ["django.db.backends.sqlite3", "IMMEDIATE"]
    assert "PRAGMA journal_mode=WAL" in process.stdout


def test_a_sqlite_database_really_runs_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection;"
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode');"
        "print(cursor.fetchone()[0])"
    )

    process = run(
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="tdm_tracker.settings",
        SECRET_KEY="x",
        ALLOWED_HOSTS="example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "wal"

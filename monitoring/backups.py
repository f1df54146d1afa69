"""Copy the database to a file and back (`manage.py backup` / `manage.py restore`).

SQLite: SQLite's online backup API, page by page under its own locks, so a copy taken while
the site runs is consistent, and a restore writes into the live file the same way.
PostgreSQL: pg_dump's custom format, restored by pg_restore in one transaction (all or
nothing). Connection details come from settings.DATABASES.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _


class BackupError(Exception):
    """The backup or restore could not be done; the message says why and what to do."""


def describe(database: dict) -> str:
    """The database in words, for the restore warning: which data would be overwritten."""
    if _vendor(database) == "sqlite":
        return _("the SQLite database %(name)s") % {"name": database["NAME"]}
    return _("the PostgreSQL database %(name)s on %(host)s:%(port)s") % {
        "name": database["NAME"],
        "host": database.get("HOST") or "localhost",
        "port": database.get("PORT") or 5432,
    }


def backup(database: dict, path: Path) -> None:
    """Write a copy of `database` to `path`. A half-written copy never takes its name."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        if _vendor(database) == "sqlite":
            with _sqlite(database["NAME"]) as source, _sqlite(partial) as target:
                source.backup(target)
                # One self-contained file: no -wal beside it to lose when it is copied.
                target.execute("PRAGMA journal_mode=DELETE")
        else:
            _run("pg_dump", "--format=custom", f"--file={partial}", database=database)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def check(database: dict, path: Path) -> str:
    """Refuse a file that is not a backup of this kind of database; say when it was taken."""
    if not path.is_file():
        raise BackupError(_("%(file)s does not exist.") % {"file": path})
    taken = timezone.localtime(dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC))
    if _vendor(database) == "sqlite":
        try:
            with _sqlite(f"file:{path}?mode=ro", uri=True) as copy:
                ok = copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                ok = (
                    ok
                    and copy.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'django_migrations'"
                    ).fetchone()
                )
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            raise BackupError(
                _("%(file)s is not a backup of this site's SQLite database.") % {"file": path}
            )
    else:
        _run("pg_restore", "--list", str(path), database=None)
    return f"{taken:%Y-%m-%d %H:%M %Z}"


def restore(database: dict, path: Path) -> None:
    """Replace the content of `database` with the backup in `path`, all or nothing."""
    check(database, path)
    if _vendor(database) == "sqlite":
        with _sqlite(f"file:{path}?mode=ro", uri=True) as source, _sqlite(database["NAME"]) as db:
            source.backup(db)
    else:
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(path),
            database=database,
        )


def _vendor(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(
        _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine}
    )


class _sqlite:
    """A plain sqlite3 connection, closed on leaving (sqlite3's own `with` only commits)."""

    def __init__(self, name, *, uri: bool = False):
        # The same busy timeout as the site: wait for a writer rather than fail.
        self.connection = sqlite3.connect(name, uri=uri, timeout=20)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _run(program: str, *args: str, database: dict | None) -> None:
    """Run a PostgreSQL client program against `database` (password through the
    environment, never on the command line)."""
    if shutil.which(program) is None:
        raise BackupError(
            _("%(program)s is not installed: install the PostgreSQL client programs.")
            % {"program": program}
        )
    command = [program, *args]
    env = dict(os.environ)
    if database is not None:
        command += [f"--dbname={database['NAME']}"]
        if database.get("HOST"):
            command += [f"--host={database['HOST']}"]
        if database.get("PORT"):
            command += [f"--port={database['PORT']}"]
        if database.get("USER"):
            command += [f"--username={database['USER']}"]
        if database.get("PASSWORD"):
            env["PGPASSWORD"] = database["PASSWORD"]
        if database.get("OPTIONS", {}).get("sslmode"):
            env["PGSSLMODE"] = database["OPTIONS"]["sslmode"]
    process = subprocess.run(
        command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if process.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": program, "error": process.stderr.strip()}
        )

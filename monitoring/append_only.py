"""Append-only audit tables, enforced by the database (issue #7).

Triggers on SQLite and PostgreSQL refuse UPDATE and DELETE on the access log, the
break-glass grants, the family read log and every simple-history table: whoever holds the
application's database account (a bug, a bulk `.update()`, someone at a SQL prompt) cannot
rewrite who did what.

The one way around it is the control table `monitoring_audit_maintenance`: while it holds a
row with `enabled` true, DELETE is allowed (UPDATE never is). It exists for Django's test
flush (SQLite flushes with DELETE; see tests/conftest.py) and for an operator who must erase
data by law, who then inserts the row by hand and removes it afterwards. The table has no
Django model, so a flush never empties it. PostgreSQL flushes with TRUNCATE, which fires no
row trigger: TRUNCATE needs the table owner's rights, which the application's account
should not hold in production.

SQLite rebuilds a table (and loses its triggers) when a migration alters it: a migration that
changes a history table must call `protect_tables()` again for it
(tests/audit/test_append_only.py fails until it does).
"""

from __future__ import annotations

CONTROL_TABLE = "monitoring_audit_maintenance"

# Besides the simple-history tables (monitoring_historical*).
APPEND_ONLY_TABLES = [
    "monitoring_accessevent",
    "monitoring_breakglassgrant",
    "monitoring_shareaccess",
]


def audited_tables(connection) -> list[str]:
    """The tables that must be append-only, as they exist in the database now."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    history = [name for name in names if name.startswith("monitoring_historical")]
    return sorted(history) + [name for name in APPEND_ONLY_TABLES if name in names]


def _trigger_names(table: str) -> tuple[str, str]:
    # SQLite: one trigger per statement kind; PostgreSQL: one for both (the first name).
    return f"{table}_no_update", f"{table}_no_delete"


def create_control_table(schema_editor) -> None:
    schema_editor.execute(
        f"CREATE TABLE IF NOT EXISTS {CONTROL_TABLE} (enabled boolean NOT NULL DEFAULT false)"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION monitoring_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE'
                   AND EXISTS (SELECT 1 FROM {CONTROL_TABLE} WHERE enabled) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME;
            END;
            $$
            """,
            params=None,  # no placeholders: the % are plpgsql's
        )


def protect_tables(schema_editor, tables: list[str]) -> None:
    """Create (or re-create) the triggers that make `tables` append-only."""
    vendor = schema_editor.connection.vendor
    for table in tables:
        no_update, no_delete = _trigger_names(table)
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {no_update}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {no_delete}")
            schema_editor.execute(
                f"CREATE TRIGGER {no_update} BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'append-only'); END"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {no_delete} BEFORE DELETE ON {table} "
                f"WHEN NOT EXISTS (SELECT 1 FROM {CONTROL_TABLE} WHERE enabled) "
                "BEGIN SELECT RAISE(ABORT, 'append-only'); END"
            )
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {no_update} ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {no_update} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION monitoring_append_only()"
            )
        else:  # pragma: no cover - the project supports SQLite and PostgreSQL only
            raise NotImplementedError(f"No append-only triggers for {vendor}")


def unprotect_tables(schema_editor, tables: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        for name in _trigger_names(table):
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def allow_delete(connection, enabled: bool = True) -> None:
    """Let DELETE through (a test flush), or stop letting it through."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CONTROL_TABLE}")
        if enabled:
            cursor.execute(f"INSERT INTO {CONTROL_TABLE} (enabled) VALUES (%s)", [True])

"""Database faults on demand, through Django's execute_wrapper: the application's own code runs
unchanged, only the database answers differently."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def database_fails(*, when: str, call: int = 1, error: Exception | None = None):
    """The `call`-th statement whose SQL contains `when` fails on this thread's connection.

    With `error`, the database refuses the statement with it (a constraint, a full disk).
    Without, the connection is lost there: the driver's connection is closed under Django,
    which then sees the driver's own error, as when the server goes away."""
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        if when in sql:
            seen += 1
            if seen == call:
                if error is not None:
                    raise error
                connection.connection.close()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield

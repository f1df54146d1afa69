"""Run several calls at the same instant, each in its own thread with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None


def run_together(calls: list[Callable[[], object]], *, timeout: float = 60) -> list[Outcome]:
    """Start every call at once (a barrier releases them together) and wait for all.

    Each thread opens its own database connection, as each request of a server does, and
    closes it at the end so the test database can be flushed or dropped afterwards."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index].value = call()
        except BaseException as error:  # reported to the test, whatever it is
            outcomes[index].error = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return outcomes

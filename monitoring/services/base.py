"""Helpers every service uses."""

from __future__ import annotations

from ..models import Patient, User


def _audit(obj, *, user: User | None, reason: str = "") -> None:
    """Tell simple-history who makes the next save and why (outside requests too)."""
    obj._history_user = user
    if reason:
        # simple-history keeps at most 100 characters of the reason (the full text, when
        # longer, is on the record itself: resolution, comment).
        obj._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"


def _lock_patient(patient: Patient) -> None:
    """Hold the writes about this patient until the transaction ends (a row lock on
    PostgreSQL; SQLite's IMMEDIATE transactions already let one writer in at a time).

    Without it, two results saved at once both pass the duplicate check, or both find no
    open alert and both open one, and the database refuses the second with an IntegrityError.
    NO KEY UPDATE: a result's foreign key holds a KEY SHARE lock on the patient, which this
    lock does not wait for, so two writers that already inserted a row cannot deadlock."""
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).values_list(
        "pk", flat=True
    ).get()

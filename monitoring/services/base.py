"""Helpers every service uses."""

from __future__ import annotations

from ..models import User


def _audit(obj, *, user: User | None, reason: str = "") -> None:
    """Tell simple-history who makes the next save and why (outside requests too)."""
    obj._history_user = user
    if reason:
        # simple-history keeps at most 100 characters of the reason (the full text, when
        # longer, is on the record itself: resolution, comment).
        obj._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"

"""What every page's navigation shows: a doctor's open alerts per severity, and the lab
results waiting in the unmatched queue for nurses and doctors."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.functional import lazy

from . import display
from .models import Alert, Role, Severity, UnmatchedResult, User
from .templatetags.monitoring_tags import SEVERITY_BADGES

# Info alerts are not on the worklist (A6), so the navigation does not count them.
NAV_SEVERITIES = [Severity.CRITICAL, Severity.URGENT, Severity.WARNING]


def open_alert_counts(user: User) -> dict[Severity, int]:
    """The open alerts of the user's clinics per severity, in one aggregate query."""
    counts = (
        Alert.objects.visible_to(user)
        .open()
        .aggregate(
            **{
                f"severity_{severity.value}": Count("pk", filter=Q(severity=severity))
                for severity in Severity
            }
        )
    )
    return {severity: counts[f"severity_{severity.value}"] for severity in Severity}


def alert_counts(request: HttpRequest) -> dict:
    """Doctors see their open alerts per severity beside the worklist link; nobody else
    costs a query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    if user.role != Role.DOCTOR:
        return {}
    counts = open_alert_counts(user)
    return {
        "nav_alert_counts": [
            {
                "severity": severity,
                "label": severity.label.lower(),
                "count": counts[severity],
                "css": SEVERITY_BADGES[severity],
            }
            for severity in NAV_SEVERITIES
        ]
    }


def unmatched_count(request: HttpRequest) -> dict:
    """Nurses and doctors see how many lab results wait in their clinics' unmatched queue:
    one COUNT query (the clinic index covers it); nobody else costs a query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    if user.role not in (Role.NURSE, Role.DOCTOR):
        return {}
    return {"nav_unmatched_count": UnmatchedResult.objects.visible_to(user).pending().count()}


def unit_system(request: HttpRequest) -> dict:
    """`unit_system` ("SI" or "US") for the signed-in viewer, lazy: a page that shows no result
    costs no query, one that does costs at most one (cached on the request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unit_system": lazy(display.request_unit_system, str)(request)}

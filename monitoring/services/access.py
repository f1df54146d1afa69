"""The access log and break-glass access (issue #7)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from ..models import (
    BREAK_GLASS_DURATION,
    BREAK_GLASS_REASON_MIN_LENGTH,
    AccessAction,
    AccessEvent,
    BreakGlassGrant,
    Patient,
    Role,
    User,
)


def current_request() -> HttpRequest | None:
    """The request being served, as simple-history's HistoryRequestMiddleware keeps it (for
    the access helpers, which are given only the user)."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind the proxy that settings.SECURE_PROXY_SSL_HEADER says is there,
    the address that proxy appended last to X-Forwarded-For (earlier ones are the client's
    own words and can be forged)."""
    address = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _pk(value) -> int | None:
    return getattr(value, "pk", value)


def access_event(
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    action: str,
    patient=None,
    share=None,
    break_glass=None,
    obj=None,
    what: str = "",
) -> AccessEvent:
    """The unsaved event (for `bulk_create` when one request touches several patients)."""
    request = request or current_request()
    if user is None and getattr(request, "user", None) and request.user.is_authenticated:
        user = request.user
    if isinstance(obj, tuple):
        object_type, object_id = obj
    elif obj is not None:
        object_type, object_id = type(obj).__name__, obj.pk
    else:
        object_type, object_id = "", None
    return AccessEvent(
        at=timezone.now(),
        user=user,
        role=getattr(user, "role", "") or "",
        patient_id=_pk(patient),
        share_id=_pk(share),
        break_glass_id=_pk(break_glass),
        action=action,
        object_type=object_type,
        object_id=object_id,
        what=what[:100],
        ip_address=client_ip(request) if request is not None else None,
        # The path only: a query string may hold search words (names).
        path=request.path[:200] if request is not None else "",
    )


def record_access(**kwargs) -> AccessEvent:
    """Write one access event (one INSERT). Keyword arguments: `request` and/or `user`
    (without a request, the request being served is used for the address and path),
    `action` (AccessAction), `patient`, `share`, `break_glass` (objects or ids), `obj` (a
    model instance, or ("LabResult", 123) for an object that was not found), `what`.

    Never give it names or values: only ids go into the log."""
    event = access_event(**kwargs)
    event.save(force_insert=True)
    return event


@transaction.atomic
def grant_break_glass(
    *, doctor: User, clinic_code: str, mrn: str, reason: str, request: HttpRequest | None = None
) -> BreakGlassGrant:
    """Open the record of a patient of another clinic to `doctor`, read-only, for
    BREAK_GLASS_DURATION. The patient is found only by exact clinic code and MRN (no search).
    The grant is logged; the clinic administrator reviews the reason."""
    if doctor.role != Role.DOCTOR or not doctor.is_active:
        raise ValidationError(_("Only doctors can use emergency access."), code="not_doctor")
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": _("Give the reason in at least %(count)s characters.")
                % {"count": BREAK_GLASS_REASON_MIN_LENGTH}
            },
            code="reason_too_short",
        )
    patient = (
        Patient.objects.filter(clinic__code=clinic_code.strip(), mrn=mrn.strip())
        .select_related("clinic")
        .first()
    )
    if patient is None:
        raise ValidationError(
            _("No patient has this MRN in the clinic with this code."), code="not_found"
        )
    if doctor.clinics.filter(pk=patient.clinic_id).exists():
        raise ValidationError(
            _("This patient is in your clinic: open their page directly."), code="own_clinic"
        )
    now = timezone.now()
    grant = BreakGlassGrant(
        doctor=doctor,
        patient=patient,
        reason=reason,
        granted_at=now,
        expires_at=now + BREAK_GLASS_DURATION,
    )
    grant.full_clean()
    grant.save()
    record_access(
        request=request,
        user=doctor,
        action=AccessAction.BREAK_GLASS,
        patient=patient,
        break_glass=grant,
        obj=grant,
    )
    return grant

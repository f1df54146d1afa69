"""Who may see what. Each object type has one `_get_<thing>_for_user` helper that decides
access; anything a user may not see is a 404 that reveals nothing."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from ..models import (
    Alert,
    Invitation,
    LabResult,
    Patient,
    Role,
    Share,
    ShareAccess,
    UnmatchedResult,
)


def role_required(*roles: str):
    """Only these roles reach the view; others get 403 (they are logged in, just not allowed)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.user.role not in roles or not request.user.is_active:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(Role.NURSE, Role.DOCTOR)
doctor_required = role_required(Role.DOCTOR)
portal_required = role_required(Role.PATIENT, Role.FAMILY)


def _get_patient_for_user(user, patient_id: int, *, what: str = "patient data") -> Patient:
    """The patient, if `user` may see them. A family member's read is recorded on behalf of
    their share (`what` says what was read): the patient sees who looked and when."""
    patients = Patient.objects.visible_to(user).select_related("clinic")
    is_family = getattr(user, "role", None) == Role.FAMILY
    if is_family:
        # The share is found in the same query as the patient: one INSERT is the only cost.
        shares = Share.objects.active().filter(grantee=user, patient=OuterRef("pk"))
        patients = patients.annotate(share_id=Subquery(shares.values("pk")[:1]))
    patient = get_object_or_404(patients, pk=patient_id)
    if is_family:
        ShareAccess.objects.create(share_id=patient.share_id, what=what[:100])
    return patient


def _get_result_for_user(user, result_id: int) -> LabResult:
    return get_object_or_404(
        LabResult.objects.filter(patient__in=Patient.objects.visible_to(user)).select_related(
            "patient__clinic", "analyte", "entered_by"
        ),
        pk=result_id,
    )


def _get_alert_for_user(user, alert_id: int) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(user).select_related("patient"), pk=alert_id)


def _get_share_for_user(user, share_id: int) -> Share:
    # Only the patient who gave a share may manage it.
    return get_object_or_404(Share.objects.filter(patient__user=user), pk=share_id)


def _get_invitation_for_user(user, invitation_id: int) -> Invitation:
    # Only the patient who sent an invitation may manage it.
    return get_object_or_404(Invitation.objects.filter(patient__user=user), pk=invitation_id)


def _get_unmatched_for_user(user, item_id: int) -> UnmatchedResult:
    """A lab result of the unmatched queue of one of the user's clinics, with its message."""
    return get_object_or_404(
        UnmatchedResult.objects.visible_to(user).select_related(
            "message", "clinic", "patient", "result__analyte", "resolved_by"
        ),
        pk=item_id,
    )

"""Who may see what. Each object type has one `_get_<thing>_for_user` helper that decides
access; anything a user may not see is a 404 that reveals nothing.

Every patient read through these helpers is written to the access log (one INSERT), and so
is every refusal (issue #7). Break-glass access (a doctor outside the patient's clinic) is
read-only: only the read views pass `break_glass=True`; every other view refuses it.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from ..models import (
    AccessAction,
    Alert,
    BreakGlassGrant,
    Clinic,
    Invitation,
    LabResult,
    Patient,
    Role,
    Share,
    ShareAccess,
    UnmatchedResult,
)
from ..services import record_access


def role_required(*roles: str):
    """Only these roles reach the view; others get 403 (they are logged in, just not allowed),
    and the refusal is logged."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.user.role not in roles or not request.user.is_active:
                record_access(request=request, action=AccessAction.DENIED)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(Role.NURSE, Role.DOCTOR)
doctor_required = role_required(Role.DOCTOR)
portal_required = role_required(Role.PATIENT, Role.FAMILY)


def _get_or_deny(user, queryset, pk: int):
    """get_object_or_404, with the refusal of a signed-in user logged (the type and the id
    asked for: nothing about whether it exists). The 404 is the one an unknown id gets."""
    try:
        return get_object_or_404(queryset, pk=pk)
    except Http404:
        if getattr(user, "is_authenticated", False):
            record_access(user=user, action=AccessAction.DENIED, obj=(queryset.model.__name__, pk))
        raise


def _get_clinic_for_user(user, code: str) -> Clinic:
    """A clinic the user works in, by its code; any other code is the 404 of an unknown one,
    and its refusal is logged like the others."""
    try:
        return get_object_or_404(user.clinics.all(), code=code)
    except Http404:
        if getattr(user, "is_authenticated", False):
            record_access(
                user=user, action=AccessAction.DENIED, obj=("Clinic", None), what=code[:100]
            )
        raise


def _with_break_glass(queryset, user, patient_field: str):
    """Annotates `break_glass_id`: the doctor's active grant on the row's patient, if any
    (in the same query, so that the log names the grant at no extra cost)."""
    grants = BreakGlassGrant.objects.active().filter(doctor=user, patient=OuterRef(patient_field))
    return queryset.annotate(break_glass_id=Subquery(grants.values("pk")[:1]))


def _get_patient_for_user(
    user,
    patient_id: int,
    *,
    what: str = "patient data",
    action: str = AccessAction.VIEW_RECORD,
    break_glass: bool = False,
) -> Patient:
    """The patient, if `user` may see them; the read is logged as `action` (`what` says what
    was read). A family member's read is also recorded on behalf of their share: the
    patient sees who looked and when. `break_glass=True` only in views that change nothing."""
    patients = Patient.objects.visible_to(user, break_glass=break_glass).select_related("clinic")
    role = getattr(user, "role", None)
    if role == Role.FAMILY:
        # The share is found in the same query as the patient: one INSERT is the only cost.
        shares = Share.objects.active().filter(grantee=user, patient=OuterRef("pk"))
        patients = patients.annotate(share_id=Subquery(shares.values("pk")[:1]))
    if break_glass and role == Role.DOCTOR:
        patients = _with_break_glass(patients, user, "pk")
    patient = _get_or_deny(user, patients, patient_id)
    share_id = getattr(patient, "share_id", None)
    if share_id:
        ShareAccess.objects.create(share_id=share_id, what=what[:100])
    record_access(
        user=user,
        action=action,
        patient=patient,
        share=share_id,
        break_glass=getattr(patient, "break_glass_id", None),
        obj=patient,
        what=what,
    )
    return patient


def _get_result_for_user(
    user, result_id: int, *, action: str = AccessAction.VIEW_RECORD, break_glass: bool = False
) -> LabResult:
    results = LabResult.objects.filter(
        patient__in=Patient.objects.visible_to(user, break_glass=break_glass)
    ).select_related("patient__clinic", "analyte", "entered_by")
    if break_glass and getattr(user, "role", None) == Role.DOCTOR:
        results = _with_break_glass(results, user, "patient_id")
    result = _get_or_deny(user, results, result_id)
    record_access(
        user=user,
        action=action,
        patient=result.patient_id,
        break_glass=getattr(result, "break_glass_id", None),
        obj=result,
    )
    return result


def _get_alert_for_user(user, alert_id: int, *, action: str = AccessAction.VIEW_RECORD) -> Alert:
    # Alert.visible_to leaves break-glass patients out: their alerts are not acted on.
    alert = _get_or_deny(user, Alert.objects.visible_to(user).select_related("patient"), alert_id)
    record_access(user=user, action=action, patient=alert.patient_id, obj=alert)
    return alert


def _get_share_for_user(user, share_id: int) -> Share:
    # Only the patient who gave a share may manage it.
    return _get_or_deny(user, Share.objects.filter(patient__user=user), share_id)


def _get_invitation_for_user(user, invitation_id: int) -> Invitation:
    # Only the patient who sent an invitation may manage it.
    return _get_or_deny(user, Invitation.objects.filter(patient__user=user), invitation_id)


def _get_unmatched_for_user(user, item_id: int) -> UnmatchedResult:
    """A lab result of the unmatched queue of one of the user's clinics, with its message."""
    return _get_or_deny(
        user,
        UnmatchedResult.objects.visible_to(user).select_related(
            "message", "clinic", "patient", "result__analyte", "resolved_by"
        ),
        item_id,
    )

"""Writes of the patient portal: inviting a family member, accepting or withdrawing an
invitation, stopping a share, and the patient's report of their last dose time.

Each function is atomic, validates before it writes and records who did it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import partial

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import (
    MAX_PENDING_INVITATIONS,
    AccessAction,
    DoseTimeReport,
    Invitation,
    Patient,
    Role,
    Share,
    User,
)
from .access import record_access
from .base import _audit


@transaction.atomic
def invite_family_member(
    *,
    patient: Patient,
    email: str,
    invited_by: User,
    share_expires_at: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """Create a one-time invitation and e-mail its link (after commit, in the inviter's
    language). Returns the invitation and its token: the token is only in the link, the
    database keeps its hash. The e-mail holds no health data."""
    # Lock the patient so that two requests cannot both pass the pending-invitations cap.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if patient.invitations.pending().count() >= MAX_PENDING_INVITATIONS:
        raise ValidationError(
            _(
                "You already have %(count)s invitations waiting for an answer. Withdraw one, "
                "or wait until they are accepted or expire, before inviting someone else."
            )
            % {"count": MAX_PENDING_INVITATIONS},
            code="too_many",
        )
    if share_expires_at is not None and share_expires_at <= timezone.now():
        raise ValidationError(
            {"share_until": _("The end of sharing must be in the future.")}, code="past"
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        patient=patient,
        email=email.strip(),
        invited_by=invited_by,
        share_expires_at=share_expires_at,
        token_hash=Invitation.hash_token(token),
    )
    invitation.full_clean()
    _audit(invitation, user=invited_by, reason="Invited")
    invitation.save()
    link = settings.SITE_URL.rstrip("/") + reverse("monitoring:invitation_accept", args=[token])
    transaction.on_commit(
        partial(
            send_invitation_email,
            invitation_id=invitation.pk,
            link=link,
            language=translation.get_language(),
        )
    )
    return invitation, token


def send_invitation_email(*, invitation_id: int, link: str, language: str | None) -> None:
    """The invitation e-mail: who invites, the link and until when it works. Nothing else:
    e-mail is not a safe channel for health data."""
    invitation = Invitation.objects.select_related("patient").get(pk=invitation_id)
    with translation.override(language):
        context = {
            "first_name": invitation.patient.first_name,
            "link": link,
            "expires_at": invitation.expires_at,
        }
        send_mail(
            subject=_("%(first_name)s invited you to see their tdm-tracker results")
            % {"first_name": invitation.patient.first_name},
            message=render_to_string("monitoring/invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )


def _not_pending_error(invitation: Invitation) -> ValidationError:
    return ValidationError(
        _("This invitation can no longer be accepted."), code=invitation.status_at()
    )


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    user: User | None = None,
    username: str = "",
    password: str = "",
    first_name: str = "",
) -> Share:
    """Accept a pending invitation: as the signed-in family member `user`, or by creating a
    family account with `username` and `password` (checked by the password validators).

    Creates the active share (or reuses the one the family member already has with this
    patient) and marks the invitation used, all or nothing. Returns the share."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise _not_pending_error(invitation)
    if user is None:
        user = _create_family_account(
            username=username,
            password=password,
            first_name=first_name,
            email=invitation.email,
        )
    elif user.role != Role.FAMILY or not user.is_active:
        raise ValidationError(
            _("Only a family member account can accept an invitation."), code="wrong_role"
        )
    share = (
        Share.objects.active()
        .filter(patient_id=invitation.patient_id, grantee=user)
        .order_by("-created_at")
        .first()
    )
    if share is None:
        share = Share(
            patient_id=invitation.patient_id,
            grantee=user,
            expires_at=invitation.share_expires_at,
        )
        share.full_clean()
        _audit(share, user=user, reason="Invitation accepted")
        share.save()
        record_access(
            user=user,
            action=AccessAction.SHARE_GRANT,
            patient=share.patient_id,
            share=share,
            obj=share,
        )
    invitation.accepted_at = timezone.now()
    invitation.share = share
    _audit(invitation, user=user, reason="Accepted")
    invitation.save()
    return share


def _create_family_account(*, username: str, password: str, first_name: str, email: str) -> User:
    username = username.strip()
    if username and User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("This username is taken: choose another.")}, code="taken"
        )
    user = User(username=username, first_name=first_name.strip(), email=email, role=Role.FAMILY)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    user.full_clean()
    _audit(user, user=None, reason="Family account created from an invitation")
    user.save()
    return user


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, user: User) -> Invitation:
    """Withdraw a pending invitation: its link stops working. An accepted one is left alone
    (stop the share instead); an expired or withdrawn one is already unusable."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError(
            _("This invitation was already accepted: stop sharing instead."), code="accepted"
        )
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        _audit(invitation, user=user, reason="Withdrawn")
        invitation.save()
    return invitation


@transaction.atomic
def revoke_share(*, share: Share, user: User) -> Share:
    """Stop a share: the family member's next request is refused (the access check reads the
    share on every request)."""
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        _audit(share, user=user, reason="Revoked")
        share.save()
        record_access(
            user=user,
            action=AccessAction.SHARE_REVOKE,
            patient=share.patient_id,
            share=share,
            obj=share,
        )
    return share


@transaction.atomic
def report_last_dose(
    *, patient: Patient, taken_at: dt.datetime, entered_by: User
) -> DoseTimeReport:
    """Store when the patient says they took their last tacrolimus dose. Staff see it as a
    patient-entered suggestion when they record a draw; it is never used unconfirmed."""
    now = timezone.now()
    if taken_at > now:
        raise ValidationError(
            {"taken_at": _("This time is in the future: enter when you took your last dose.")},
            code="future",
        )
    if taken_at < now - DoseTimeReport.MAX_AGE:
        raise ValidationError(
            {
                "taken_at": _(
                    "This is more than 48 hours ago: enter the dose you took most recently."
                )
            },
            code="too_old",
        )
    report = DoseTimeReport(patient=patient, taken_at=taken_at, entered_by=entered_by)
    report.full_clean()
    _audit(report, user=entered_by)
    report.save()
    return report

"""Invitations by which a patient gives a family member read access, and the record of each
read a family member makes through their share."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .people import Patient, Share, User

# How long an invitation link stays usable, and how many may wait at once for one patient
# (a patient rarely needs more; the cap stops the page being used to send bulk mail).
INVITATION_VALIDITY = dt.timedelta(days=7)
MAX_PENDING_INVITATIONS = 10


def _invitation_expiry() -> dt.datetime:
    return timezone.now() + INVITATION_VALIDITY


class InvitationQuerySet(models.QuerySet):
    def pending(self, now: dt.datetime | None = None) -> InvitationQuerySet:
        """Not accepted, not withdrawn, not expired: the link still works."""
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A one-time link, sent by e-mail, that lets a family member create (or use) a family
    account and receive a share of the patient's results.

    Only the SHA-256 of the token is stored: someone who reads the database (or a backup)
    cannot use a pending link.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    share_expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the share it gives ends; empty: until stopped")
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    share = models.ForeignKey(
        Share, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(share__isnull=False),
                name="invitation_accepted_has_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} → {self.email}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def status_at(self, now: dt.datetime | None = None) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class ShareAccess(models.Model):
    """One read of patient data by a family member, on behalf of their share: the patient
    sees who looked and when. Append-only (never changed), so it keeps no history table."""

    share = models.ForeignKey(Share, on_delete=models.PROTECT, related_name="accesses")
    at = models.DateTimeField(default=timezone.now, editable=False)
    what = models.CharField(max_length=100, help_text=_("The page or file that was read"))

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["share", "at"], name="share_access_share_at")]

    def __str__(self) -> str:
        return f"{self.share} · {self.what} · {self.at:%Y-%m-%d %H:%M}"

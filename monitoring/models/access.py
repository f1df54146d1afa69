"""Who looked at what, and break-glass access (issue #7).

Both tables are append-only: database triggers refuse UPDATE and DELETE on them (see
monitoring/append_only.py), like on every history table.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import Patient, Role, Share, User

# How long a break-glass grant opens a patient of another clinic to a doctor.
BREAK_GLASS_DURATION = dt.timedelta(hours=4)
# A reason short enough to be "x" explains nothing to the reviewer.
BREAK_GLASS_REASON_MIN_LENGTH = 20


class AccessAction(models.TextChoices):
    VIEW_CHART = "view_chart", _("Viewed a chart")
    VIEW_RECORD = "view_record", _("Viewed the record")
    EXPORT = "export", _("Exported results")
    ACKNOWLEDGE = "acknowledge", _("Acknowledged an alert")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    DENIED = "denied", _("Access refused")
    SHARE_GRANT = "share_grant", _("Share given")
    SHARE_REVOKE = "share_revoke", _("Share stopped")
    BREAK_GLASS = "break_glass", _("Break-glass access")
    API_READ = "api_read", _("Read through the API")
    API_WRITE = "api_write", _("Wrote through the API")
    IMPORT = "import", _("Imported results")


class BreakGlassGrantQuerySet(models.QuerySet):
    def active(self, now: dt.datetime | None = None) -> BreakGlassGrantQuerySet:
        return self.filter(expires_at__gt=now or timezone.now())


class BreakGlassGrant(models.Model):
    """Emergency read access of a doctor to a patient of another clinic, for a few hours,
    with a reason the clinic administrator reviews. Never changed once written."""

    doctor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")),
                name="break_glass_expires_after_granted",
            ),
        ]
        indexes = [
            models.Index(
                fields=["doctor", "patient", "expires_at"], name="break_glass_doctor_patient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.doctor} → {self.patient.mrn} ({self.granted_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


class AccessEvent(models.Model):
    """One access to the application: a sign-in, a page of patient data, an export, a refusal.

    It names who, on behalf of what (a family share, a break-glass grant), which patient and
    object, from where (IP address, path without query string) and when. It never holds lab
    values or names: the row may be read by people who may not read the record.
    """

    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # Empty for a failed sign-in with an unknown username (which is not stored: it may be a
    # password typed in the wrong box).
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="access_events"
    )
    role = models.CharField(max_length=10, blank=True, choices=Role.choices)
    share = models.ForeignKey(
        Share, null=True, blank=True, on_delete=models.PROTECT, related_name="access_events"
    )
    break_glass = models.ForeignKey(
        BreakGlassGrant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="access_events"
    )
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    what = models.CharField(max_length=100, blank=True, help_text=_("The page or file read"))
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "at"], name="access_event_patient_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user or '?'} {self.action}"

"""What laboratory and hospital systems need (issue #6): API tokens, the mapping of their
codes to ours, the log of every HL7 message received, and the queue of results that could
not be matched to a patient or a test."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .people import Clinic, Patient, User
from .results import Analyte

TOKEN_PREFIX = "tdm_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for the FHIR API and the HL7 HTTP endpoint, acting as `user`.

    Only the SHA-256 of the token is stored: it is shown once, when created
    (`manage.py create_api_token`), and a stolen database or backup cannot be used to call
    the API. The token sees exactly what its user sees on the pages."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text=_("What the token is for"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.pk}"

    @classmethod
    def new_key(cls) -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.user.is_active


class AssigningAuthority(models.Model):
    """An MRN assigning authority (HL7 PID-3.4) and the clinic whose patients it numbers.

    A clinic's own code always counts as one of its authorities; these are the others a
    hospital's systems send (e.g. "CHU-LYON" for the Lyon clinic)."""

    code = models.CharField(max_length=100, unique=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="authorities")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "assigning authorities"

    def __str__(self) -> str:
        return f"{self.code} → {self.clinic}"


class CodeMapping(models.Model):
    """A laboratory's own test code (OBX-3), or another LOINC for the same test, mapped to one
    of our analytes. `system` is the coding system the lab names in OBX-3.3 (e.g. "L" or
    "LN"); blank matches any system."""

    code = models.CharField(max_length=100)
    system = models.CharField(max_length=100, blank=True)
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="code_mappings")
    description = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "system"]
        constraints = [
            models.UniqueConstraint(fields=["code", "system"], name="code_mapping_unique"),
        ]

    def __str__(self) -> str:
        system = f" ({self.system})" if self.system else ""
        return f"{self.code}{system} → {self.analyte.code}"


class InboundMessage(models.Model):
    """Every HL7 message received, whatever became of it: the idempotency key (MSH-10 per
    sender) and the raw text, so nothing a lab sent is lost."""

    class Transport(models.TextChoices):
        MLLP = "mllp", "MLLP"
        HTTP = "http", "HTTP"
        FILE = "file", _("File")

    class Outcome(models.TextChoices):
        ACCEPTED = "AA", _("Accepted")
        ERROR = "AE", _("Accepted with errors")
        REJECTED = "AR", _("Rejected")

    control_id = models.CharField("MSH-10 control ID", max_length=200, blank=True)
    sending_application = models.CharField(max_length=200, blank=True)
    sending_facility = models.CharField(max_length=200, blank=True)
    message_type = models.CharField(max_length=20, blank=True)
    version = models.CharField(max_length=10, blank=True)
    transport = models.CharField(max_length=4, choices=Transport.choices)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    received_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    raw = models.TextField()
    outcome = models.CharField(max_length=2, choices=Outcome.choices)
    # What the ACK said, one line each ("OBX-5 of OBX 3: ...").
    errors = models.JSONField(default=list, blank=True)
    ack = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["-received_at"], name="inbound_received")]
        constraints = [
            # The same control ID from the same sender is the same message sent again.
            models.UniqueConstraint(
                fields=["sending_application", "sending_facility", "control_id"],
                condition=~Q(control_id=""),
                name="inbound_message_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} ({self.outcome})"


class UnmatchedResultQuerySet(models.QuerySet):
    def pending(self) -> UnmatchedResultQuerySet:
        return self.filter(status=UnmatchedResult.Status.PENDING)

    def visible_to(self, user) -> UnmatchedResultQuerySet:
        """Nurses and doctors see the queue of their own clinics only."""
        if not user.is_authenticated or not user.can_import_results:
            return self.none()
        return self.filter(clinic__in=user.clinics.all())


class UnmatchedResult(models.Model):
    """One observation a message sent that could not be stored: unknown patient, unmapped
    code or unit. It waits here until a nurse matches it to a patient (or creates the
    patient from the PID data) and it is imported, or dismisses it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        IMPORTED = "imported", _("Imported")
        DISMISSED = "dismissed", _("Dismissed")

    message = models.ForeignKey(InboundMessage, on_delete=models.PROTECT, related_name="unmatched")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="unmatched")
    reason = models.CharField(max_length=500)
    # PID as sent.
    mrn = models.CharField("MRN", max_length=100, blank=True)
    assigning_authority = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    # OBX as sent.
    code = models.CharField(max_length=100, blank=True)
    code_system = models.CharField(max_length=100, blank=True)
    code_text = models.CharField(max_length=200, blank=True)
    value = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    reference_range = models.CharField(max_length=100, blank=True)
    abnormal_flags = models.CharField(max_length=20, blank=True)
    result_status = models.CharField("OBX-11 status", max_length=2, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.ForeignKey(
        "LabResult", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    objects = UnmatchedResultQuerySet.as_manager()

    class Meta:
        ordering = ["-message__received_at", "pk"]
        indexes = [models.Index(fields=["clinic", "status"], name="unmatched_queue")]

    def __str__(self) -> str:
        return f"{self.mrn} {self.code} {self.value} {self.unit}"

    @property
    def patient_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

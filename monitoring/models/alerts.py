"""Alerts raised by the rules, reviewed in the doctor's worklist."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .people import Patient, User
from .results import LabResult


class Severity(models.IntegerChoices):
    # Clinical-reference.md A6: info · warning · urgent (top of worklist) · critical.
    INFO = 10, _("Info")
    WARNING = 20, _("Warning")
    URGENT = 30, _("Urgent")
    CRITICAL = 40, _("Critical")


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user) -> AlertQuerySet:
        # Without break-glass patients: they stay off the worklist, the dashboard and the
        # counts, and their alerts cannot be acknowledged (break-glass access is read-only).
        return self.filter(patient__in=Patient.objects.visible_to(user, break_glass=False))

    def open(self) -> AlertQuerySet:
        return self.filter(status=Alert.Status.OPEN)

    def for_review(self, *, status: str = "open", min_severity: int = 20) -> AlertQuerySet:
        """The worklist: most severe first, then oldest (A6: info stays off unless asked)."""
        return (
            self.filter(status=status, severity__gte=min_severity)
            .select_related("patient", "result", "acknowledged_by")
            .order_by("-severity", "first_raised_at", "pk")
        )


class Decision(models.TextChoices):
    NO_CHANGE = "no-change", _("No change (say why)")
    REPEAT_TEST = "repeat-test", _("Repeat test ordered")
    DOSE_CHANGED = "dose-changed", _("Dose changed")


class Alert(models.Model):
    """Something a doctor should look at. Repeats of an open alert merge into it (A6)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    rule_code = models.CharField(max_length=60)
    # What the alert is about (an analyte code, "medication:12"): repeats about the same
    # subject merge; a later in-range result of the same analyte resolves it.
    subject = models.CharField(max_length=60, blank=True)
    rule_version = models.PositiveIntegerField(default=1)
    severity = models.IntegerField(choices=Severity.choices)
    grade = models.PositiveSmallIntegerField(_("CTCAE grade"), null=True, blank=True)
    stage = models.PositiveSmallIntegerField(_("KDIGO stage"), null=True, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    # `message` is the English text (e-mail, admin, search). `message_key` and
    # `message_params` let `Alert.text` render it again in the viewer's language (issue #5).
    message = models.CharField(max_length=500)
    message_key = models.CharField(max_length=500, blank=True)
    message_params = models.JSONField(default=dict, blank=True)
    # The latest result that raised or repeated this alert, and its value as then shown.
    result = models.ForeignKey(
        LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    value_display = models.CharField(max_length=60, blank=True)
    first_value_display = models.CharField(max_length=60, blank=True)
    # The thresholds the rule used, so a later change of settings does not rewrite history.
    params = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Guideline and section")
    occurrences = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    first_raised_at = models.DateTimeField(default=timezone.now)
    last_raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_comment = models.TextField(blank=True)
    decision = models.CharField(max_length=15, choices=Decision.choices, blank=True)
    decision_regimen = models.ForeignKey(
        "monitoring.Regimen",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The new regimen, when the decision was a dose change",
    )
    repeat_due_on = models.DateField(null=True, blank=True, help_text="Repeat test due")
    # What the doctor saw when acknowledging: if the result is later corrected, the alert
    # reopens and says so (issue #4).
    acknowledged_fingerprint = models.CharField(max_length=64, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_raised_at"]
        indexes = [
            # The worklist's order to its last key, the pk: PostgreSQL then reads a page in
            # index order and stops, rather than sorting every open alert (issue #8). (Not
            # the patient too: SQLite then took this index for one patient's open alerts.)
            models.Index(
                fields=["status", "-severity", "first_raised_at", "id"], name="alert_worklist"
            ),
            models.Index(fields=["patient", "rule_code", "status"], name="alert_merge_lookup"),
        ]
        constraints = [
            # At most one open alert per patient and rule: repeats merge into it.
            models.UniqueConstraint(
                fields=["patient", "rule_code", "subject"],
                condition=Q(status="open"),
                name="alert_one_open_per_rule_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="acknowledged")
                | (Q(acknowledged_by__isnull=False) & Q(acknowledged_at__isnull=False)),
                name="alert_acknowledged_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def text(self) -> str:
        """The message in the active language (issue #5). Alerts raised before messages were
        stored as a key and params have only their English `message`."""
        if not self.message_key:
            return self.message
        # Imported here: the rules import this module (Severity).
        from ..rules.base import REOPENED, render_text

        params = dict(self.message_params)
        reopened = params.pop("_reopened", None)
        text = render_text(self.message_key, params)
        if reopened is not None:
            text = render_text(REOPENED, {"message": text, "what": reopened})
        return text

    @property
    def severity_css(self) -> str:
        return {
            Severity.INFO: "info",
            Severity.WARNING: "warning",
            Severity.URGENT: "danger",
            Severity.CRITICAL: "danger",
        }[Severity(self.severity)]


class RuleSetting(models.Model):
    """How one clinic runs one rule: on or off, its severity and parameters. Defaults come from
    the rule registry (monitoring/rules); every change bumps the version and is audited with
    who and why, and each alert records the version and parameters it used (issue #4)."""

    clinic = models.ForeignKey(
        "monitoring.Clinic", on_delete=models.PROTECT, related_name="rule_settings"
    )
    code = models.CharField(max_length=60)
    is_enabled = models.BooleanField(default=True)
    severity = models.IntegerField(choices=Severity.choices)
    params = models.JSONField(default=dict, blank=True, help_text="Thresholds, as strings")
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["clinic", "code"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="rule_setting_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.clinic})"


class SuppressionQuerySet(models.QuerySet):
    def active(self, now=None) -> SuppressionQuerySet:
        now = now or timezone.now()
        return self.filter(ended_at__isnull=True, until__gt=now)


class RuleSuppression(models.Model):
    """A doctor silences one rule for one patient until a date, with a reason (audited)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="suppressions")
    rule_code = models.CharField(max_length=60)
    until = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.rule_code} silenced for {self.patient} until {self.until:%Y-%m-%d}"

"""The clinical record: clinics, people, analytes, results, targets and alerts.

Every clinical model keeps a django-simple-history table: who changed what, when, the old
value and the reason. Nothing clinical is hard-deleted (results are marked entered in error).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

# Default tacrolimus trough target band, whole blood, ng/mL.
# Source: ../shared/clinical-reference.md A1 ("Default target band 6–8 ng/mL", the seed text).
DEFAULT_TROUGH_LOW = Decimal("6.0")
DEFAULT_TROUGH_HIGH = Decimal("8.0")


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # The lab's assigning authority for MRNs (HL7 PID-3.4); used by the lab interfaces.
    code = models.SlugField(max_length=50, unique=True)
    default_trough_low = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_TROUGH_LOW,
        help_text="ng/mL; clinical-reference.md A1 default 6–8 ng/mL",
    )
    default_trough_high = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_TROUGH_HIGH,
        help_text="ng/mL; clinical-reference.md A1 default 6–8 ng/mL",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_trough_low__lt=models.F("default_trough_high")),
                name="clinic_trough_low_below_high",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    NURSE = "nurse", "Nurse"
    DOCTOR = "doctor", "Doctor"
    PATIENT = "patient", "Patient"
    FAMILY = "family", "Family member"
    ADMIN = "admin", "Clinic administrator"


STAFF_ROLES = (Role.NURSE, Role.DOCTOR, Role.ADMIN)


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PATIENT)
    # Staff work in one or more clinics; patients and family reach data through Patient/Share.
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="staff")
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    @property
    def is_clinical_staff(self) -> bool:
        """Nurses and doctors: the people who enter and review clinical data."""
        return self.role in (Role.NURSE, Role.DOCTOR)

    @property
    def is_doctor(self) -> bool:
        return self.role == Role.DOCTOR

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user) -> PatientQuerySet:
        """The one scoping entry point for patient data: anything else is a 404.

        Staff see the patients of their clinics; a patient sees only themself; a family
        member sees the patients whose share with them is active (not revoked, not expired).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role in STAFF_ROLES:
            return self.filter(clinic__in=user.clinics.all())
        if user.role == Role.PATIENT:
            return self.filter(user=user)
        if user.role == Role.FAMILY:
            return self.filter(
                id__in=Share.objects.active().filter(grantee=user).values("patient_id")
            )
        return self.none()

    def with_latest_trough(self) -> PatientQuerySet:
        """Annotates the newest valid trough (value, unit, time) and the open alert count."""
        latest = (
            LabResult.objects.valid()
            .filter(patient=models.OuterRef("pk"), analyte__code=Analyte.TACROLIMUS)
            .order_by("-collected_at")
        )
        return self.annotate(
            latest_trough_value=models.Subquery(latest.values("value")[:1]),
            latest_trough_unit=models.Subquery(latest.values("unit")[:1]),
            latest_trough_at=models.Subquery(latest.values("collected_at")[:1]),
            open_alert_count=models.Count(
                "alerts", filter=Q(alerts__status=Alert.Status.OPEN), distinct=True
            ),
        )


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40, help_text="Medical record number in the clinic")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_record",
        help_text="The patient's own login, if they use the portal",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:patient_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def trough_target_at(self, when: dt.datetime, targets=None) -> TroughTarget:
        """The target band in force at `when`: the latest target started by then, else the
        clinic default. Pass `targets` (sorted by starts_at) to avoid a query per call."""
        if targets is None:
            targets = list(self.trough_targets.order_by("starts_at"))
        in_force = None
        for target in targets:
            if target.starts_at <= when:
                in_force = target
        return in_force or TroughTarget.clinic_default(self)


class ShareQuerySet(models.QuerySet):
    def active(self, now: dt.datetime | None = None) -> ShareQuerySet:
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Share(models.Model):
    """Read access that a patient gives a family member (caregiver); revocable, may expire."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="shares")
    grantee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="shares_received")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.patient} → {self.grantee}"

    def clean(self) -> None:
        if self.grantee_id and self.grantee.role != Role.FAMILY:
            raise ValidationError({"grantee": "Only family member accounts can receive a share."})

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TroughTarget(models.Model):
    """A per-patient trough target band from `starts_at` on (clinical-reference.md A1)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trough_targets")
    low = models.DecimalField(max_digits=5, decimal_places=2, help_text="ng/mL")
    high = models.DecimalField(max_digits=5, decimal_places=2, help_text="ng/mL")
    starts_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    set_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    UNIT = "ng/mL"

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(low__gt=0), name="trough_target_low_positive"),
            models.CheckConstraint(
                condition=Q(low__lt=models.F("high")), name="trough_target_low_below_high"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_decimal(self.low)}–{format_decimal(self.high)} {self.UNIT}"

    @classmethod
    def clinic_default(cls, patient: Patient) -> TroughTarget:
        """An unsaved target standing for the clinic default band."""
        return cls(
            patient=patient,
            low=patient.clinic.default_trough_low,
            high=patient.clinic.default_trough_high,
            starts_at=dt.datetime.min.replace(tzinfo=dt.UTC),
            reason="Clinic default",
        )

    @property
    def is_default(self) -> bool:
        return self.pk is None

    def contains(self, value: Decimal) -> bool:
        return self.low <= value <= self.high


class Analyte(models.Model):
    """What a result measures. Seeded by a data migration; editable in the admin."""

    TACROLIMUS = "tacrolimus"

    code = models.SlugField(max_length=40, unique=True)
    loinc = models.CharField("LOINC", max_length=20, blank=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(
        max_length=30, help_text="Canonical unit (UCUM) in which values are stored"
    )
    plausible_min = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Values at or below this are refused as implausible (canonical unit)",
    )
    plausible_max = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Values above this are refused as implausible (canonical unit)",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class ResultStatus(models.TextChoices):
    FINAL = "final", "Final"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"  # FHIR ObservationStatus code


class LabResultQuerySet(models.QuerySet):
    def valid(self) -> LabResultQuerySet:
        """Results that count: charts and rules never see entered-in-error values."""
        return self.exclude(status=ResultStatus.ENTERED_IN_ERROR)

    def troughs(self) -> LabResultQuerySet:
        return self.filter(analyte__code=Analyte.TACROLIMUS)

    def for_patient(self, patient: Patient) -> LabResultQuerySet:
        return self.filter(patient=patient)


class LabResult(models.Model):
    """One measured value. Values are stored in the analyte's canonical unit."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="results")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="results")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=30)
    collected_at = models.DateTimeField("sample time")
    last_dose_at = models.DateTimeField(
        "time of last dose",
        null=True,
        blank=True,
        help_text="For drug levels: when the dose before the sample was taken",
    )
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(
        max_length=20, choices=ResultStatus.choices, default=ResultStatus.FINAL
    )
    comment = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    objects = LabResultQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at"]
        indexes = [
            models.Index(fields=["patient", "analyte", "-collected_at"], name="result_series"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ResultStatus.values), name="result_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(last_dose_at__isnull=True)
                | Q(last_dose_at__lte=models.F("collected_at")),
                name="result_last_dose_before_sample",
            ),
            # A second valid result for the same patient, analyte and time is a duplicate.
            models.UniqueConstraint(
                fields=["patient", "analyte", "collected_at"],
                condition=~Q(status="entered-in-error"),
                name="result_unique_valid_per_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.analyte.name} {self.value_display} at {self.collected_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        errors = {}
        if self.last_dose_at and self.collected_at and self.last_dose_at > self.collected_at:
            errors["last_dose_at"] = "The last dose must be before the sample time."
        if self.collected_at and self.collected_at > timezone.now() + dt.timedelta(minutes=5):
            errors["collected_at"] = "The sample time is in the future."
        if errors:
            raise ValidationError(errors)

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == ResultStatus.ENTERED_IN_ERROR

    @property
    def value_display(self) -> str:
        """The value without trailing zeros, with its unit: '7.1 ng/mL'."""
        return f"{format_decimal(self.value)} {self.unit}"

    @property
    def hours_after_dose(self) -> float | None:
        if not self.last_dose_at:
            return None
        return (self.collected_at - self.last_dose_at).total_seconds() / 3600


def format_decimal(value: Decimal) -> str:
    """7.1000 → '7.1', 12.0000 → '12'; never scientific notation."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Severity(models.IntegerChoices):
    # Clinical-reference.md A6: info · warning · urgent (top of worklist) · critical.
    INFO = 10, "Info"
    WARNING = 20, "Warning"
    URGENT = 30, "Urgent"
    CRITICAL = 40, "Critical"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user) -> AlertQuerySet:
        return self.filter(patient__in=Patient.objects.visible_to(user))

    def open(self) -> AlertQuerySet:
        return self.filter(status=Alert.Status.OPEN)

    def worklist(self) -> AlertQuerySet:
        """Open alerts for review, most severe first, then oldest (A6: info stays off)."""
        return (
            self.open()
            .filter(severity__gte=Severity.WARNING)
            .select_related("patient", "result")
            .order_by("-severity", "first_raised_at", "pk")
        )


class Alert(models.Model):
    """Something a doctor should look at. Repeats of an open alert merge into it (A6)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    rule_code = models.CharField(max_length=60)
    severity = models.IntegerField(choices=Severity.choices)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    message = models.CharField(max_length=500)
    # The latest result that raised or repeated this alert, and its value as then shown.
    result = models.ForeignKey(
        LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    value_display = models.CharField(max_length=60, blank=True)
    # The thresholds the rule used, so a later change of settings does not rewrite history.
    params = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Guideline and section")
    occurrences = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    first_raised_at = models.DateTimeField(default=timezone.now)
    last_raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_comment = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_raised_at"]
        indexes = [
            models.Index(fields=["status", "-severity", "first_raised_at"], name="alert_worklist"),
            models.Index(fields=["patient", "rule_code", "status"], name="alert_merge_lookup"),
        ]
        constraints = [
            # At most one open alert per patient and rule: repeats merge into it.
            models.UniqueConstraint(
                fields=["patient", "rule_code"],
                condition=Q(status="open"),
                name="alert_one_open_per_rule",
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
    def severity_css(self) -> str:
        return {
            Severity.INFO: "info",
            Severity.WARNING: "warning",
            Severity.URGENT: "danger",
            Severity.CRITICAL: "danger",
        }[Severity(self.severity)]

"""Clinics, accounts and roles, patients, and the family shares that give read access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from .dosing import TroughTarget

DEFAULT_TROUGH_LOW = Decimal("6.0")
DEFAULT_TROUGH_HIGH = Decimal("8.0")


class UnitSystem(models.TextChoices):
    SI = "SI", _("SI units (µmol/L, mmol/L)")
    US = "US", _("US conventional units (mg/dL)")


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
    unit_system = models.CharField(
        max_length=2,
        choices=UnitSystem.choices,
        default=UnitSystem.SI,
        help_text="The units the entry form offers first",
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
    NURSE = "nurse", _("Nurse")
    DOCTOR = "doctor", _("Doctor")
    PATIENT = "patient", _("Patient")
    FAMILY = "family", _("Family member")
    ADMIN = "admin", _("Clinic administrator")
    # An account a laboratory or hospital system uses through an API token (issue #6): it
    # writes results and registers patients in its clinics, and never logs in to the pages.
    INTERFACE = "interface", _("Laboratory interface")


STAFF_ROLES = (Role.NURSE, Role.DOCTOR, Role.ADMIN, Role.INTERFACE)


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PATIENT)
    # Staff work in one or more clinics; patients and family reach data through Patient/Share.
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="staff")
    # The viewer's own choices (issue #5): interface language, and SI or conventional units
    # for showing results. Blank means the browser's language and the clinic's unit system.
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)
    unit_system = models.CharField(max_length=2, blank=True, choices=UnitSystem.choices)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    @property
    def is_clinical_staff(self) -> bool:
        """Nurses and doctors: the people who enter and review clinical data."""
        return self.role in (Role.NURSE, Role.DOCTOR)

    @property
    def can_import_results(self) -> bool:
        """Nurses, doctors and interface accounts may send results in files and messages."""
        return self.role in (Role.NURSE, Role.DOCTOR, Role.INTERFACE)

    @property
    def is_doctor(self) -> bool:
        return self.role == Role.DOCTOR

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user, *, break_glass: bool = False) -> PatientQuerySet:
        """The one scoping entry point for patient data: anything else is a 404.

        Staff see the patients of their clinics; a patient sees only themself; a family
        member sees the patients whose share with them is active (not revoked, not expired).
        A doctor also sees, read-only, the patients of other clinics for which they hold an
        active break-glass grant, where the caller asks for them with `break_glass=True` (the
        read pages only: break-glass access is read-only, and denied by default).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role in STAFF_ROLES:
            in_clinics = Q(clinic__in=user.clinics.all())
            if break_glass and user.role == Role.DOCTOR:
                from .access import BreakGlassGrant  # access imports this module

                grants = BreakGlassGrant.objects.active().filter(doctor=user)
                return self.filter(in_clinics | Q(pk__in=grants.values("patient_id")))
            return self.filter(in_clinics)
        if user.role == Role.PATIENT:
            return self.filter(user=user)
        if user.role == Role.FAMILY:
            return self.filter(
                id__in=Share.objects.active().filter(grantee=user).values("patient_id")
            )
        return self.none()

    def with_latest_trough(self) -> PatientQuerySet:
        """Annotates the newest valid trough (value, unit, time) and the open alert count.

        Each annotation is a correlated subquery run per patient row (on the result_series and
        alert_merge_lookup indexes): apply it to one page of patients, never to a whole
        clinic before the page is cut (issue #8). Subqueries rather than a grouped Count, so
        the query is not grouped and keeps its ordering."""
        from .alerts import Alert  # the record modules import this one
        from .results import Analyte, LabResult

        latest = (
            LabResult.objects.valid()
            .filter(patient=models.OuterRef("pk"), analyte__code=Analyte.TACROLIMUS)
            .order_by("-collected_at")
        )
        open_alerts = (
            Alert.objects.filter(patient=models.OuterRef("pk"), status=Alert.Status.OPEN)
            .order_by()
            .values("patient")
            .annotate(count=models.Count("pk"))
            .values("count")
        )
        return self.annotate(
            latest_trough_value=models.Subquery(latest.values("value")[:1]),
            latest_trough_unit=models.Subquery(latest.values("unit")[:1]),
            latest_trough_at=models.Subquery(latest.values("collected_at")[:1]),
            open_alert_count=Coalesce(
                models.Subquery(open_alerts, output_field=models.IntegerField()), 0
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
        from .dosing import TroughTarget  # dosing imports this module

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

    def with_access_summary(self) -> ShareQuerySet:
        """Annotates when the family member last read through the share, and how often:
        one grouped query for the patient's sharing page."""
        return self.annotate(
            last_access_at=models.Max("accesses__at"), access_count=models.Count("accesses")
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

"""Trough targets (and, with the clinical record, regimens and weights)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import formulas
from ..schedule import TESTS
from .people import Patient, User
from .results import format_decimal


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


class Formulation(models.TextChoices):
    # IR and XR are not interchangeable (clinical-reference.md A2, §7.6).
    IMMEDIATE_RELEASE = "IR", _("Immediate release, twice daily")
    EXTENDED_RELEASE = "XR", _("Extended release, once daily")


# Products and their capsule/tablet strengths in mg (clinical-reference.md §7.6; the seed text
# lists 0.5/1/2/5 mg; Advagraf strengths unverified there). Keyed by product name.
PRODUCTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Prograf": (Formulation.IMMEDIATE_RELEASE, ("0.5", "1", "5")),
    "Adoport": (Formulation.IMMEDIATE_RELEASE, ("0.5", "1", "5")),
    "Tacrolimus generic IR": (Formulation.IMMEDIATE_RELEASE, ("0.5", "1", "2", "5")),
    "Advagraf": (Formulation.EXTENDED_RELEASE, ("0.5", "1", "3", "5")),
    "Envarsus": (Formulation.EXTENDED_RELEASE, ("0.75", "1", "4")),
    "Astagraf XL": (Formulation.EXTENDED_RELEASE, ("0.5", "1", "5")),
}


def ends_after_start(name: str, start: str = "started_on", end: str = "ended_on"):
    """An open period (no end) or one that ends on or after its start."""
    return models.CheckConstraint(
        condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": models.F(start)}),
        name=name,
    )


class ClinicalEntry(models.Model):
    """What every item of the clinical record has: whose, who entered it, and a status
    that marks a wrong entry 'entered in error' instead of deleting it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class RegimenQuerySet(models.QuerySet):
    def valid(self) -> RegimenQuerySet:
        return self.exclude(status=ClinicalEntry.Status.ENTERED_IN_ERROR)

    def current(self, on: dt.date | None = None) -> RegimenQuerySet:
        on = on or timezone.localdate()
        return (
            self.valid()
            .filter(started_on__lte=on)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        )


class Regimen(ClinicalEntry):
    """A tacrolimus prescription: product, formulation, dose per intake, from–to."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="regimens")
    product = models.CharField(max_length=60, choices=[(p, p) for p in PRODUCTS])
    formulation = models.CharField(max_length=2, choices=Formulation.choices)
    strength_mg = models.DecimalField(
        _("capsule strength (mg)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("The capsule or tablet dispensed"),
    )
    morning_dose_mg = models.DecimalField(max_digits=6, decimal_places=2)
    evening_dose_mg = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Twice-daily (IR) only"),
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    prescriber = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    is_formulation_switch = models.BooleanField(
        default=False, help_text="IR↔XR change from the previous regimen (A2: recheck in 7 days)"
    )

    objects = RegimenQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(morning_dose_mg__gt=0), name="regimen_dose_positive"
            ),
            ends_after_start("regimen_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {format_decimal(self.daily_dose_mg)} mg/day"

    @property
    def daily_dose_mg(self) -> Decimal:
        # clinical-reference.md §3.3: IR total = both doses; XR = the single daily dose.
        return self.morning_dose_mg + (self.evening_dose_mg or Decimal(0))

    def mg_per_kg_day(self, weight: Weight | None) -> Decimal | None:
        """Daily dose per kg of `weight` (clinical-reference.md §3.3), None without one."""
        if weight is None:
            return None
        return formulas.mg_per_kg_day(daily_dose_mg=self.daily_dose_mg, weight_kg=weight.weight_kg)

    @property
    def schedule_display(self) -> str:
        # Shown on the patient home too, so in the viewer's language: "1,5 mg" in French
        # (normalize() drops trailing zeros, number_format writes the decimal comma).
        morning = formats.number_format(self.morning_dose_mg.normalize())
        if self.formulation == Formulation.EXTENDED_RELEASE:
            return gettext("%(dose)s mg once daily") % {"dose": morning}
        evening = formats.number_format((self.evening_dose_mg or Decimal(0)).normalize())
        return gettext("%(morning)s mg morning + %(evening)s mg evening") % {
            "morning": morning,
            "evening": evening,
        }


class WeightQuerySet(models.QuerySet):
    def valid(self) -> WeightQuerySet:
        return self.exclude(status=ClinicalEntry.Status.ENTERED_IN_ERROR)

    def on(self, day: dt.date) -> Weight | None:
        """The latest weight measured on or before `day`."""
        return self.valid().filter(measured_on__lte=day).order_by("-measured_on", "-pk").first()


class Weight(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1)
    measured_on = models.DateField()

    objects = WeightQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{format_decimal(self.weight_kg)} kg on {self.measured_on}"

    def is_stale(self, today: dt.date) -> bool:
        # A weight older than 90 days is flagged (clinical-reference.md A2).
        return formulas.weight_is_stale(measured_on=self.measured_on, today=today)


class MonitoringInterval(models.Model):
    """How often a monitoring test is due: a clinic's default protocol, or one patient's
    override (clinical-reference.md A4: "schedules are per patient and editable; a clinic
    default applies"). Without rows, monitoring/schedule.py DEFAULT_PROTOCOL applies."""

    clinic = models.ForeignKey(
        "monitoring.Clinic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_intervals",
    )
    patient = models.ForeignKey(
        Patient,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="monitoring_intervals",
    )
    test = models.CharField(max_length=20, choices=[(t, n) for t, (n, _) in TESTS.items()])
    initial_days = models.PositiveSmallIntegerField(
        help_text="Days between tests until the dose has been stable 6 weeks"
    )
    stable_days = models.PositiveSmallIntegerField(help_text="Days between tests once stable")
    reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["test"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(clinic__isnull=False) & Q(patient__isnull=True))
                | (Q(clinic__isnull=True) & Q(patient__isnull=False)),
                name="interval_for_clinic_or_patient",
            ),
            models.UniqueConstraint(fields=["clinic", "test"], name="interval_unique_clinic"),
            models.UniqueConstraint(fields=["patient", "test"], name="interval_unique_patient"),
            models.CheckConstraint(
                condition=Q(initial_days__gt=0) & Q(stable_days__gt=0),
                name="interval_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_test_display()}: every {self.initial_days}/{self.stable_days} days"


class DoseTimeReportQuerySet(models.QuerySet):
    def valid(self) -> DoseTimeReportQuerySet:
        return self.exclude(status=ClinicalEntry.Status.ENTERED_IN_ERROR)

    def recent(self, now: dt.datetime | None = None) -> DoseTimeReportQuerySet:
        """Reports of a dose taken within the last DoseTimeReport.MAX_AGE, newest first."""
        now = now or timezone.now()
        return (
            self.valid()
            .filter(taken_at__gt=now - DoseTimeReport.MAX_AGE)
            .order_by("-taken_at", "-entered_at")
        )


class DoseTimeReport(ClinicalEntry):
    """The time of the last tacrolimus dose as the patient reported it before a blood draw.

    A trough needs the time of the last dose (clinical-reference.md A1): staff see this as a
    patient-entered suggestion beside the dose-time field; it is never used unconfirmed.
    """

    # The last dose before a trough is about 12 h (IR) or 24 h (XR) before it
    # (clinical-reference.md A1, §7): a time further back than 48 h cannot be that dose.
    MAX_AGE = dt.timedelta(hours=48)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dose_reports")
    taken_at = models.DateTimeField()

    objects = DoseTimeReportQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-entered_at"]

    def __str__(self) -> str:
        return f"{self.patient}: last dose {timezone.localtime(self.taken_at):%Y-%m-%d %H:%M}"

    @property
    def taken_on(self) -> dt.date:
        """The local day of the dose (to say "today" or "yesterday")."""
        return timezone.localtime(self.taken_at).date()

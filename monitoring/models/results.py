"""The analyte catalogue and lab results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .people import Patient, User


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

"""Trough targets (and, with the clinical record, regimens and weights)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

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

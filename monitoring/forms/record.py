"""Forms for the clinical record beyond results: one ModelForm per screen, explicit fields.

The services validate the clinical rules; these forms turn input into clean values and give
a message beside the field for what they can check alone.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import (
    PRODUCTS,
    Allergy,
    Ecg,
    Medication,
    Regimen,
    ReproductiveStatus,
    Role,
    Symptom,
    User,
    Vaccination,
    Weight,
)
from ..models.record import MAX_TRACING_BYTES
from .results import DATETIME_WIDGET, MeasuredValueField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The first bytes of the file types an ECG tracing may be (never trust the file name alone).
TRACING_SIGNATURES = {b"%PDF": "PDF", b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG"}


def _check_period(form, start: str, end: str) -> None:
    started, ended = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if started and ended and ended < started:
        form.add_error(end, "The end date is before the start date.")


def _not_in_future(value, *, what: str):
    today = timezone.localdate()
    if value and value > today:
        raise ValidationError(f"The {what} is in the future.")
    return value


class RecordForm(forms.ModelForm):
    """An entry form for one patient's record, filled in by `user`."""

    # Field name → a callable giving its initial value when the form opens (today, now).
    initial_defaults: dict = {}

    def __init__(self, *args, patient, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.user = user
        for name, default in self.initial_defaults.items():
            self.initial.setdefault(name, default())


class RegimenForm(RecordForm):
    morning_dose_mg = MeasuredValueField(
        analyte_unit="mg", label="Morning dose (mg)", help_text="Once-daily products: the dose"
    )
    evening_dose_mg = MeasuredValueField(
        analyte_unit="mg",
        label="Evening dose (mg)",
        required=False,
        help_text="Twice-daily (immediate release) products only",
    )
    strength_mg = forms.ChoiceField(
        label="Capsule strength (mg)",
        choices=sorted(
            {(s, f"{s} mg") for _, strengths in PRODUCTS.values() for s in strengths},
            key=lambda c: float(c[0]),
        ),
    )

    class Meta:
        model = Regimen
        fields = [
            "product",
            "strength_mg",
            "morning_dose_mg",
            "evening_dose_mg",
            "started_on",
            "prescriber",
            "reason",
        ]
        widgets = {"started_on": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        patient, user = self.patient, self.user
        self.fields["prescriber"].queryset = User.objects.filter(
            role=Role.DOCTOR, clinics=patient.clinic, is_active=True
        )
        self.fields["prescriber"].label_from_instance = lambda u: u.display_name
        if user.role == Role.DOCTOR:
            self.initial.setdefault("prescriber", user.pk)
        self.fields["reason"].help_text = "e.g. 'trough 4.9 ng/mL below target'"

    def clean_strength_mg(self):
        return Decimal(self.cleaned_data["strength_mg"])


class WeightForm(RecordForm):
    initial_defaults = {"measured_on": timezone.localdate}

    weight_kg = MeasuredValueField(analyte_unit="kg", label="Weight (kg)", max_decimal_places=1)

    class Meta:
        model = Weight
        fields = ["weight_kg", "measured_on"]
        widgets = {"measured_on": DATE_WIDGET}

    def clean_measured_on(self):
        return _not_in_future(self.cleaned_data["measured_on"], what="date")


class EcgForm(RecordForm):
    initial_defaults = {
        "recorded_at": lambda: timezone.localtime().replace(second=0, microsecond=0)
    }

    class Meta:
        model = Ecg
        fields = ["recorded_at", "qt_ms", "heart_rate_bpm", "rr_ms", "rhythm", "comment", "tracing"]
        widgets = {"recorded_at": DATETIME_WIDGET}
        help_texts = {
            "heart_rate_bpm": "Heart rate or RR interval: one of the two",
            "qt_ms": "Measured in the lead with the longest QT",
        }

    def clean_tracing(self):
        tracing = self.cleaned_data.get("tracing")
        if not tracing:
            return tracing
        if tracing.size > MAX_TRACING_BYTES:
            raise ValidationError(
                f"The file is {tracing.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_TRACING_BYTES // 1024 // 1024} MB."
            )
        head = tracing.read(8)
        tracing.seek(0)
        if not any(head.startswith(signature) for signature in TRACING_SIGNATURES):
            raise ValidationError("The tracing must be a PDF, PNG or JPEG file.")
        return tracing

    def clean(self):
        cleaned = super().clean()
        rate, rr = cleaned.get("heart_rate_bpm"), cleaned.get("rr_ms")
        if not rate and not rr:
            self.add_error("heart_rate_bpm", "Enter the heart rate or the RR interval.")
        elif rate and rr:
            self.add_error("rr_ms", "Enter the heart rate or the RR interval, not both.")
        return cleaned


class MedicationForm(RecordForm):
    initial_defaults = {"started_on": timezone.localdate}

    class Meta:
        model = Medication
        fields = ["name", "dose", "started_on", "stopped_on"]
        widgets = {
            "started_on": DATE_WIDGET,
            "stopped_on": DATE_WIDGET,
            "name": forms.TextInput(attrs={"autocomplete": "off", "data-interaction-match": ""}),
        }
        help_texts = {"name": "Ingredient or brand, e.g. 'Vfend 200 mg' or 'millepertuis'"}

    def clean(self):
        cleaned = super().clean()
        _check_period(self, "started_on", "stopped_on")
        return cleaned


class AllergyForm(RecordForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction"]
        help_texts = {"substance": "e.g. 'clarithromycin', 'penicillin'"}


class VaccinationForm(RecordForm):
    class Meta:
        model = Vaccination
        fields = ["name", "state", "date"]
        widgets = {"date": DATE_WIDGET}
        labels = {"name": "Vaccine", "state": "Given or planned"}
        help_texts = {"name": "Brand or name, e.g. 'Shingrix', 'Stamaril', 'ROR'"}


class ReproductiveStatusForm(RecordForm):
    class Meta:
        model = ReproductiveStatus
        fields = ["kind", "started_on", "ended_on", "comment"]
        widgets = {"started_on": DATE_WIDGET, "ended_on": DATE_WIDGET}
        labels = {"kind": "Status"}

    def clean(self):
        cleaned = super().clean()
        _check_period(self, "started_on", "ended_on")
        return cleaned


class SymptomForm(RecordForm):
    initial_defaults = {"started_on": timezone.localdate}

    class Meta:
        model = Symptom
        fields = ["kind", "other_text", "severity", "started_on", "ended_on", "comment"]
        widgets = {"started_on": DATE_WIDGET, "ended_on": DATE_WIDGET}
        labels = {"kind": "Symptom", "started_on": "Since"}

    def clean_started_on(self):
        return _not_in_future(self.cleaned_data["started_on"], what="start date")

    def clean(self):
        cleaned = super().clean()
        _check_period(self, "started_on", "ended_on")
        if cleaned.get("kind") == Symptom.Kind.OTHER and not cleaned.get("other_text"):
            self.add_error("other_text", "Describe the symptom.")
        return cleaned

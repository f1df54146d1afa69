"""Forms for the clinical record beyond results: one ModelForm per screen, explicit fields.

The services validate the clinical rules; these forms turn input into clean values and give
a message beside the field for what they can check alone.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
        form.add_error(end, _("The end date is before the start date."))


# One whole sentence per kind of date, so that each translates as a sentence.
FUTURE_DATE_MESSAGES = {
    "date": _("The date is in the future."),
    "start date": _("The start date is in the future."),
}


def _not_in_future(value, *, what: str):
    today = timezone.localdate()
    if value and value > today:
        raise ValidationError(FUTURE_DATE_MESSAGES[what])
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
        analyte_unit="mg",
        label=_("Morning dose (mg)"),
        help_text=_("Once-daily products: the dose"),
    )
    evening_dose_mg = MeasuredValueField(
        analyte_unit="mg",
        label=_("Evening dose (mg)"),
        required=False,
        help_text=_("Twice-daily (immediate release) products only"),
    )
    strength_mg = forms.ChoiceField(
        label=_("Capsule strength (mg)"),
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
        # Labels spelled out (same English as the model's) so that they translate.
        labels = {
            "product": _("Product"),
            "started_on": _("Started on"),
            "prescriber": _("Prescriber"),
            "reason": _("Reason"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        patient, user = self.patient, self.user
        self.fields["prescriber"].queryset = User.objects.filter(
            role=Role.DOCTOR, clinics=patient.clinic, is_active=True
        )
        self.fields["prescriber"].label_from_instance = lambda u: u.display_name
        if user.role == Role.DOCTOR:
            self.initial.setdefault("prescriber", user.pk)
        self.fields["reason"].help_text = _("e.g. 'trough 4.9 ng/mL below target'")

    def clean_strength_mg(self):
        return Decimal(self.cleaned_data["strength_mg"])


class WeightForm(RecordForm):
    initial_defaults = {"measured_on": timezone.localdate}

    weight_kg = MeasuredValueField(analyte_unit="kg", label=_("Weight (kg)"), max_decimal_places=1)

    class Meta:
        model = Weight
        fields = ["weight_kg", "measured_on"]
        widgets = {"measured_on": DATE_WIDGET}
        labels = {"measured_on": _("Measured on")}

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
        labels = {
            "recorded_at": _("Recorded at"),
            "qt_ms": _("QT (ms)"),
            "heart_rate_bpm": _("Heart rate (/min)"),
            "rr_ms": _("RR interval (ms)"),
            "rhythm": _("Rhythm"),
            "comment": _("Comment"),
            "tracing": _("Tracing"),
        }
        help_texts = {
            "heart_rate_bpm": _("Heart rate or RR interval: one of the two"),
            "qt_ms": _("Measured in the lead with the longest QT"),
            "tracing": _("PDF, PNG or JPEG of the tracing, at most 5 MB"),
        }

    def clean_tracing(self):
        tracing = self.cleaned_data.get("tracing")
        if not tracing:
            return tracing
        if tracing.size > MAX_TRACING_BYTES:
            raise ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)s MB."),
                params={
                    "size": tracing.size / 1024 / 1024,
                    "limit": MAX_TRACING_BYTES // 1024 // 1024,
                },
            )
        head = tracing.read(8)
        tracing.seek(0)
        if not any(head.startswith(signature) for signature in TRACING_SIGNATURES):
            raise ValidationError(_("The tracing must be a PDF, PNG or JPEG file."))
        return tracing

    def clean(self):
        cleaned = super().clean()
        rate, rr = cleaned.get("heart_rate_bpm"), cleaned.get("rr_ms")
        if not rate and not rr:
            self.add_error("heart_rate_bpm", _("Enter the heart rate or the RR interval."))
        elif rate and rr:
            self.add_error("rr_ms", _("Enter the heart rate or the RR interval, not both."))
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
        labels = {
            "name": _("Name"),
            "dose": pgettext_lazy("medicine as prescribed", "Dose"),
            "started_on": _("Started on"),
            "stopped_on": _("Stopped on"),
        }
        help_texts = {"name": _("Ingredient or brand, e.g. 'Vfend 200 mg' or 'millepertuis'")}

    def clean(self):
        cleaned = super().clean()
        _check_period(self, "started_on", "stopped_on")
        return cleaned


class AllergyForm(RecordForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction"]
        labels = {"substance": _("Substance"), "reaction": _("Reaction")}
        help_texts = {"substance": _("e.g. 'clarithromycin', 'penicillin'")}


class VaccinationForm(RecordForm):
    class Meta:
        model = Vaccination
        fields = ["name", "state", "date"]
        widgets = {"date": DATE_WIDGET}
        labels = {"name": _("Vaccine"), "state": _("Given or planned"), "date": _("Date")}
        help_texts = {"name": _("Brand or name, e.g. 'Shingrix', 'Stamaril', 'ROR'")}


class ReproductiveStatusForm(RecordForm):
    class Meta:
        model = ReproductiveStatus
        fields = ["kind", "started_on", "ended_on", "comment"]
        widgets = {"started_on": DATE_WIDGET, "ended_on": DATE_WIDGET}
        labels = {
            "kind": _("Status"),
            "started_on": _("Started on"),
            "ended_on": _("Ended on"),
            "comment": _("Comment"),
        }

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
        labels = {
            "kind": _("Symptom"),
            "severity": _("Severity"),
            "started_on": _("Since"),
            "ended_on": _("Ended on"),
            "comment": _("Comment"),
        }

    def clean_started_on(self):
        return _not_in_future(self.cleaned_data["started_on"], what="start date")

    def clean(self):
        cleaned = super().clean()
        _check_period(self, "started_on", "ended_on")
        if cleaned.get("kind") == Symptom.Kind.OTHER and not cleaned.get("other_text"):
            self.add_error("other_text", _("Describe the symptom."))
        return cleaned

"""Forms: input normalisation and messages a nurse can act on. Writes go through services."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from crispy_forms.bootstrap import AppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import (
    Alert,
    Analyte,
    Clinic,
    Decision,
    LabResult,
    Patient,
    Severity,
    User,
    display_unit,
    format_decimal,
)
from ..rules import REGISTRY
from ..services import MAX_SUPPRESSION_DAYS

# A sample "in the future" by less than this is clock drift between devices, not an error.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
# A result keeps 10 digits before the decimal point (LabResult.value): a longer number is a
# typing accident, and too long for the unit conversions' exact arithmetic.
MAX_INTEGER_DIGITS = 10


def parse_decimal(text: str) -> Decimal:
    """Read a measured value as typed by a nurse: '7.1', '7,1' (French keyboard), ' 7.10 '.

    Refuses anything ambiguous (thousands separators, two decimal marks, units typed in the
    box, NaN, infinity) with a message that says what to type instead.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise ValidationError(_("Enter the value."), code="required")
    if cleaned.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise ValidationError(
            _("“%(text)s” is not a measured value. Enter a number such as 7.1."),
            code="not_finite",
            params={"text": text.strip()},
        )
    if not _NUMBER.match(cleaned):
        raise ValidationError(
            _(
                "“%(text)s” cannot be read as a number. Type digits with one decimal "
                "point or comma, e.g. 7.1 or 7,1 (no units, no thousands separators)."
            ),
            code="unreadable",
            params={"text": text.strip()},
        )
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already checks
        raise ValidationError(_("Enter a number such as 7.1."), code="unreadable") from exc
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValidationError(
            _("This number is too large to be a measured value. Check what was typed."),
            code="too_large",
        )
    return value


class MeasuredValueField(forms.CharField):
    """A decimal measured value with its unit shown beside the box; see parse_decimal."""

    def __init__(self, *, analyte_unit: str, max_decimal_places: int = 2, **kwargs):
        self.analyte_unit = analyte_unit
        self.max_decimal_places = max_decimal_places
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        number = parse_decimal(value)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.max_decimal_places:
            raise ValidationError(
                _("Use at most %(places)s decimal places."),
                code="precision",
                params={"places": self.max_decimal_places},
            )
        return number


# No tacrolimus assay reports a whole-blood trough above this: such a value is refused
# outright, not confirmable (issue #2; LN targets stay under 10 ng/mL, clinical-reference §4.3).
TROUGH_MEASURABLE_MAX = Decimal("100")


def validate_against_analyte(value: Decimal, analyte: Analyte) -> None:
    """Limits that no confirmation can lift; the plausibility range (which can be confirmed)
    is checked by services.record_result."""
    unit = display_unit(analyte.unit)
    if analyte.code == Analyte.TACROLIMUS:
        if value <= 0:
            raise ValidationError(
                _("The value must be greater than 0 %(unit)s."),
                code="not_positive",
                params={"unit": unit},
            )
        if value > TROUGH_MEASURABLE_MAX:
            raise ValidationError(
                _(
                    "%(value)s %(unit)s is above the plausible maximum of %(maximum)s %(unit)s. "
                    "Check the value: was 7.0 typed as 70, or is the unit wrong?"
                ),
                code="impossible",
                params={
                    "value": format_decimal(value),
                    "unit": unit,
                    "maximum": format_decimal(TROUGH_MEASURABLE_MAX),
                },
            )
    elif value < 0:
        raise ValidationError(
            _("The value cannot be negative (%(unit)s)."), code="negative", params={"unit": unit}
        )


def result_form_helper(unit: str, *extra_fields: str) -> FormHelper:
    """Value with its unit beside the box, then sample and dose times side by side."""
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(
        AppendedText("value", unit),
        Row(
            Column("collected_at", css_class="col-sm-6"),
            Column("last_dose_at", css_class="col-sm-6"),
        ),
        "comment",
        *extra_fields,
    )
    return helper


class _ResultTimesMixin:
    """Checks shared by the forms that set a sample time and a last-dose time."""

    patient: Patient

    def clean_collected_at(self):
        collected_at = self.cleaned_data.get("collected_at")
        if collected_at is None:
            return collected_at
        if collected_at > timezone.now() + CLOCK_TOLERANCE:
            raise ValidationError(_("The sample time is in the future. Check the date and time."))
        if collected_at.date() < self.patient.date_of_birth:
            raise ValidationError(_("The sample time is before the patient's date of birth."))
        return collected_at

    def clean(self):
        cleaned = super().clean()
        collected_at = cleaned.get("collected_at")
        last_dose_at = cleaned.get("last_dose_at")
        if collected_at and last_dose_at and last_dose_at > collected_at:
            self.add_error(
                "last_dose_at",
                _(
                    "The last dose is after the sample time. A trough is drawn before the next "
                    "dose: enter the dose taken before the blood draw."
                ),
            )
        return cleaned


class TroughForm(_ResultTimesMixin, forms.Form):
    """Record trough: value, sample time, time of last dose (clinical-reference.md A1)."""

    value = MeasuredValueField(
        analyte_unit="ng/mL",
        label=_("Tacrolimus trough"),
        help_text=_("Whole blood, ng/mL (same number as µg/L)."),
        error_messages={"required": _("Enter the trough value in ng/mL.")},
    )
    collected_at = forms.DateTimeField(
        label=_("Sample time"),
        widget=DATETIME_WIDGET,
        help_text=_("When the blood was drawn."),
        error_messages={
            "required": _("Enter the date and time the blood was drawn."),
            "invalid": _("Enter a real date and time, e.g. 24/11/2026 08:00."),
        },
    )
    last_dose_at = forms.DateTimeField(
        label=_("Time of last dose"),
        widget=DATETIME_WIDGET,
        help_text=_("The dose taken before the sample, about 12 h before for twice-daily dosing."),
        # A trough without its dose time cannot be judged (clinical-reference.md A1).
        error_messages={
            "required": _("Enter when the last dose before the sample was taken."),
            "invalid": _("Enter a real date and time, e.g. 23/11/2026 20:00."),
        },
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.TextInput
    )
    confirm = forms.BooleanField(
        label=_("I have checked: this value is right"),
        required=False,
        help_text=_("Needed only for a value outside the plausible range"),
    )

    def __init__(self, *args, patient: Patient, analyte: Analyte, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.analyte = analyte
        self.fields["value"].analyte_unit = analyte.unit
        self.fields["value"].widget.attrs["autofocus"] = True
        self.helper = result_form_helper(display_unit(analyte.unit))
        if self.data.get("confirm"):
            self.ask_confirmation()

    def ask_confirmation(self) -> None:
        """Show the confirmation box (after an implausible value was refused once)."""
        self.helper = result_form_helper(display_unit(self.analyte.unit), "confirm")

    def clean_value(self):
        value = self.cleaned_data["value"]
        validate_against_analyte(value, self.analyte)
        return value


class ResultAmendForm(_ResultTimesMixin, forms.Form):
    """Correct a saved result; the reason is stored with the history row."""

    value = MeasuredValueField(analyte_unit="")
    collected_at = forms.DateTimeField(label=_("Sample time"), widget=DATETIME_WIDGET)
    last_dose_at = forms.DateTimeField(
        label=_("Time of last dose"), widget=DATETIME_WIDGET, required=False
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Why the result is changed, e.g. 'transcription error, lab report checked'."),
    )

    def __init__(self, *args, result: LabResult, **kwargs):
        initial = {
            "value": format_decimal(result.value),
            "collected_at": timezone.localtime(result.collected_at),
            "last_dose_at": result.last_dose_at and timezone.localtime(result.last_dose_at),
            "comment": result.comment,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.result = result
        self.patient = result.patient
        self.fields["value"].label = f"{result.analyte.display_name} ({result.unit})"
        # A drug level needs its last dose time (clinical-reference.md A1).
        self.fields["last_dose_at"].required = result.analyte.code == Analyte.TACROLIMUS
        self.helper = result_form_helper(result.unit, "reason")

    def clean_value(self):
        value = self.cleaned_data["value"]
        validate_against_analyte(value, self.result.analyte)
        return value

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("value", "collected_at", "last_dose_at", "comment")
        }


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why the result is wrong, e.g. 'sample from another patient'."),
    )


class AcknowledgeForm(forms.Form):
    """The doctor's decision on an alert; acknowledge_alert checks what each decision needs
    (a regimen started since the alert for a dose change, a due date for a repeat test)."""

    comment = forms.CharField(
        label=_("Comment"),
        max_length=1000,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _("e.g. dose reduced to 2 mg/day; level was drawn late"),
            }
        ),
        error_messages={"required": _("Say what you decided before acknowledging.")},
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=Decision.choices,
        initial=Decision.NO_CHANGE,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("For a dose change, record the new regimen on the patient page first."),
    )
    repeat_due_on = forms.DateField(
        label=_("Repeat test due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Needed only when a repeat test is ordered."),
        error_messages={"invalid": _("Enter a real date, e.g. 2026-12-01.")},
    )

    def clean_decision(self) -> str:
        # The quick "no change" forms on the worklist and patient page send no decision: the
        # same default as services.acknowledge_alert.
        return self.cleaned_data["decision"] or Decision.NO_CHANGE


class SuppressForm(forms.Form):
    """Silence this alert's rule for this patient for a number of days, with the reason."""

    days = forms.IntegerField(
        label=_("Silence for (days)"),
        min_value=1,
        max_value=MAX_SUPPRESSION_DAYS,
        initial=30,
        help_text=format_lazy(
            _("1 to {days} days; the rule comes back by itself afterwards."),
            days=MAX_SUPPRESSION_DAYS,
        ),
        error_messages={
            "required": _("Say for how many days."),
            "min_value": _("Silence for at least 1 day."),
            # Django fills %(limit_value)s with MAX_SUPPRESSION_DAYS.
            "max_value": _("Silence for at most %(limit_value)s days."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Why this rule need not alert for this patient, e.g. 'known, dose adjusted'."),
        error_messages={"required": _("Give the reason for silencing this rule.")},
    )


# The first choice is the default (info stays off the worklist, A6); the values are minimum
# severities, as in the critical-alert e-mail's link (?severity=40).
SEVERITY_FILTER_CHOICES = [
    (Severity.WARNING.value, _("Warning and above")),
    (Severity.URGENT.value, _("Urgent and above")),
    (Severity.CRITICAL.value, _("Critical only")),
    (Severity.INFO.value, _("All, including info")),
]


class WorklistFilterForm(forms.Form):
    """The worklist filters, read from the query string: every value is checked here, never
    passed on to the database as typed."""

    severity = forms.TypedChoiceField(
        label=_("Severity"),
        choices=SEVERITY_FILTER_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    clinic = forms.ModelChoiceField(
        label=_("Clinic"),
        queryset=Clinic.objects.none(),
        required=False,
        empty_label=_("All clinics"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=Alert.Status.choices,
        required=False,
    )
    patient = forms.CharField(label=_("Patient"), max_length=100, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All rules"))] + sorted(
            ((code, registered.definition.name) for code, registered in REGISTRY.items()),
            key=lambda choice: str(choice[1]),
        )
        self.fields["clinic"].queryset = user.clinics.order_by("name")
        self.fields["patient"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name or MRN")}
        )
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm"
                if name == "patient"
                else "form-select form-select-sm"
            )

    def filters(self) -> dict:
        """The valid filters with their defaults (open, warning and above); an invalid value
        is shown as an error and left out, not guessed."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "severity": data.get("severity") or Severity.WARNING,
            "rule": data.get("rule") or "",
            "clinic": data.get("clinic"),
            "status": data.get("status") or Alert.Status.OPEN,
            "patient": (data.get("patient") or "").strip(),
        }


class BulkAcknowledgeForm(forms.Form):
    """Several info alerts acknowledged at once with one comment (info only: A6)."""

    alerts = forms.ModelMultipleChoiceField(
        queryset=Alert.objects.none(),
        error_messages={
            "required": _("Tick the info alerts to acknowledge."),
            "invalid_choice": _("One of the ticked alerts is no longer open."),
            "invalid_pk_value": _("One of the ticked alerts is no longer open."),
        },
    )
    comment = forms.CharField(
        max_length=1000,
        error_messages={"required": _("Say what you decided before acknowledging.")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alerts"].queryset = Alert.objects.visible_to(user).open()

    def clean_alerts(self):
        alerts = self.cleaned_data["alerts"]
        if any(alert.severity != Severity.INFO for alert in alerts):
            raise ValidationError(
                _("Only info alerts can be acknowledged together: review the others one by one.")
            )
        return alerts


TARGET_PRESETS = {
    # Clinical-reference.md A1 presets; §4.3 (lupus nephritis studies).
    "induction": (Decimal("6"), Decimal("8"), _("Induction 6–8 ng/mL")),
    "maintenance": (Decimal("4"), Decimal("6"), _("Maintenance 4–6 ng/mL")),
}


class TroughTargetForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Preset"),
        choices=[(key, preset[2]) for key, preset in TARGET_PRESETS.items()]
        + [("custom", _("Custom band"))],
        initial="induction",
    )
    low = MeasuredValueField(analyte_unit="ng/mL", label=_("Lower limit (ng/mL)"), required=False)
    high = MeasuredValueField(analyte_unit="ng/mL", label=_("Upper limit (ng/mL)"), required=False)
    starts_at = forms.DateTimeField(
        label=_("In force from"),
        widget=DATETIME_WIDGET,
        help_text=_("Results sampled from this time on are judged against the new band."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("e.g. 'maintenance phase from month 6'")
    )

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset in TARGET_PRESETS:
            cleaned["low"], cleaned["high"] = TARGET_PRESETS[preset][:2]
        elif preset == "custom":
            low, high = cleaned.get("low"), cleaned.get("high")
            if low is None:
                self.add_error("low", _("Enter the lower limit of the custom band."))
            if high is None:
                self.add_error("high", _("Enter the upper limit of the custom band."))
            if low is not None and high is not None:
                if low <= 0:
                    self.add_error("low", _("The lower limit must be above 0 ng/mL."))
                elif low >= high:
                    self.add_error("high", _("The upper limit must be above the lower limit."))
                elif high > 30:
                    # No lupus target reaches this; transplant ranges stop at 20 (§4.3).
                    self.add_error("high", _("An upper limit above 30 ng/mL is not plausible."))
        return cleaned


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=_("Search name or MRN"))


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)

"""One form per blood draw: any subset of the monitored analytes, each with its unit."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Analyte, Panel, Patient, UnitSystem
from ..services import PanelValue, implausible_message
from .results import CLOCK_TOLERANCE, DATETIME_WIDGET, MeasuredValueField

# Glucose is one row with a fasting tick box: it picks the fasting or the random analyte
# (different thresholds: ADA, clinical-reference.md §2.3).
GLUCOSE = "glucose"
GLUCOSE_FASTING = "glucose-fasting"
GLUCOSE_RANDOM = "glucose-random"
# Derived by the app when the lab sends none (CKD-EPI 2021), so not typed by default.
NOT_TYPED = {"egfr"}


@dataclass
class Row:
    key: str
    analyte: Analyte
    value: forms.BoundField
    unit: forms.BoundField
    confirm: forms.BoundField


def row_key(analyte_code: str) -> str:
    return GLUCOSE if analyte_code in (GLUCOSE_FASTING, GLUCOSE_RANDOM) else analyte_code


class PanelForm(forms.Form):
    patient = forms.ModelChoiceField(
        label=_("Patient"), queryset=Patient.objects.none(), empty_label=_("Choose…")
    )
    collected_at = forms.DateTimeField(
        label=_("Draw time"),
        widget=DATETIME_WIDGET,
        error_messages={
            "required": _("Enter the date and time the blood was drawn."),
            "invalid": _("Enter a real date and time."),
        },
    )
    last_dose_at = forms.DateTimeField(
        label=_("Last tacrolimus dose"),
        widget=DATETIME_WIDGET,
        required=False,
        help_text=_("Needed with a tacrolimus level: the dose before the draw"),
        error_messages={"invalid": _("Enter a real date and time.")},
    )
    glucose_fasting = forms.BooleanField(label=_("Fasting (no food for 8 h)"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(
        self, *args, patients, analytes, unit_system=UnitSystem.SI, implausible=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda p: (
            f"{p.last_name}, {p.first_name} ({p.mrn})"
        )
        self.analytes = {a.code: a for a in analytes}
        self.implausible = set(implausible)
        self.duplicates: dict[str, object] = {}
        self.row_keys: list[tuple[str, Analyte]] = []
        for analyte in analytes:
            if analyte.code in NOT_TYPED or analyte.code == GLUCOSE_RANDOM:
                continue
            key = row_key(analyte.code)
            units = list(analyte.units.all())
            default = next(
                (
                    u
                    for u in units
                    if (u.is_us_default if unit_system == UnitSystem.US else u.is_si_default)
                ),
                units[0] if units else None,
            )
            allowed = ", ".join(u.label for u in units)
            # The form is built per request, so the active language is the viewer's.
            label = gettext("Glucose") if key == GLUCOSE else analyte.display_name
            self.fields[f"value_{key}"] = MeasuredValueField(
                analyte_unit="", label=label, required=False, max_decimal_places=3
            )
            self.fields[f"unit_{key}"] = forms.ChoiceField(
                label=gettext("%(analyte)s unit") % {"analyte": label},
                choices=[(u.code, u.label) for u in units],
                initial=default.code if default else None,
                error_messages={
                    # %(value)s stays for Django to fill with the refused choice.
                    "invalid_choice": gettext(
                        "%(value)s is not a unit for %(analyte)s; use %(allowed)s."
                    )
                    % {"value": "%(value)s", "analyte": label.lower(), "allowed": allowed}
                },
            )
            self.fields[f"confirm_{key}"] = forms.BooleanField(
                label=_("I have checked: this value is right"), required=False
            )
            self.row_keys.append((key, analyte))

    def panels(self) -> list[tuple[str, list[Row]]]:
        """Rows grouped by panel, in catalogue order, for the template."""
        grouped: dict[str, list[Row]] = {}
        for key, analyte in self.row_keys:
            grouped.setdefault(analyte.panel, []).append(
                Row(key, analyte, self[f"value_{key}"], self[f"unit_{key}"], self[f"confirm_{key}"])
            )
        return [(Panel(panel).label, rows) for panel, rows in grouped.items()]

    def clean(self):
        cleaned = super().clean()
        patient = cleaned.get("patient")
        collected_at = cleaned.get("collected_at")
        last_dose_at = cleaned.get("last_dose_at")
        if collected_at and collected_at > timezone.now() + CLOCK_TOLERANCE:
            self.add_error("collected_at", _("The draw time is in the future."))
        elif collected_at and patient and collected_at.date() < patient.date_of_birth:
            self.add_error("collected_at", _("The draw time is before the patient's birth."))
        entered = [key for key, _ in self.row_keys if cleaned.get(f"value_{key}") is not None]
        self._check_plausible(cleaned, entered)
        if not entered and not self.errors:
            raise ValidationError(_("Enter at least one value."))
        if Analyte.TACROLIMUS in entered:
            if last_dose_at is None and "last_dose_at" not in self.errors:
                self.add_error(
                    "last_dose_at",
                    _("Enter when the last tacrolimus dose before the draw was taken."),
                )
            elif last_dose_at and collected_at and last_dose_at > collected_at:
                self.add_error("last_dose_at", _("The last dose is after the draw time."))
        return cleaned

    def _check_plausible(self, cleaned: dict, keys: list[str]) -> None:
        """Ask for a confirmation beside every implausible value at once (the service checks
        again on save)."""
        for key in keys:
            analyte = self.analytes[GLUCOSE_FASTING] if key == GLUCOSE else self.analytes[key]
            unit = next(
                (u for u in analyte.units.all() if u.code == cleaned.get(f"unit_{key}")), None
            )
            if unit is None or cleaned.get(f"confirm_{key}"):
                continue
            value = cleaned[f"value_{key}"]
            if not analyte.is_plausible(unit.to_canonical(value)):
                self.add_error(f"value_{key}", implausible_message(analyte, value, unit))
                self.implausible.add(key)

    def values(self) -> list[PanelValue]:
        """The entered values as the service takes them."""
        values = []
        for key, analyte in self.row_keys:
            value = self.cleaned_data.get(f"value_{key}")
            if value is None:
                continue
            if key == GLUCOSE:
                code = GLUCOSE_FASTING if self.cleaned_data["glucose_fasting"] else GLUCOSE_RANDOM
                analyte = self.analytes[code]
            unit_code = self.cleaned_data[f"unit_{key}"]
            unit = next(u for u in analyte.units.all() if u.code == unit_code)
            values.append(
                PanelValue(
                    analyte=analyte,
                    value=value,
                    unit=unit,
                    confirmed_implausible=self.cleaned_data[f"confirm_{key}"],
                )
            )
        return values

    def add_panel_errors(self, error) -> None:
        """Show the service's per-analyte errors beside their rows."""
        for code, messages in error.message_dict.items():
            key = row_key(code)
            self.add_error(f"value_{key}" if f"value_{key}" in self.fields else None, messages)
        self.implausible = {row_key(code) for code in error.implausible}
        self.duplicates = {row_key(code): result for code, result in error.duplicates.items()}

"""The forms of the unmatched-results queue: which patient, test and unit a lab result is for,
or why it is dismissed. The writes are services.import_unmatched_result and its siblings."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Analyte, AnalyteUnit, Patient, UnmatchedResult, User


class PatientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Patient) -> str:
        return (
            f"{obj.last_name.upper()} {obj.first_name} · {obj.mrn} · {obj.date_of_birth:%d/%m/%Y}"
        )


class AnalyteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Analyte) -> str:
        return f"{obj.display_name} ({obj.unit_label})"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AnalyteUnit) -> str:
        return f"{obj.analyte.display_name}: {obj.label}"


class UnmatchedImportForm(forms.Form):
    """Import one queue item. The test and unit boxes appear only when the lab's code or unit
    is not known here; the confirmation only for an implausible value."""

    patient = PatientChoiceField(
        queryset=Patient.objects.none(),
        required=False,
        label=_("Patient"),
        empty_label=_("— choose a patient —"),
    )
    mrn = forms.CharField(
        label=_("or type the patient's MRN"),
        max_length=40,
        required=False,
    )
    analyte = AnalyteChoiceField(
        queryset=Analyte.objects.all(),
        required=False,
        label=_("Test"),
        empty_label=_("— choose the test —"),
    )
    remember_code = forms.BooleanField(
        required=False,
        label=_("Remember this code: store the next results with it as this test"),
    )
    unit = UnitChoiceField(
        queryset=AnalyteUnit.objects.none(),
        required=False,
        label=_("Unit"),
        empty_label=_("— choose the unit —"),
    )
    confirm = forms.BooleanField(
        required=False,
        label=_("I checked with the lab: this value is right"),
    )
    with_same_mrn = forms.BooleanField(required=False)

    def __init__(
        self,
        *args,
        item: UnmatchedResult,
        user: User,
        analyte: Analyte | None,
        needs_unit: bool,
        needs_confirmation: bool,
        others: int,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["patient"].queryset = (
            Patient.objects.visible_to(user).filter(clinic=item.clinic_id).order_by("last_name")
        )
        if analyte is not None:
            # The lab's code is known: the test is not asked.
            del self.fields["analyte"]
        if analyte is not None or not item.code.strip():
            del self.fields["remember_code"]
        if needs_unit or analyte is None:
            units = AnalyteUnit.objects.select_related("analyte").order_by(
                "analyte__sort_order", "analyte__name", "code"
            )
            if analyte is not None:
                units = units.filter(analyte=analyte)
            self.fields["unit"].queryset = units
            self.fields["unit"].help_text = _(
                "Only needed when the lab's unit “%(unit)s” is not recognised."
            ) % {"unit": item.unit}
        else:
            del self.fields["unit"]
        # Kept once ticked, so that the second submission carries the confirmation.
        if not needs_confirmation and not self.data.get("confirm"):
            del self.fields["confirm"]
        if others:
            self.fields["with_same_mrn"].label = ngettext(
                "Also import the %(count)s other waiting result for this MRN",
                "Also import the %(count)s other waiting results for this MRN",
                others,
            ) % {"count": others}
        else:
            del self.fields["with_same_mrn"]

    def ask_confirmation(self) -> None:
        """Show the confirmation box (after an implausible value was refused once)."""
        if "confirm" not in self.fields:
            self.fields["confirm"] = forms.BooleanField(
                required=False, label=_("I checked with the lab: this value is right")
            )

    def clean(self):
        cleaned = super().clean()
        patient, mrn = cleaned.get("patient"), cleaned.get("mrn", "").strip()
        if mrn:
            typed = self.fields["patient"].queryset.filter(mrn=mrn).first()
            if typed is None:
                self.add_error(
                    "mrn",
                    _("No patient of %(clinic)s has the MRN “%(mrn)s”.")
                    % {"clinic": self.item.clinic.name, "mrn": mrn},
                )
            elif patient and patient != typed:
                self.add_error(
                    "mrn", _("The MRN typed is not the patient chosen: give only one of them.")
                )
            else:
                cleaned["patient"] = typed
        # “Create patient and import” needs no patient; “Import” does.
        creates = self.data.get("action") == "create"
        if (
            not creates
            and not mrn
            and cleaned.get("patient") is None
            and "patient" not in self.errors
        ):
            self.add_error("patient", _("Choose the patient, or type their MRN."))
        return cleaned

    def choices(self) -> dict:
        """The nurse's choices, as import_unmatched_result takes them."""
        data = self.cleaned_data
        return {
            "analyte": data.get("analyte"),
            "unit": data.get("unit"),
            "remember_code": bool(data.get("remember_code")),
            "confirmed_implausible": bool(data.get("confirm")),
        }


class UnmatchedDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dismissing"),
        max_length=300,
        help_text=_("E.g. “test not followed in this clinic”, “sent twice”."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for dismissing this result."))
        return reason

"""The nurse's CSV upload (issue #6): which clinic, which file."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Clinic, User


class ResultsImportForm(forms.Form):
    clinic = forms.ModelChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.none(), required=False, empty_label=None
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, one result per line."),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinics = list(user.clinics.order_by("name"))
        self.fields["clinic"].queryset = user.clinics.order_by("name")
        if len(self.clinics) == 1:
            # Nothing to choose: the nurse's only clinic.
            self.fields["clinic"].widget = forms.HiddenInput()
            self.fields["clinic"].initial = self.clinics[0].pk

    def clean_clinic(self) -> Clinic:
        clinic = self.cleaned_data["clinic"]
        if clinic is None and len(self.clinics) == 1:
            return self.clinics[0]
        if clinic is None:
            raise ValidationError(_("Choose the clinic of these patients."))
        return clinic

    def clean_file(self) -> bytes:
        """The file's bytes; a file past the size limit is refused before it is read."""
        # Imported here: the import modules use forms.results, and forms/__init__ imports us.
        from ..imports import csv_results

        upload = self.cleaned_data["file"]
        if upload.size > csv_results.MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s MB: split it into smaller files.")
                % {"limit": csv_results.MAX_BYTES // (1024 * 1024)}
            )
        return upload.read()

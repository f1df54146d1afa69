"""Break-glass access: the exact clinic code and MRN of a patient of another clinic, and why."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import BREAK_GLASS_REASON_MIN_LENGTH


class BreakGlassForm(forms.Form):
    clinic_code = forms.CharField(
        label=_("Clinic code"),
        max_length=50,
        help_text=_("The code of the patient's clinic, exactly as on their documents."),
    )
    mrn = forms.CharField(label=_("MRN"), max_length=40)
    reason = forms.CharField(
        label=_("Reason"),
        min_length=BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Why you need this record now (at least %(count)s characters). The clinic "
            "administrator reviews every emergency access."
        )
        % {"count": BREAK_GLASS_REASON_MIN_LENGTH},
    )

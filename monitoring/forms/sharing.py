"""Forms of the patient portal: inviting a family member, accepting an invitation, and the
patient's report of their last dose time. The services validate what touches the database."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .record import DATE_WIDGET

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _local_datetime(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Their e-mail address"),
        max_length=254,
        error_messages={"required": _("Enter the e-mail address of the person to invite.")},
    )
    share_until = forms.DateField(
        label=_("Share until (optional)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty to share until you stop it."),
    )

    def clean_share_until(self) -> dt.date | None:
        day = self.cleaned_data["share_until"]
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The end of sharing must be in the future."))
        return day

    @property
    def share_expires_at(self) -> dt.datetime | None:
        """Sharing "until 12 March" includes 12 March: it ends at the end of that day."""
        day = self.cleaned_data.get("share_until")
        return _local_datetime(day, dt.time.max) if day else None


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(
        label=_("Choose a username"),
        max_length=150,
        help_text=_("You will sign in with it. Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    first_name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=150,
        required=False,
        help_text=_("Shown to the person who invited you, so they know who you are."),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rules of the configured password validators, in the active language.
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are different."))
        return cleaned


class DoseTimeReportForm(forms.Form):
    """ "I took my last tacrolimus dose at …": a date and a time."""

    taken_on = forms.DateField(
        label=_("Date"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Enter the date of your last dose.")},
    )
    taken_time = forms.TimeField(
        label=_("Time"),
        widget=TIME_WIDGET,
        error_messages={
            "required": _("Enter the time of your last dose."),
            "invalid": _("Enter a time such as 20:00."),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"taken_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    @property
    def taken_at(self) -> dt.datetime:
        return _local_datetime(self.cleaned_data["taken_on"], self.cleaned_data["taken_time"])

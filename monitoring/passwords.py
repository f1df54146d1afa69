"""A password validator against the words an attacker tries first on this site (issue #7).

The names of the drug, the disease, the product and the user's clinic are the first guesses
of anyone targeting a lupus clinic's tacrolimus tracker, so a password may not contain them,
even with digits or symbols in place of letters ("Tacr0limus2026!"). No composition rules and
no forced rotation (OWASP ASVS 5.0, V6.2).
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Clinic

SERVICE_WORDS = ("tacrolimus", "lupus", "prograf", "advagraf", "envarsus", "tdm", "tracker")

# Digits and symbols people put in place of letters; "1" stands for "i" or "l".
_LOOKALIKES = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _spellings(text: str) -> set[str]:
    """`text` in unaccented lower-case letters only, with look-alike digits read as letters."""
    base = unicodedata.normalize("NFKD", text).lower().translate(_LOOKALIKES)
    return {re.sub(r"[^a-z]", "", base.replace("1", letter)) for letter in "il"}


def _clinic_names(user) -> list[str]:
    """The user's clinics (staff, or a patient's own), or every clinic when unknown."""
    clinics = Clinic.objects.none()
    if user is not None and user.pk:
        clinics = Clinic.objects.filter(staff=user) | Clinic.objects.filter(patients__user=user)
    names = list(clinics.values_list("name", flat=True).distinct())
    return names or list(Clinic.objects.values_list("name", flat=True))


class ServiceWordValidator:
    """Rejects passwords containing a drug, disease or product word or a clinic name."""

    def validate(self, password: str, user=None) -> None:
        spellings = _spellings(password)
        for word in [*SERVICE_WORDS, *_clinic_names(user)]:
            letters = min(_spellings(word))
            if letters and any(letters in spelling for spelling in spellings):
                raise ValidationError(
                    _(
                        "Your password contains “%(word)s”, a word people try first on this "
                        "site. Choose a passphrase without it."
                    ),
                    code="password_service_word",
                    params={"word": word},
                )

    def get_help_text(self) -> str:
        return _(
            "Your password can’t contain the drug, disease or product names (such as "
            "tacrolimus or lupus) or the name of your clinic."
        )

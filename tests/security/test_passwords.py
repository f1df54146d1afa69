"""Passwords (issue #7): at least 12 characters, none of the words people try first here, and
reset links that work for one hour."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import ClinicFactory

GOOD_PASSPHRASE = "violet kettle marches north"


def rejection(password, user=None) -> str:
    with pytest.raises(ValidationError) as error:
        validate_password(password, user)
    return " ".join(error.value.messages)


@pytest.mark.parametrize(
    "word", ["tacrolimus", "lupus", "prograf", "advagraf", "envarsus", "tdm", "tracker"]
)
def test_a_password_with_a_drug_disease_or_product_word_is_refused_and_names_it(word, db):
    message = rejection(f"quiet {word.upper()} garden 2026")

    assert f"“{word}”" in message


@pytest.mark.parametrize("password", ["Tacr0limus2026!", "my-1upus-diary-2026", "Pr0-Gr@f-forever"])
def test_digits_and_symbols_in_place_of_letters_do_not_hide_the_word(password, db):
    assert "a word people try first" in rejection(password)


def test_the_name_of_the_users_own_clinic_is_refused(nurse):
    assert "“Demo Rheumatology”" in rejection("DemoRheumatology-2026", nurse)


def test_a_patient_may_not_use_their_clinics_name_either(patient_a):
    assert "“Demo Rheumatology”" in rejection("demo rheumatology rocks", patient_a.user)


def test_another_clinics_name_is_allowed_for_a_user_with_a_clinic(nurse):
    ClinicFactory(name="Hôpital Nord")

    validate_password("hopitalnord garden gate", nurse)


def test_every_clinic_name_is_refused_when_the_user_is_unknown(clinic):
    ClinicFactory(name="Hôpital Nord")

    assert "“Hôpital Nord”" in rejection("hopitalnord-garden-gate")
    assert "“Demo Rheumatology”" in rejection("demorheumatology-garden")


def test_a_password_shorter_than_12_characters_is_refused(db):
    assert "at least 12 characters" in rejection("kettle-blue")


def test_a_long_passphrase_without_those_words_is_accepted(nurse):
    validate_password(GOOD_PASSPHRASE, nurse)


def test_a_password_reset_link_stops_working_after_one_hour(client, nurse):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(nurse.pk))
    sent_at = timezone.now()
    with time_machine.travel(sent_at, tick=False):
        token = default_token_generator.make_token(nurse)
    url = f"/accounts/reset/{uid}/{token}/"

    with time_machine.travel(sent_at + dt.timedelta(minutes=59), tick=False):
        still_valid = client.get(url, follow=True)
    with time_machine.travel(sent_at + dt.timedelta(minutes=61), tick=False):
        expired = client.get(url, follow=True)

    assert 'name="new_password1"' in still_valid.text
    assert 'name="new_password1"' not in expired.text
    assert "invalid" in expired.text.lower()

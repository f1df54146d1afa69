"""English and French: the language switcher, the choice following the person, and the
patient side of the interface in French (issue #5 §3)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from monitoring import services
from monitoring.models import Analyte
from tests.factories import PASSWORD

SWITCH = reverse("monitoring:set_language")


def switch(client, language, next_url="/chart/"):
    return client.post(SWITCH, {"language": language, "next": next_url})


def html_lang(response) -> str:
    start = response.text.index("<html lang=") + len('<html lang="')
    return response.text[start : response.text.index('"', start)]


# --- The switcher ---------------------------------------------------------------------------


def test_choosing_french_saves_it_on_the_account_and_in_a_cookie(client, patient_a):
    client.force_login(patient_a.user)

    response = switch(client, "fr")

    assert response.status_code == 302
    assert response["Location"] == "/chart/"
    patient_a.user.refresh_from_db()
    assert patient_a.user.language == "fr"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert cookie["samesite"] == settings.LANGUAGE_COOKIE_SAMESITE


def test_the_change_of_language_is_kept_in_the_accounts_history(client, nurse):
    client.force_login(nurse)

    switch(client, "fr")

    latest = nurse.history.first()
    assert latest.language == "fr"
    assert latest.history_user == nurse


def test_the_choice_follows_the_person_to_another_device(client, patient_a):
    client.force_login(patient_a.user)
    switch(client, "fr")

    phone = Client()  # no cookie: a fresh browser
    response = phone.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert html_lang(response) == "fr"


def test_the_saved_choice_wins_over_the_browsers_language(client, nurse):
    nurse.language = "fr"
    nurse.save()
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_list"), HTTP_ACCEPT_LANGUAGE="en")

    assert html_lang(response) == "fr"


def test_an_unknown_language_is_refused_and_nothing_is_saved(client, nurse):
    client.force_login(nurse)

    response = switch(client, "de")

    assert response.status_code == 400
    nurse.refresh_from_db()
    assert nurse.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_next_address_on_another_site_is_not_followed(client, nurse):
    client.force_login(nurse)

    response = switch(client, "fr", next_url="https://evil.example/phish")

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:home")


def test_the_switcher_only_accepts_a_post(client, nurse):
    client.force_login(nurse)

    assert client.get(SWITCH, {"language": "fr"}).status_code == 405
    nurse.refresh_from_db()
    assert nurse.language == ""


# Access: open to anonymous visitors on purpose (the login page offers it); every role may use
# it and it touches no patient data, so there is no wrong role or other patient to test.
def test_an_anonymous_visitor_can_switch_on_the_login_page(client, db):
    page = client.get("/accounts/login/")

    assert f'action="{SWITCH}"' in page.text
    assert 'lang="fr"' in page.text and "Français" in page.text
    response = switch(client, "fr", next_url="/accounts/login/")
    assert response["Location"] == "/accounts/login/"
    assert html_lang(client.get("/accounts/login/")) == "fr"


def test_the_active_language_is_marked_in_the_switcher(client, nurse):
    client.force_login(nurse)
    switch(client, "fr")

    page = client.get(reverse("monitoring:patient_list")).text

    assert 'value="fr" lang="fr"' in page
    french_button = page[page.index('value="fr"') : page.index("Français")]
    assert 'aria-pressed="true"' in french_button


# --- The page follows the language ------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_declares_its_language(client, patient_a, language):
    client.force_login(patient_a.user)

    response = client.get(
        reverse("monitoring:patient_chart", args=[patient_a.pk]), HTTP_ACCEPT_LANGUAGE=language
    )

    assert html_lang(response) == language


def test_dates_on_the_sharing_page_read_in_french(client, patient_a, share):
    share.created_at = timezone.make_aware(dt.datetime(2026, 3, 12, 10, 0))
    share.save()
    patient_a.user.language = "fr"
    patient_a.user.save()
    client.force_login(patient_a.user)

    page = client.get(reverse("monitoring:sharing")).text

    assert "12 mars 2026" in page


@pytest.mark.needs_translations
def test_the_patient_home_speaks_french(client, patient_a, record_trough):
    record_trough(patient_a, "7.1")
    patient_a.user.language = "fr"
    patient_a.user.save()
    client.force_login(patient_a.user)

    page = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])).text

    assert "Votre dernier taux de tacrolimus" in page
    assert "Vos taux de tacrolimus" in page
    assert "Se déconnecter" in page


@pytest.mark.needs_translations
def test_the_login_page_speaks_french_after_the_switch(client, db):
    switch(client, "fr", next_url="/accounts/login/")

    page = client.get("/accounts/login/").text

    assert "Se connecter" in page
    assert "Identifiant" in page


@pytest.mark.needs_translations
def test_a_symptom_form_error_comes_back_in_french(client, patient_a):
    patient_a.user.language = "fr"
    patient_a.user.save()
    client.force_login(patient_a.user)

    response = client.post(
        reverse("monitoring:report_symptom"),
        {"kind": "other", "severity": "mild", "started_on": timezone.localdate().isoformat()},
    )

    assert "Décrivez le symptôme." in response.text
    assert not patient_a.symptoms.exists()


# --- Analyte names ----------------------------------------------------------------------------


def test_an_analyte_is_named_in_french_when_french_is_active():
    creatinine = Analyte(name="Creatinine", name_fr="Créatinine")

    with translation.override("fr"):
        assert creatinine.display_name == "Créatinine"
    with translation.override("en"):
        assert creatinine.display_name == "Creatinine"


def test_an_analyte_without_a_french_name_keeps_its_english_name():
    with translation.override("fr"):
        assert Analyte(name="HbA1c", name_fr="").display_name == "HbA1c"


def test_the_patient_home_names_other_tests_in_french(client, patient_a, nurse):
    potassium = Analyte.objects.get(code="potassium")
    services.record_panel(
        patient=patient_a,
        collected_at=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1),
        values=[
            services.PanelValue(
                analyte=potassium, value=Decimal("4.2"), unit=potassium.units.get(code="mmol/L")
            )
        ],
        entered_by=nurse,
    )
    client.force_login(patient_a.user)

    page = client.get(
        reverse("monitoring:patient_chart", args=[patient_a.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).text

    assert "<strong>Potassium (kaliémie)</strong>" in page

"""Alert texts in the reader's language (issue #5 §3). A rule's message is stored as a key and
params; each reader sees it in their language, with their decimal separator, dates and analyte
names, while the stored English message stays as it always was. E-mails go out in each
doctor's language.

Tests marked needs_translations assert French words: they need the compiled catalogue."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from monitoring import rules, services
from monitoring.models import Alert, Analyte, Role, Severity
from monitoring.rules import Text, render_text
from tests.factories import UserFactory

POTASSIUM_EN = (
    "Potassium 5.8 mmol/L is above 5.5 mmol/L (hyperkalaemia; haemolysis gives false highs)"
)


def in_french(text) -> str:
    with translation.override("fr"):
        return str(text)


def in_english(text) -> str:
    with translation.override("en"):
        return str(text)


def alert_text_in(language: str, alert: Alert) -> str:
    with translation.override(language):
        return alert.text


# --- Params: numbers, dates, analytes -------------------------------------------------------


def test_a_number_is_shown_with_the_readers_decimal_separator():
    text = Text("%(amount)s %(unit)s", {"amount": "7.1", "unit": "ng/mL"})

    assert in_english(text) == "7.1 ng/mL"
    assert in_french(text) == "7,1 ng/mL"


def test_a_number_keeps_its_decimal_places():
    assert in_french(Text("%(cv)s %%", {"cv": "30.0"})) == "30,0 %"
    assert in_french(Text("%(count)s", {"count": "140"})) == "140"


def test_a_date_is_shown_in_the_readers_language():
    text = Text("due %(due_on)s", {"due_on": "2026-02-05"})

    assert in_english(text) == "due 05 Feb 2026"
    assert "fév" in in_french(text).lower()


def test_an_analyte_is_named_in_the_readers_language():
    params = {"analyte": "potassium"}

    with translation.override("fr"):
        assert render_text("%(analyte)s", params) == "Potassium (kaliémie)"
    with translation.override("en"):
        assert render_text("%(analyte)s", params) == "Potassium"


def test_a_plain_word_is_shown_as_it_was_typed():
    assert in_french(Text("%(medication)s", {"medication": "Vfend 200 mg"})) == "Vfend 200 mg"


@pytest.mark.needs_translations
def test_a_list_of_numbers_is_separated_so_that_french_commas_stay_decimals():
    text = Text("%(values_list)s ng/mL", {"values_list": "6.1, 8, 9.5"})

    assert in_english(text) == "6.1, 8, 9.5 ng/mL"
    assert in_french(text) == "6,1 ; 8 ; 9,5 ng/mL"


# --- Stored alerts --------------------------------------------------------------------------


@pytest.fixture
def potassium_alert(nurse, patient_a) -> Alert:
    potassium = Analyte.objects.get(code="potassium")
    services.record_panel(
        patient=patient_a,
        collected_at=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1),
        values=[
            services.PanelValue(
                analyte=potassium,
                value=Decimal("5.8"),
                unit=potassium.units.get(code="mmol/L"),
            )
        ],
        entered_by=nurse,
    )
    return Alert.objects.get(patient=patient_a, rule_code="potassium-high")


def test_the_stored_message_is_the_english_text_of_before(potassium_alert):
    assert potassium_alert.message == POTASSIUM_EN
    assert alert_text_in("en", potassium_alert) == POTASSIUM_EN


def test_an_alert_raised_by_a_french_speaker_is_stored_in_english(nurse, patient_b):
    potassium = Analyte.objects.get(code="potassium")

    with translation.override("fr"):
        services.record_panel(
            patient=patient_b,
            collected_at=timezone.now().replace(second=0, microsecond=0),
            values=[
                services.PanelValue(
                    analyte=potassium,
                    value=Decimal("5.8"),
                    unit=potassium.units.get(code="mmol/L"),
                )
            ],
            entered_by=nurse,
        )

    assert Alert.objects.get(patient=patient_b, rule_code="potassium-high").message == (
        POTASSIUM_EN
    )


def test_a_french_reader_sees_french_numbers_and_the_french_analyte_name(potassium_alert):
    text = alert_text_in("fr", potassium_alert)

    assert "Potassium (kaliémie) 5,8 mmol/L" in text
    assert "5,5 mmol/L" in text


@pytest.mark.needs_translations
def test_a_french_reader_sees_the_whole_alert_in_french(potassium_alert):
    assert alert_text_in("fr", potassium_alert) == (
        "Potassium (kaliémie) 5,8 mmol/L : supérieur à 5,5 mmol/L (hyperkaliémie ; une "
        "hémolyse peut donner un résultat faussement élevé)"
    )


def test_a_french_doctor_sees_the_alert_in_french_on_the_worklist(client, doctor, potassium_alert):
    client.force_login(doctor)

    page = client.get("/worklist/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Potassium (kaliémie) 5,8 mmol/L" in page


def test_an_alert_raised_before_texts_were_stored_shows_its_english_message(potassium_alert):
    Alert.objects.filter(pk=potassium_alert.pk).update(message_key="", message_params={})
    potassium_alert.refresh_from_db()

    assert alert_text_in("fr", potassium_alert) == POTASSIUM_EN


def test_a_very_long_message_is_clipped_in_the_stored_english(doctor, patient_a):
    finding = rules.Finding(
        "interaction",
        Severity.WARNING,
        Text("%(medication)s contains", {"medication": "V" * 600}),
        subject="medication:1:test",
    )

    alert = services.raise_alert(
        finding=finding,
        setting=rules.default_setting("interaction"),
        patient=patient_a,
        user=doctor,
    )

    assert len(alert.message) == 500
    assert alert.message.endswith("V…")
    assert alert.text.endswith(" contains")  # the text itself is kept whole


# --- Reopened alerts ------------------------------------------------------------------------


@pytest.fixture
def reopened(doctor, nurse, patient_a, record_trough) -> Alert:
    result = record_trough(patient_a, "9")
    alert = Alert.objects.get(patient=patient_a, rule_code="trough-above-target")
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced by phone")
    services.amend_result(result=result, user=nurse, reason="Typo", value=Decimal("9.6"))
    alert.refresh_from_db()
    return alert


def test_the_reopen_note_is_in_the_english_message(reopened):
    expected = (
        "Tacrolimus trough 9.6 ng/mL is above the target 6–8 ng/mL (supratherapeutic) — "
        "Reopened: its result was corrected (value was 9; Typo) after it was acknowledged."
    )
    assert reopened.message == expected
    assert alert_text_in("en", reopened) == expected


@pytest.mark.needs_translations
def test_the_reopen_note_is_in_french_for_a_french_reader(reopened):
    assert alert_text_in("fr", reopened) == (
        "Taux résiduel de tacrolimus 9,6 ng/mL au-dessus de la cible 6–8 ng/mL "
        "(suprathérapeutique) — Rouvert : son résultat a été corrigé (value was 9 ; Typo) après "
        "son acquittement."
    )


def test_a_repeat_evaluation_of_the_same_result_keeps_the_reopen_note(nurse, reopened):
    services.amend_result(
        result=reopened.result,
        user=nurse,
        reason="Time checked",
        collected_at=(reopened.result.collected_at - dt.timedelta(minutes=5)),
    )

    reopened.refresh_from_db()
    assert "Reopened: its result was corrected (value was 9; Typo)" in reopened.message


# --- E-mails --------------------------------------------------------------------------------


@pytest.fixture
def doctors(doctor, clinic):
    """An English-speaking doctor and a French-speaking colleague."""
    doctor.email = "daniel.martin@example.org"
    doctor.language = "en"
    doctor.save()
    UserFactory(
        username="claire",
        role=Role.DOCTOR,
        email="claire@example.org",
        language="fr",
        clinics=[clinic],
    )


def critical_alert(nurse, patient):
    services.record_allergy(patient=patient, substance="clarithromycin", entered_by=nurse)


def test_each_doctor_gets_the_critical_alert_email_in_their_language(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        critical_alert(nurse, patient_a)

    by_address = {tuple(mail.to): mail for mail in mailoutbox}
    assert set(by_address) == {("daniel.martin@example.org",), ("claire@example.org",)}
    english = by_address[("daniel.martin@example.org",)]
    assert english.subject == "tdm-tracker: a critical alert needs review"
    assert english.body == (
        "A critical alert has been raised in your clinic and needs review.\n\n"
        "Open the worklist: http://127.0.0.1:8000/worklist/?severity=40\n\n"
        "For confidentiality this message contains no patient information."
    )


@pytest.mark.needs_translations
def test_a_french_doctor_gets_the_critical_alert_email_in_french(
    django_capture_on_commit_callbacks, doctors, nurse, patient_a, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        critical_alert(nurse, patient_a)

    [french] = [mail for mail in mailoutbox if mail.to == ["claire@example.org"]]
    assert french.subject == "tdm-tracker : une alerte critique est à examiner"
    assert "Ouvrir la liste de travail : http://127.0.0.1:8000/worklist/?severity=40" in (
        french.body
    )
    assert "ne contient aucune information sur les patients" in french.body


def test_a_doctor_without_a_language_gets_the_sites_language(
    settings, django_capture_on_commit_callbacks, doctor, nurse, patient_a, mailoutbox
):
    settings.LANGUAGE_CODE = "en"
    doctor.email = "daniel.martin@example.org"
    doctor.save()

    with django_capture_on_commit_callbacks(execute=True):
        critical_alert(nurse, patient_a)

    [mail] = mailoutbox
    assert mail.subject == "tdm-tracker: a critical alert needs review"


@pytest.mark.needs_translations
def test_the_digest_is_in_each_doctors_language(doctors, nurse, patient_a, mailoutbox):
    critical_alert(nurse, patient_a)

    call_command("send_digest", stdout=io.StringIO())

    by_address = {tuple(mail.to): mail for mail in mailoutbox}
    assert by_address[("daniel.martin@example.org",)].subject == (
        "tdm-tracker: open alerts to review"
    )
    french = by_address[("claire@example.org",)]
    assert french.subject == "tdm-tracker : alertes ouvertes à examiner"
    assert "Alertes ouvertes dans vos services : 1 critique(s) et 0 urgente(s)." in french.body

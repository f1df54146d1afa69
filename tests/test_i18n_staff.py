"""The staff side in French (issue #5 §3): every nurse and doctor page renders in French, and
form and service messages come back in French.

Tests marked needs_translations assert our French text, so they need the compiled catalogue
(locale/fr/LC_MESSAGES/django.mo); the others hold without it.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Analyte, LabResult, Medication, Regimen

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
UNIT_DEFAULT = re.compile(r'<select name="(unit_[\w-]+)".*?<option value="([^"]+)" selected', re.S)

# A past February morning: its month is "Feb" in English and "Fév" in French.
FEBRUARY_SAMPLE = dt.datetime(2025, 2, 3, 8, 0, tzinfo=dt.UTC)


def html_lang(response) -> str:
    start = response.text.index("<html lang=") + len('<html lang="')
    return response.text[start : response.text.index('"', start)]


@pytest.fixture
def record_of_a(patient_a, nurse, doctor, record_trough, start_regimen):
    """Patient A with something on every card of the staff pages: a regimen and a weight, an
    open and an acknowledged trough alert, a silenced rule, a result entered in error, an ECG,
    a medicine, and a blood draw with creatinine."""
    today = timezone.localdate()
    start_regimen(patient_a, today - dt.timedelta(days=30), "3", "3")
    services.record_weight(
        patient=patient_a,
        weight_kg=Decimal("60"),
        measured_on=today - dt.timedelta(days=30),
        entered_by=nurse,
    )
    february = record_trough(patient_a, "7.1", at=FEBRUARY_SAMPLE)
    wrong = record_trough(patient_a, "7.5")
    services.mark_result_entered_in_error(result=wrong, user=nurse, reason="other patient")
    record_trough(patient_a, "12")  # above the 6–8 ng/mL default band: an alert
    above = patient_a.alerts.open().get(rule_code="trough-above-target")
    services.acknowledge_alert(alert=above, user=doctor, comment="drawn late")
    record_trough(patient_a, "3.1")  # below the band: an open alert
    below = patient_a.alerts.open().get(rule_code="trough-below-target")
    services.suppress_rule(
        patient=patient_a,
        rule_code=above.rule_code,
        until=timezone.now() + dt.timedelta(days=10),
        reason="known, dose adjusted",
        user=doctor,
    )
    services.record_ecg(
        patient=patient_a,
        recorded_at=timezone.now() - dt.timedelta(days=5),
        qt_ms=400,
        heart_rate_bpm=70,
        entered_by=nurse,
    )
    services.record_medication(
        patient=patient_a,
        name="Vfend 200 mg",
        started_on=today - dt.timedelta(days=3),
        entered_by=nurse,
    )
    creatinine = Analyte.objects.get(code="creatinine")
    drawn = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    services.record_panel(
        patient=patient_a,
        collected_at=drawn,
        values=[
            services.PanelValue(
                analyte=creatinine,
                value=Decimal("80"),
                unit=creatinine.units.get(code="umol/L"),
            )
        ],
        entered_by=nurse,
    )
    return {
        "patient": patient_a,
        "february": february,
        "open_alert": below,
        "drawn_at": int(drawn.timestamp()),
    }


def _staff_pages(record) -> dict[str, str]:
    patient = record["patient"]
    result = record["february"]
    medication = Medication.objects.get(patient=patient)
    pages = {
        "patient list": reverse("monitoring:patient_list"),
        "patient page": reverse("monitoring:patient_detail", args=[patient.pk]),
        "charts": reverse("monitoring:patient_charts", args=[patient.pk]),
        "record trough": reverse("monitoring:record_trough", args=[patient.pk]),
        "record draw": reverse("monitoring:record_draw") + f"?patient={patient.pk}",
        "draw": reverse("monitoring:draw_detail", args=[patient.pk, record["drawn_at"]]),
        "correct result": reverse("monitoring:result_edit", args=[result.pk]),
        "result in error": reverse("monitoring:result_entered_in_error", args=[result.pk]),
        "result history": reverse("monitoring:result_history", args=[result.pk]),
        "entry in error": reverse(
            "monitoring:record_entry_entered_in_error",
            args=[patient.pk, "medication", medication.pk],
        ),
    }
    for kind in ("regimen", "weight", "ecg", "medication", "allergy", "vaccination", "symptom"):
        pages[f"add {kind}"] = reverse("monitoring:record_entry", args=[patient.pk, kind])
    return pages


def _doctor_pages(record) -> dict[str, str]:
    patient = record["patient"]
    return {
        "worklist": reverse("monitoring:worklist"),
        "worklist, acknowledged": reverse("monitoring:worklist") + "?status=acknowledged",
        "alert": reverse("monitoring:alert_acknowledge", args=[record["open_alert"].pk]),
        "dashboard": reverse("monitoring:dashboard"),
        "change target": reverse("monitoring:trough_target_set", args=[patient.pk]),
        "patient page": reverse("monitoring:patient_detail", args=[patient.pk]),
    }


# --- Every page renders in French (no catalogue needed) ---------------------------------------


def test_every_nurse_page_renders_in_french(client, nurse, record_of_a):
    client.force_login(nurse)

    for name, url in _staff_pages(record_of_a).items():
        response = client.get(url, **FRENCH)

        assert response.status_code == 200, name
        assert response["Content-Language"] == "fr", name
        assert html_lang(response) == "fr", name


def test_every_doctor_page_renders_in_french(client, doctor, record_of_a):
    client.force_login(doctor)

    for name, url in _doctor_pages(record_of_a).items():
        response = client.get(url, **FRENCH)

        assert response.status_code == 200, name
        assert response["Content-Language"] == "fr", name


def test_a_doctor_who_chose_french_on_the_account_gets_french_staff_pages(
    client, doctor, record_of_a
):
    doctor.language = "fr"
    doctor.save()
    client.force_login(doctor)

    response = client.get(reverse("monitoring:worklist"))

    assert response["Content-Language"] == "fr"


def test_dates_on_french_staff_pages_have_french_month_names(client, nurse, record_of_a):
    # French abbreviations as the press writes them (tdm_tracker/formats/fr), not "Fév".
    client.force_login(nurse)
    url = reverse("monitoring:result_history", args=[record_of_a["february"].pk])

    french = client.get(url, **FRENCH).text
    english = client.get(url).text

    assert "3 fév. 2025" in french
    assert "03 Feb 2025" not in french
    assert "03 Feb 2025" in english


def test_without_french_the_staff_pages_stay_in_english(client, nurse, record_of_a):
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[record_of_a["patient"].pk]))

    assert page["Content-Language"] == "en"
    assert "Record trough" in page.text
    assert "Tacrolimus dose" in page.text


def test_a_refused_trough_in_french_still_saves_nothing(client, nurse, patient_a):
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:record_trough", args=[patient_a.pk]),
        {"value": "7.1.2", "collected_at": "2025-11-24T08:00", "last_dose_at": "2025-11-23T20:00"},
        **FRENCH,
    )

    assert response.status_code == 200
    assert "7.1.2" in response.text  # the message quotes what was typed
    assert not LabResult.objects.filter(patient=patient_a).exists()


# --- French text (needs the compiled catalogue) -----------------------------------------------


@pytest.mark.needs_translations
def test_the_patient_list_speaks_french(client, nurse, record_of_a):
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_list"), **FRENCH).text

    assert "Rechercher un nom ou un IPP" in page
    assert "Dernier taux résiduel" in page
    assert "Saisir un taux résiduel" in page
    assert "Record trough" not in page


@pytest.mark.needs_translations
def test_the_patient_page_speaks_french(client, doctor, record_of_a):
    client.force_login(doctor)

    page = client.get(
        reverse("monitoring:patient_detail", args=[record_of_a["patient"].pk]), **FRENCH
    ).text

    assert "Dose de tacrolimus" in page
    assert "6 mg/jour" in page  # 3 mg morning + 3 mg evening
    assert "0,1 mg/kg/jour" in page  # 6 mg/day for 60 kg, with the French decimal comma
    assert "Alertes ouvertes" in page
    assert "En sourdine" in page
    assert "Acquittée" in page  # the acknowledged alert in the history
    assert "Résultats saisis par erreur" in page
    assert "Interaction · Majeure" in page or "Interaction · À éviter" in page
    assert "Tacrolimus dose" not in page


@pytest.mark.needs_translations
def test_a_refused_trough_says_why_in_french(client, nurse, patient_a):
    client.force_login(nurse)
    url = reverse("monitoring:record_trough", args=[patient_a.pk])

    empty = client.post(url, {"value": ""}, **FRENCH).text
    unreadable = client.post(url, {"value": "7.1.2"}, **FRENCH).text

    assert "Saisissez le taux résiduel en ng/mL." in empty
    assert "Saisissez la date et l&#x27;heure du prélèvement sanguin." in empty
    assert "« 7.1.2 » n&#x27;est pas lisible comme un nombre" in unreadable
    assert not LabResult.objects.filter(patient=patient_a).exists()


@pytest.mark.needs_translations
def test_a_saved_trough_is_confirmed_in_french(client, nurse, patient_a):
    client.force_login(nurse)
    sampled = timezone.localtime() - dt.timedelta(hours=1)

    response = client.post(
        reverse("monitoring:record_trough", args=[patient_a.pk]),
        {
            "value": "7,1",
            "collected_at": sampled.strftime("%Y-%m-%dT%H:%M"),
            "last_dose_at": (sampled - dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
        **FRENCH,
    )

    assert "7.1 ng/mL enregistré : dans la cible 6–8 ng/mL." in response.text


@pytest.mark.needs_translations
def test_a_custom_target_without_limits_is_refused_in_french(client, doctor, patient_a):
    client.force_login(doctor)

    page = client.post(
        reverse("monitoring:trough_target_set", args=[patient_a.pk]),
        {"preset": "custom", "starts_at": "2025-11-24T08:00", "reason": "test"},
        **FRENCH,
    ).text

    assert "Saisissez la limite basse de la fourchette personnalisée." in page
    assert "Saisissez la limite haute de la fourchette personnalisée." in page


@pytest.mark.needs_translations
def test_a_blood_draw_with_no_value_says_so_in_french(client, nurse, patient_a):
    client.force_login(nurse)

    url = reverse("monitoring:record_draw")
    # Every unit selector submits its default, as a browser would.
    units = dict(UNIT_DEFAULT.findall(client.get(url, **FRENCH).text))

    page = client.post(
        url, {"patient": patient_a.pk, "collected_at": "2025-11-24T08:00", **units}, **FRENCH
    ).text

    assert "Saisissez au moins une valeur." in page
    assert "Saisir un bilan sanguin" in page


@pytest.mark.needs_translations
def test_a_service_refusal_of_a_regimen_comes_back_in_french(client, doctor, patient_a):
    # The form accepts it; the service knows Prograf is taken twice daily.
    client.force_login(doctor)

    page = client.post(
        reverse("monitoring:record_entry", args=[patient_a.pk, "regimen"]),
        {
            "product": "Prograf",
            "strength_mg": "0.5",
            "morning_dose_mg": "3",
            "started_on": timezone.localdate().isoformat(),
            "prescriber": doctor.pk,
            "reason": "début",
        },
        **FRENCH,
    ).text

    assert "Prograf se prend deux fois par jour : saisissez la dose du soir." in page
    assert not Regimen.objects.filter(patient=patient_a).exists()


@pytest.mark.needs_translations
def test_the_worklist_and_the_alert_page_speak_french(client, doctor, record_of_a):
    client.force_login(doctor)

    worklist = client.get(reverse("monitoring:worklist"), **FRENCH).text
    alert = client.get(
        reverse("monitoring:alert_acknowledge", args=[record_of_a["open_alert"].pk]), **FRENCH
    ).text

    assert "Avertissement et plus" in worklist  # the severity filter
    assert "Acquitter" in worklist
    assert "Acquitter avec votre décision" in alert
    assert "Pas de changement (précisez pourquoi)" in alert
    assert "Mettre la règle en sourdine" in alert


@pytest.mark.needs_translations
def test_acknowledging_without_a_comment_is_refused_in_french(client, doctor, record_of_a):
    client.force_login(doctor)
    alert = record_of_a["open_alert"]

    page = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {"comment": "", "decision": "no-change"},
        **FRENCH,
    ).text

    assert "Indiquez votre décision avant d&#x27;acquitter." in page
    alert.refresh_from_db()
    assert alert.is_open

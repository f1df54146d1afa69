"""The last English on French pages (issue #5 §3): the interaction catalogue's effect and action
texts, the dose suggestion's reasoning, why a test is due, waiting times, hours after a dose,
the trough caveats and the breadcrumb's label.

Every test here asserts French text, so they need the compiled catalogue (locale/fr)."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from monitoring import rules, schedule, services
from monitoring.models import PRODUCTS
from monitoring.rules.base import PatientContext, RegimenInfo, Text, TroughInfo
from monitoring.rules.dosing import trough_caveat
from monitoring.suggestion import suggest_dose
from monitoring.templatetags.monitoring_tags import catalogue_text, duration, hours

pytestmark = pytest.mark.needs_translations

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
TODAY = dt.date(2025, 3, 15)


@pytest.fixture
def on_voriconazole(patient_a, nurse, start_regimen, record_trough):
    """Patient A on Prograf for a month, a trough 10 days ago, Vfend started 3 days ago."""
    today = timezone.localdate()
    start_regimen(patient_a, today - dt.timedelta(days=30))
    record_trough(patient_a, "7")
    services.record_medication(
        patient=patient_a,
        name="Vfend 200 mg",
        started_on=today - dt.timedelta(days=3),
        entered_by=nurse,
    )
    return patient_a


def french_page(client, user, url) -> str:
    client.force_login(user)
    return html.unescape(client.get(url, **FRENCH).text)


def test_the_patient_page_gives_the_interaction_and_its_action_in_french(
    client, doctor, on_voriconazole
):
    page = french_page(
        client, doctor, reverse("monitoring:patient_detail", args=[on_voriconazole.pk])
    )

    assert "augmente fortement les taux de tacrolimus (ASC environ ×3, Cmax ×2)" in page
    assert "Réduire le tacrolimus au tiers à l'introduction" in page
    assert "raises tacrolimus levels strongly" not in page


def test_the_interaction_alert_reads_in_french_and_is_stored_in_english(on_voriconazole):
    alert = on_voriconazole.alerts.get(rule_code="interaction")

    with translation.override("fr"):
        text = alert.text

    assert "Vfend 200 mg contient voriconazole" in text
    assert ": augmente fortement les taux de tacrolimus (ASC environ ×3, Cmax ×2)." in text
    assert "Conduite à tenir : Réduire le tacrolimus au tiers" in text
    assert "Action: Reduce tacrolimus to one third" in alert.message


def test_the_interaction_lookup_while_typing_answers_in_french(client, nurse):
    client.force_login(nurse)

    [match] = client.get(reverse("monitoring:interaction_match"), {"q": "Vfend"}, **FRENCH).json()[
        "matches"
    ]

    assert match["effect"] == "augmente fortement les taux de tacrolimus (ASC environ ×3, Cmax ×2)"
    assert match["action"].startswith("Réduire le tacrolimus au tiers")


def test_a_catalogue_text_with_a_percent_sign_is_translated_whole():
    with translation.override("fr"):
        shown = catalogue_text(
            "raises tacrolimus exposure a little (AUC +21 %, Cmax −10 %, single dose)"
        )

    assert (
        shown == "augmente un peu l'exposition au tacrolimus (ASC +21 %, Cmax −10 %, dose unique)"
    )


def test_the_patient_page_says_in_french_why_the_trough_is_due(client, nurse, on_voriconazole):
    page = french_page(
        client, nurse, reverse("monitoring:patient_detail", args=[on_voriconazole.pk])
    )

    assert "contrôle après l'introduction de Vfend 200 mg" in page
    assert "recheck after" not in page


def test_the_reason_a_test_is_due_is_french_for_the_reader_and_english_as_stored():
    [trough] = [
        due
        for due in schedule.due_dates(
            today=TODAY,
            treatment_start=TODAY - dt.timedelta(days=200),
            last_increase=None,
            last_done={"trough": TODAY - dt.timedelta(days=5)},
        )
        if due.test == "trough"
    ]

    with translation.override("fr"):
        assert trough.shown_reason == "tous les 30 jours (dose stable)"
    assert trough.reason == "every 30 days (dose stable)"


def test_a_recheck_after_a_dose_change_reads_in_french():
    change = schedule.Change(TODAY - dt.timedelta(days=1), Text("the dose change"))
    [trough] = [
        due
        for due in schedule.due_dates(
            today=TODAY,
            treatment_start=TODAY - dt.timedelta(days=200),
            last_increase=None,
            last_done={"trough": TODAY - dt.timedelta(days=5)},
            changes=(change,),
        )
        if due.test == "trough"
    ]

    with translation.override("fr"):
        assert trough.shown_reason == "contrôle après le changement de dose"


def _context(*, trough_value="9.5", started_days_before=100, hours_after_dose=12):
    drawn = dt.datetime.combine(TODAY, dt.time(8), tzinfo=timezone.get_current_timezone())
    regimen = RegimenInfo(
        pk=1,
        product="Prograf",
        formulation="IR",
        daily_dose_mg=Decimal("4"),
        started_on=TODAY - dt.timedelta(days=started_days_before),
        ended_on=None,
        is_formulation_switch=False,
    )
    trough = TroughInfo(
        pk=44,
        at=drawn,
        value=Decimal(trough_value),
        last_dose_at=drawn - dt.timedelta(hours=hours_after_dose),
        target_low=Decimal("6"),
        target_high=Decimal("8"),
    )
    return PatientContext(
        sex="F",
        age=35,
        now=drawn,
        today=TODAY,
        regimens=(regimen,),
        troughs=(trough,),
    )


def test_the_dose_suggestion_explains_itself_in_french_with_decimal_commas():
    strengths = {product: tuple(Decimal(s) for s in mg) for product, (_, mg) in PRODUCTS.items()}
    settings = {code: rules.default_setting(code) for code in rules.REGISTRY}

    with translation.override("fr"):
        suggestion = suggest_dose(_context(), settings=settings, strengths_mg=strengths)

    assert suggestion.reasoning[:3] == [
        "Dose actuelle 4 mg/jour (Prograf).",
        "Taux résiduel mesuré 9,5 ng/mL ; cible 6–8 ng/mL, milieu 7 ng/mL.",
        "Règle proportionnelle : 4 × 7 / 9,5 = 2,95 mg/jour.",
    ]
    assert "deux prises par jour" in suggestion.reasoning[3]


def test_a_trough_drawn_too_soon_after_a_change_says_so_in_french():
    ctx = _context(started_days_before=2)

    with translation.override("fr"):
        caveat = trough_caveat(ctx, ctx.troughs[-1])

    assert caveat == "pas à l'état d'équilibre : 2 jours après le changement de dose"


def test_a_trough_drawn_off_the_window_says_so_in_french():
    ctx = _context(hours_after_dose=3)

    with translation.override("fr"):
        caveat = trough_caveat(ctx, ctx.troughs[-1])

    assert caveat == "pas un vrai taux résiduel : prélevé 3 h 00 min après la prise"


def test_waiting_times_and_hours_after_a_dose_read_in_french():
    with translation.override("fr"):
        assert duration(dt.timedelta(days=2, hours=4)) == "2 j 4 h"
        assert duration(dt.timedelta(days=3)) == "3 j"
        assert duration(dt.timedelta(hours=3, minutes=20)) == "3 h 20 min"
        assert hours(12.5) == "12,5 h"
    assert duration(dt.timedelta(days=2, hours=4)) == "2 d 4 h"
    assert hours(12.5) == "12.5 h"


def test_the_breadcrumb_is_labelled_in_french(client, nurse, patient_a):
    page = french_page(client, nurse, reverse("monitoring:record_trough", args=[patient_a.pk]))

    assert 'aria-label="Fil d\'Ariane"' in page

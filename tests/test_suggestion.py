"""Dose suggestion by the proportional rule (clinical-reference.md A2, §3.4): new daily dose =
current × target midpoint / trough, capped at ±50 % per step, rounded to what the capsules
allow; offered only for a true trough at steady state with no interacting-drug change in the
last 7 days. Pure tests over a hand-built PatientContext, then the patient page."""

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import rules, services
from monitoring.models import PRODUCTS, Regimen
from monitoring.rules.base import (
    InteractionInfo,
    MedicationInfo,
    PatientContext,
    RegimenInfo,
    TroughInfo,
)
from monitoring.suggestion import suggest_dose

TODAY = dt.date(2025, 3, 15)
LONG_AGO = TODAY - dt.timedelta(days=100)
# The clinic's settings when it changed none (as services.clinic_settings gives them).
SETTINGS = {code: rules.default_setting(code) for code in rules.REGISTRY}
STRENGTHS = {
    product: tuple(D(s) for s in strengths) for product, (_, strengths) in PRODUCTS.items()
}
CAVEATS = (
    "Caveats: check adherence, timing of the sample, interacting drugs, food, haematocrit and "
    "diarrhoea before changing (§3.4). This is a suggestion for the doctor, never applied "
    "automatically."
)


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def prograf(dose="4", *, pk=1, started_on=LONG_AGO, ended_on=None) -> RegimenInfo:
    return RegimenInfo(
        pk=pk,
        product="Prograf",
        formulation="IR",
        daily_dose_mg=D(dose),
        started_on=started_on,
        ended_on=ended_on,
        is_formulation_switch=False,
    )


def envarsus(dose="4", *, pk=1, started_on=LONG_AGO) -> RegimenInfo:
    return RegimenInfo(
        pk=pk,
        product="Envarsus",
        formulation="XR",
        daily_dose_mg=D(dose),
        started_on=started_on,
        ended_on=None,
        is_formulation_switch=False,
    )


def trough(value, *, on=TODAY, hours_after_dose=12, low="6", high="8") -> TroughInfo:
    drawn = at(on)
    return TroughInfo(
        pk=44,
        at=drawn,
        value=D(value),
        last_dose_at=None
        if hours_after_dose is None
        else drawn - dt.timedelta(hours=hours_after_dose),
        target_low=D(low),
        target_high=D(high),
    )


VORICONAZOLE = InteractionInfo(
    code="voriconazole",
    ingredient="voriconazole",
    effect="increase",
    effect_text="raises tacrolimus levels strongly",
    severity="major",
    action="Check trough in 2–3 days",
    recheck_days=3,
)
IBUPROFEN = InteractionInfo(
    code="nsaid",
    ingredient="ibuprofen",
    effect="kidney-toxicity",
    effect_text="additive nephrotoxicity",
    severity="moderate",
    action="Check creatinine",
    recheck_days=None,
)


def medication(found=VORICONAZOLE, *, started_on, stopped_on=None, name="Vfend 200 mg"):
    return MedicationInfo(
        pk=7, name=name, started_on=started_on, stopped_on=stopped_on, interactions=(found,)
    )


def suggest(*troughs, regimens=None, medications=()):
    ctx = PatientContext(
        sex="F",
        age=35,
        now=at(TODAY, 12),
        today=TODAY,
        regimens=regimens or (prograf(),),
        troughs=troughs,
        medications=medications,
    )
    return suggest_dose(ctx, settings=SETTINGS, strengths_mg=STRENGTHS)


# --- What is suggested ------------------------------------------------------------------------


def test_nothing_is_suggested_without_a_trough():
    assert suggest() is None


@pytest.mark.parametrize("value", ["6", "7", "8"])
def test_nothing_is_suggested_for_a_trough_in_its_target(value):
    assert suggest(trough(value)) is None


def test_a_high_trough_gets_the_proportional_dose_with_its_reasoning():
    found = suggest(trough("10"))

    assert found.offered
    assert (found.daily_dose_mg, found.morning_dose_mg, found.evening_dose_mg) == (3, 1.5, 1.5)
    assert (found.product, found.strength_mg) == ("Prograf", D("0.5"))
    assert found.reasoning == [
        "Current dose 4 mg/day (Prograf).",
        "Measured trough 10 ng/mL; target 6–8 ng/mL, midpoint 7 ng/mL.",
        "Proportional rule: 4 × 7 / 10 = 2.8 mg/day.",
        "Rounded to what 0.5, 1, 5 mg units allow twice daily: 3 mg/day.",
        CAVEATS,
    ]


def test_a_low_trough_gets_a_higher_dose():
    found = suggest(trough("5"))

    # 4 × 7 / 5 = 5.6 mg/day: 2.8 mg per intake, 3 mg in 0.5 mg units.
    assert (found.daily_dose_mg, found.morning_dose_mg, found.evening_dose_mg) == (6, 3, 3)
    assert not any(line.startswith("Capped") for line in found.reasoning)


def test_the_midpoint_is_that_of_the_patients_own_target():
    found = suggest(trough("10", low="4", high="6"))

    assert "midpoint 5 ng/mL" in found.reasoning[1]
    assert found.daily_dose_mg == 2  # 4 × 5 / 10


def test_a_very_high_trough_lowers_the_dose_by_half_at_most():
    found = suggest(trough("20"))

    assert found.daily_dose_mg == 2
    assert found.reasoning[2] == "Proportional rule: 4 × 7 / 20 = 1.4 mg/day."
    assert found.reasoning[3] == "Capped at ±50 % per step: 2 mg/day."


def test_a_very_low_trough_raises_the_dose_by_half_at_most():
    found = suggest(trough("2"))

    assert found.daily_dose_mg == 6
    assert found.reasoning[2] == "Proportional rule: 4 × 7 / 2 = 14 mg/day."
    assert found.reasoning[3] == "Capped at ±50 % per step: 6 mg/day."


def test_a_change_of_exactly_half_is_not_capped():
    found = suggest(trough("14"))

    assert found.daily_dose_mg == 2
    assert not any(line.startswith("Capped") for line in found.reasoning)


def test_envarsus_is_rounded_to_its_own_units_once_daily():
    found = suggest(trough("10", hours_after_dose=24), regimens=(envarsus(),))

    # 2.8 mg/day in 0.75 mg units: 3.73, so 4 units.
    assert found.offered
    assert (found.daily_dose_mg, found.morning_dose_mg, found.evening_dose_mg) == (3, 3, None)
    assert (found.product, found.strength_mg) == ("Envarsus", D("0.75"))
    assert found.reasoning[3] == "Rounded to what 0.75, 1, 4 mg units allow once daily: 3 mg/day."


def test_envarsus_upwards():
    found = suggest(trough("5.5", hours_after_dose=24), regimens=(envarsus(),))

    # 4 × 7 / 5.5 = 5.09 mg/day: 6.8 units of 0.75 mg, so 7.
    assert found.daily_dose_mg == D("5.25")


def test_no_change_is_suggested_when_the_capsules_give_back_the_current_dose():
    found = suggest(trough("8.5"), regimens=(prograf("1"),))

    assert not found.offered
    assert found.daily_dose_mg is None
    assert found.reasoning[-1] == "That is the current dose: no change is suggested."


# --- When nothing is offered ------------------------------------------------------------------


@pytest.mark.parametrize("hours", [6, 15, None])
def test_nothing_is_offered_for_a_trough_that_is_not_a_true_trough(hours):
    found = suggest(trough("10", hours_after_dose=hours))

    assert not found.offered
    [reason] = found.reasoning
    assert "not a true trough" in reason or "cannot count as a true trough" in reason
    assert found.daily_dose_mg is None


def test_an_xr_trough_is_true_24_hours_after_the_dose():
    assert suggest(trough("10", hours_after_dose=24), regimens=(envarsus(),)).offered
    assert not suggest(trough("10", hours_after_dose=12), regimens=(envarsus(),)).offered


def test_nothing_is_offered_before_steady_state():
    found = suggest(trough("10"), regimens=(prograf(started_on=TODAY - dt.timedelta(days=2)),))

    assert not found.offered
    [reason] = found.reasoning
    assert "not at steady state" in reason


def test_three_days_on_an_ir_dose_is_steady_state():
    assert suggest(trough("10"), regimens=(prograf(started_on=TODAY - dt.timedelta(days=3)),))


def test_nothing_is_offered_within_7_days_of_starting_an_interacting_drug():
    started = TODAY - dt.timedelta(days=7)

    found = suggest(trough("10"), medications=(medication(started_on=started),))

    assert not found.offered
    assert found.reasoning == [
        "Vfend 200 mg, which changes tacrolimus levels, was started on 08 Mar 2025: wait until "
        "its effect is steady."
    ]


def test_an_interacting_drug_started_8_days_before_the_trough_is_steady():
    found = suggest(
        trough("10"), medications=(medication(started_on=TODAY - dt.timedelta(days=8)),)
    )

    assert found.offered


def test_nothing_is_offered_within_7_days_of_stopping_an_interacting_drug():
    found = suggest(
        trough("10"),
        medications=(medication(started_on=LONG_AGO, stopped_on=TODAY - dt.timedelta(days=2)),),
    )

    assert not found.offered
    assert "was stopped on 13 Mar 2025" in found.reasoning[0]


def test_a_drug_that_does_not_change_the_level_does_not_block_the_suggestion():
    found = suggest(
        trough("10"),
        medications=(medication(IBUPROFEN, started_on=TODAY, name="Ibuprofen 400 mg"),),
    )

    assert found.offered


def test_every_reason_is_given():
    found = suggest(
        trough("10", hours_after_dose=6),
        regimens=(prograf(started_on=TODAY - dt.timedelta(days=1)),),
        medications=(medication(started_on=TODAY - dt.timedelta(days=1)),),
    )

    assert not found.offered
    assert len(found.reasoning) == 3


def test_nothing_is_offered_without_a_regimen_on_the_day_of_the_sample():
    found = suggest(trough("10"), regimens=(prograf(started_on=TODAY + dt.timedelta(days=1)),))

    assert found.reasoning == ["No regimen was recorded for the day of the sample."]


def test_nothing_is_offered_once_the_dose_has_changed_since_the_trough():
    drawn_on = TODAY - dt.timedelta(days=3)
    regimens = (
        prograf("4", pk=1, ended_on=TODAY - dt.timedelta(days=2)),
        prograf("3", pk=2, started_on=TODAY - dt.timedelta(days=2)),
    )

    found = suggest(trough("10", on=drawn_on), regimens=regimens)

    assert not found.offered
    assert found.daily_dose_mg is None
    assert found.reasoning == [
        "The regimen changed after this trough (Prograf 3 mg/day since 13 Mar 2025): wait for a "
        "trough at steady state on it."
    ]


def test_the_trough_that_prompted_a_dose_change_that_day_belongs_to_the_previous_dose():
    # Drawn at 08:00, 12 h after last night's dose; the doctor lowers the dose that morning.
    regimens = (prograf("4", pk=1, ended_on=TODAY), prograf("3", pk=2, started_on=TODAY))
    ctx = PatientContext(
        sex="F", age=35, now=at(TODAY, 12), today=TODAY, regimens=regimens, troughs=(trough("10"),)
    )

    found = suggest_dose(ctx, settings=SETTINGS, strengths_mg=STRENGTHS)

    assert found.reasoning == [
        "The regimen changed after this trough (Prograf 3 mg/day since 15 Mar 2025): wait for a "
        "trough at steady state on it."
    ]
    assert rules.REGISTRY["not-steady-state"].check(ctx, SETTINGS["not-steady-state"]) is None


def test_the_window_of_a_trough_drawn_the_morning_of_a_switch_is_that_of_the_previous_product():
    regimens = (envarsus(pk=1), prograf("5", pk=2, started_on=TODAY))
    xr_trough = trough("7", hours_after_dose=24)
    ctx = PatientContext(
        sex="F", age=35, now=at(TODAY, 12), today=TODAY, regimens=regimens, troughs=(xr_trough,)
    )

    assert rules.REGISTRY["not-true-trough"].check(ctx, SETTINGS["not-true-trough"]) is None


# --- On the patient page ----------------------------------------------------------------------


@pytest.fixture
def high_trough(doctor, nurse, patient_a, record_trough):
    services.start_regimen(
        patient=patient_a,
        product="Prograf",
        strength_mg=D("0.5"),
        morning_dose_mg=D("2"),
        evening_dose_mg=D("2"),
        started_on=timezone.localdate() - dt.timedelta(days=60),
        reason="Lupus nephritis",
        prescriber=doctor,
        entered_by=nurse,
    )
    return record_trough(patient_a, "10")


def patient_page(client, user, patient) -> str:
    client.force_login(user)
    return client.get(reverse("monitoring:patient_detail", args=[patient.pk])).text


def test_the_patient_page_shows_the_suggestion_and_its_reasoning(
    client, nurse, patient_a, high_trough
):
    page = patient_page(client, nurse, patient_a)

    assert "Dose suggestion" in page
    assert "Suggested: Prograf 1.5 mg morning + 1.5 mg evening = 3 mg/day" in page
    assert "Proportional rule: 4 × 7 / 10 = 2.8 mg/day." in page
    assert "Prepare this regimen" not in page  # a nurse does not prescribe


def test_a_doctor_can_prepare_the_suggested_regimen_and_confirms_it(
    client, doctor, patient_a, high_trough
):
    page = patient_page(client, doctor, patient_a)
    [link] = re.findall(r'href="([^"]+)"[^>]*>Prepare this regimen', page)

    response = client.get(html.unescape(link))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["product"].value() == "Prograf"
    assert form["strength_mg"].value() == "0.5"
    assert form["morning_dose_mg"].value() == "1.5"
    assert form["evening_dose_mg"].value() == "1.5"
    assert form["reason"].value().startswith("Proportional dose suggestion")
    assert Regimen.objects.filter(patient=patient_a).count() == 1  # nothing applied


def test_a_trough_in_target_shows_no_suggestion(
    client, doctor, patient_a, high_trough, record_trough
):
    record_trough(patient_a, "7")

    page = patient_page(client, doctor, patient_a)

    assert "Dose suggestion" not in page

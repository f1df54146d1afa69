"""Record rules: interactions, macrolide allergy, live vaccines, pregnancy, breastfeeding,
neurotoxicity with a high trough (clinical-reference.md A5, §5, §7)."""

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

from monitoring import rules
from monitoring.models import Severity
from monitoring.rules.base import (
    AllergyInfo,
    InteractionInfo,
    MedicationInfo,
    PatientContext,
    RegimenInfo,
    ReproductiveInfo,
    SymptomInfo,
    TroughInfo,
    VaccinationInfo,
)

TODAY = dt.date(2025, 3, 15)
TOMORROW = TODAY + dt.timedelta(days=1)
YESTERDAY = TODAY - dt.timedelta(days=1)
ON_TACROLIMUS_SINCE = dt.date(2024, 6, 1)


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def context(**record) -> PatientContext:
    return PatientContext(sex="F", age=30, now=at(TODAY, 12), today=TODAY, **record)


REGIMEN = RegimenInfo(
    pk=1,
    product="Prograf",
    formulation="IR",
    daily_dose_mg=D("4"),
    started_on=ON_TACROLIMUS_SINCE,
    ended_on=None,
    is_formulation_switch=False,
)

VORICONAZOLE = InteractionInfo(
    code="voriconazole",
    ingredient="Voriconazole",
    effect="increase",
    effect_text="Raises tacrolimus levels about threefold",
    severity="major",
    action="Reduce tacrolimus to a third at the start; trough in 2–3 days",
    recheck_days=3,
)


def interacting(code: str, severity: str) -> InteractionInfo:
    return InteractionInfo(
        code=code,
        ingredient=code.capitalize(),
        effect="increase",
        effect_text="Raises tacrolimus levels",
        severity=severity,
        action="Trough within a week",
        recheck_days=7,
    )


def medication(pk=7, name="Vfend 200 mg", *, started_on=YESTERDAY, stopped_on=None, found=()):
    return MedicationInfo(
        pk=pk, name=name, started_on=started_on, stopped_on=stopped_on, interactions=found
    )


def run(code: str, ctx: PatientContext) -> list[rules.Finding]:
    found = rules.REGISTRY[code].check(ctx, rules.default_setting(code))
    if isinstance(found, rules.Finding):
        return [found]
    return list(found or [])


# --- interaction ------------------------------------------------------------------------------


def test_a_current_medicine_with_an_interaction_raises_one_alert_per_ingredient():
    ctx = context(medications=(medication(found=(VORICONAZOLE,)),))

    [finding] = run("interaction", ctx)

    assert finding.severity == Severity.WARNING
    assert finding.subject == "medication:7:voriconazole"
    assert str(finding.message) == (
        "Vfend 200 mg contains Voriconazole (major interaction with tacrolimus): Raises "
        "tacrolimus levels about threefold. Action: Reduce tacrolimus to a third at the start; "
        "trough in 2–3 days"
    )


def test_the_severity_follows_the_ingredient():
    found = tuple(interacting(s, s) for s in ["avoid", "major", "moderate", "minor"])

    findings = run("interaction", context(medications=(medication(found=found),)))

    assert {f.subject: f.severity for f in findings} == {
        "medication:7:avoid": Severity.URGENT,
        "medication:7:major": Severity.WARNING,
        "medication:7:moderate": Severity.INFO,
        "medication:7:minor": Severity.INFO,
    }


def test_two_medicines_with_the_same_ingredient_raise_two_alerts():
    ctx = context(
        medications=(
            medication(7, found=(VORICONAZOLE,)),
            medication(8, "voriconazole 50 mg", found=(VORICONAZOLE,)),
        )
    )

    subjects = [f.subject for f in run("interaction", ctx)]

    assert subjects == ["medication:7:voriconazole", "medication:8:voriconazole"]


def test_a_medicine_stopped_today_raises_no_alert():
    stopped = medication(stopped_on=TODAY, found=(VORICONAZOLE,))

    assert run("interaction", context(medications=(stopped,))) == []


def test_a_medicine_stopping_tomorrow_is_still_taken():
    stopping = medication(stopped_on=TOMORROW, found=(VORICONAZOLE,))

    assert len(run("interaction", context(medications=(stopping,)))) == 1


def test_a_medicine_starting_tomorrow_raises_no_alert_yet():
    starting = medication(started_on=TOMORROW, found=(VORICONAZOLE,))

    assert run("interaction", context(medications=(starting,))) == []


def test_a_medicine_without_interactions_raises_no_alert():
    assert run("interaction", context(medications=(medication(name="Paracetamol"),))) == []


def test_a_very_long_interaction_message_is_kept_whole_by_the_rule():
    # The longest a medicine name (200) and a catalogue action (400) may be. The alert clips
    # its stored English message (tests/test_alert_text.py); the rule keeps the whole text.
    long_action = InteractionInfo(**{**vars(VORICONAZOLE), "action": "a" * 400})
    long_name = medication(name="V" * 200, found=(long_action,))

    [finding] = run("interaction", context(medications=(long_name,)))

    assert str(finding.message).endswith("Action: " + "a" * 400)


# --- macrolide-allergy ------------------------------------------------------------------------


def test_a_macrolide_allergy_is_a_critical_contraindication():
    allergy = AllergyInfo(
        pk=3, substance="clarithromycin", allergy_class="macrolide", is_contraindication=True
    )

    [finding] = run("macrolide-allergy", context(allergies=(allergy,)))

    assert finding.severity == Severity.CRITICAL
    assert finding.subject == "allergy:3"
    assert str(finding.message) == (
        "Allergy to clarithromycin (macrolide): hypersensitivity to tacrolimus or other "
        "macrolides contraindicates tacrolimus; doctor review"
    )


def test_another_allergy_raises_no_alert():
    allergy = AllergyInfo(
        pk=4, substance="penicillin", allergy_class="other", is_contraindication=False
    )

    assert run("macrolide-allergy", context(allergies=(allergy,))) == []


# --- live-vaccine -----------------------------------------------------------------------------


def vaccination(state: str, date: dt.date, *, name="Priorix (MMR)", is_live=True, pk=5):
    return VaccinationInfo(pk=pk, name=name, state=state, date=date, is_live=is_live)


def test_a_live_vaccine_given_while_on_tacrolimus_is_critical():
    ctx = context(regimens=(REGIMEN,), vaccinations=(vaccination("given", dt.date(2025, 1, 10)),))

    [finding] = run("live-vaccine", ctx)

    assert finding.severity == Severity.CRITICAL
    assert finding.subject == "vaccination:5"
    assert str(finding.message) == (
        "Live vaccine Priorix (MMR) given on 10 Jan 2025, while on tacrolimus (since 01 Jun "
        "2024): live vaccines are to be avoided during tacrolimus; doctor review"
    )


def test_a_live_vaccine_given_on_the_day_tacrolimus_started_counts():
    ctx = context(regimens=(REGIMEN,), vaccinations=(vaccination("given", ON_TACROLIMUS_SINCE),))

    assert len(run("live-vaccine", ctx)) == 1


def test_a_live_vaccine_given_the_day_before_tacrolimus_started_does_not():
    before = vaccination("given", ON_TACROLIMUS_SINCE - dt.timedelta(days=1))

    assert run("live-vaccine", context(regimens=(REGIMEN,), vaccinations=(before,))) == []


def test_a_planned_live_vaccine_is_critical():
    planned = vaccination("planned", TODAY, name="Stamaril (yellow fever)")

    [finding] = run("live-vaccine", context(regimens=(REGIMEN,), vaccinations=(planned,)))

    assert str(finding.message).startswith(
        "Live vaccine Stamaril (yellow fever) planned for 15 Mar"
    )


def test_a_planned_live_vaccine_is_flagged_before_tacrolimus_starts():
    planned = vaccination("planned", TOMORROW)

    assert len(run("live-vaccine", context(vaccinations=(planned,)))) == 1


def test_a_live_vaccine_planned_for_a_past_date_is_not_flagged():
    assert run("live-vaccine", context(vaccinations=(vaccination("planned", YESTERDAY),))) == []


def test_shingrix_is_not_live():
    shingrix = vaccination("planned", TOMORROW, name="Shingrix", is_live=False)
    given = vaccination("given", YESTERDAY, name="Shingrix", is_live=False, pk=6)

    assert run("live-vaccine", context(regimens=(REGIMEN,), vaccinations=(shingrix, given))) == []


# --- pregnancy and breastfeeding --------------------------------------------------------------


def status(kind: str, *, pk=2, started_on=dt.date(2025, 1, 20), ended_on=None):
    return ReproductiveInfo(pk=pk, kind=kind, started_on=started_on, ended_on=ended_on)


def test_a_current_pregnancy_asks_for_doctor_review_and_a_check_for_mycophenolate():
    [finding] = run("pregnancy", context(reproductive=(status("pregnant"),)))

    assert finding.severity == Severity.WARNING
    assert finding.subject == "pregnancy:2"
    assert str(finding.message) == (
        "Pregnant since 20 Jan 2025: doctor review. Tacrolimus is possible in pregnancy; check "
        "for mycophenolate (teratogenic)"
    )


def test_a_pregnancy_with_cellcept_names_it():
    cellcept = medication(9, "CellCept 500 mg x2", started_on=dt.date(2024, 1, 1))

    [finding] = run(
        "pregnancy", context(reproductive=(status("pregnant"),), medications=(cellcept,))
    )

    assert str(finding.message).endswith(
        "check for mycophenolate (teratogenic): current medication CellCept 500 mg x2"
    )


def test_mycophenolate_is_found_under_its_french_name_and_myfortic():
    medications = (
        medication(9, "Mycophénolate mofétil 1 g", started_on=dt.date(2024, 1, 1)),
        medication(10, "MYFORTIC 360", started_on=dt.date(2024, 1, 1)),
    )

    [finding] = run(
        "pregnancy", context(reproductive=(status("pregnant"),), medications=medications)
    )

    assert str(finding.message).endswith(
        "current medication Mycophénolate mofétil 1 g, MYFORTIC 360"
    )


def test_a_stopped_mycophenolate_is_not_named():
    stopped = medication(9, "CellCept", started_on=dt.date(2024, 1, 1), stopped_on=YESTERDAY)

    [finding] = run(
        "pregnancy", context(reproductive=(status("pregnant"),), medications=(stopped,))
    )

    assert "CellCept" not in str(finding.message)


def test_a_pregnancy_is_current_until_its_end_date():
    ends_today = status("pregnant", ended_on=TODAY)
    ended = status("pregnant", pk=3, ended_on=YESTERDAY)
    future = status("pregnant", pk=4, started_on=TOMORROW)

    findings = run("pregnancy", context(reproductive=(ends_today, ended, future)))

    assert [f.subject for f in findings] == ["pregnancy:2"]


def test_breastfeeding_asks_to_discuss_with_the_doctor():
    ctx = context(reproductive=(status("breastfeeding", pk=8),))

    [finding] = run("breastfeeding", ctx)

    assert finding.severity == Severity.INFO
    assert finding.subject == "breastfeeding:8"
    assert str(finding.message) == (
        "Breastfeeding since 20 Jan 2025: discuss with doctor (the label says not recommended; "
        "LactMed and EULAR consider tacrolimus compatible)"
    )
    assert run("pregnancy", ctx) == []


def test_breastfeeding_that_ended_raises_nothing():
    ended = status("breastfeeding", ended_on=YESTERDAY)

    assert run("breastfeeding", context(reproductive=(ended,))) == []


# --- neurotoxicity-with-high-trough -----------------------------------------------------------


def symptom(kind="tremor", *, started_on=TODAY - dt.timedelta(days=5), pk=9):
    return SymptomInfo(
        pk=pk,
        kind=kind,
        started_on=started_on,
        is_neurotoxicity=kind in {"tremor", "headache", "paresthesia", "insomnia"},
        entered_at=at(TODAY),
    )


def trough(value: str, day: dt.date, pk=44) -> TroughInfo:
    return TroughInfo(
        pk=pk,
        at=at(day),
        value=D(value),
        last_dose_at=at(day) - dt.timedelta(hours=12),
        target_low=D("6"),
        target_high=D("8"),
    )


def test_a_new_tremor_with_a_trough_above_target_is_a_warning():
    ctx = context(symptoms=(symptom(),), troughs=(trough("9.5", TODAY - dt.timedelta(days=7)),))

    [finding] = run("neurotoxicity-with-high-trough", ctx)

    assert finding.severity == Severity.WARNING
    assert finding.subject == "symptom:9"
    assert str(finding.message) == (
        "Tremor since 10 Mar 2025 with a tacrolimus trough of 9.5 ng/mL on 08 Mar 2025, above "
        "the target 6–8 ng/mL: possible neurotoxicity; doctor review"
    )


def test_a_trough_at_the_top_of_the_target_is_not_high():
    ctx = context(symptoms=(symptom(),), troughs=(trough("8", YESTERDAY),))

    assert run("neurotoxicity-with-high-trough", ctx) == []


def test_a_symptom_started_30_days_ago_is_new_31_days_ago_is_not():
    high = (trough("10", YESTERDAY),)
    day_30 = symptom(started_on=TODAY - dt.timedelta(days=30))
    day_31 = symptom(started_on=TODAY - dt.timedelta(days=31))

    assert len(run("neurotoxicity-with-high-trough", context(symptoms=(day_30,), troughs=high)))
    assert run("neurotoxicity-with-high-trough", context(symptoms=(day_31,), troughs=high)) == []


def test_the_trough_must_be_within_30_days_of_the_symptom_start():
    started_on = TODAY - dt.timedelta(days=5)
    on_day_30 = trough("10", started_on - dt.timedelta(days=30))
    on_day_31 = trough("10", started_on - dt.timedelta(days=31))

    near = context(symptoms=(symptom(started_on=started_on),), troughs=(on_day_30,))
    far = context(symptoms=(symptom(started_on=started_on),), troughs=(on_day_31,))

    assert len(run("neurotoxicity-with-high-trough", near)) == 1
    assert run("neurotoxicity-with-high-trough", far) == []


def test_the_latest_trough_decides():
    troughs = (trough("12", TODAY - dt.timedelta(days=10), pk=43), trough("7", YESTERDAY))

    ctx = context(symptoms=(symptom(),), troughs=troughs)

    assert run("neurotoxicity-with-high-trough", ctx) == []


def test_a_symptom_that_is_not_neurotoxicity_raises_nothing():
    ctx = context(symptoms=(symptom("rash"),), troughs=(trough("12", YESTERDAY),))

    assert run("neurotoxicity-with-high-trough", ctx) == []

"""Dose and trough-timing record rules: pure functions over a hand-built PatientContext.

Boundaries from clinical-reference.md A1, A2, §3.3, §4.1, §4.2, tested on both sides."""

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

from monitoring import rules
from monitoring.models import Severity
from monitoring.rules.base import PatientContext, RegimenInfo, TroughInfo, WeightInfo

TODAY = dt.date(2025, 3, 15)
LONG_AGO = TODAY - dt.timedelta(days=100)


def at(day: dt.date, hour: int = 8, minute: int = 0) -> dt.datetime:
    """A moment in the clinic's time zone."""
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def context(**record) -> PatientContext:
    return PatientContext(sex="F", age=40, now=at(TODAY, 12), today=TODAY, **record)


def regimen(pk=1, *, formulation="IR", dose="7", started_on=LONG_AGO, ended_on=None, **kw):
    product = "Prograf" if formulation == "IR" else "Envarsus"
    return RegimenInfo(
        pk=pk,
        product=product,
        formulation=formulation,
        daily_dose_mg=D(dose),
        started_on=started_on,
        ended_on=ended_on,
        is_formulation_switch=kw.get("is_formulation_switch", False),
    )


def weight(kg="70", measured_on=TODAY - dt.timedelta(days=10)):
    return WeightInfo(kg=D(kg), measured_on=measured_on)


def trough(pk=44, *, drawn_at=None, hours_after_dose=12.0, value="7", high="8"):
    drawn_at = drawn_at or at(TODAY - dt.timedelta(days=1))
    last_dose_at = (
        None if hours_after_dose is None else drawn_at - dt.timedelta(hours=hours_after_dose)
    )
    return TroughInfo(
        pk=pk,
        at=drawn_at,
        value=D(value),
        last_dose_at=last_dose_at,
        target_low=D("6"),
        target_high=D(high),
    )


def run(code: str, ctx: PatientContext) -> list[rules.Finding]:
    found = rules.REGISTRY[code].check(ctx, rules.default_setting(code))
    if isinstance(found, rules.Finding):
        return [found]
    return list(found or [])


# --- dose-out-of-range ------------------------------------------------------------------------


def test_doses_of_0_10_and_0_30_mg_per_kg_day_are_in_range():
    for dose in ["7", "21"]:  # 7 / 70 = 0.100; 21 / 70 = 0.300
        assert (
            run("dose-out-of-range", context(regimens=(regimen(dose=dose),), weights=(weight(),)))
            == []
        )


def test_a_dose_of_0_099_mg_per_kg_day_is_out_of_range():
    ctx = context(regimens=(regimen(pk=12, dose="6.93"),), weights=(weight(),))  # 6.93 / 70

    [finding] = run("dose-out-of-range", ctx)

    assert finding.severity == Severity.WARNING
    assert finding.subject == "regimen:12"
    assert str(finding.message) == (
        "Prograf 6.93 mg/day is 0.099 mg/kg/day at 70 kg (weighed 05 Mar 2025): "
        "outside 0.1–0.3 mg/kg/day"
    )


def test_a_dose_of_0_301_mg_per_kg_day_is_out_of_range():
    ctx = context(regimens=(regimen(dose="21.07"),), weights=(weight(),))  # 21.07 / 70

    [finding] = run("dose-out-of-range", ctx)

    assert "0.301 mg/kg/day" in str(finding.message)


def test_the_dose_is_judged_against_the_latest_weight():
    weights = (weight("35", TODAY - dt.timedelta(days=200)), weight("70"))

    assert run("dose-out-of-range", context(regimens=(regimen(dose="14"),), weights=weights)) == []


def test_the_dose_is_not_judged_without_a_weight_or_a_current_regimen():
    ended = regimen(dose="100", ended_on=TODAY)

    assert run("dose-out-of-range", context(regimens=(regimen(dose="100"),))) == []
    assert run("dose-out-of-range", context(regimens=(ended,), weights=(weight(),))) == []


# --- weight-stale -----------------------------------------------------------------------------


def test_a_weight_90_days_old_is_fresh():
    ctx = context(regimens=(regimen(),), weights=(weight(measured_on=TODAY - dt.timedelta(90)),))

    assert run("weight-stale", ctx) == []


def test_a_weight_91_days_old_is_stale():
    ctx = context(regimens=(regimen(),), weights=(weight(measured_on=TODAY - dt.timedelta(91)),))

    [finding] = run("weight-stale", ctx)

    assert finding.severity == Severity.WARNING
    assert finding.subject == "weight"
    assert str(finding.message) == (
        "Latest weight 70 kg was measured on 14 Dec 2024, more than 90 days ago: weigh the "
        "patient to check the dose in mg/kg/day"
    )


def test_no_weight_at_all_is_flagged_for_a_patient_on_tacrolimus():
    [finding] = run("weight-stale", context(regimens=(regimen(),)))

    assert finding.subject == "weight"
    assert str(finding.message).startswith("No weight on record")


def test_a_missing_weight_does_not_matter_without_a_current_regimen():
    assert run("weight-stale", context()) == []
    assert run("weight-stale", context(regimens=(regimen(ended_on=TODAY),))) == []


# --- formulation-switch -----------------------------------------------------------------------


def test_a_formulation_switch_14_days_ago_asks_for_a_recheck_in_7_days():
    switch = regimen(
        pk=12,
        formulation="XR",
        dose="5",
        started_on=TODAY - dt.timedelta(days=14),
        is_formulation_switch=True,
    )

    [finding] = run("formulation-switch", context(regimens=(switch,)))

    assert finding.severity == Severity.WARNING
    assert finding.subject == "regimen:12"
    assert str(finding.message) == (
        "Formulation switched to extended release (Envarsus 5 mg/day) on 01 Mar 2025: IR and XR "
        "are not interchangeable; recheck trough in 7 days (by 08 Mar 2025)"
    )


def test_a_formulation_switch_15_days_ago_is_no_longer_flagged():
    switch = regimen(started_on=TODAY - dt.timedelta(days=15), is_formulation_switch=True)

    assert run("formulation-switch", context(regimens=(switch,))) == []


def test_a_new_regimen_of_the_same_formulation_is_not_a_switch():
    assert run("formulation-switch", context(regimens=(regimen(started_on=TODAY),))) == []


# --- not-true-trough --------------------------------------------------------------------------


def test_ir_troughs_10_and_14_hours_after_the_dose_are_true_troughs():
    for hours in [10, 14]:
        ctx = context(regimens=(regimen(),), troughs=(trough(hours_after_dose=hours),))
        assert run("not-true-trough", ctx) == []


def test_an_ir_trough_9_9_hours_after_the_dose_is_not_a_true_trough():
    ctx = context(regimens=(regimen(),), troughs=(trough(pk=44, hours_after_dose=9.9),))

    [finding] = run("not-true-trough", ctx)

    assert finding.severity == Severity.INFO
    assert finding.subject == "trough:44"
    assert str(finding.message) == (
        "Tacrolimus trough 7 ng/mL of 14 Mar 2025 was drawn 9 h 54 min after the last dose, "
        "outside 10–14 h for immediate release: not a true trough (kept, excluded from dose "
        "suggestions)"
    )


def test_an_ir_trough_14_1_hours_after_the_dose_is_not_a_true_trough():
    ctx = context(regimens=(regimen(),), troughs=(trough(hours_after_dose=14.1),))

    [finding] = run("not-true-trough", ctx)

    assert "14 h 06 min after the last dose" in str(finding.message)


def test_xr_troughs_are_true_from_22_to_26_hours_after_the_dose():
    for hours, is_true in [(21.9, False), (22, True), (26, True), (26.1, False)]:
        ctx = context(
            regimens=(regimen(formulation="XR"),), troughs=(trough(hours_after_dose=hours),)
        )
        assert (run("not-true-trough", ctx) == []) is is_true, hours


def test_a_trough_without_the_time_of_the_last_dose_is_not_a_true_trough():
    ctx = context(regimens=(regimen(),), troughs=(trough(hours_after_dose=None),))

    [finding] = run("not-true-trough", ctx)

    assert "has no time of last dose" in str(finding.message)


def test_a_last_dose_recorded_after_the_sample_is_not_a_true_trough():
    ctx = context(regimens=(regimen(),), troughs=(trough(hours_after_dose=-1),))

    [finding] = run("not-true-trough", ctx)

    assert "drawn before the last dose recorded" in str(finding.message)


def test_the_formulation_is_the_one_in_force_at_sampling_time():
    # XR until today's switch to IR: yesterday's sample, 24 h after the dose, is a true XR
    # trough although the patient takes IR today.
    xr = regimen(1, formulation="XR", ended_on=TODAY)
    ir = regimen(2, started_on=TODAY, is_formulation_switch=True)

    ctx = context(regimens=(xr, ir), troughs=(trough(hours_after_dose=24),))

    assert run("not-true-trough", ctx) == []


def test_only_the_latest_trough_is_judged():
    earlier = trough(43, drawn_at=at(TODAY - dt.timedelta(days=8)), hours_after_dose=3)

    ctx = context(regimens=(regimen(),), troughs=(earlier, trough(44)))

    assert run("not-true-trough", ctx) == []


# --- not-steady-state -------------------------------------------------------------------------

CHANGED_ON = TODAY - dt.timedelta(days=10)


def changed_dose(formulation="IR"):
    """The patient's regimen before the dose change and the one from it (a new regimen)."""
    return (
        regimen(1, formulation=formulation, dose="6", ended_on=CHANGED_ON),
        regimen(2, formulation=formulation, dose="8", started_on=CHANGED_ON),
    )


def drawn_after_change(days: float, pk=44) -> TroughInfo:
    midnight = at(CHANGED_ON, 0)
    return trough(pk, drawn_at=midnight + dt.timedelta(days=days))


def test_an_ir_trough_3_days_after_a_dose_change_is_at_steady_state():
    ctx = context(regimens=changed_dose(), troughs=(drawn_after_change(3),))

    assert run("not-steady-state", ctx) == []


def test_an_ir_trough_2_9_days_after_a_dose_change_is_not_at_steady_state():
    ctx = context(regimens=changed_dose(), troughs=(drawn_after_change(2.9),))

    [finding] = run("not-steady-state", ctx)

    assert finding.severity == Severity.INFO
    assert finding.subject == "trough:44"
    assert str(finding.message) == (
        "Tacrolimus trough 7 ng/mL of 07 Mar 2025 was drawn 2 days after Prograf 8 mg/day "
        "started on 05 Mar 2025; immediate release needs 3 days to reach steady state: not at "
        "steady state (kept, excluded from dose suggestions)"
    )


def test_an_xr_trough_needs_7_days_after_a_dose_change():
    on_day_7 = context(regimens=changed_dose("XR"), troughs=(drawn_after_change(7),))
    on_day_6 = context(regimens=changed_dose("XR"), troughs=(drawn_after_change(6.9),))

    assert run("not-steady-state", on_day_7) == []
    [finding] = run("not-steady-state", on_day_6)
    assert "extended release needs 7 days" in str(finding.message)


def test_a_trough_drawn_before_any_regimen_is_not_judged():
    ctx = context(regimens=(regimen(started_on=TODAY),), troughs=(trough(),))

    assert run("not-steady-state", ctx) == []


# --- trough-variability -----------------------------------------------------------------------


def true_troughs(*values: str, first_pk=100) -> tuple[TroughInfo, ...]:
    """Troughs 12 h after the dose, one a week up to yesterday, at steady state."""
    count = len(values)
    return tuple(
        trough(
            first_pk + i,
            drawn_at=at(TODAY - dt.timedelta(days=1 + 7 * (count - 1 - i))),
            value=value,
        )
        for i, value in enumerate(values)
    )


def test_troughs_of_4_6_and_8_vary_by_33_percent():
    """Mean 6; deviations −2, 0, 2; sample variance (4 + 0 + 4) / (3 − 1) = 4; SD 2;
    CV 2 / 6 = 33.3 %. (The population SD, √(8/3) = 1.63, would give 27.2 %: no alert.)"""
    ctx = context(regimens=(regimen(dose="4"),), troughs=true_troughs("4", "6", "8"))

    [finding] = run("trough-variability", ctx)

    assert finding.severity == Severity.INFO
    assert finding.subject == "tacrolimus-variability"
    assert str(finding.message) == (
        "Tacrolimus troughs vary: coefficient of variation 33.3 % over the last 3 true troughs "
        "at Prograf 4 mg/day (4, 6, 8 ng/mL), at or above 30 %: unstable exposure, check "
        "adherence and interactions"
    )


def test_a_variability_of_exactly_30_percent_is_flagged():
    """7, 10, 13: mean 10, sample SD √((9 + 0 + 9) / 2) = 3, CV 30 %."""
    ctx = context(regimens=(regimen(),), troughs=true_troughs("7", "10", "13"))

    [finding] = run("trough-variability", ctx)

    assert "coefficient of variation 30.0 %" in str(finding.message)


def test_a_variability_of_29_percent_is_not_flagged():
    """7.1, 10, 12.9: mean 10, sample SD √((8.41 + 0 + 8.41) / 2) = 2.9, CV 29 %."""
    ctx = context(regimens=(regimen(),), troughs=true_troughs("7.1", "10", "12.9"))

    assert run("trough-variability", ctx) == []


def test_two_troughs_are_too_few_for_a_variability():
    ctx = context(regimens=(regimen(),), troughs=true_troughs("4", "8"))

    assert run("trough-variability", ctx) == []


def test_only_the_last_6_troughs_count():
    # 20 then six steady values: 7 troughs would vary by 48 %, the last 6 by none.
    ctx = context(regimens=(regimen(),), troughs=true_troughs("20", *["7"] * 6))

    assert run("trough-variability", ctx) == []


def test_troughs_at_an_earlier_dose_do_not_count():
    changed_on = TODAY - dt.timedelta(days=25)
    earlier = regimen(1, dose="4", ended_on=changed_on)
    current = regimen(2, dose="6", started_on=changed_on)
    # Weekly troughs 36, 29, 22, 15, 8 and 1 days ago: the first two at the earlier dose. All
    # six would vary by 40 %; the four at the current dose by none.
    troughs = true_troughs("3", "12", "7", "7", "7", "7")

    ctx = context(regimens=(earlier, current), troughs=troughs)

    assert run("trough-variability", ctx) == []


def test_troughs_that_are_not_true_troughs_do_not_count():
    # 15, 8 and 1 days ago; a mistimed 20 ng/mL two days ago (3 h after the dose) is left out.
    steady = true_troughs("7", "7", "7")
    mistimed = trough(99, drawn_at=at(TODAY - dt.timedelta(days=2)), value="20", hours_after_dose=3)

    ctx = context(regimens=(regimen(),), troughs=(*steady[:2], mistimed, steady[2]))

    assert run("trough-variability", ctx) == []


def test_troughs_before_steady_state_do_not_count():
    current = regimen(started_on=TODAY - dt.timedelta(days=15))
    # Drawn 1, 8 and 15 days before today: the first on the day the regimen started.
    troughs = true_troughs("20", "7", "7")

    assert run("trough-variability", context(regimens=(current,), troughs=troughs)) == []

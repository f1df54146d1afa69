"""The monitoring schedule (clinical-reference.md A4, BSR/BHPR 2017 [S45]): when each test is
next due. Mostly the pure `schedule.due_dates`; the last tests go through the record
(services.patient_context) for what only the database knows: regimens and intervals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import schedule, services
from monitoring.models import Analyte, MonitoringInterval
from monitoring.schedule import Change

START = dt.date(2025, 1, 6)
DAY = dt.timedelta(days=1)
ALL_TESTS = {"trough", "blood-count", "kidney", "liver", "glucose", "alp-ggt-urate", "hba1c"}


def day(n: int) -> dt.date:
    """Day n of treatment (day 0 is the first day)."""
    return START + n * DAY


def dues(*, today, start=START, last_increase=None, done=None, **kwargs) -> dict:
    found = schedule.due_dates(
        today=today,
        treatment_start=start,
        last_increase=last_increase,
        last_done=done or {},
        **kwargs,
    )
    return {due.test: due for due in found}


def test_without_a_regimen_there_is_no_schedule():
    assert (
        schedule.due_dates(
            today=START, treatment_start=None, last_increase=None, last_done={"trough": START}
        )
        == []
    )


def test_every_test_is_due_at_the_start_of_treatment():
    found = dues(today=day(0))

    assert set(found) == ALL_TESTS
    assert {due.due_on for due in found.values()} == {START}
    assert {due.reason for due in found.values()} == {"baseline at the start of treatment"}


def test_a_test_done_over_30_days_before_treatment_started_leaves_the_baseline_due():
    found = dues(today=day(3), done={"trough": START - 31 * DAY})

    assert found["trough"].due_on == START


def test_the_dues_come_soonest_first():
    found = schedule.due_dates(
        today=day(20),
        treatment_start=START,
        last_increase=None,
        last_done={test: day(10) for test in ALL_TESTS} | {"kidney": day(2)},
    )

    assert [due.due_on for due in found] == sorted(due.due_on for due in found)
    assert found[0].test == "kidney"


def test_troughs_are_due_every_14_days_while_the_dose_settles():
    trough = dues(today=day(20), done={"trough": day(15)})["trough"]

    assert trough.due_on == day(29)
    assert trough.reason == "every 14 days (until the dose is stable 6 weeks)"


def test_after_6_weeks_at_a_stable_dose_troughs_are_due_every_30_days():
    done = {"trough": day(40)}

    assert dues(today=day(41), done=done)["trough"].due_on == day(54)
    stable = dues(today=day(42), done=done)["trough"]
    assert stable.due_on == day(70)
    assert stable.reason == "every 30 days (dose stable)"


@pytest.mark.parametrize(
    ("test", "settling", "stable"),
    [
        ("blood-count", 14, 30),
        ("kidney", 14, 30),
        ("liver", 14, 30),
        ("glucose", 14, 30),
        ("alp-ggt-urate", 30, 30),
        ("hba1c", 90, 90),
    ],
)
def test_each_test_has_its_own_interval(test, settling, stable):
    done = {test: day(10)}

    assert dues(today=day(11), done=done)[test].due_on == day(10 + settling)
    assert dues(today=day(60), done=done)[test].due_on == day(10 + stable)


def test_a_dose_increase_restarts_the_14_day_phase():
    done = {"trough": day(100)}

    assert dues(today=day(101), done=done)["trough"].due_on == day(130)
    after_increase = dues(today=day(101), done=done, last_increase=day(90))["trough"]
    assert after_increase.due_on == day(114)
    # Six weeks after the increase the dose is stable again.
    assert dues(today=day(132), done=done, last_increase=day(90))["trough"].due_on == day(130)


@pytest.mark.parametrize(
    "what", ["the dose change", "the formulation switch", "starting Vfend", "stopping Rifadine"]
)
def test_a_change_makes_a_trough_due_7_days_later(what):
    trough = dues(today=day(101), done={"trough": day(95)}, changes=(Change(day(100), what),))[
        "trough"
    ]

    assert trough.due_on == day(107)
    assert trough.reason == f"recheck after {what}"


def test_an_interaction_may_ask_for_a_sooner_recheck():
    change = Change(day(100), "starting Vfend 200 mg", recheck_days=3)

    trough = dues(today=day(101), done={"trough": day(95)}, changes=(change,))["trough"]

    assert trough.due_on == day(103)
    assert trough.reason == "recheck after starting Vfend 200 mg"


def test_a_trough_taken_since_the_change_answers_it():
    change = Change(day(100), "the dose change")

    trough = dues(today=day(105), done={"trough": day(104)}, changes=(change,))["trough"]

    assert trough.due_on == day(134)
    assert trough.reason == "every 30 days (dose stable)"


def test_the_trough_drawn_on_the_day_of_the_change_does_not_answer_it():
    # The usual course: the morning trough is high, the doctor lowers the dose that day.
    change = Change(day(100), "the dose change")

    trough = dues(today=day(100), done={"trough": day(100)}, changes=(change,))["trough"]

    assert trough.due_on == day(107)
    assert trough.reason == "recheck after the dose change"


def test_a_change_never_pushes_a_due_date_back():
    change = Change(day(100), "the dose change")

    trough = dues(today=day(101), done={"trough": day(75)}, changes=(change,))["trough"]

    assert trough.due_on == day(105)
    assert trough.reason == "every 30 days (dose stable)"


def test_a_change_moves_only_the_trough():
    done = {test: day(95) for test in ALL_TESTS}
    changes = (Change(day(100), "the dose change"),)

    found = dues(today=day(101), done=done, changes=changes)

    assert {test: due.due_on for test, due in found.items() if test != "trough"} == {
        "blood-count": day(125),
        "kidney": day(125),
        "liver": day(125),
        "glucose": day(125),
        "alp-ggt-urate": day(125),
        "hba1c": day(185),
    }


def test_a_repeat_order_sets_an_earlier_due_date():
    order = ("kidney", day(100), day(103))

    kidney = dues(today=day(100), done={"kidney": day(99)}, repeat_orders=(order,))["kidney"]

    assert kidney.due_on == day(103)
    assert kidney.reason == "repeat test ordered by the doctor"


def test_a_repeat_order_is_met_by_a_test_done_after_it_was_ordered():
    order = ("kidney", day(100), day(103))

    kidney = dues(today=day(102), done={"kidney": day(102)}, repeat_orders=(order,))["kidney"]

    assert kidney.due_on == day(132)


def test_the_result_that_prompted_a_repeat_order_does_not_meet_it():
    # Drawn in the morning, read and answered with a repeat order the same afternoon.
    order = ("trough", day(100), day(103))

    trough = dues(today=day(100), done={"trough": day(100)}, repeat_orders=(order,))["trough"]

    assert trough.due_on == day(103)


def test_a_repeat_order_later_than_the_routine_date_changes_nothing():
    order = ("trough", day(100), day(140))

    trough = dues(today=day(100), done={"trough": day(99)}, repeat_orders=(order,))["trough"]

    assert trough.due_on == day(129)
    assert trough.reason == "every 30 days (dose stable)"


def test_a_repeat_order_of_one_test_leaves_the_others():
    order = ("liver", day(100), day(101))
    done = {"trough": day(99), "liver": day(99)}

    found = dues(today=day(100), done=done, repeat_orders=(order,))

    assert found["trough"].due_on == day(129)
    assert found["liver"].due_on == day(101)


def test_a_protocol_replaces_the_default_intervals():
    protocol = {"trough": (7, 21)}
    done = {"trough": day(10), "kidney": day(10)}

    assert dues(today=day(11), done=done, protocol=protocol)["trough"].due_on == day(17)
    assert dues(today=day(60), done=done, protocol=protocol)["trough"].due_on == day(31)
    assert dues(today=day(11), done=done, protocol=protocol)["kidney"].due_on == day(24)


def test_an_overdue_date_counts_days():
    due = schedule.Due("trough", "Tacrolimus trough", day(10), "every 14 days")

    assert not due.is_overdue(day(10))
    assert due.is_overdue(day(11))
    assert due.days_overdue(day(25)) == 15


# --- Through the record ---------------------------------------------------------------------


def noon(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def today(time_machine):
    time_machine.move_to(noon(dt.date(2025, 6, 2)), tick=False)
    return dt.date(2025, 6, 2)


@pytest.fixture
def start(start_regimen):
    """start(patient, on, morning_mg, evening_mg): see conftest.start_regimen."""
    return start_regimen


@pytest.fixture
def trough_on(nurse, tacrolimus):
    def record(patient, on, value="7"):
        services.record_result(
            patient=patient,
            analyte=tacrolimus,
            value=Decimal(value),
            collected_at=noon(on),
            last_dose_at=noon(on) - dt.timedelta(hours=12),
            entered_by=nurse,
        )

    return record


def trough_due(patient) -> schedule.Due:
    [due] = [due for due in services.patient_context(patient).dues if due.test == "trough"]
    return due


def test_a_patient_without_a_regimen_has_no_schedule(today, patient_a, trough_on):
    trough_on(patient_a, today - 3 * DAY)

    assert services.patient_context(patient_a).dues == ()


def test_the_record_gives_the_baseline_and_the_latest_tests(today, patient_a, start, trough_on):
    start(patient_a, today - 60 * DAY)
    trough_on(patient_a, today - 5 * DAY)

    due = trough_due(patient_a)
    assert due.due_on == today + 25 * DAY
    kidney = next(d for d in services.patient_context(patient_a).dues if d.test == "kidney")
    assert kidney.due_on == today - 60 * DAY
    assert kidney.reason == "baseline at the start of treatment"


def test_a_dose_increase_in_the_record_restarts_the_14_day_phase(
    today, patient_a, start, trough_on
):
    start(patient_a, today - 200 * DAY, "2", "2")
    start(patient_a, today - 20 * DAY, "3", "3")
    trough_on(patient_a, today - 5 * DAY)

    assert trough_due(patient_a).due_on == today + 9 * DAY


def test_a_dose_decrease_keeps_the_monthly_rhythm(today, patient_a, start, trough_on):
    start(patient_a, today - 200 * DAY, "3", "3")
    start(patient_a, today - 20 * DAY, "2", "2")
    trough_on(patient_a, today - 5 * DAY)

    assert trough_due(patient_a).due_on == today + 25 * DAY


def test_the_trough_of_the_day_of_a_dose_change_still_calls_for_a_recheck(
    today, patient_a, start, trough_on
):
    start(patient_a, today - 200 * DAY, "3", "3")
    trough_on(patient_a, today, value="11")

    start(patient_a, today, "2.5", "2.5")

    due = trough_due(patient_a)
    assert due.due_on == today + 7 * DAY
    assert due.reason == "recheck after the dose change"


def test_an_interacting_medicine_asks_for_its_own_recheck(
    today, nurse, patient_a, start, trough_on
):
    start(patient_a, today - 200 * DAY)
    trough_on(patient_a, today - 5 * DAY)

    services.record_medication(
        patient=patient_a, name="Vfend 200 mg", started_on=today, entered_by=nurse
    )

    due = trough_due(patient_a)
    assert due.due_on == today + 3 * DAY
    assert due.reason == "recheck after starting Vfend 200 mg"


def test_a_medicine_without_a_pharmacokinetic_interaction_moves_no_trough(
    today, nurse, patient_a, start, trough_on
):
    start(patient_a, today - 200 * DAY)
    trough_on(patient_a, today - 5 * DAY)

    services.record_medication(
        patient=patient_a, name="Paracetamol 1 g", started_on=today, entered_by=nurse
    )

    assert trough_due(patient_a).due_on == today + 25 * DAY


def test_a_patients_own_interval_overrides_the_clinics(
    today, clinic, patient_a, patient_b, start, trough_on
):
    MonitoringInterval.objects.create(clinic=clinic, test="trough", initial_days=10, stable_days=20)
    MonitoringInterval.objects.create(
        patient=patient_a, test="trough", initial_days=7, stable_days=14, reason="Unstable levels"
    )
    for patient in (patient_a, patient_b):
        start(patient, today - 200 * DAY)
        trough_on(patient, today - 5 * DAY)

    assert trough_due(patient_a).due_on == today + 9 * DAY
    assert trough_due(patient_b).due_on == today + 15 * DAY


def test_a_clinics_interval_applies_to_its_patients_only(
    today, other_clinic, patient_a, start, trough_on
):
    MonitoringInterval.objects.create(
        clinic=other_clinic, test="trough", initial_days=7, stable_days=7
    )
    start(patient_a, today - 200 * DAY)
    trough_on(patient_a, today - 5 * DAY)

    assert trough_due(patient_a).due_on == today + 25 * DAY


def test_a_result_entered_in_error_does_not_count_as_done(
    today, nurse, patient_a, start, trough_on
):
    start(patient_a, today - 200 * DAY)
    trough_on(patient_a, today - 40 * DAY)
    trough_on(patient_a, today - 5 * DAY)
    wrong = patient_a.results.filter(analyte__code=Analyte.TACROLIMUS).latest("collected_at")

    services.mark_result_entered_in_error(result=wrong, user=nurse, reason="Wrong patient")

    assert trough_due(patient_a).due_on == today - 10 * DAY


def test_a_test_done_within_30_days_before_the_start_is_the_baseline():
    start = dt.date(2026, 3, 1)

    dues = schedule.due_dates(
        today=start,
        treatment_start=start,
        last_increase=None,
        last_done={"kidney": start - dt.timedelta(days=30), "liver": start - dt.timedelta(days=31)},
    )

    by_test = {due.test: due for due in dues}
    assert by_test["kidney"].due_on == start - dt.timedelta(days=30) + dt.timedelta(days=14)
    assert by_test["liver"].due_on == start  # too old: the baseline is still due

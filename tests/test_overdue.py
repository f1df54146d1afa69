"""Overdue monitoring tests (clinical-reference.md A4): the periodic check_overdue command
raises a warning once a test is overdue, makes it urgent when overdue by more than 14 days,
changes nothing when run again, and the test done resolves it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Severity

DAY = dt.timedelta(days=1)
# The last trough: the dose has been stable for months, so the next is due 30 days later.
LAST_TROUGH = dt.date(2025, 6, 2)
DUE = LAST_TROUGH + 30 * DAY


def noon(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def travel(time_machine):
    """travel(day): the clock stands still at noon on that day."""

    def move(on: dt.date) -> None:
        time_machine.move_to(noon(on), tick=False)

    move(LAST_TROUGH)
    return move


@pytest.fixture
def on_tacrolimus(travel, doctor, nurse, patient_a, record_trough):
    """Patient A on Prograf since January, last trough on LAST_TROUGH."""
    services.start_regimen(
        patient=patient_a,
        product="Prograf",
        strength_mg=Decimal("0.5"),
        morning_dose_mg=Decimal("3"),
        evening_dose_mg=Decimal("3"),
        started_on=dt.date(2025, 1, 6),
        reason="Lupus nephritis",
        prescriber=doctor,
        entered_by=nurse,
    )
    record_trough(patient_a, "7", at=noon(LAST_TROUGH))
    return patient_a


def check_overdue() -> str:
    out = io.StringIO()
    call_command("check_overdue", stdout=out)
    return out.getvalue()


def overdue_trough(patient):
    """The open overdue-trough alert, if any (starting the regimen in January raised and
    the first trough resolved one: the baseline trough was due at the start)."""
    return patient.alerts.filter(
        rule_code="test-overdue", subject="overdue:trough", status=Alert.Status.OPEN
    )


def test_a_trough_on_its_due_date_is_not_overdue(travel, on_tacrolimus):
    travel(DUE)

    check_overdue()

    assert not overdue_trough(on_tacrolimus).exists()


def test_an_overdue_trough_raises_a_warning(travel, on_tacrolimus):
    travel(DUE + DAY)

    check_overdue()

    [alert] = overdue_trough(on_tacrolimus)
    assert alert.status == Alert.Status.OPEN
    assert alert.severity == Severity.WARNING
    assert alert.message == (
        "Tacrolimus trough overdue by 1 day (due 02 Jul 2025: every 30 days (dose stable))"
    )
    assert "A4" in alert.source


def test_running_the_check_twice_changes_nothing(travel, on_tacrolimus):
    travel(DUE + 3 * DAY)
    first = check_overdue()
    alert = overdue_trough(on_tacrolimus).get()
    before = (Alert.objects.count(), Alert.history.count())

    second = check_overdue()

    assert (Alert.objects.count(), Alert.history.count()) == before
    again = overdue_trough(on_tacrolimus).get()
    assert (again.pk, again.occurrences, again.last_raised_at) == (
        alert.pk,
        1,
        alert.last_raised_at,
    )
    # The six other tests, never done, have been overdue since the regimen was started.
    assert first == "1 new alerts; 7 open overdue-test alerts.\n"
    assert second == "0 new alerts; 7 open overdue-test alerts.\n"


def test_the_next_day_the_same_alert_says_how_late_the_trough_is(travel, on_tacrolimus):
    travel(DUE + DAY)
    check_overdue()
    travel(DUE + 2 * DAY)

    check_overdue()

    [alert] = overdue_trough(on_tacrolimus)
    assert alert.occurrences == 1
    assert alert.message.startswith("Tacrolimus trough overdue by 2 days")


def test_overdue_by_14_days_it_is_still_a_warning(travel, on_tacrolimus):
    travel(DUE + DAY)
    check_overdue()
    travel(DUE + 14 * DAY)

    check_overdue()

    assert overdue_trough(on_tacrolimus).get().severity == Severity.WARNING


def test_overdue_by_more_than_14_days_the_same_alert_becomes_urgent(travel, on_tacrolimus):
    travel(DUE + DAY)
    check_overdue()
    warning = overdue_trough(on_tacrolimus).get()
    travel(DUE + 15 * DAY)

    check_overdue()

    [alert] = overdue_trough(on_tacrolimus)
    assert alert.pk == warning.pk
    assert alert.status == Alert.Status.OPEN
    assert alert.severity == Severity.URGENT
    assert alert.message.startswith("Tacrolimus trough overdue by 15 days")


def test_a_new_trough_resolves_the_overdue_alert(travel, on_tacrolimus, record_trough):
    travel(DUE + 15 * DAY)
    check_overdue()

    alert = overdue_trough(on_tacrolimus).get()

    record_trough(on_tacrolimus, "6.5", at=noon(DUE + 15 * DAY) - dt.timedelta(hours=4))

    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution == "No longer present in the record"
    check_overdue()
    assert not overdue_trough(on_tacrolimus).exists()


def test_tests_never_done_are_overdue_from_the_start_of_treatment(travel, on_tacrolimus):
    travel(DUE + DAY)

    check_overdue()

    kidney = on_tacrolimus.alerts.get(subject="overdue:kidney")
    assert kidney.severity == Severity.URGENT
    assert kidney.message == (
        "Creatinine and eGFR overdue by 178 days (due 06 Jan 2025: baseline at the start of "
        "treatment)"
    )


def test_a_patient_without_a_regimen_is_not_checked(travel, patient_b, record_trough):
    record_trough(patient_b, "7", at=noon(LAST_TROUGH))
    travel(DUE + 60 * DAY)

    output = check_overdue()

    assert not patient_b.alerts.exists()
    assert output == "0 new alerts; 0 open overdue-test alerts.\n"


def test_an_acknowledged_overdue_alert_is_not_raised_again(travel, doctor, on_tacrolimus):
    travel(DUE + DAY)
    check_overdue()
    services.acknowledge_alert(
        alert=overdue_trough(on_tacrolimus).get(),
        user=doctor,
        comment="On holiday, trough booked on return",
    )
    travel(DUE + 5 * DAY)

    check_overdue()

    assert not overdue_trough(on_tacrolimus).exists()
    [alert] = on_tacrolimus.alerts.filter(
        subject="overdue:trough", status=Alert.Status.ACKNOWLEDGED
    )
    assert alert.message.startswith("Tacrolimus trough overdue by 5 days")


def test_a_silenced_overdue_reminder_opens_nothing(travel, doctor, on_tacrolimus):
    services.suppress_rule(
        patient=on_tacrolimus,
        rule_code="test-overdue",
        until=noon(DUE + 10 * DAY),
        reason="Tests done at another hospital",
        user=doctor,
    )
    travel(DUE + DAY)

    output = check_overdue()

    assert not overdue_trough(on_tacrolimus).exists()
    assert output.startswith("0 new alerts")


def test_an_acknowledged_overdue_alert_comes_back_when_it_becomes_urgent(
    travel, doctor, on_tacrolimus
):
    travel(DUE + DAY)
    check_overdue()
    services.acknowledge_alert(
        alert=overdue_trough(on_tacrolimus).get(), user=doctor, comment="Patient reminded"
    )
    travel(DUE + 15 * DAY)

    check_overdue()

    [alert] = overdue_trough(on_tacrolimus)
    assert alert.severity == Severity.URGENT
    assert alert.history.first().history_change_reason == "Reopened: now urgent"

"""ECG record rules: QTc prolonged or critical on the latest ECG, baseline ECG missing.

Boundaries from clinical-reference.md A3 (QTc row), A4 and §2.4, tested on both sides."""

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

from monitoring import rules
from monitoring.models import Severity
from monitoring.rules.base import EcgInfo, PatientContext, RegimenInfo

TODAY = dt.date(2025, 3, 15)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def context(*, sex="M", **record) -> PatientContext:
    return PatientContext(sex=sex, age=40, now=at(TODAY, 12), today=TODAY, **record)


def ecgs(*qtcs: int | tuple[int, str]) -> tuple[EcgInfo, ...]:
    """ECGs a month apart up to today, oldest first; Fridericia unless a method is given."""
    count = len(qtcs)
    made = []
    for i, qtc in enumerate(qtcs):
        qtc_ms, method = qtc if isinstance(qtc, tuple) else (qtc, "fridericia")
        recorded_at = at(TODAY - dt.timedelta(days=30 * (count - 1 - i)))
        made.append(EcgInfo(pk=i + 1, recorded_at=recorded_at, qtc_ms=qtc_ms, qtc_method=method))
    return tuple(made)


def current_regimen(ended_on=None) -> RegimenInfo:
    return RegimenInfo(
        pk=1,
        product="Prograf",
        formulation="IR",
        daily_dose_mg=D("4"),
        started_on=TODAY - dt.timedelta(days=60),
        ended_on=ended_on,
        is_formulation_switch=False,
    )


def run(code: str, ctx: PatientContext) -> list[rules.Finding]:
    found = rules.REGISTRY[code].check(ctx, rules.default_setting(code))
    if isinstance(found, rules.Finding):
        return [found]
    return list(found or [])


def run_all(ctx: PatientContext) -> list[rules.Finding]:
    """The ECG rules together, as the engine keeps them: the most specific per subject."""
    codes = ["qtc-prolonged", "qtc-critical", "baseline-ecg-missing"]
    return rules.most_specific([f for code in codes for f in run(code, ctx)])


# --- qtc-prolonged ----------------------------------------------------------------------------


def test_a_qtc_of_450_ms_in_a_man_is_not_prolonged():
    assert run("qtc-prolonged", context(ecgs=ecgs(450))) == []


def test_a_qtc_of_451_ms_in_a_man_is_prolonged():
    [finding] = run("qtc-prolonged", context(ecgs=ecgs(451)))

    assert finding.severity == Severity.WARNING
    assert finding.subject == "qtc"
    assert str(finding.message) == (
        "QTc 451 ms (Fridericia) on 15 Mar 2025 is above 450 ms for a man: prolonged QT; check "
        "potassium, magnesium and QT-prolonging drugs (hydroxychloroquine)"
    )


def test_a_qtc_of_470_ms_in_a_woman_is_not_prolonged():
    assert run("qtc-prolonged", context(sex="F", ecgs=ecgs(470))) == []


def test_a_qtc_of_471_ms_in_a_woman_is_prolonged():
    [finding] = run("qtc-prolonged", context(sex="F", ecgs=ecgs(471)))

    assert "is above 470 ms for a woman" in str(finding.message)


def test_only_the_latest_ecg_counts():
    assert run("qtc-prolonged", context(ecgs=ecgs(480, 440))) == []


# --- qtc-critical -----------------------------------------------------------------------------


def test_a_qtc_of_500_ms_is_critical_and_replaces_the_prolonged_alert():
    ctx = context(ecgs=ecgs(500))

    [finding] = run_all(ctx)

    assert finding.rule_code == "qtc-critical"
    assert finding.severity == Severity.CRITICAL
    assert finding.subject == "qtc"
    assert str(finding.message) == (
        "QTc 500 ms (Fridericia) on 15 Mar 2025 is 500 ms or more: high risk of torsades de "
        "pointes; review QT-prolonging drugs, correct potassium and magnesium"
    )


def test_a_qtc_of_499_ms_without_a_rise_is_only_prolonged():
    [finding] = run_all(context(ecgs=ecgs(499)))

    assert finding.rule_code == "qtc-prolonged"


def test_a_rise_of_60_ms_from_baseline_is_not_critical():
    assert run("qtc-critical", context(ecgs=ecgs(380, 440))) == []


def test_a_rise_of_61_ms_from_baseline_is_critical():
    [finding] = run("qtc-critical", context(ecgs=ecgs(380, 441)))

    assert str(finding.message) == (
        "QTc 441 ms (Fridericia) on 15 Mar 2025 rose 61 ms from the baseline QTc 380 ms "
        "(Fridericia) on 13 Feb 2025 (more than 60 ms): high risk of torsades de pointes; review "
        "QT-prolonging drugs, correct potassium and magnesium"
    )


def test_the_baseline_is_the_first_ecg_not_the_previous_one():
    [finding] = run("qtc-critical", context(ecgs=ecgs(380, 420, 441)))

    assert "rose 61 ms from the baseline QTc 380 ms" in str(finding.message)


def test_a_baseline_with_a_different_method_is_ignored():
    # Bazett 360 then Fridericia 400 and 450: 50 ms from the Fridericia baseline, not 90.
    ctx = context(ecgs=ecgs((360, "bazett"), 400, 450))

    assert run("qtc-critical", ctx) == []


def test_a_single_ecg_of_a_method_has_no_baseline_to_rise_from():
    assert run("qtc-critical", context(ecgs=ecgs(380, (470, "bazett")))) == []


def test_no_ecg_gives_no_qtc_alert():
    assert run("qtc-prolonged", context()) == []
    assert run("qtc-critical", context()) == []


# --- baseline-ecg-missing ---------------------------------------------------------------------


def test_a_patient_on_tacrolimus_without_an_ecg_lacks_a_baseline_ecg():
    [finding] = run("baseline-ecg-missing", context(regimens=(current_regimen(),)))

    assert finding.severity == Severity.WARNING
    assert finding.subject == "ecg-baseline"
    assert (
        str(finding.message) == "Baseline ECG missing: no ECG on record for a patient on tacrolimus"
    )


def test_any_ecg_on_record_is_a_baseline():
    assert run("baseline-ecg-missing", context(regimens=(current_regimen(),), ecgs=ecgs(420))) == []


def test_no_baseline_ecg_is_asked_without_a_current_regimen():
    assert run("baseline-ecg-missing", context()) == []
    assert run("baseline-ecg-missing", context(regimens=(current_regimen(ended_on=TODAY),))) == []

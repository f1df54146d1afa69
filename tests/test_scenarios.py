"""Whole patient timelines, day by day with the clock moved along: what a doctor finds open at
the end, as {(rule, subject, severity)}. Each follows the monitoring of clinical-reference.md
A1–A6 on the default settings."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Analyte, Decision, Symptom
from monitoring.models import Severity as S

DAY0 = dt.date(2025, 1, 6)  # the first day of tacrolimus
# One blood draw with every monitored test in the reference range for a woman of 34.
NORMAL_PANEL = {
    "haemoglobin": "130",
    "wbc": "6.0",
    "neutrophils": "3.5",
    "platelets": "250",
    "creatinine": "70",
    "alt": "25",
    "ast": "25",
    "glucose-fasting": "5.0",
    "alkaline-phosphatase": "70",
    "ggt": "20",
    "uric-acid": "250",
    "hba1c": "5.2",
    "potassium": "4.2",
    "magnesium": "0.85",
}


def at(day: int, hour: int = 8) -> dt.datetime:
    """Day `day` of the timeline at `hour`, clinic time."""
    on = DAY0 + dt.timedelta(days=day)
    return dt.datetime.combine(on, dt.time(hour), tzinfo=timezone.get_current_timezone())


def date(day: int) -> dt.date:
    return DAY0 + dt.timedelta(days=day)


class Timeline:
    """One patient's care, as the nurse and the doctor record it, on a clock that moves."""

    def __init__(self, patient, *, nurse, doctor, clock):
        self.patient, self.nurse, self.doctor, self.clock = patient, nurse, doctor, clock

    def day(self, day: int) -> None:
        """Move to 10:00 on day `day`: the morning's samples are back."""
        self.clock.move_to(at(day, 10), tick=False)

    def regimen(self, day, product, morning, evening=None):
        return services.start_regimen(
            patient=self.patient,
            product=product,
            strength_mg=Decimal("0.75" if product == "Envarsus" else "0.5"),
            morning_dose_mg=Decimal(morning),
            evening_dose_mg=Decimal(evening) if evening else None,
            started_on=date(day),
            reason="Lupus nephritis",
            prescriber=self.doctor,
            entered_by=self.doctor,
        )

    def trough(self, day, value, *, hours_after_dose=12):
        result, _ = services.record_result(
            patient=self.patient,
            analyte=Analyte.objects.get(code=Analyte.TACROLIMUS),
            value=Decimal(value),
            collected_at=at(day),
            last_dose_at=at(day) - dt.timedelta(hours=hours_after_dose),
            entered_by=self.nurse,
        )
        return result

    def panel(self, day, **changes):
        values = []
        for code, value in (NORMAL_PANEL | changes).items():
            analyte = Analyte.objects.get(code=code)
            values.append(
                services.PanelValue(
                    analyte=analyte,
                    value=Decimal(value),
                    unit=analyte.units.get(code=analyte.unit),
                )
            )
        services.record_panel(
            patient=self.patient, collected_at=at(day), values=values, entered_by=self.nurse
        )

    def open_alerts(self) -> set[tuple[str, str, int]]:
        """What the doctor finds open after tonight's overdue check."""
        call_command("check_overdue", stdout=io.StringIO())
        return {
            (alert.rule_code, alert.subject, alert.severity)
            for alert in self.patient.alerts.filter(status=Alert.Status.OPEN)
        }

    def due(self, test: str):
        [due] = [d for d in services.patient_context(self.patient).dues if d.test == test]
        return due

    def acknowledge(self, rule_code, comment, **decision):
        alert = self.patient.alerts.get(rule_code=rule_code, status=Alert.Status.OPEN)
        return services.acknowledge_alert(
            alert=alert, user=self.doctor, comment=comment, **decision
        )


@pytest.fixture
def timeline(time_machine, nurse, doctor, patient_a):
    return Timeline(patient_a, nurse=nurse, doctor=doctor, clock=time_machine)


@pytest.fixture
def stable(timeline):
    """Prograf 3 mg twice daily from day 0 at 45 kg (0.133 mg/kg/day), a normal ECG, and ten
    weeks of in-range troughs and blood tests on the BSR schedule: every 2 weeks for 6 weeks,
    then monthly (A4)."""
    t = timeline
    t.day(0)
    t.regimen(0, "Prograf", "3", "3")
    services.record_weight(
        patient=t.patient, weight_kg=Decimal("45"), measured_on=date(0), entered_by=t.nurse
    )
    services.record_ecg(
        patient=t.patient, recorded_at=at(0, 9), qt_ms=400, heart_rate_bpm=60, entered_by=t.nurse
    )
    t.panel(0)
    t.day(3)
    t.trough(3, "7.0")  # steady state after 3 days on IR (A1)
    for day, value in [(14, "6.8"), (28, "7.2"), (42, "7.0"), (72, "6.9")]:
        t.day(day)
        t.trough(day, value)
        t.panel(day)
    return t


def test_a_stable_patient_with_in_range_values_and_an_ecg_has_no_open_alert(stable):
    stable.day(80)

    assert stable.open_alerts() == set()
    assert stable.due("trough").due_on == date(102)
    assert stable.due("hba1c").due_on == date(162)


def test_starting_voriconazole_asks_for_a_recheck_in_3_days_then_a_lower_dose(stable):
    t = stable
    t.day(75)
    vfend = services.record_medication(
        patient=t.patient, name="Vfend 200 mg twice daily", started_on=date(75), entered_by=t.nurse
    )
    interaction = ("interaction", f"medication:{vfend.pk}:voriconazole", S.WARNING)

    assert t.open_alerts() == {interaction}
    due = t.due("trough")
    assert (due.due_on, due.reason) == (date(78), "recheck after starting Vfend 200 mg twice daily")

    t.day(80)  # the recheck was missed
    assert t.open_alerts() == {interaction, ("test-overdue", "overdue:trough", S.WARNING)}

    t.trough(80, "12.5")
    assert t.open_alerts() == {interaction, ("trough-above-target", "tacrolimus", S.WARNING)}

    # The doctor lowers the dose to a third, as the Vfend label says (A5).
    lower = t.regimen(80, "Prograf", "1", "1")
    t.acknowledge("trough-above-target", "Reduced to a third", decision=Decision.DOSE_CHANGED)
    low_dose = ("dose-out-of-range", f"regimen:{lower.pk}", S.WARNING)  # 0.044 mg/kg/day
    assert t.open_alerts() == {interaction, low_dose}
    assert t.due("trough").due_on == date(87)

    t.day(88)
    assert ("test-overdue", "overdue:trough", S.WARNING) in t.open_alerts()
    t.trough(88, "7.1")
    assert t.open_alerts() == {interaction, low_dose}


def test_a_switch_to_envarsus_is_checked_at_steady_state(stable):
    t = stable
    t.day(75)
    envarsus = t.regimen(75, "Envarsus", "4.75")  # about 80 % of the IR dose (§3.4)
    switch = ("formulation-switch", f"regimen:{envarsus.pk}", S.WARNING)

    assert t.open_alerts() == {switch}
    assert t.due("trough").due_on == date(82)

    t.day(77)
    early = t.trough(77, "5.8", hours_after_dose=24)
    assert t.open_alerts() == {
        switch,
        ("trough-below-target", "tacrolimus", S.WARNING),
        ("not-steady-state", f"trough:{early.pk}", S.INFO),
    }

    t.day(82)
    t.trough(82, "6.9", hours_after_dose=24)
    assert t.open_alerts() == {switch}

    t.day(90)  # two weeks after the switch
    assert t.open_alerts() == set()
    assert t.due("trough").due_on == date(112)


def test_a_tremor_with_a_high_trough_until_the_dose_is_lowered(stable):
    t = stable
    t.day(75)
    t.trough(75, "9.5")
    tremor = services.record_symptom(
        patient=t.patient,
        kind=Symptom.Kind.TREMOR,
        severity="mild",
        started_on=date(74),
        entered_by=t.nurse,
    )

    assert t.open_alerts() == {
        ("trough-above-target", "tacrolimus", S.WARNING),
        ("neurotoxicity-with-high-trough", f"symptom:{tremor.pk}", S.WARNING),
    }

    t.regimen(75, "Prograf", "2.5", "2.5")
    t.acknowledge("trough-above-target", "Lowered to 5 mg/day", decision=Decision.DOSE_CHANGED)
    t.acknowledge("neurotoxicity-with-high-trough", "Tremor explained, dose lowered")
    assert t.open_alerts() == set()
    assert t.due("trough").due_on == date(82)  # the trough of the day prompted the change

    t.day(82)
    t.trough(82, "7.2")
    assert t.open_alerts() == set()
    neuro = t.patient.alerts.get(rule_code="neurotoxicity-with-high-trough")
    assert neuro.status == Alert.Status.RESOLVED

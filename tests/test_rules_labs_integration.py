"""Laboratory alerts through the services (clinical-reference.md A3, A6): the right rule and
severity, merging of repeats, resolution by a later normal value, SI and conventional units,
and a clinic's own rule settings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Analyte, RuleSetting, Severity, Sex
from tests.factories import PatientFactory

DAY = dt.timedelta(days=1)


@pytest.fixture
def draw(nurse):
    """Record one blood draw through the panel service, `ago` before now:
    draw(patient, ("potassium", "5.8", "mmol/L"), ...). eGFR is derived from creatinine."""
    now = timezone.now().replace(second=0, microsecond=0)

    def record(patient, *entries, ago=dt.timedelta(0), by=None, **reference):
        values = []
        for code, value, unit in entries:
            analyte = Analyte.objects.get(code=code)
            values.append(
                services.PanelValue(
                    analyte=analyte,
                    value=Decimal(value),
                    unit=analyte.units.get(code=unit),
                    **reference,
                )
            )
        services.record_panel(
            patient=patient, collected_at=now - ago, values=values, entered_by=by or nurse
        )

    return record


@pytest.fixture
def man(clinic):
    return PatientFactory(clinic=clinic, sex=Sex.MALE, first_name="Marc", last_name="Petit")


def open_alerts(patient) -> dict[str, Alert]:
    alerts = list(patient.alerts.filter(status=Alert.Status.OPEN))
    by_code = {alert.rule_code: alert for alert in alerts}
    assert len(by_code) == len(alerts), "one rule raised on two subjects"
    return by_code


def summary(patient) -> set[tuple]:
    """What a doctor would read of the open alerts, whoever the patient is."""
    return {
        (alert.rule_code, alert.subject, alert.severity, alert.grade, alert.stage, alert.message)
        for alert in patient.alerts.filter(status=Alert.Status.OPEN)
    }


def test_a_value_out_of_range_raises_an_info_alert(draw, patient_a):
    draw(patient_a, ("albumin", "33", "g/L"))

    [alert] = open_alerts(patient_a).values()
    assert alert.rule_code == "out-of-reference-range"
    assert alert.severity == Severity.INFO
    assert alert.message == "Albumin 33 g/L is below the reference range 35–50 g/L"


def test_a_high_potassium_raises_one_warning_that_keeps_its_ctcae_grade(draw, patient_a):
    draw(patient_a, ("potassium", "5.8", "mmol/L"))

    alerts = open_alerts(patient_a)
    assert set(alerts) == {"potassium-high"}  # the plainer rule replaces the grade alert
    high = alerts["potassium-high"]
    assert high.severity == Severity.WARNING
    assert high.subject == "potassium"
    assert high.message == (
        "Potassium 5.8 mmol/L is above 5.5 mmol/L (hyperkalaemia; haemolysis gives false highs)"
    )
    assert high.rule_version == 1
    assert high.params == {"above": "5.5"}
    assert "clinical-reference.md A3" in high.source
    assert high.grade == 2  # CTCAE hyperkalaemia grade 2 (> 5.5–6.0 mmol/L), kept


def test_a_critical_potassium_raises_only_the_critical_alert(draw, patient_a):
    draw(patient_a, ("potassium", "6.3", "mmol/L"))

    [alert] = open_alerts(patient_a).values()
    assert alert.rule_code == "critical-value"
    assert alert.severity == Severity.CRITICAL
    assert alert.message == "Potassium 6.3 mmol/L is critically high (critical value)"


def test_a_repeat_merges_into_the_open_alert(draw, patient_a):
    draw(patient_a, ("platelets", "120", "10*9/L"), ago=2 * DAY)
    draw(patient_a, ("platelets", "110", "10*9/L"), ago=1 * DAY)

    alert = open_alerts(patient_a)["bsr-platelets-low"]
    assert alert.occurrences == 2
    assert alert.first_value_display == "120 ×10⁹/L"
    assert alert.value_display == "110 ×10⁹/L"
    assert patient_a.alerts.filter(rule_code="bsr-platelets-low").count() == 1


def test_a_later_normal_value_resolves_the_alerts(draw, patient_a):
    draw(patient_a, ("potassium", "5.8", "mmol/L"), ago=2 * DAY)
    draw(patient_a, ("potassium", "4.4", "mmol/L"), ago=1 * DAY)

    assert open_alerts(patient_a) == {}
    resolved = patient_a.alerts.get(rule_code="potassium-high")
    assert resolved.status == Alert.Status.RESOLVED
    assert resolved.resolution.startswith("Resolved by a later result: 4.4 mmol/L")


def test_creatinine_in_mg_dl_and_in_umol_l_raise_the_same_alerts(draw, clinic, patient_a):
    twin = PatientFactory(clinic=clinic, sex=patient_a.sex, date_of_birth=patient_a.date_of_birth)

    draw(patient_a, ("creatinine", "2.0", "mg/dL"))
    draw(twin, ("creatinine", "176.8", "umol/L"))

    assert summary(patient_a) == summary(twin)
    alerts = open_alerts(patient_a)
    # 176.8 µmol/L > 1.5 × the women's ULN 92 (CTCAE grade 2); eGFR 33 derived (< 60, BSR).
    assert set(alerts) == {"ctcae-grade", "bsr-egfr-low"}
    assert alerts["ctcae-grade"].grade == 2
    assert alerts["bsr-egfr-low"].subject == "egfr"


@pytest.mark.parametrize(
    ("mg_dl", "mmol_l", "rule_code"),
    [("126", "7.0", "ada-fasting-glucose"), ("125", "6.94", "ada-impaired-fasting")],
)
def test_glucose_in_mg_dl_and_in_mmol_l_raise_the_same_alert(
    draw, clinic, patient_a, mg_dl, mmol_l, rule_code
):
    twin = PatientFactory(clinic=clinic, sex=patient_a.sex)

    draw(patient_a, ("glucose-fasting", mg_dl, "mg/dL"))
    draw(twin, ("glucose-fasting", mmol_l, "mmol/L"))

    assert set(open_alerts(patient_a)) == set(open_alerts(twin)) == {rule_code}


def test_acute_kidney_injury_is_urgent_and_stores_its_stage(draw, patient_a):
    draw(patient_a, ("creatinine", "70", "umol/L"), ago=30 * dt.timedelta(hours=1))
    draw(patient_a, ("creatinine", "100", "umol/L"))

    alert = open_alerts(patient_a)["kdigo-aki"]
    assert alert.severity == Severity.URGENT
    assert alert.stage == 1
    assert alert.subject == "creatinine"
    assert "rise of 30 µmol/L within 48 h" in alert.message


def test_a_creatinine_older_than_7_days_is_no_aki_baseline_but_counts_for_the_bsr_rise(
    draw, patient_a
):
    draw(patient_a, ("creatinine", "60", "umol/L"), ago=8 * DAY)
    draw(patient_a, ("creatinine", "91", "umol/L"))

    assert set(open_alerts(patient_a)) == {"bsr-creatinine-rise"}


def test_haemoglobin_is_judged_against_the_patients_sex(draw, patient_a, man):
    draw(patient_a, ("haemoglobin", "125", "g/L"))
    draw(man, ("haemoglobin", "12.5", "g/dL"))

    assert open_alerts(patient_a) == {}
    alert = open_alerts(man)["ctcae-grade"]
    assert alert.grade == 1
    assert alert.severity == Severity.INFO
    assert alert.message == (
        "Anaemia, CTCAE grade 1: Haemoglobin 125 g/L is below the lower limit of normal (130 g/L)"
    )


def test_the_labs_own_range_wins_over_the_default(draw, patient_a, patient_b):
    draw(patient_a, ("potassium", "5.3", "mmol/L"))
    draw(
        patient_b,
        ("potassium", "5.3", "mmol/L"),
        reference_low=Decimal("3.5"),
        reference_high=Decimal("5.5"),
    )

    assert set(open_alerts(patient_a)) == {"ctcae-grade"}
    assert open_alerts(patient_b) == {}


def test_a_clinic_setting_changes_the_threshold_and_the_alert_records_it(
    draw, clinic, patient_a, patient_b
):
    RuleSetting.objects.create(
        clinic=clinic,
        code="potassium-high",
        severity=Severity.URGENT,
        params={"above": "5.2"},
        version=3,
    )

    draw(patient_a, ("potassium", "5.3", "mmol/L"))
    draw(patient_b, ("potassium", "5.2", "mmol/L"))

    alert = open_alerts(patient_a)["potassium-high"]
    assert alert.severity == Severity.URGENT
    assert alert.rule_version == 3
    assert alert.params == {"above": "5.2"}
    assert alert.message.startswith("Potassium 5.3 mmol/L is above 5.2 mmol/L")
    assert "potassium-high" not in open_alerts(patient_b)


def test_a_clinic_can_disable_a_rule_for_its_patients_only(
    draw, clinic, patient_a, patient_other, nurse_other
):
    RuleSetting.objects.create(
        clinic=clinic, code="bsr-platelets-low", is_enabled=False, severity=Severity.WARNING
    )

    draw(patient_a, ("platelets", "130", "10*9/L"))
    draw(patient_other, ("platelets", "130", "10*9/L"), by=nurse_other)

    assert set(open_alerts(patient_a)) == {"ctcae-grade"}
    assert set(open_alerts(patient_other)) == {"bsr-platelets-low"}  # replaces the grade

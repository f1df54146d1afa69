"""Glucose rules as pure functions: ADA diabetes criteria and impaired fasting glucose
(clinical-reference.md A3, §2.3 [S13]). Glucose in mmol/L, HbA1c in %."""

from decimal import Decimal

import pytest

from monitoring.catalogue.analytes import BY_CODE
from monitoring.models import Severity
from tests.test_rules_labs import check, kept, lab


@pytest.mark.parametrize(
    ("code", "analyte", "quiet", "raised"),
    [
        ("ada-fasting-glucose", "glucose-fasting", "6.99", "7.0"),
        ("ada-random-glucose", "glucose-random", "11.09", "11.1"),
        ("ada-hba1c", "hba1c", "6.49", "6.5"),
    ],
)
def test_the_ada_diabetes_thresholds_are_inclusive(code, analyte, quiet, raised):
    assert check(code, lab(analyte, quiet)) is None

    finding = check(code, lab(analyte, raised))

    assert finding.severity == Severity.WARNING
    assert finding.subject == analyte


def test_a_diabetic_fasting_glucose_asks_for_confirmation():
    finding = check("ada-fasting-glucose", lab("glucose-fasting", "7.4"))

    assert str(finding.message) == (
        "Glucose, fasting 7.4 mmol/L is at or above 7 mmol/L: in the diabetes range (ADA); "
        "confirm with a second abnormal result"
    )


def test_a_high_random_glucose_means_diabetes_only_with_symptoms():
    finding = check("ada-random-glucose", lab("glucose-random", "12.3"))

    assert str(finding.message).endswith(
        "diabetes if with classic symptoms of hyperglycaemia (ADA)"
    )


@pytest.mark.parametrize(
    ("value", "raised"),
    [("5.59", False), ("5.6", True), ("6.9", True), ("6.99", True), ("7.0", False)],
)
def test_impaired_fasting_glucose_runs_from_5_6_to_below_7(value, raised):
    finding = check("ada-impaired-fasting", lab("glucose-fasting", value))

    assert bool(finding) is raised
    if finding:
        assert finding.severity == Severity.INFO


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("5.0", set()),
        ("3.5", {"out-of-reference-range"}),
        ("6.1", {"ada-impaired-fasting"}),
        ("7.2", {"ada-fasting-glucose"}),
        ("25", {"critical-value"}),
        ("2.8", {"critical-value"}),
    ],
)
def test_one_fasting_glucose_raises_its_most_specific_alert(value, codes):
    assert set(kept(lab("glucose-fasting", value))) == codes


@pytest.mark.parametrize(
    ("analyte", "value", "codes"),
    [
        ("glucose-random", "9", {"out-of-reference-range"}),
        ("glucose-random", "11.1", {"ada-random-glucose"}),
        ("hba1c", "6.0", {"out-of-reference-range"}),
        ("hba1c", "6.5", {"ada-hba1c"}),
    ],
)
def test_the_diabetes_alert_replaces_the_reference_range_alert(analyte, value, codes):
    assert set(kept(lab(analyte, value))) == codes


@pytest.mark.parametrize(
    ("mg_dl", "code"),
    [("126", "ada-fasting-glucose"), ("125", "ada-impaired-fasting"), ("99", None)],
)
def test_conventional_units_reach_the_same_decision(mg_dl, code):
    # 1 mmol/L = 18 mg/dL (catalogue): 126 mg/dL is exactly 7.0 mmol/L (§2.3 pairs).
    mmol_l = BY_CODE["glucose-fasting"].to_canonical(Decimal(mg_dl), "mg/dL")

    assert set(kept(lab("glucose-fasting", mmol_l))) == ({code} if code else set())


def test_a_clinic_can_lower_the_fasting_threshold():
    ctx = lab("glucose-fasting", "6.6")

    assert check("ada-fasting-glucose", ctx) is None
    assert check("ada-fasting-glucose", ctx, at_or_above="6.5")

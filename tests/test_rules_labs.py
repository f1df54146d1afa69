"""Laboratory rules as pure functions (clinical-reference.md A3, §1.1, §1.2, §2.1): reference
range, BSR action thresholds, CTCAE v5 grades, critical values, potassium, magnesium, uric
acid. No database: each test builds the context a result would have and calls the rule."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from monitoring import rules
from monitoring.catalogue.analytes import BY_CODE, NO_LIMIT, Range
from monitoring.models import Severity
from monitoring.services.alerts import run_rules

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def lab(code, value, *, sex="F", history=(), at=NOW, reference=None) -> rules.LabContext:
    """The context of a new result of `code` (canonical unit), as services.lab_context builds
    it: the catalogue's sex-specific reference unless the lab sent its own. `history` holds
    (time before this sample, value) pairs, oldest first."""
    analyte = BY_CODE[code]
    value = Decimal(value)
    return rules.LabContext(
        analyte_code=code,
        analyte_name=analyte.name_en,
        unit=analyte.unit(analyte.canonical_unit).label,
        value=value,
        at=at,
        sex=sex,
        reference=reference or analyte.reference_for(sex),
        is_critical=analyte.is_critical(value),
        history=tuple(rules.Point(at - ago, Decimal(earlier)) for ago, earlier in history),
    )


def check(code, ctx, **params):
    """Run one rule with its default setting, or with the parameters a clinic changed."""
    setting = rules.default_setting(code)
    changed = {name: Decimal(value) for name, value in params.items()}
    setting = dataclasses.replace(setting, params={**setting.params, **changed})
    return rules.REGISTRY[code].check(ctx, setting)


def kept(ctx) -> dict[str, rules.Finding]:
    """The findings the engine keeps for this result with default settings, by rule code."""
    settings = {code: rules.default_setting(code) for code in rules.REGISTRY}
    found = run_rules(rules.Event.RESULT, ctx, settings, analyte=ctx.analyte_code)
    return {finding.rule_code: finding for finding in found}


# --- Out of reference range -------------------------------------------------------------------


def test_a_value_inside_the_reference_range_is_not_flagged():
    assert check("out-of-reference-range", lab("potassium", "4.2")) is None


@pytest.mark.parametrize("value", ["3.5", "5.1"])
def test_the_reference_bounds_are_inside_the_range(value):
    assert check("out-of-reference-range", lab("potassium", value)) is None


def test_a_value_above_the_reference_range_is_info():
    finding = check("out-of-reference-range", lab("potassium", "5.2"))

    assert finding.severity == Severity.INFO
    assert finding.subject == "potassium"
    assert (
        str(finding.message) == "Potassium 5.2 mmol/L is above the reference range 3.5–5.1 mmol/L"
    )


def test_a_value_below_the_reference_range_says_below():
    finding = check("out-of-reference-range", lab("albumin", "34"))

    assert str(finding.message) == "Albumin 34 g/L is below the reference range 35–50 g/L"


def test_an_exclusive_bound_is_out_of_range_and_shown_as_such():
    # Fasting glucose normal is < 5.6 mmol/L (§1.1, ADA): 5.6 is already above it.
    assert check("out-of-reference-range", lab("glucose-fasting", "5.59")) is None

    finding = check("out-of-reference-range", lab("glucose-fasting", "5.6"))

    assert str(finding.message).endswith("is above the reference range ≥ 3.9 and < 5.6 mmol/L")


def test_the_labs_own_range_wins_over_the_default():
    own = Range(Decimal("3.0"), Decimal("5.0"))

    assert check("out-of-reference-range", lab("potassium", "5.05", reference=own))
    assert check("out-of-reference-range", lab("potassium", "3.2", reference=own)) is None


@pytest.mark.parametrize(
    ("code", "value", "female", "male"),
    [
        # WHO anaemia: < 120 g/L women, < 130 g/L men (§1.1 [S37d]).
        ("haemoglobin", "125", False, True),
        # Uric acid: F 155–357, M 208–428 µmol/L (§1.1 [S37b]).
        ("uric-acid", "400", True, False),
        # Creatinine: F 52–92, M 65–119 µmol/L (§1.1 [S37a]).
        ("creatinine", "100", True, False),
        ("creatinine", "60", False, True),
    ],
)
def test_reference_ranges_are_sex_specific(code, value, female, male):
    assert bool(check("out-of-reference-range", lab(code, value, sex="F"))) is female
    assert bool(check("out-of-reference-range", lab(code, value, sex="M"))) is male


def test_every_analyte_but_tacrolimus_has_its_reference_range_checked():
    applies_to = rules.REGISTRY["out-of-reference-range"].analytes

    assert applies_to == set(BY_CODE) - {"tacrolimus"}


# --- BSR action thresholds (A3, [S45]) --------------------------------------------------------

BSR_BOUNDARIES = [
    # code, analyte, last value that raises nothing, first value that raises a warning
    ("bsr-wbc-low", "wbc", "3.5", "3.49"),
    ("bsr-neutrophils-low", "neutrophils", "1.6", "1.59"),
    ("bsr-platelets-low", "platelets", "140", "139"),
    ("bsr-alt-high", "alt", "100", "101"),
    ("bsr-ast-high", "ast", "100", "101"),
    ("bsr-eosinophils-high", "eosinophils", "0.5", "0.51"),
    ("bsr-mcv-high", "mcv", "105", "105.1"),
    ("bsr-albumin-low", "albumin", "30", "29.9"),
]


@pytest.mark.parametrize(("code", "analyte", "quiet", "raised"), BSR_BOUNDARIES)
def test_bsr_thresholds_are_strict(code, analyte, quiet, raised):
    assert check(code, lab(analyte, quiet)) is None

    finding = check(code, lab(analyte, raised))

    assert finding.rule_code == code
    assert finding.severity == Severity.WARNING
    assert finding.subject == analyte


def test_a_bsr_message_gives_the_value_the_threshold_and_the_action():
    finding = check("bsr-platelets-low", lab("platelets", "139"))

    assert str(finding.message) == (
        "Platelets 139 ×10⁹/L is below 140 ×10⁹/L "
        "(BSR action threshold: withhold and discuss with the specialist team)"
    )


@pytest.mark.parametrize(("code", "analyte", "quiet", "raised"), BSR_BOUNDARIES)
def test_a_bsr_alert_replaces_the_reference_range_alert(code, analyte, quiet, raised):
    found = kept(lab(analyte, raised))

    assert code in found
    assert "out-of-reference-range" not in found


def test_a_clinic_can_move_a_bsr_threshold():
    assert check("bsr-platelets-low", lab("platelets", "120"), below="100") is None
    assert check("bsr-platelets-low", lab("platelets", "99"), below="100")


# --- CTCAE v5 grades (§2.1 [S10], admiral semantics: strict < and >) --------------------------


@pytest.mark.parametrize(
    ("analyte", "sex", "value", "grade"),
    [
        # Anaemia, g/L: < LLN (F 120, M 130) | < 100 | < 80; grade 4 is clinical only.
        ("haemoglobin", "F", "120", None),
        ("haemoglobin", "F", "119", 1),
        ("haemoglobin", "F", "100", 1),
        ("haemoglobin", "F", "99", 2),
        ("haemoglobin", "F", "80", 2),
        ("haemoglobin", "F", "79", 3),
        ("haemoglobin", "F", "40", 3),
        ("haemoglobin", "M", "130", None),
        ("haemoglobin", "M", "129", 1),
        # White cells ×10⁹/L: < LLN 4 | < 3.0 | < 2.0 | < 1.0
        ("wbc", "F", "4", None),
        ("wbc", "F", "3.99", 1),
        ("wbc", "F", "3.0", 1),
        ("wbc", "F", "2.99", 2),
        ("wbc", "F", "2.0", 2),
        ("wbc", "F", "1.99", 3),
        ("wbc", "F", "1.0", 3),
        ("wbc", "F", "0.99", 4),
        # Neutrophils: < LLN 2 | < 1.5 | < 1.0 | < 0.5
        ("neutrophils", "F", "2", None),
        ("neutrophils", "F", "1.99", 1),
        ("neutrophils", "F", "1.5", 1),
        ("neutrophils", "F", "1.49", 2),
        ("neutrophils", "F", "1.0", 2),
        ("neutrophils", "F", "0.99", 3),
        ("neutrophils", "F", "0.5", 3),
        ("neutrophils", "F", "0.49", 4),
        # Lymphocytes: < LLN 1 | < 0.8 | < 0.5 | < 0.2
        ("lymphocytes", "F", "1", None),
        ("lymphocytes", "F", "0.99", 1),
        ("lymphocytes", "F", "0.8", 1),
        ("lymphocytes", "F", "0.79", 2),
        ("lymphocytes", "F", "0.5", 2),
        ("lymphocytes", "F", "0.49", 3),
        ("lymphocytes", "F", "0.2", 3),
        ("lymphocytes", "F", "0.19", 4),
        # Platelets: < LLN 150 | < 75 | < 50 | < 25
        ("platelets", "F", "150", None),
        ("platelets", "F", "149", 1),
        ("platelets", "F", "75", 1),
        ("platelets", "F", "74", 2),
        ("platelets", "F", "50", 2),
        ("platelets", "F", "49", 3),
        ("platelets", "F", "25", 3),
        ("platelets", "F", "24", 4),
        # ALT, ULN F 41 / M 59: > ULN | > 3× (123) | > 5× (205) | > 20× (820)
        ("alt", "F", "41", None),
        ("alt", "F", "42", 1),
        ("alt", "F", "123", 1),
        ("alt", "F", "124", 2),
        ("alt", "F", "205", 2),
        ("alt", "F", "206", 3),
        ("alt", "F", "820", 3),
        ("alt", "F", "821", 4),
        ("alt", "M", "59", None),
        ("alt", "M", "60", 1),
        # AST, ULN 34: 3× = 102
        ("ast", "F", "102", 1),
        ("ast", "F", "103", 2),
        # Alkaline phosphatase, ULN F 105: > 2.5× (262.5) | > 5× (525) | > 20× (2100)
        ("alkaline-phosphatase", "F", "105", None),
        ("alkaline-phosphatase", "F", "262.5", 1),
        ("alkaline-phosphatase", "F", "263", 2),
        ("alkaline-phosphatase", "F", "525", 2),
        ("alkaline-phosphatase", "F", "526", 3),
        ("alkaline-phosphatase", "F", "2100", 3),
        ("alkaline-phosphatase", "F", "2101", 4),
        # GGT, ULN F 40: 2.5× = 100
        ("ggt", "F", "100", 1),
        ("ggt", "F", "101", 2),
        # Creatinine, ULN F 92: > 1.5× (138) | > 3× (276) | > 6× (552)
        ("creatinine", "F", "92", None),
        ("creatinine", "F", "93", 1),
        ("creatinine", "F", "138", 1),
        ("creatinine", "F", "139", 2),
        ("creatinine", "F", "276", 2),
        ("creatinine", "F", "277", 3),
        ("creatinine", "F", "552", 3),
        ("creatinine", "F", "553", 4),
        ("creatinine", "M", "119", None),
        ("creatinine", "M", "120", 1),
        # Hyperuricaemia: grade 1 only without documented consequences (§2.1 note).
        ("uric-acid", "F", "357", None),
        ("uric-acid", "F", "358", 1),
        ("uric-acid", "F", "1200", 1),
        ("uric-acid", "M", "428", None),
        ("uric-acid", "M", "429", 1),
        # Hyperkalaemia, mmol/L: > ULN 5.1 | > 5.5 | > 6.0 | > 7.0
        ("potassium", "F", "5.1", None),
        ("potassium", "F", "5.2", 1),
        ("potassium", "F", "5.5", 1),
        ("potassium", "F", "5.51", 2),
        ("potassium", "F", "6.0", 2),
        ("potassium", "F", "6.01", 3),
        ("potassium", "F", "7.0", 3),
        ("potassium", "F", "7.01", 4),
        # Hypomagnesaemia, mmol/L: < LLN 0.70 | < 0.5 | < 0.4 | < 0.3
        ("magnesium", "F", "0.70", None),
        ("magnesium", "F", "0.69", 1),
        ("magnesium", "F", "0.5", 1),
        ("magnesium", "F", "0.49", 2),
        ("magnesium", "F", "0.4", 2),
        ("magnesium", "F", "0.39", 3),
        ("magnesium", "F", "0.3", 3),
        ("magnesium", "F", "0.29", 4),
    ],
)
def test_ctcae_grades_follow_admiral_boundaries(analyte, sex, value, grade):
    finding = check("ctcae-grade", lab(analyte, value, sex=sex))

    assert (finding.grade if finding else None) == grade


@pytest.mark.parametrize(
    ("value", "severity"),
    [("119", Severity.INFO), ("99", Severity.WARNING), ("79", Severity.URGENT)],
)
def test_a_ctcae_grade_from_3_is_urgent_2_a_warning_1_info(value, severity):
    assert check("ctcae-grade", lab("haemoglobin", value)).severity == severity


def test_a_clinic_can_choose_the_grade_from_which_it_is_urgent():
    grade_3 = lab("platelets", "40")

    assert check("ctcae-grade", grade_3, urgent_from_grade="4").severity == Severity.WARNING
    assert check("ctcae-grade", lab("platelets", "20"), urgent_from_grade="4").severity == (
        Severity.URGENT
    )
    assert check("ctcae-grade", lab("platelets", "70"), urgent_from_grade="2").severity == (
        Severity.URGENT
    )


def test_a_ctcae_message_names_the_term_the_grade_and_the_limit():
    assert str(check("ctcae-grade", lab("haemoglobin", "95")).message) == (
        "Anaemia, CTCAE grade 2: Haemoglobin 95 g/L is below 100 g/L"
    )
    assert str(check("ctcae-grade", lab("alt", "124")).message) == (
        "ALT increased, CTCAE grade 2: ALT 124 U/L is above 3 × ULN (123 U/L)"
    )
    assert str(check("ctcae-grade", lab("haemoglobin", "115")).message) == (
        "Anaemia, CTCAE grade 1: Haemoglobin 115 g/L is below the lower limit of normal (120 g/L)"
    )


def test_ctcae_multiples_use_the_labs_own_upper_limit():
    own = Range(Decimal("5"), Decimal("50"))

    assert check("ctcae-grade", lab("alt", "150", reference=own)).grade == 1
    assert check("ctcae-grade", lab("alt", "151", reference=own)).grade == 2


def test_without_a_reference_range_only_the_fixed_ctcae_limits_grade():
    assert check("ctcae-grade", lab("alt", "900", reference=NO_LIMIT)) is None
    assert check("ctcae-grade", lab("haemoglobin", "110", reference=NO_LIMIT)) is None
    assert check("ctcae-grade", lab("haemoglobin", "95", reference=NO_LIMIT)).grade == 2


def test_a_ctcae_grade_replaces_the_reference_range_alert():
    assert set(kept(lab("lymphocytes", "0.9"))) == {"ctcae-grade"}


def test_ctcae_grades_the_analytes_of_the_brief():
    assert rules.REGISTRY["ctcae-grade"].analytes == {
        "haemoglobin",
        "wbc",
        "neutrophils",
        "lymphocytes",
        "platelets",
        "alt",
        "ast",
        "alkaline-phosphatase",
        "ggt",
        "creatinine",
        "uric-acid",
        "potassium",
        "magnesium",
    }


# --- Critical values (§1.2 [S36]) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("analyte", "quiet", "critical"),
    [
        ("potassium", "5.99", "6.0"),
        ("potassium", "2.81", "2.8"),
        ("glucose-fasting", "24.9", "25"),
        ("glucose-random", "2.81", "2.8"),
        ("haemoglobin", "70", "69"),
        ("platelets", "20", "19"),
        ("neutrophils", "0.5", "0.49"),
        ("wbc", "1.0", "0.99"),
        ("creatinine", "441", "442"),
    ],
)
def test_critical_values_are_critical(analyte, quiet, critical):
    assert check("critical-value", lab(analyte, quiet)) is None

    finding = check("critical-value", lab(analyte, critical))

    assert finding.severity == Severity.CRITICAL
    assert "critical" in str(finding.message)


def test_a_critical_message_says_which_side():
    assert str(check("critical-value", lab("potassium", "6.4")).message) == (
        "Potassium 6.4 mmol/L is critically high (critical value)"
    )
    assert str(check("critical-value", lab("haemoglobin", "65")).message) == (
        "Haemoglobin 65 g/L is critically low (critical value)"
    )


@pytest.mark.parametrize(
    ("analyte", "value"),
    [("potassium", "6.5"), ("platelets", "10"), ("magnesium", "0.35"), ("glucose-random", "30")],
)
def test_a_critical_value_replaces_every_other_alert_on_the_analyte(analyte, value):
    assert set(kept(lab(analyte, value))) == {"critical-value"}


def test_the_critical_value_supersedes_every_lab_rule_but_acute_kidney_injury():
    lab_modules = {"monitoring.rules.labs", "monitoring.rules.kidney", "monitoring.rules.glucose"}
    lab_rules = {
        code
        for code, registered in rules.REGISTRY.items()
        if registered.check.__module__ in lab_modules
    }

    superseded = set(rules.REGISTRY["critical-value"].definition.supersedes)

    assert superseded == lab_rules - {"critical-value", "kdigo-aki"}


def test_every_superseded_rule_exists():
    for registered in rules.REGISTRY.values():
        assert set(registered.definition.supersedes) <= set(rules.REGISTRY)


# --- Potassium, magnesium, uric acid (A3) ----------------------------------------------------


def test_potassium_above_5_5_is_a_warning():
    assert check("potassium-high", lab("potassium", "5.5")) is None

    finding = check("potassium-high", lab("potassium", "5.51"))

    assert finding.severity == Severity.WARNING
    assert str(finding.message) == (
        "Potassium 5.51 mmol/L is above 5.5 mmol/L (hyperkalaemia; haemolysis gives false highs)"
    )


def test_high_potassium_raises_the_threshold_alert_which_keeps_the_ctcae_grade():
    found = kept(lab("potassium", "5.8"))

    assert set(found) == {"potassium-high"}
    assert found["potassium-high"].grade == 2


def test_magnesium_below_0_7_is_a_warning():
    assert check("magnesium-low", lab("magnesium", "0.7")) is None

    finding = check("magnesium-low", lab("magnesium", "0.69"))

    assert finding.severity == Severity.WARNING
    assert str(finding.message).startswith("Magnesium 0.69 mmol/L is below 0.7 mmol/L")


def test_magnesium_below_0_4_is_urgent_and_replaces_the_low_alert():
    assert check("magnesium-very-low", lab("magnesium", "0.4")) is None
    very_low = check("magnesium-very-low", lab("magnesium", "0.39"))
    low = check("magnesium-low", lab("magnesium", "0.39"))

    assert very_low.severity == Severity.URGENT
    assert rules.most_specific([low, very_low]) == [very_low]


@pytest.mark.parametrize(
    ("sex", "quiet", "raised"),
    [("F", "357", "358"), ("M", "428", "429")],
)
def test_uric_acid_above_the_sex_specific_upper_limit_is_info(sex, quiet, raised):
    assert check("uric-acid-high", lab("uric-acid", quiet, sex=sex)) is None

    finding = check("uric-acid-high", lab("uric-acid", raised, sex=sex))

    assert finding.severity == Severity.INFO
    assert "is above the upper limit of normal" in str(finding.message)


def test_uric_acid_uses_the_labs_own_upper_limit():
    own = Range(Decimal("150"), Decimal("420"))

    assert check("uric-acid-high", lab("uric-acid", "400", reference=own)) is None


def test_a_specific_rule_replaces_the_reference_range_alert():
    assert "out-of-reference-range" not in kept(lab("uric-acid", "400"))
    assert "out-of-reference-range" not in kept(lab("magnesium", "0.65"))


def test_a_one_sided_range_is_named_by_its_bound():
    assert str(check("out-of-reference-range", lab("egfr", "55")).message) == (
        "eGFR (CKD-EPI 2021) 55 mL/min/1.73 m² is below the reference range ≥ 60 mL/min/1.73 m²"
    )
    assert str(check("out-of-reference-range", lab("hba1c", "6.1")).message) == (
        "HbA1c 6.1 % is above the reference range < 5.7 %"
    )

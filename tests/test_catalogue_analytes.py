"""The analyte catalogue: codes, units, exact conversions and default ranges. No database."""

from decimal import Decimal

import pytest

from monitoring.catalogue.analytes import ANALYTES, BY_CODE, PANELS, SYSTEMS, Range

ISSUE_CODES = {
    "tacrolimus",
    "creatinine",
    "egfr",
    "glucose-fasting",
    "glucose-random",
    "hba1c",
    "haemoglobin",
    "haematocrit",
    "mcv",
    "wbc",
    "neutrophils",
    "lymphocytes",
    "eosinophils",
    "platelets",
    "alt",
    "ast",
    "alkaline-phosphatase",
    "ggt",
    "albumin",
    "uric-acid",
    "potassium",
    "magnesium",
    "upcr",
    "bp-systolic",
    "bp-diastolic",
}

TWO_PLACES = Decimal("0.01")


def by_code_ids(analyte):
    return analyte.code


def typical_values(analyte):
    """Range ends of the analyte (canonical unit): the values a round trip must survive."""
    ranges = [analyte.reference_female, analyte.reference_male, analyte.critical, analyte.plausible]
    values = {bound for r in ranges for bound in (r.low, r.high) if bound is not None}
    return sorted(values | {Decimal(1)})


def test_every_analyte_of_the_issue_is_in_the_catalogue():
    assert {analyte.code for analyte in ANALYTES} == ISSUE_CODES
    assert len(ANALYTES) == len(ISSUE_CODES)
    assert set(BY_CODE) == ISSUE_CODES
    assert all(BY_CODE[analyte.code] is analyte for analyte in ANALYTES)


@pytest.mark.parametrize(
    ("code", "loinc"),
    [
        ("tacrolimus", "77348-1"),
        ("creatinine", "14682-9"),
        ("egfr", "98979-8"),
        ("glucose-fasting", "1558-6"),
        ("glucose-random", "2345-7"),
        ("hba1c", "4548-4"),
        ("haemoglobin", "718-7"),
        ("wbc", "6690-2"),
        ("neutrophils", "751-8"),
        ("lymphocytes", "731-0"),
        ("platelets", "777-3"),
        ("alt", "1742-6"),
        ("ast", "1920-8"),
        ("alkaline-phosphatase", "6768-6"),
        ("ggt", "2324-2"),
        ("uric-acid", "3084-1"),
        ("potassium", "2823-3"),
        ("magnesium", "2601-3"),
        ("upcr", "2890-2"),
    ],
)
def test_analytes_carry_the_loinc_code_of_the_reference(code, loinc):
    assert BY_CODE[code].loinc == loinc


def test_tacrolimus_does_not_use_the_wrong_loinc_codes_seen_in_public_code():
    assert BY_CODE["tacrolimus"].loinc not in {"4023-8", "35548-5"}


def test_the_entry_form_lists_the_drug_first_then_the_panels_in_order():
    ordered = sorted(ANALYTES, key=lambda analyte: analyte.sort_order)
    panel_positions = [PANELS.index(analyte.panel) for analyte in ordered]

    assert ordered[0].code == "tacrolimus"
    assert panel_positions == sorted(panel_positions)
    assert len({analyte.sort_order for analyte in ANALYTES}) == len(ANALYTES)


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_every_analyte_has_names_in_both_languages_and_cites_its_numbers(analyte):
    assert analyte.name_en
    assert analyte.name_fr
    assert "clinical-reference.md" in analyte.source or "(unverified here)" in analyte.source
    assert f"LOINC {analyte.loinc}" in analyte.source


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_the_canonical_unit_is_the_first_unit_with_factor_one(analyte):
    first = analyte.units[0]

    assert first.code == analyte.canonical_unit
    assert (first.multiply_by, first.divide_by) == (1, 1)
    assert analyte.unit(analyte.canonical_unit) is first


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_each_unit_system_has_exactly_one_default_unit(analyte):
    for system in SYSTEMS:
        assert len([unit for unit in analyte.units if system in unit.systems]) == 1


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_no_two_units_of_an_analyte_answer_to_the_same_spelling(analyte):
    spellings = [s.casefold() for unit in analyte.units for s in {*unit.spellings()}]

    assert len(spellings) == len(set(spellings))


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_every_number_is_a_decimal_never_a_float(analyte):
    factors = [f for unit in analyte.units for f in (unit.multiply_by, unit.divide_by)]
    ranges = [analyte.reference_female, analyte.reference_male]
    bounds = [b for r in [*ranges, analyte.critical, analyte.plausible] for b in (r.low, r.high)]

    assert all(isinstance(f, Decimal) for f in factors)
    assert all(isinstance(b, Decimal) for b in bounds if b is not None)


@pytest.mark.parametrize("analyte", ANALYTES, ids=by_code_ids)
def test_the_ranges_are_ordered_and_typical_values_are_plausible(analyte):
    for r in [analyte.reference_female, analyte.reference_male, analyte.critical]:
        if r.low is not None and r.high is not None:
            assert r.low < r.high
    for value in [analyte.reference_female.low, analyte.reference_male.high]:
        if value is not None:
            assert analyte.is_plausible(value)


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [(analyte, unit) for analyte in ANALYTES for unit in analyte.units],
    ids=lambda p: getattr(p, "code", None),
)
def test_a_round_trip_through_every_unit_gives_back_the_entered_value(analyte, unit):
    for canonical in typical_values(analyte):
        entered = analyte.from_canonical(canonical, unit.code).quantize(TWO_PLACES)

        stored = analyte.to_canonical(entered, unit.code)

        assert analyte.from_canonical(stored, unit.code).quantize(TWO_PLACES) == entered


def test_creatinine_1_2_mg_dl_is_exactly_106_08_umol_l():
    creatinine = BY_CODE["creatinine"]

    assert creatinine.to_canonical(Decimal("1.2"), "mg/dL") == Decimal("106.08")
    assert creatinine.from_canonical(Decimal("106.08"), "umol/L") == Decimal("106.08")
    assert creatinine.from_canonical(Decimal("106.08"), "mg/dL") == Decimal("1.2")


def test_glucose_uses_18_mg_dl_per_mmol_l_so_126_mg_dl_is_exactly_7_mmol_l():
    glucose = BY_CODE["glucose-fasting"]

    assert glucose.to_canonical(Decimal(126), "mg/dL") == Decimal(7)
    assert glucose.to_canonical(Decimal(100), "mg/dL") == Decimal("5.555556")
    assert glucose.from_canonical(Decimal("7.0"), "mg/dL") == Decimal(126)


def test_uric_acid_6_mg_dl_is_exactly_356_88_umol_l():
    assert BY_CODE["uric-acid"].to_canonical(Decimal(6), "mg/dL") == Decimal("356.88")


def test_tacrolimus_7_464_nmol_l_is_exactly_6_ng_ml_and_back():
    tacrolimus = BY_CODE["tacrolimus"]

    assert tacrolimus.to_canonical(Decimal("7.464"), "nmol/L") == Decimal(6)
    assert tacrolimus.from_canonical(Decimal(6), "nmol/L") == Decimal("7.464")
    assert tacrolimus.to_canonical(Decimal("6.5"), "ug/L") == Decimal("6.5")


def test_a_conversion_that_does_not_terminate_is_rounded_to_six_places():
    assert BY_CODE["tacrolimus"].to_canonical(Decimal(1), "nmol/L") == Decimal("0.803859")


def test_a_converted_value_carries_no_trailing_zeros_and_no_exponent():
    assert str(BY_CODE["creatinine"].to_canonical(Decimal("1.2"), "mg/dL")) == "106.08"
    assert str(BY_CODE["platelets"].to_canonical(Decimal(150000), "/mm3")) == "150"


@pytest.mark.parametrize(
    ("code", "value", "unit", "canonical"),
    [
        ("haemoglobin", "13.5", "g/dL", "135"),
        ("haemoglobin", "6.206", "mmol/L", "100"),
        ("haematocrit", "0.36", "L/L", "36"),
        ("wbc", "4500", "/mm3", "4.5"),
        ("wbc", "4.5", "10*3/uL", "4.5"),
        ("alt", "0.01667", "ukat/L", "1"),
        ("albumin", "3.5", "g/dL", "35"),
        ("magnesium", "1.2", "mg/dL", "0.49368"),
        ("upcr", "884", "mg/g", "100"),
        ("upcr", "0.5", "g/g", "56.561086"),
        ("potassium", "5.2", "mEq/L", "5.2"),
    ],
)
def test_known_conversions_are_exact(code, value, unit, canonical):
    assert BY_CODE[code].to_canonical(Decimal(value), unit) == Decimal(canonical)


@pytest.mark.parametrize(
    ("code", "spelling", "unit_code"),
    [
        ("creatinine", "µmol/L", "umol/L"),  # micro sign
        ("creatinine", "μmol/L", "umol/L"),  # Greek mu
        ("creatinine", "umol/l", "umol/L"),
        ("creatinine", "UMOL/L", "umol/L"),
        ("creatinine", "mg/dl", "mg/dL"),
        ("alt", "UI/L", "U/L"),
        ("alt", "IU/L", "U/L"),
        ("platelets", "G/L", "10*9/L"),
        ("platelets", "10^9/L", "10*9/L"),
        ("platelets", "×10⁹/L", "10*9/L"),
        ("platelets", "K/µL", "10*3/uL"),
        ("potassium", "mEq/L", "mmol/L"),
        ("tacrolimus", "µg/L", "ug/L"),
        ("bp-systolic", "mmHg", "mm[Hg]"),
        ("egfr", "mL/min/1.73m2", "mL/min/{1.73_m2}"),
    ],
)
def test_aliases_resolve_to_their_unit(code, spelling, unit_code):
    assert BY_CODE[code].unit(spelling).code == unit_code


def test_an_unknown_unit_raises_a_key_error_naming_the_accepted_units():
    with pytest.raises(KeyError, match=r"'mmol/L'.*accepted: umol/L \(µmol/L\), mg/dL"):
        BY_CODE["creatinine"].unit("mmol/L")


def test_hba1c_refuses_mmol_mol_because_the_ifcc_conversion_is_not_a_ratio():
    with pytest.raises(KeyError):
        BY_CODE["hba1c"].to_canonical(Decimal(48), "mmol/mol")


def test_magnesium_refuses_meq_l_because_it_is_divalent():
    with pytest.raises(KeyError):
        BY_CODE["magnesium"].unit("mEq/L")


def test_g_l_means_grams_for_albumin_and_giga_for_counts():
    assert BY_CODE["albumin"].unit("G/L").code == "g/L"
    assert BY_CODE["albumin"].to_canonical(Decimal(35), "G/L") == Decimal(35)
    assert BY_CODE["wbc"].unit("G/L").code == "10*9/L"


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        BY_CODE["creatinine"].to_canonical(1.2, "mg/dL")


def test_default_units_for_creatinine_are_mg_dl_in_us_and_umol_l_in_si():
    creatinine = BY_CODE["creatinine"]

    assert creatinine.default_unit("US").code == "mg/dL"
    assert creatinine.default_unit("SI").code == "umol/L"
    assert creatinine.default_unit("SI").label == "µmol/L"


def test_an_unknown_unit_system_is_refused():
    with pytest.raises(KeyError, match="SI, US"):
        BY_CODE["creatinine"].default_unit("metric")


@pytest.mark.parametrize("code", ["creatinine", "haemoglobin", "uric-acid", "ggt", "alt"])
def test_reference_ranges_differ_by_sex_where_the_reference_says_so(code):
    analyte = BY_CODE[code]

    assert analyte.reference_for("F") == analyte.reference_female
    assert analyte.reference_for("M") == analyte.reference_male
    assert analyte.reference_female != analyte.reference_male


def test_reference_for_picks_the_creatinine_and_uric_acid_ranges_of_each_sex():
    assert BY_CODE["creatinine"].reference_for("F") == Range(Decimal(52), Decimal(92))
    assert BY_CODE["creatinine"].reference_for("M") == Range(Decimal(65), Decimal(119))
    assert BY_CODE["uric-acid"].reference_for("F") == Range(Decimal(155), Decimal(357))
    assert BY_CODE["uric-acid"].reference_for("M") == Range(Decimal(208), Decimal(428))


def test_reference_ends_are_inside_the_range():
    female = BY_CODE["creatinine"].reference_for("F")

    assert female.contains(Decimal(52))
    assert female.contains(Decimal(92))
    assert not female.contains(Decimal(93))
    assert not female.contains(Decimal(51))


def test_fasting_glucose_is_normal_below_5_6_mmol_l_only():
    normal = BY_CODE["glucose-fasting"].reference_for("M")

    assert normal.contains(Decimal("5.5"))
    assert not normal.contains(Decimal("5.6"))


def test_reference_for_refuses_anything_but_f_or_m():
    with pytest.raises(ValueError, match="'F' or 'M'"):
        BY_CODE["creatinine"].reference_for("female")


def test_creatinine_8000_umol_l_is_implausible():
    creatinine = BY_CODE["creatinine"]

    assert not creatinine.is_plausible(Decimal(8000))
    assert creatinine.is_plausible(Decimal(80))


def test_a_tacrolimus_trough_must_be_above_0_and_at_most_40_ng_ml():
    tacrolimus = BY_CODE["tacrolimus"]

    assert not tacrolimus.is_plausible(Decimal(70))  # 7.0 typed as 70 asks for confirmation
    assert not tacrolimus.is_plausible(Decimal("40.1"))
    assert tacrolimus.is_plausible(Decimal(40))
    assert tacrolimus.is_plausible(Decimal("0.1"))
    assert not tacrolimus.is_plausible(Decimal(0))
    assert not tacrolimus.is_plausible(Decimal(-1))


def test_a_count_of_zero_eosinophils_is_plausible():
    assert BY_CODE["eosinophils"].is_plausible(Decimal(0))
    assert not BY_CODE["eosinophils"].is_plausible(Decimal("-0.1"))


def test_a_blood_pressure_typed_in_cmhg_is_implausible():
    assert not BY_CODE["bp-systolic"].is_plausible(Decimal(14))
    assert not BY_CODE["bp-diastolic"].is_plausible(Decimal(9))
    assert BY_CODE["bp-systolic"].is_plausible(Decimal(140))


def test_potassium_is_critical_at_or_below_2_8_and_at_or_above_6_0():
    potassium = BY_CODE["potassium"]

    assert potassium.is_critical(Decimal("6.0"))
    assert not potassium.is_critical(Decimal("5.9"))
    assert potassium.is_critical(Decimal("2.8"))
    assert not potassium.is_critical(Decimal("2.9"))


@pytest.mark.parametrize("code", ["glucose-fasting", "glucose-random"])
def test_glucose_is_critical_at_or_below_2_8_and_at_or_above_25_mmol_l(code):
    glucose = BY_CODE[code]

    assert glucose.is_critical(Decimal("2.8"))
    assert not glucose.is_critical(Decimal("2.9"))
    assert glucose.is_critical(Decimal(25))
    assert not glucose.is_critical(Decimal("24.9"))
    assert glucose.is_critical(glucose.to_canonical(Decimal(50), "mg/dL"))
    assert glucose.is_critical(glucose.to_canonical(Decimal(450), "mg/dL"))


def test_haemoglobin_is_critical_below_7_g_dl_only():
    haemoglobin = BY_CODE["haemoglobin"]

    assert haemoglobin.is_critical(Decimal(69))
    assert haemoglobin.is_critical(haemoglobin.to_canonical(Decimal("6.9"), "g/dL"))
    assert not haemoglobin.is_critical(haemoglobin.to_canonical(Decimal("7.0"), "g/dL"))


@pytest.mark.parametrize(
    ("code", "critical", "not_critical"),
    [
        ("platelets", "19", "20"),
        ("wbc", "0.99", "1.0"),
        ("neutrophils", "0.49", "0.5"),
        ("creatinine", "442", "441"),
        ("magnesium", "0.41", "0.42"),
    ],
)
def test_critical_limits_follow_the_suggested_defaults(code, critical, not_critical):
    assert BY_CODE[code].is_critical(Decimal(critical))
    assert not BY_CODE[code].is_critical(Decimal(not_critical))


def test_critical_limits_hold_when_entered_in_us_units():
    creatinine = BY_CODE["creatinine"]
    magnesium = BY_CODE["magnesium"]

    assert creatinine.is_critical(creatinine.to_canonical(Decimal("5.0"), "mg/dL"))
    assert not creatinine.is_critical(creatinine.to_canonical(Decimal("4.9"), "mg/dL"))
    assert magnesium.is_critical(magnesium.to_canonical(Decimal("1.0"), "mg/dL"))
    assert not magnesium.is_critical(magnesium.to_canonical(Decimal("1.1"), "mg/dL"))


def test_tacrolimus_has_no_critical_value_even_far_above_the_urgent_limit():
    assert not BY_CODE["tacrolimus"].is_critical(Decimal(40))

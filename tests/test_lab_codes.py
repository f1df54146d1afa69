"""Finding our analyte and unit for what a lab sends, and reading censored values."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from monitoring.imports.codes import (
    AnalyteIndex,
    find_unit,
    parse_lab_value,
    parse_structured_numeric,
)
from monitoring.models import Analyte, CodeMapping


@pytest.mark.django_db
def test_an_analyte_is_found_by_loinc_by_our_code_and_by_an_alternative_loinc():
    index = AnalyteIndex()
    assert index.find("77348-1").code == "tacrolimus"
    assert index.find("tacrolimus").code == "tacrolimus"
    # 2160-0 (creatinine in mg/dL) is seeded as a mapping (clinical-reference.md §1.1).
    assert index.find("2160-0").code == "creatinine"
    assert index.find("99999-9") is None
    assert index.find("") is None


@pytest.mark.django_db
def test_a_local_code_is_mapped_for_its_coding_system_first():
    creatinine = Analyte.objects.get(code="creatinine")
    tacrolimus = Analyte.objects.get(code="tacrolimus")
    CodeMapping.objects.create(code="CREA", system="L", analyte=creatinine)
    CodeMapping.objects.create(code="TAC", system="", analyte=tacrolimus)
    index = AnalyteIndex()
    assert index.find("CREA", "L") == creatinine
    assert index.find("crea", "l") == creatinine
    assert index.find("CREA", "99LAB") is None
    assert index.find("TAC", "L") == tacrolimus


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("analyte", "spelling", "code"),
    [
        ("tacrolimus", "ng/mL", "ng/mL"),
        ("tacrolimus", "ug/L", "ug/L"),
        ("tacrolimus", "µg/L", "ug/L"),
        ("tacrolimus", "\u03bcg/L", "ug/L"),
        ("creatinine", "umol/L", "umol/L"),
        ("creatinine", "µmol/L", "umol/L"),
        ("creatinine", "mg/dL", "mg/dL"),
        ("wbc", "10*9/L", "10*9/L"),
        ("wbc", "G/L", "10*9/L"),
        ("potassium", "mmol/L", "mmol/L"),
    ],
)
def test_the_usual_unit_spellings_are_accepted(analyte, spelling, code):
    unit = find_unit(Analyte.objects.get(code=analyte), spelling)
    assert unit is not None
    assert unit.code == code


@pytest.mark.django_db
def test_a_unit_of_another_dimension_is_not_accepted():
    assert find_unit(Analyte.objects.get(code="tacrolimus"), "mmol/L") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.1", ("", Decimal("7.1"))),
        ("7,1", ("", Decimal("7.1"))),
        ("<2.0", ("<", Decimal("2.0"))),
        ("< 2,0", ("<", Decimal("2.0"))),
        (">=40", (">=", Decimal("40"))),
        ("≤0.5", ("<=", Decimal("0.5"))),
    ],
)
def test_a_value_may_be_censored(text, expected):
    assert parse_lab_value(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "<", "NaN", "7.1 ng/mL", "<<2"])
def test_an_unreadable_value_is_refused(text):
    with pytest.raises(ValidationError):
        parse_lab_value(text)


@pytest.mark.parametrize(
    ("components", "expected"),
    [
        (["<", "2.0"], ("<", Decimal("2.0"))),
        (["", "7.1"], ("", Decimal("7.1"))),
        (["=", "7.1"], ("", Decimal("7.1"))),
        ([">=", "40"], (">=", Decimal("40"))),
    ],
)
def test_structured_numeric_values_are_read(components, expected):
    assert parse_structured_numeric(components) == expected


@pytest.mark.parametrize("components", [["", "1", ":", "128"], ["", "2", "-", "5"], ["~", "3"]])
def test_ratios_ranges_and_odd_comparators_are_refused(components):
    with pytest.raises(ValidationError):
        parse_structured_numeric(components)

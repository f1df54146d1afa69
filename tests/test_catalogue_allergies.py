"""Allergies in the macrolide class are a contraindication (clinical-reference.md §7.4, A5)."""

import pytest

from monitoring.catalogue.allergies import classify_allergy


@pytest.mark.parametrize(
    "text",
    [
        "clarithromycine",
        "CLARITHROMYCINE",
        "Zithromax",
        "tacrolimus",
        "Advagraf",
        "Protopic ointment",
        "everolimus",
        "macrolides",
        "macrolide antibiotics",
        "érythromycine (urticaire)",
        "Rulid",
        "Zeclar",
    ],
)
def test_a_macrolide_allergy_is_a_contraindication(text):
    allergy = classify_allergy(text)

    assert allergy.code == "macrolide"
    assert allergy.is_contraindication


@pytest.mark.parametrize(
    "text", ["Cremophor", "huile de ricin", "polyoxyl 60 hydrogenated castor oil"]
)
def test_a_castor_oil_allergy_is_a_contraindication_for_iv_tacrolimus(text):
    allergy = classify_allergy(text)

    assert allergy.code == "peg-castor-oil"
    assert allergy.is_contraindication
    assert "IV formulation" in allergy.reason


@pytest.mark.parametrize("text", ["penicillin", "pénicilline", "latex", ""])
def test_other_allergies_are_not_a_contraindication(text):
    allergy = classify_allergy(text)

    assert allergy.code == "other"
    assert not allergy.is_contraindication

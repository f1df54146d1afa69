"""Recorded vaccines are recognised, and live ones flagged (clinical-reference.md §7.3, A5)."""

import pytest

from monitoring.catalogue.vaccines import VACCINES, match_vaccine


@pytest.mark.parametrize(
    "text",
    [
        "M-M-R II",
        "Priorix",
        "ROR",
        "rougeole oreillons rubéole",
        "ProQuad",
        "Priorix-Tetra",
        "Varivax",
        "Varilrix",
        "varicelle",
        "Zostavax",
        "YF-Vax",
        "Stamaril",
        "fièvre jaune",
        "Vivotif",
        "FluMist",
        "Fluenz Tetra",
        "BCG",
        "OPV",
        "Rotarix",
        "RotaTeq",
        "Vaxchora",
        "Dengvaxia",
        "Ixchiq",
        "ACAM2000",
    ],
)
def test_every_live_vaccine_of_the_reference_is_live(text):
    vaccine = match_vaccine(text)

    assert vaccine is not None
    assert vaccine.is_live


@pytest.mark.parametrize(
    "text",
    [
        "Shingrix",
        "Shingrix (recombinant zoster vaccine)",
        "zoster",
        "influenza",
        "Vaxigrip Tetra",
        "Influvac",
        "Fluarix",
        "grippe",
        "Prevenar 20",
        "Pneumovax",
        "Vaxneuvance",
        "Engerix B",
        "Gardasil 9",
        "Comirnaty",
        "Spikevax",
        "Typhim Vi",
        "Jynneos",
        "Imvanex",
        "Boostrix",
        "Repevax",
        "IPV",
    ],
)
def test_shingrix_injectable_influenza_and_other_inactivated_vaccines_are_not_live(text):
    vaccine = match_vaccine(text)

    assert vaccine is not None
    assert not vaccine.is_live


@pytest.mark.parametrize(
    "text",
    ["influenza intranasal", "grippe nasal spray", "LAIV", "influenza (FluMist)", "Fluenz"],
)
def test_influenza_is_live_only_when_intranasal(text):
    assert match_vaccine(text).code == "influenza-live"


def test_oral_typhoid_and_oral_polio_are_live_while_the_bare_names_are_not():
    assert match_vaccine("typhoid, oral capsules").is_live
    assert not match_vaccine("typhoïde").is_live
    assert match_vaccine("polio oral").is_live
    assert not match_vaccine("polio").is_live


def test_the_longest_matching_name_wins():
    assert match_vaccine("Priorix-Tetra").code == "mmrv"
    assert match_vaccine("Priorix").code == "mmr"


def test_names_match_in_any_case_and_without_accents():
    assert match_vaccine("FIEVRE JAUNE").code == "yellow-fever"
    assert match_vaccine("shingrix 2nd dose").code == "zoster-recombinant"


@pytest.mark.parametrize("text", ["paracetamol", "vitamin D", ""])
def test_unrelated_text_is_no_vaccine(text):
    assert match_vaccine(text) is None


def test_every_vaccine_has_a_unique_code_names_and_a_source():
    assert len({vaccine.code for vaccine in VACCINES}) == len(VACCINES)
    for vaccine in VACCINES:
        assert vaccine.name and vaccine.names and vaccine.source

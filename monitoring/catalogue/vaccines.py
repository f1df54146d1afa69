"""Vaccines a nurse may record, and whether each is live (live vaccines are a contraindication
during tacrolimus: clinical-reference.md §7.3 and Part A §A5; Shingrix is not live).

A few diseases have both a live and a non-live vaccine. The bare disease name ("influenza",
"grippe", "typhoid", "polio", "zoster") means the non-live vaccine in routine use. For
influenza, typhoid and polio a qualifier word such as "intranasal" or "oral" switches to the
live one (see `_LIVE_QUALIFIERS`); for zoster only "Zostavax" names the live one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matching import matched_names, normalise


@dataclass(frozen=True)
class VaccineDef:
    code: str
    name: str
    names: tuple[str, ...]
    is_live: bool
    source: str


def match_vaccine(text: str) -> VaccineDef | None:
    """The vaccine named in `text`, or None.

    The most specific match wins: the longest matching name; on a tie the first in catalogue
    order, and live vaccines come first, so a tie errs towards the contraindication. If the
    winner is the non-live default of a disease that also has a live vaccine, a qualifier word
    in the text ("intranasal", "oral", ...) switches to the live one.
    """
    best: VaccineDef | None = None
    best_length = 0
    for vaccine in VACCINES:
        length = max((len(name) for name in matched_names(text, vaccine)), default=0)
        if length > best_length:
            best, best_length = vaccine, length
    if best is None or best.code not in _LIVE_QUALIFIERS:
        return best
    live_code, qualifiers = _LIVE_QUALIFIERS[best.code]
    words = set(normalise(text).split())
    if words & qualifiers:
        return _BY_CODE[live_code]
    return best


_S73 = "clinical-reference.md §7.3"

VACCINES: tuple[VaccineDef, ...] = (
    # ---- Live -----------------------------------------------------------------------------------
    VaccineDef(
        code="mmr",
        name="Measles-mumps-rubella (MMR)",
        names=(
            "MMR",
            "M-M-R II",
            "M-M-RvaxPro",
            "Priorix",
            "ROR",
            "rougeole oreillons rubéole",
            "measles mumps rubella",
            "measles",
            "rougeole",
            "mumps",
            "oreillons",
            "rubella",
            "rubéole",
        ),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="mmrv",
        name="Measles-mumps-rubella-varicella (MMRV)",
        names=(
            "MMRV",
            "ProQuad",
            "Priorix-Tetra",
            "measles mumps rubella varicella",
            "rougeole oreillons rubéole varicelle",
        ),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="varicella",
        name="Varicella",
        names=("varicella", "varicelle", "chickenpox", "Varivax", "Varilrix"),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="zoster-live",
        name="Zoster vaccine live (Zostavax)",
        names=("Zostavax", "zoster vaccine live", "ZVL"),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="yellow-fever",
        name="Yellow fever",
        names=("yellow fever", "fièvre jaune", "YF-Vax", "Stamaril"),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="typhoid-oral",
        name="Typhoid, oral Ty21a",
        names=("Vivotif", "Ty21a", "oral typhoid", "typhoid oral", "typhoïde orale"),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="influenza-live",
        name="Influenza, live attenuated intranasal (LAIV)",
        names=(
            "FluMist",
            "Fluenz",
            "Fluenz Tetra",
            "LAIV",
            "live attenuated influenza",
            "intranasal influenza",
            "nasal influenza",
        ),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="bcg",
        name="BCG (including intravesical BCG)",
        names=("BCG", "bacille Calmette-Guérin", "BCG-medac", "OncoTICE", "ImmuCyst"),
        is_live=True,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="polio-oral",
        name="Polio, oral (OPV)",
        names=("OPV", "bOPV", "nOPV2", "oral polio", "polio oral", "Sabin"),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="rotavirus",
        name="Rotavirus",
        names=("rotavirus", "Rotarix", "RotaTeq"),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="cholera-oral-live",
        name="Cholera, oral live (Vaxchora)",
        names=("Vaxchora",),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="dengue",
        name="Dengue (Dengvaxia, Qdenga)",
        # Qdenga (TAK-003) is live attenuated too: general knowledge, not in the reference.
        names=("dengue", "Dengvaxia", "Qdenga"),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="chikungunya-live",
        name="Chikungunya, live (Ixchiq)",
        names=("chikungunya", "Ixchiq"),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="smallpox-acam2000",
        name="Smallpox, replicating (ACAM2000)",
        names=("ACAM2000",),
        is_live=True,
        source=f"{_S73} (unverified here)",
    ),
    # ---- Not live -------------------------------------------------------------------------------
    VaccineDef(
        code="zoster-recombinant",
        name="Zoster, recombinant (Shingrix)",
        names=("Shingrix", "recombinant zoster", "RZV", "zoster", "zona", "shingles"),
        is_live=False,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="influenza-inactivated",
        name="Influenza, injectable",
        names=(
            "influenza",
            "flu",
            "grippe",
            "antigrippal",
            "Vaxigrip",
            "Vaxigrip Tetra",
            "Influvac",
            "Influvac Tetra",
            "Fluarix",
            "Fluarix Tetra",
            "Efluelda",
            "Fluad",
            "Flucelvax",
        ),
        is_live=False,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="pneumococcal",
        name="Pneumococcal",
        names=(
            "pneumococcal",
            "pneumococcus",
            "pneumocoque",
            "Prevenar",
            "Prevnar",
            "Pneumovax",
            "Vaxneuvance",
        ),
        is_live=False,
        source=_S73,
    ),
    VaccineDef(
        code="hepatitis-b",
        name="Hepatitis B",
        names=("hepatitis B", "hépatite B", "Engerix", "Engerix-B", "HBVaxPro"),
        is_live=False,
        source=_S73,
    ),
    VaccineDef(
        code="hpv",
        name="Human papillomavirus (HPV)",
        names=("HPV", "papillomavirus", "Gardasil", "Gardasil 9", "Cervarix"),
        is_live=False,
        source=_S73,
    ),
    VaccineDef(
        code="covid-19-mrna",
        name="COVID-19 mRNA",
        names=("COVID-19", "COVID", "SARS-CoV-2", "Comirnaty", "Spikevax"),
        is_live=False,
        source=_S73,
    ),
    VaccineDef(
        code="typhoid-vi",
        name="Typhoid, injectable Vi polysaccharide",
        names=("Typhim Vi", "Typherix", "typhoid Vi", "typhoid", "typhoïde"),
        is_live=False,
        source=f"{_S73} [S35]",
    ),
    VaccineDef(
        code="mpox-mva-bn",
        name="Smallpox and mpox, non-replicating (Jynneos / Imvanex)",
        names=("Jynneos", "Imvanex", "Imvamune", "MVA-BN", "mpox", "monkeypox"),
        is_live=False,
        source=f"{_S73} (unverified here)",
    ),
    VaccineDef(
        code="tdap",
        name="Tetanus-diphtheria-pertussis (and combinations with inactivated polio)",
        names=(
            "Boostrix",
            "Repevax",
            "Revaxis",
            "DTPolio",
            "dTcaP",
            "Tdap",
            "tetanus",
            "tétanos",
            "diphtheria",
            "diphtérie",
            "pertussis",
            "coqueluche",
        ),
        is_live=False,
        source=_S73,
    ),
    VaccineDef(
        code="polio-inactivated",
        name="Polio, inactivated (IPV)",
        names=(
            "IPV",
            "inactivated polio",
            "Imovax Polio",
            "polio",
            "poliomyelitis",
            "poliomyélite",
        ),
        is_live=False,
        source=f"{_S73} [S35b]",
    ),
)

_BY_CODE = {vaccine.code: vaccine for vaccine in VACCINES}

# Non-live default → (its live counterpart, words that point to the live one). Normalised.
_LIVE_QUALIFIERS: dict[str, tuple[str, frozenset[str]]] = {
    "influenza-inactivated": (
        "influenza-live",
        frozenset({"intranasal", "nasal", "intranasale", "nasale", "flumist", "fluenz", "laiv"}),
    ),
    "typhoid-vi": ("typhoid-oral", frozenset({"oral", "orale", "vivotif"})),
    "polio-inactivated": ("polio-oral", frozenset({"oral", "orale", "opv"})),
}

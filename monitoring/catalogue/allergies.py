"""Allergy classes that matter for tacrolimus (clinical-reference.md §7.4 and Part A §A5).

Tacrolimus is a macrolide lactone: hypersensitivity to tacrolimus "or other macrolides" is a
contraindication in the EU SmPC [S17a]. IV tacrolimus also contains polyoxyl 60 hydrogenated
castor oil [S3b]; the capsules do not. Anything else is "other".
"""

from __future__ import annotations

from dataclasses import dataclass

from .matching import find_matches


@dataclass(frozen=True)
class AllergyClassDef:
    code: str
    name: str
    names: tuple[str, ...]
    is_contraindication: bool
    reason: str
    source: str


def classify_allergy(text: str) -> AllergyClassDef:
    """The allergy class named in `text` (the first in catalogue order), else OTHER."""
    matches = find_matches(text, ALLERGY_CLASSES)
    return matches[0] if matches else OTHER


MACROLIDE = AllergyClassDef(
    code="macrolide",
    name="Macrolides (tacrolimus and related immunosuppressants, macrolide antibiotics)",
    names=(
        "macrolide",
        "macrolides",
        "macrolide antibiotics",
        "antibiotiques macrolides",
        # Tacrolimus itself, every product.
        "tacrolimus",
        "Prograf",
        "Advagraf",
        "Envarsus",
        "Adoport",
        "Modigraf",
        "Astagraf",
        "Protopic",
        # Related immunosuppressant macrolides.
        "sirolimus",
        "Rapamune",
        "everolimus",
        "Certican",
        "Afinitor",
        "Votubia",
        "pimecrolimus",
        "Elidel",
        # Macrolide antibiotics.
        "erythromycin",
        "érythromycine",
        "erythromycine",
        "Ery-Tab",
        "Erythrocine",
        "clarithromycin",
        "clarithromycine",
        "Zeclar",
        "Klacid",
        "Biaxin",
        "azithromycin",
        "azithromycine",
        "Zithromax",
        "roxithromycin",
        "roxithromycine",
        "Rulid",
        "josamycin",
        "josamycine",
        "Josacine",
        "spiramycin",
        "spiramycine",
        "Rovamycine",
        "Rodogyl",
        "telithromycin",
        "télithromycine",
        "Ketek",
        "fidaxomicin",
        "fidaxomicine",
        "Dificlir",
        "Dificid",
    ),
    is_contraindication=True,
    reason=(
        "Hypersensitivity to tacrolimus or other macrolides is a contraindication (EU SmPC). "
        "Cross-reactivity with macrolide antibiotics is largely theoretical (unverified here): "
        "doctor review"
    ),
    source="clinical-reference.md §7.4 [S17a][S1]",
)

PEG_CASTOR_OIL = AllergyClassDef(
    code="peg-castor-oil",
    name="Polyoxyl 60 hydrogenated castor oil (excipient of IV tacrolimus)",
    names=(
        "polyoxyl 60 hydrogenated castor oil",
        "polyoxyl castor oil",
        "PEG-60 hydrogenated castor oil",
        "PEG-60 HCO",
        "hydrogenated castor oil",
        "castor oil",
        "macrogolglycerol hydroxystearate",
        "Cremophor",
        "Kolliphor",
        "huile de ricin",
        "huile de ricin hydrogénée",
    ),
    is_contraindication=True,
    reason=(
        "IV formulation only: IV tacrolimus contains polyoxyl 60 hydrogenated castor oil "
        "(anaphylaxis risk, unverified here); oral products do not list it (unverified here)"
    ),
    source="clinical-reference.md §7.4 [S3b][S17a]",
)

OTHER = AllergyClassDef(
    code="other",
    name="Other allergy",
    names=(),
    is_contraindication=False,
    reason="No known cross-reactivity with tacrolimus or its excipients in this catalogue",
    source="clinical-reference.md §7.4",
)

# OTHER has no names, so it is never matched; classify_allergy falls back to it.
ALLERGY_CLASSES: tuple[AllergyClassDef, ...] = (MACROLIDE, PEG_CASTOR_OIL, OTHER)

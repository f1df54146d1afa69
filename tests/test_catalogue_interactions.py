"""Interacting medicines are found in what a nurse types (clinical-reference.md §5, A5)."""

from types import SimpleNamespace

import pytest

from monitoring.catalogue.interactions import (
    EFFECTS,
    INTERACTIONS,
    PK_EFFECTS,
    SEVERITIES,
    match_interactions,
)
from monitoring.catalogue.matching import find_matches, normalise


def codes(text):
    return [entry.code for entry in match_interactions(text)]


# Every ingredient of §5.1 and §5.2: (name, a brand or other everyday name, code).
LISTED = [
    ("aluminium hydroxide", "Maalox", "al-mg-antacids"),
    ("ciclosporin", "Néoral", "ciclosporin"),
    ("sirolimus", "Rapamune", "sirolimus"),
    ("temsirolimus", "Torisel", "temsirolimus"),
    ("ziprasidone", "Geodon", "ziprasidone"),
    ("amiloride", "Modamide", "amiloride"),
    ("spironolactone", "Aldactone", "spironolactone"),
    ("cimetidine", "Tagamet", "cimetidine"),
    ("danazol", "Danatrol", "danazol"),
    ("nefazodone", "Serzone", "nefazodone"),
    ("ethinylestradiol", "NuvaRing", "ethinylestradiol"),
    ("methylprednisolone", "Solumédrol", "methylprednisolone"),
    ("St John's wort", "millepertuis", "st-johns-wort"),
    ("itraconazole", "Sporanox", "itraconazole"),
    ("voriconazole", "Vfend", "voriconazole"),
    ("ketoconazole", "Nizoral", "ketoconazole"),
    ("posaconazole", "Noxafil", "posaconazole"),
    ("fluconazole", "Triflucan", "fluconazole"),
    ("isavuconazole", "Cresemba", "isavuconazole"),
    ("clotrimazole", "Mycelex", "clotrimazole"),
    ("nelfinavir", "Viracept", "nelfinavir"),
    ("ritonavir", "Norvir", "ritonavir"),
    ("boceprevir", "Victrelis", "boceprevir"),
    ("telaprevir", "Incivo", "telaprevir"),
    ("cobicistat", "Tybost", "cobicistat"),
    ("rifampicin", "Rifadine", "rifampicin"),
    ("rifabutin", "Mycobutin", "rifabutin"),
    ("rifapentine", "Priftin", "rifapentine"),
    ("phenobarbital", "Gardénal", "phenobarbital"),
    ("primidone", "Mysoline", "primidone"),
    ("phenytoin", "Di-Hydan", "phenytoin"),
    ("fosphenytoin", "Prodilantin", "fosphenytoin"),
    ("clarithromycin", "Zeclar", "clarithromycin"),
    ("erythromycin", "Ery-Tab", "erythromycin"),
    ("telithromycin", "Ketek", "telithromycin"),
    ("josamycin", "Josacine", "josamycin"),
    ("diltiazem", "Tildiem", "diltiazem"),
    ("verapamil", "Isoptine", "verapamil"),
    ("nifedipine", "Adalat", "nifedipine"),
    ("nicardipine", "Loxen", "nicardipine"),
    ("grapefruit", "jus de pamplemousse", "grapefruit"),
    ("letermovir", "Prevymis", "letermovir"),
    ("cannabidiol", "Epidiolex", "cannabidiol"),
    ("carbamazepine", "Tégrétol", "carbamazepine"),
    ("oxcarbazepine", "Trileptal", "oxcarbazepine"),
    ("apalutamide", "Erleada", "apalutamide"),
    ("enzalutamide", "Xtandi", "enzalutamide"),
    ("efavirenz", "Sustiva", "efavirenz"),
    ("caspofungin", "Cancidas", "caspofungin"),
    ("omeprazole", "Mopral", "omeprazole"),
    ("lansoprazole", "Lanzor", "lansoprazole"),
    ("metoclopramide", "Primpéran", "metoclopramide"),
    ("amiodarone", "Cordarone", "amiodarone"),
    ("bromocriptine", "Parlodel", "bromocriptine"),
    ("schisandra", "Wuzhi capsule", "schisandra"),
    ("ibuprofen", "Nurofen", "ibuprofen"),
    ("naproxen", "Apranax", "naproxen"),
    ("diclofenac", "Voltarène", "diclofenac"),
    ("ketoprofen", "Profénid", "ketoprofen"),
    ("gentamicin", "Gentalline", "gentamicin"),
    ("amikacin", "Amiklin", "amikacin"),
    ("tobramycin", "Nebcine", "tobramycin"),
    ("amphotericin B", "AmBisome", "amphotericin-b"),
    ("vancomycin", "Vancocin", "vancomycin"),
    ("cisplatin", "Platinol", "cisplatin"),
    ("co-trimoxazole", "Bactrim", "co-trimoxazole"),
    ("ganciclovir", "Cymevene", "ganciclovir"),
    ("valganciclovir", "Rovalcyte", "valganciclovir"),
    ("aciclovir", "Zovirax", "aciclovir"),
    ("ramipril", "Triatec", "ramipril"),
    ("enalapril", "Renitec", "enalapril"),
    ("perindopril", "Coversyl", "perindopril"),
    ("lisinopril", "Zestril", "lisinopril"),
    ("losartan", "Cozaar", "losartan"),
    ("valsartan", "Tareg", "valsartan"),
    ("irbesartan", "Aprovel", "irbesartan"),
    ("candesartan", "Atacand", "candesartan"),
    ("potassium chloride", "Diffu-K", "potassium-supplements"),
    ("triamterene", "Dyazide", "triamterene"),
    ("hydroxychloroquine", "Plaquenil", "hydroxychloroquine"),
    ("ondansetron", "Zophren", "ondansetron"),
    ("citalopram", "Seropram", "citalopram"),
    ("levofloxacin", "Tavanic", "levofloxacin"),
    ("ciprofloxacin", "Ciflox", "ciprofloxacin"),
    ("moxifloxacin", "Izilox", "moxifloxacin"),
    ("methadone", "Methadose", "methadone"),
]


@pytest.mark.parametrize(("name", "brand", "code"), LISTED)
def test_every_listed_ingredient_matches_by_name_and_by_brand(name, brand, code):
    assert codes(name) == [code]
    assert codes(brand) == [code]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("rifampicine", "rifampicin"),
        ("RIFAMPICINE", "rifampicin"),
        ("Rifampicine", "rifampicin"),
        ("Vfend", "voriconazole"),
        ("VFEND", "voriconazole"),
        ("millepertuis", "st-johns-wort"),
        ("Millepertuis (Hypericum)", "st-johns-wort"),
        ("St John's wort", "st-johns-wort"),
        ("St. John’s Wort", "st-johns-wort"),
        ("saint john s wort", "st-johns-wort"),
        ("jus de pamplemousse", "grapefruit"),
        ("ciclosporine", "ciclosporin"),
        ("Neoral", "ciclosporin"),
        ("érythromycine", "erythromycin"),
        ("erythromycine", "erythromycin"),
        ("phénytoïne", "phenytoin"),
        ("phenytoine", "phenytoin"),
        ("Tegretol", "carbamazepine"),
        ("kétoprofène", "ketoprofen"),
        ("ketoprofene", "ketoprofen"),
        ("triméthoprime-sulfaméthoxazole", "co-trimoxazole"),
        ("trimethoprime sulfamethoxazole", "co-trimoxazole"),
        ("éthinylestradiol", "ethinylestradiol"),
        ("Medrol", "methylprednisolone"),
        ("Solu-Medrol", "methylprednisolone"),
    ],
)
def test_french_names_and_brands_match_with_or_without_accents_in_any_case(text, code):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Vfend 200 mg x2/j", "voriconazole"),
        ("rifampicine 600mg le matin", "rifampicin"),
        ("Vfend200mg", "voriconazole"),
        ("a commencé Tildiem LP 300, 1/j", "diltiazem"),
        ("Kaletra (lopinavir/ritonavir) 2 cp", "ritonavir"),
    ],
)
def test_dosage_text_around_a_name_does_not_prevent_a_match(text, code):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    ["paracetamol", "CellCept", "mycophenolate", "Myfortic", "hydrocortisone cream", ""],
)
def test_unrelated_text_matches_nothing(text):
    assert match_interactions(text) == []


@pytest.mark.parametrize("text", ["esomeprazole", "escitalopram", "ritonavirum"])
def test_a_name_does_not_match_inside_a_longer_word(text):
    assert match_interactions(text) == []


def test_paxlovid_is_ritonavir_and_bactrim_is_co_trimoxazole():
    assert codes("Paxlovid") == ["ritonavir"]
    assert codes("Bactrim forte") == ["co-trimoxazole"]


def test_one_text_can_match_two_ingredients_in_catalogue_order():
    assert codes("Bactrim forte 1/j + Vfend 200 mg") == ["voriconazole", "co-trimoxazole"]


def test_an_ingredient_named_twice_is_listed_once():
    assert codes("Rifadine (rifampicine) 600 mg") == ["rifampicin"]


def test_every_entry_is_complete_and_uses_the_known_effects_and_severities():
    for entry in INTERACTIONS:
        assert entry.mechanism and entry.effect_text and entry.action and entry.source
        assert entry.effect in EFFECTS
        assert entry.severity in SEVERITIES


def test_pharmacokinetic_entries_have_a_recheck_and_the_others_do_not():
    for entry in INTERACTIONS:
        if entry.effect in PK_EFFECTS:
            assert entry.recheck_days in (3, 7), entry.code
        else:
            assert entry.recheck_days is None, entry.code


def test_voriconazole_says_reduce_to_a_third_and_recheck_in_three_days():
    (voriconazole,) = match_interactions("Vfend")

    assert voriconazole.effect == "increase"
    assert voriconazole.severity == "major"
    assert voriconazole.recheck_days == 3
    assert "one third" in voriconazole.action


def test_codes_are_unique_and_no_name_belongs_to_two_entries():
    assert len({entry.code for entry in INTERACTIONS}) == len(INTERACTIONS)
    owners = {}
    for entry in INTERACTIONS:
        for name in {normalise(name) for name in entry.names}:
            assert name, entry.code
            assert owners.setdefault(name, entry.code) == entry.code, name


def test_normalise_folds_case_accents_and_punctuation():
    assert normalise("St. John’s  Wort") == "st john s wort"
    assert normalise("Néoral") == "neoral"
    assert normalise("Di-Hydan 100mg") == "di hydan 100 mg"


def test_find_matches_also_takes_rows_whose_names_are_a_list():
    rows = [SimpleNamespace(code="a", names=["Vfend"]), SimpleNamespace(code="b", names=["x"])]

    assert find_matches("vfend 200 mg", rows) == [rows[0]]

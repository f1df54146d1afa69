"""The analyte catalogue: codes, names, units, conversions and default ranges. Pure data.

Every number cites ../shared/clinical-reference.md ("§1.1", "§1.2", "A3", with its source tag
such as [S37b]). Figures the reference does not give are marked "(unverified here)": they are
well-established adult defaults that the clinical lead must confirm, and a clinic can change
every range (the lab's own reference range wins when it sends one, A3).

Conversions are rational: canonical = value × multiply_by ÷ divide_by, computed with Decimal
so that 7.464 nmol/L of tacrolimus gives exactly 6 ng/mL. Never use float here.

Boundary semantics. A `Range` holds the values that are *inside* it; each bound is inclusive
unless its `*_inclusive` flag says otherwise, and `None` means no bound on that side.
- reference: the normal interval; inclusive unless the source says "<" (e.g. fasting
  glucose < 5.6 mmol/L is `high=5.6, high_inclusive=False`). Outside → out of range.
- critical: the interval of values that are *not* critical; outside it → critical. The
  flags copy §1.2 exactly: "K ≤ 2.8 or ≥ 6.0" is `Range(2.8, 6.0)` with both bounds
  exclusive (2.8 and 6.0 are critical), "Hb < 7.0 g/dL" is `Range(70, None)` inclusive (70 g/L
  is not critical). Use `AnalyteDef.is_critical()`.
- plausible: outside it a value is implausible and needs explicit confirmation. For most
  analytes `low` is exclusive (a concentration of 0 is a typo) and `high` inclusive, as in
  `Analyte.plausible_min`/`plausible_max`; counts and the urine ratio may be 0. Use
  `AnalyteDef.is_plausible()`.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

SI = "SI"  # the default for French and European clinics
US = "US"  # US conventional units
SYSTEMS = (SI, US)

PANELS = ("drug", "kidney", "glucose", "blood-count", "liver", "electrolytes", "urine", "vitals")

REF = "clinical-reference.md"

# Enough digits for any product or quotient of our values and factors before rounding.
_PRECISION = 50
_SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class UnitDef:
    code: str  # UCUM code as stored, e.g. "umol/L", "10*9/L", "mm[Hg]", "%"
    label: str  # as shown to people, e.g. "µmol/L", "×10⁹/L", "mmHg"
    # canonical = value × multiply_by ÷ divide_by (a ratio, so ÷1.244 stays exact)
    multiply_by: Decimal
    divide_by: Decimal = Decimal(1)
    # The unit system(s) whose entry form uses this unit by default; empty = accepted only.
    systems: frozenset[str] = frozenset({SI, US})
    # Other spellings a lab may send. Matching ignores case, so "umol/l" needs no alias.
    aliases: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        return (self.code, self.label, *self.aliases)


@dataclass(frozen=True)
class Range:
    """Values from `low` to `high` in the canonical unit; see the module docstring."""

    low: Decimal | None
    high: Decimal | None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return self.high is None or not (
            value > self.high or (value == self.high and not self.high_inclusive)
        )


NO_LIMIT = Range(None, None)


def _critical_when(
    *,
    at_or_below: Decimal | None = None,
    below: Decimal | None = None,
    at_or_above: Decimal | None = None,
    above: Decimal | None = None,
) -> Range:
    """The non-critical interval, written the way §1.2 states the critical values."""
    return Range(
        low=at_or_below if at_or_below is not None else below,
        high=at_or_above if at_or_above is not None else above,
        low_inclusive=at_or_below is None,
        high_inclusive=at_or_above is None,
    )


def _positive_up_to(high: str) -> Range:
    """Plausible: above 0 (0 is a typo or a "below detection" result) and at most `high`."""
    return Range(Decimal(0), Decimal(high), low_inclusive=False)


def _zero_up_to(high: str) -> Range:
    """Plausible: 0 (a real result for counts and ratios) up to `high` inclusive."""
    return Range(Decimal(0), Decimal(high))


def _normalise_spelling(spelling: str) -> str:
    # casefold() maps both the micro sign (U+00B5) and the Greek mu (U+03BC) to U+03BC.
    return spelling.strip().casefold()


def _at_most_six_places(value: Decimal) -> Decimal:
    rounded = value.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)
    # Drop trailing zeros (106.080000 → 106.08) without switching to exponent form (1E+2).
    stripped = rounded.normalize()
    return stripped if stripped.as_tuple().exponent <= 0 else rounded.quantize(Decimal(1))


@dataclass(frozen=True)
class AnalyteDef:
    code: str  # slug, e.g. "creatinine", "glucose-fasting", "bp-systolic"
    loinc: str
    name_en: str
    name_fr: str
    panel: str  # one of PANELS
    canonical_unit: str  # a UnitDef.code from `units`
    units: tuple[UnitDef, ...]  # the canonical unit first (factor 1), then accepted units
    decimal_places: int  # precision shown and entered in the canonical unit
    reference_female: Range
    reference_male: Range
    critical: Range  # values outside are critical (see the module docstring)
    plausible: Range  # values outside are implausible and need explicit confirmation
    source: str  # citations for the numbers
    sort_order: int  # order in the entry form

    def unit(self, code_or_alias: str) -> UnitDef:
        """The unit with this code, label or alias, ignoring case ("UMOL/L", "µmol/l")."""
        wanted = _normalise_spelling(code_or_alias)
        for unit in self.units:
            if wanted in {_normalise_spelling(s) for s in unit.spellings()}:
                return unit
        accepted = ", ".join(f"{u.code} ({u.label})" for u in self.units)
        raise KeyError(
            f"{code_or_alias!r} is not an accepted unit for {self.name_en}; accepted: {accepted}"
        )

    def to_canonical(self, value: Decimal, unit: str) -> Decimal:
        """`value` in `unit` converted exactly, then rounded to at most 6 decimal places."""
        factor = self.unit(unit)
        with localcontext(prec=_PRECISION):
            return _at_most_six_places(value * factor.multiply_by / factor.divide_by)

    def from_canonical(self, value: Decimal, unit: str) -> Decimal:
        """`value` in the canonical unit expressed in `unit`, at most 6 decimal places."""
        factor = self.unit(unit)
        with localcontext(prec=_PRECISION):
            return _at_most_six_places(value * factor.divide_by / factor.multiply_by)

    def default_unit(self, system: str) -> UnitDef:
        """The unit the entry form offers first in unit system "SI" or "US"."""
        for unit in self.units:
            if system in unit.systems:
                return unit
        raise KeyError(f"{system!r} is not a unit system; use one of {', '.join(SYSTEMS)}")

    def reference_for(self, sex: str) -> Range:
        """The default adult reference range for sex "F" or "M"."""
        if sex == "F":
            return self.reference_female
        if sex == "M":
            return self.reference_male
        raise ValueError(f"sex must be 'F' or 'M', not {sex!r}")

    def is_critical(self, value: Decimal) -> bool:
        """`value` (canonical unit) is a critical value (§1.2, A3)."""
        return not self.critical.contains(value)

    def is_plausible(self, value: Decimal) -> bool:
        """`value` (canonical unit) can be saved without an explicit confirmation."""
        return self.plausible.contains(value)


# Units shared by several analytes --------------------------------------------------------

# Glucose: 1 mmol/L = 18 mg/dL (§1.1 "÷18.0"), so 126 mg/dL is exactly 7.0 mmol/L as in the ADA
# pairs of §2.3 [S13]. (The molar factor 18.016 would make 126 mg/dL 6.99 mmol/L.)
GLUCOSE_UNITS = (
    UnitDef("mmol/L", "mmol/L", Decimal(1), systems=frozenset({SI})),
    UnitDef("mg/dL", "mg/dL", Decimal(1), Decimal(18), systems=frozenset({US})),
)

# Cell counts: 10*9/L ≡ 10*3/uL (1:1); /mm³ × 0.001 (§1.1). "G/L" is the French spelling of
# 10⁹/L; it only resolves for counts, never for grams (each analyte has its own units).
COUNT_UNITS = (
    UnitDef(
        "10*9/L",
        "×10⁹/L",
        Decimal(1),
        systems=frozenset({SI}),
        aliases=("G/L", "10^9/L", "x10^9/L", "x10E9/L", "10E9/L", "/nL"),
    ),
    UnitDef(
        "10*3/uL",
        "×10³/µL",
        Decimal(1),
        systems=frozenset({US}),
        aliases=("10*3/µL", "10^3/uL", "10^3/µL", "x10^3/uL", "x10^3/µL", "K/uL", "K/µL"),
    ),
    UnitDef(
        "/mm3",
        "/mm³",
        Decimal("0.001"),
        systems=frozenset(),
        aliases=("mm-3", "/uL", "/µL", "cells/mm3", "cells/uL", "cells/µL"),
    ),
)

# Enzymes: U/L × 0.01667 = µkat/L (§1.1), so µkat/L ÷ 0.01667 = U/L. French labs write "UI/L".
ENZYME_UNITS = (
    UnitDef("U/L", "U/L", Decimal(1), aliases=("UI/L", "IU/L")),
    UnitDef("ukat/L", "µkat/L", Decimal(1), Decimal("0.01667"), systems=frozenset()),
)

BP_UNITS = (UnitDef("mm[Hg]", "mmHg", Decimal(1), aliases=("mm Hg",)),)

# Sort order follows the entry form: drug, kidney, glucose, blood count, liver, electrolytes,
# urine, vitals; within a panel, the order of the issue.

ANALYTES: tuple[AnalyteDef, ...] = (
    AnalyteDef(
        code="tacrolimus",
        loinc="77348-1",
        name_en="Tacrolimus trough (C0)",
        name_fr="Tacrolimus, concentration résiduelle (C0)",
        panel="drug",
        canonical_unit="ng/mL",
        units=(
            UnitDef("ng/mL", "ng/mL", Decimal(1)),
            # Same number as ng/mL; French labs often print µg/L.
            UnitDef("ug/L", "µg/L", Decimal(1), systems=frozenset(), aliases=("mcg/L",)),
            # 1 ng/mL = 1.244 nmol/L, so nmol/L ÷ 1.244 = ng/mL.
            UnitDef("nmol/L", "nmol/L", Decimal(1), Decimal("1.244"), systems=frozenset()),
        ),
        decimal_places=1,
        # No "normal" range: the therapeutic target is per patient (A1), not a reference.
        reference_female=NO_LIMIT,
        reference_male=NO_LIMIT,
        # No published panic value; > 15 ng/mL is *urgent* in rules.py, not critical (A1, §1.2).
        critical=NO_LIMIT,
        # Product decision: ≤ 0 or > 40 ng/mL (5× the top of the 6–8 band, A1) needs an
        # explicit confirmation, which catches 70 typed for 7.0 (issue #3). Above 100 ng/mL the
        # entry forms refuse the value outright (forms.results.TROUGH_MEASURABLE_MAX).
        plausible=_positive_up_to("40"),
        source=(
            f"{REF} §1.1: LOINC 77348-1 [S1]; 1 ng/mL = 1 µg/L = 1.244 nmol/L (unverified here, "
            "consistent with [S21b]); no reference range (target per patient, A1); no critical "
            "value (§1.2; > 15 ng/mL is urgent, A1); plausible (0, 40] ng/mL: product decision"
        ),
        sort_order=10,
    ),
    AnalyteDef(
        code="creatinine",
        # The moles code, because values are stored in µmol/L; 2160-0 is the mass code (mg/dL).
        loinc="14682-9",
        name_en="Creatinine",
        name_fr="Créatinine",
        panel="kidney",
        canonical_unit="umol/L",
        units=(
            UnitDef("umol/L", "µmol/L", Decimal(1), systems=frozenset({SI})),
            UnitDef("mg/dL", "mg/dL", Decimal("88.4"), systems=frozenset({US})),
        ),
        decimal_places=0,
        reference_female=Range(Decimal(52), Decimal(92)),
        reference_male=Range(Decimal(65), Decimal(119)),
        # ≥ 5.0 mg/dL = ≥ 442 µmol/L (the AKI delta rule lives in rules, §2.2).
        critical=_critical_when(at_or_above=Decimal(442)),
        plausible=_positive_up_to("2500"),
        source=(
            f"{REF} §1.1: LOINC 14682-9 [S4]; mg/dL × 88.4 = µmol/L [S16]; reference F 52–92, "
            "M 65–119 µmol/L [S37a] (secondary, unverified at source); "
            f"{REF} §1.2: critical ≥ 5.0 mg/dL = 442 µmol/L [S36c]; "
            "plausible (0, 2500] µmol/L (unverified here)"
        ),
        sort_order=20,
    ),
    AnalyteDef(
        code="egfr",
        loinc="98979-8",
        name_en="eGFR (CKD-EPI 2021)",
        name_fr="DFG estimé (CKD-EPI 2021)",
        panel="kidney",
        canonical_unit="mL/min/{1.73_m2}",
        units=(
            UnitDef(
                "mL/min/{1.73_m2}",
                "mL/min/1.73 m²",
                Decimal(1),
                aliases=("mL/min/1.73m2", "mL/min/1.73 m2", "mL/min/1.73m²"),
            ),
        ),
        decimal_places=0,
        reference_female=Range(Decimal(60), None),
        reference_male=Range(Decimal(60), None),
        critical=NO_LIMIT,
        plausible=_positive_up_to("200"),
        source=(
            f"{REF} §1.1: LOINC 98979-8 (unverified here); reference ≥ 60 mL/min/1.73 m² [S5]; "
            "no critical value in §1.2; plausible (0, 200] (unverified here)"
        ),
        sort_order=30,
    ),
    AnalyteDef(
        code="glucose-fasting",
        # §1.1 code (a mass code although values are stored in mmol/L).
        loinc="1558-6",
        name_en="Glucose, fasting",
        name_fr="Glycémie à jeun",
        panel="glucose",
        canonical_unit="mmol/L",
        units=GLUCOSE_UNITS,
        decimal_places=1,
        # Normal < 5.6 mmol/L (< 100 mg/dL); lower limit 3.9 mmol/L (≈ 70 mg/dL). The clinic
        # states its thresholds in mmol/L (A3), so 100 mg/dL = 5.56 mmol/L counts as normal.
        reference_female=Range(Decimal("3.9"), Decimal("5.6"), high_inclusive=False),
        reference_male=Range(Decimal("3.9"), Decimal("5.6"), high_inclusive=False),
        critical=_critical_when(at_or_below=Decimal("2.8"), at_or_above=Decimal(25)),
        plausible=_positive_up_to("60"),
        source=(
            f"{REF} §1.1: LOINC 1558-6 (unverified here); mg/dL ÷ 18 = mmol/L; reference "
            "< 5.6 mmol/L [S13], lower limit 3.9 mmol/L (≈ 70 mg/dL, unverified here); "
            f"{REF} A3 and §1.2: critical ≤ 2.8 or ≥ 25 mmol/L (≤ 50 / ≥ 450 mg/dL) [S36]; "
            "plausible (0, 60] mmol/L (unverified here)"
        ),
        sort_order=40,
    ),
    AnalyteDef(
        code="glucose-random",
        loinc="2345-7",
        name_en="Glucose, random",
        name_fr="Glycémie (non à jeun)",
        panel="glucose",
        canonical_unit="mmol/L",
        units=GLUCOSE_UNITS,
        decimal_places=1,
        # < 140 mg/dL typical ≈ < 7.8 mmol/L.
        reference_female=Range(Decimal("3.9"), Decimal("7.8"), high_inclusive=False),
        reference_male=Range(Decimal("3.9"), Decimal("7.8"), high_inclusive=False),
        critical=_critical_when(at_or_below=Decimal("2.8"), at_or_above=Decimal(25)),
        plausible=_positive_up_to("60"),
        source=(
            f"{REF} §1.1: LOINC 2345-7 [S9]; mg/dL ÷ 18 = mmol/L; reference < 7.8 mmol/L "
            "(< 140 mg/dL, unverified here), lower limit 3.9 mmol/L (unverified here); "
            f"{REF} A3 and §1.2: critical ≤ 2.8 or ≥ 25 mmol/L [S36]; "
            "plausible (0, 60] mmol/L (unverified here)"
        ),
        sort_order=50,
    ),
    AnalyteDef(
        code="hba1c",
        loinc="4548-4",
        name_en="HbA1c",
        name_fr="Hémoglobine glyquée (HbA1c)",
        panel="glucose",
        canonical_unit="%",
        # Only %: IFCC mmol/mol = 10.929 × (NGSP % − 2.15) is affine, not a ratio, so it does
        # not fit multiply_by/divide_by. A lab sending mmol/mol gets a KeyError, not a guess.
        units=(UnitDef("%", "%", Decimal(1)),),
        decimal_places=1,
        reference_female=Range(None, Decimal("5.7"), high_inclusive=False),
        reference_male=Range(None, Decimal("5.7"), high_inclusive=False),
        critical=NO_LIMIT,
        plausible=_positive_up_to("20"),
        source=(
            f"{REF} §1.1: LOINC 4548-4 (unverified here); reference < 5.7 % [S13]; no critical "
            "value in §1.2; plausible (0, 20] % (unverified here)"
        ),
        sort_order=60,
    ),
    AnalyteDef(
        code="haemoglobin",
        loinc="718-7",
        name_en="Haemoglobin",
        name_fr="Hémoglobine",
        panel="blood-count",
        canonical_unit="g/L",
        units=(
            UnitDef("g/L", "g/L", Decimal(1), systems=frozenset({SI})),
            UnitDef("g/dL", "g/dL", Decimal(10), systems=frozenset({US})),
            # g/dL × 0.6206 = mmol/L, so g/L = mmol/L × 10 ÷ 0.6206.
            UnitDef("mmol/L", "mmol/L", Decimal(10), Decimal("0.6206"), systems=frozenset()),
        ),
        decimal_places=0,
        # Lower limits: WHO anaemia < 12.0 g/dL (women), < 13.0 g/dL (men).
        reference_female=Range(Decimal(120), Decimal(160)),
        reference_male=Range(Decimal(130), Decimal(170)),
        critical=_critical_when(below=Decimal(70)),
        plausible=_positive_up_to("250"),
        source=(
            f"{REF} §1.1: LOINC 718-7 (unverified here); g/dL × 10 = g/L, g/dL × 0.6206 = "
            "mmol/L [S10]; lower limits F 120, M 130 g/L [S37d]; upper limits F 160, "
            f"M 170 g/L (unverified here); {REF} §1.2: critical < 7.0 g/dL = 70 g/L [S36]; "
            "plausible (0, 250] g/L (unverified here)"
        ),
        sort_order=70,
    ),
    AnalyteDef(
        code="haematocrit",
        loinc="4544-3",
        name_en="Haematocrit",
        name_fr="Hématocrite",
        panel="blood-count",
        # In % because the clinic's threshold is stated in % (A1: < 30 %).
        canonical_unit="%",
        units=(
            UnitDef("%", "%", Decimal(1)),
            UnitDef("L/L", "L/L", Decimal(100), systems=frozenset()),
        ),
        decimal_places=1,
        reference_female=Range(Decimal(36), Decimal(46)),
        reference_male=Range(Decimal(40), Decimal(52)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("80"),
        source=(
            "LOINC 4544-3 (unverified here); L/L × 100 = %; reference F 36–46 %, M 40–52 % "
            "(unverified here); no critical value in §1.2; plausible (0, 80] % "
            "(unverified here)"
        ),
        sort_order=80,
    ),
    AnalyteDef(
        code="mcv",
        loinc="787-2",
        name_en="MCV",
        name_fr="VGM (volume globulaire moyen)",
        panel="blood-count",
        canonical_unit="fL",
        units=(UnitDef("fL", "fL", Decimal(1), aliases=("um3", "µm3", "µm³")),),
        decimal_places=1,
        reference_female=Range(Decimal(80), Decimal(100)),
        reference_male=Range(Decimal(80), Decimal(100)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("200"),
        source=(
            "LOINC 787-2 (unverified here); reference 80–100 fL (unverified here); "
            f"no critical value in {REF} §1.2 (BSR action > 105 fL lives in rules, A3 [S45]); "
            "plausible (0, 200] fL (unverified here)"
        ),
        sort_order=90,
    ),
    AnalyteDef(
        code="wbc",
        loinc="6690-2",
        name_en="White blood cells",
        name_fr="Leucocytes",
        panel="blood-count",
        canonical_unit="10*9/L",
        units=COUNT_UNITS,
        decimal_places=2,
        reference_female=Range(Decimal(4), Decimal(11)),
        reference_male=Range(Decimal(4), Decimal(11)),
        critical=_critical_when(below=Decimal("1.0")),
        plausible=_zero_up_to("500"),
        source=(
            f"{REF} §1.1: LOINC 6690-2 [S7]; 10*9/L = 10*3/uL, /mm³ × 0.001; reference "
            "4–11 ×10⁹/L (CTC IG example [S7]; US Core example 4.5–11.0); "
            f"{REF} §1.2: critical < 1.0 ×10⁹/L [S36]; plausible [0, 500] (unverified here)"
        ),
        sort_order=100,
    ),
    AnalyteDef(
        code="neutrophils",
        loinc="751-8",
        name_en="Neutrophils",
        name_fr="Polynucléaires neutrophiles",
        panel="blood-count",
        canonical_unit="10*9/L",
        units=COUNT_UNITS,
        decimal_places=2,
        reference_female=Range(Decimal(2), Decimal("7.5")),
        reference_male=Range(Decimal(2), Decimal("7.5")),
        critical=_critical_when(below=Decimal("0.5")),
        plausible=_zero_up_to("500"),
        source=(
            f"{REF} §1.1: LOINC 751-8 (unverified here); reference 2.0–7.5 ×10⁹/L [S7]; "
            f"{REF} §1.2: critical < 0.5 ×10⁹/L [S36]; plausible [0, 500] (unverified here)"
        ),
        sort_order=110,
    ),
    AnalyteDef(
        code="lymphocytes",
        loinc="731-0",
        name_en="Lymphocytes",
        name_fr="Lymphocytes",
        panel="blood-count",
        canonical_unit="10*9/L",
        units=COUNT_UNITS,
        decimal_places=2,
        reference_female=Range(Decimal(1), Decimal("4.8")),
        reference_male=Range(Decimal(1), Decimal("4.8")),
        critical=NO_LIMIT,
        plausible=_zero_up_to("500"),
        source=(
            f"{REF} §1.1: LOINC 731-0 [S7]; reference 1.0–4.8 ×10⁹/L [S7]; no critical value "
            "in §1.2; plausible [0, 500] (unverified here)"
        ),
        sort_order=120,
    ),
    AnalyteDef(
        code="eosinophils",
        loinc="711-2",
        name_en="Eosinophils",
        name_fr="Polynucléaires éosinophiles",
        panel="blood-count",
        canonical_unit="10*9/L",
        units=COUNT_UNITS,
        decimal_places=2,
        reference_female=Range(Decimal(0), Decimal("0.5")),
        reference_male=Range(Decimal(0), Decimal("0.5")),
        critical=NO_LIMIT,
        plausible=_zero_up_to("100"),
        source=(
            "LOINC 711-2 (unverified here); reference 0–0.5 ×10⁹/L (unverified here; BSR "
            f"action > 0.5, {REF} A3 [S45]); no critical value in §1.2; plausible [0, 100] "
            "(unverified here)"
        ),
        sort_order=130,
    ),
    AnalyteDef(
        code="platelets",
        loinc="777-3",
        name_en="Platelets",
        name_fr="Plaquettes",
        panel="blood-count",
        canonical_unit="10*9/L",
        units=COUNT_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(150), Decimal(450)),
        reference_male=Range(Decimal(150), Decimal(450)),
        # < 20 critical; < 50 is urgent, which belongs to the rules, not to this range.
        critical=_critical_when(below=Decimal(20)),
        plausible=_zero_up_to("5000"),
        source=(
            f"{REF} §1.1: LOINC 777-3 (unverified here); reference 150–450 ×10⁹/L [S7]; "
            f"{REF} §1.2: critical < 20 ×10⁹/L [S36]; plausible [0, 5000] (unverified here)"
        ),
        sort_order=140,
    ),
    AnalyteDef(
        code="alt",
        loinc="1742-6",
        name_en="ALT",
        name_fr="ALAT (transaminase)",
        panel="liver",
        canonical_unit="U/L",
        units=ENZYME_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(8), Decimal(41)),
        reference_male=Range(Decimal(9), Decimal(59)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("20000"),
        source=(
            f"{REF} §1.1: LOINC 1742-6 [S8]; U/L × 0.01667 = µkat/L; IFCC reference F 8–41, "
            "M 9–59 U/L [S37c]; no critical value in §1.2; plausible (0, 20000] U/L "
            "(unverified here)"
        ),
        sort_order=150,
    ),
    AnalyteDef(
        code="ast",
        loinc="1920-8",
        name_en="AST",
        name_fr="ASAT (transaminase)",
        panel="liver",
        canonical_unit="U/L",
        units=ENZYME_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(11), Decimal(34)),
        reference_male=Range(Decimal(11), Decimal(34)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("20000"),
        source=(
            f"{REF} §1.1: LOINC 1920-8 [S8]; U/L × 0.01667 = µkat/L; IFCC reference 11–34 U/L "
            "both sexes [S37c]; no critical value in §1.2; plausible (0, 20000] U/L "
            "(unverified here)"
        ),
        sort_order=160,
    ),
    AnalyteDef(
        code="alkaline-phosphatase",
        loinc="6768-6",
        name_en="Alkaline phosphatase",
        name_fr="Phosphatases alcalines",
        panel="liver",
        canonical_unit="U/L",
        units=ENZYME_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(35), Decimal(105)),
        reference_male=Range(Decimal(40), Decimal(130)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("5000"),
        source=(
            f"{REF} §1.1: LOINC 6768-6 [S8]; U/L × 0.01667 = µkat/L; reference F 35–105, "
            "M 40–130 U/L (unverified here); no critical value in §1.2; plausible (0, 5000] U/L "
            "(unverified here)"
        ),
        sort_order=170,
    ),
    AnalyteDef(
        code="ggt",
        loinc="2324-2",
        name_en="GGT",
        name_fr="Gamma-GT (GGT)",
        panel="liver",
        canonical_unit="U/L",
        units=ENZYME_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(6), Decimal(40)),
        reference_male=Range(Decimal(8), Decimal(61)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("5000"),
        source=(
            f"{REF} §1.1: LOINC 2324-2 (unverified here); U/L × 0.01667 = µkat/L; IFCC "
            "reference F 6–40 U/L [S37c], M 8–61 U/L (unverified here); no critical value in "
            "§1.2; plausible (0, 5000] U/L (unverified here)"
        ),
        sort_order=180,
    ),
    AnalyteDef(
        code="albumin",
        loinc="1751-7",
        name_en="Albumin",
        name_fr="Albumine",
        panel="liver",
        canonical_unit="g/L",
        units=(
            UnitDef("g/L", "g/L", Decimal(1), systems=frozenset({SI})),
            UnitDef("g/dL", "g/dL", Decimal(10), systems=frozenset({US})),
        ),
        decimal_places=1,
        reference_female=Range(Decimal(35), Decimal(50)),
        reference_male=Range(Decimal(35), Decimal(50)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("80"),
        source=(
            "LOINC 1751-7 (unverified here); g/dL × 10 = g/L; reference 35–50 g/L "
            f"(unverified here; BSR action < 30 g/L, {REF} A3 [S45]); no critical value in "
            "§1.2; plausible (0, 80] g/L (unverified here)"
        ),
        sort_order=190,
    ),
    AnalyteDef(
        code="uric-acid",
        # §1.1 code (Urate [Mass/volume]) although values are stored in µmol/L.
        loinc="3084-1",
        name_en="Uric acid",
        name_fr="Acide urique (uricémie)",
        # With the chemistry of A3 (potassium, magnesium); keeps the order.
        panel="electrolytes",
        canonical_unit="umol/L",
        units=(
            UnitDef("umol/L", "µmol/L", Decimal(1), systems=frozenset({SI})),
            UnitDef("mg/dL", "mg/dL", Decimal("59.48"), systems=frozenset({US})),
        ),
        decimal_places=0,
        reference_female=Range(Decimal(155), Decimal(357)),
        reference_male=Range(Decimal(208), Decimal(428)),
        critical=NO_LIMIT,
        plausible=_positive_up_to("2000"),
        source=(
            f"{REF} §1.1: LOINC 3084-1 [S9]; mg/dL × 59.48 = µmol/L; reference F 155–357, "
            "M 208–428 µmol/L [S37b]; no critical value in §1.2; plausible (0, 2000] µmol/L "
            "(unverified here)"
        ),
        sort_order=200,
    ),
    AnalyteDef(
        code="potassium",
        loinc="2823-3",
        name_en="Potassium",
        name_fr="Potassium (kaliémie)",
        panel="electrolytes",
        canonical_unit="mmol/L",
        units=(UnitDef("mmol/L", "mmol/L", Decimal(1), aliases=("mEq/L",)),),
        decimal_places=1,
        reference_female=Range(Decimal("3.5"), Decimal("5.1")),
        reference_male=Range(Decimal("3.5"), Decimal("5.1")),
        critical=_critical_when(at_or_below=Decimal("2.8"), at_or_above=Decimal("6.0")),
        plausible=_positive_up_to("15"),
        source=(
            f"{REF} §1.1: LOINC 2823-3 [S6]; mmol/L = mEq/L; reference 3.5–5.1 mmol/L "
            f"(unverified here); {REF} §1.2 and A3: critical ≤ 2.8 or ≥ 6.0 mmol/L [S36]; "
            "plausible (0, 15] mmol/L (unverified here)"
        ),
        sort_order=210,
    ),
    AnalyteDef(
        code="magnesium",
        # The moles code, because values are stored in mmol/L; 19123-9 is the mass code.
        loinc="2601-3",
        name_en="Magnesium",
        name_fr="Magnésium (magnésémie)",
        panel="electrolytes",
        canonical_unit="mmol/L",
        # No mEq/L alias on purpose: magnesium is divalent, 1 mmol/L = 2 mEq/L.
        units=(
            UnitDef("mmol/L", "mmol/L", Decimal(1), systems=frozenset({SI})),
            UnitDef("mg/dL", "mg/dL", Decimal("0.4114"), systems=frozenset({US})),
        ),
        decimal_places=2,
        reference_female=Range(Decimal("0.70"), Decimal("1.00")),
        reference_male=Range(Decimal("0.70"), Decimal("1.00")),
        # ≤ 1.0 mg/dL × 0.4114 = ≤ 0.4114 mmol/L, kept exact so 1.0 mg/dL stays critical.
        critical=_critical_when(at_or_below=Decimal("0.4114")),
        plausible=_positive_up_to("10"),
        source=(
            f"{REF} §1.1: LOINC 2601-3 [S6]; mg/dL × 0.4114 = mmol/L; reference 0.70–1.00 "
            f"mmol/L (unverified here); {REF} §1.2: critical ≤ 1.0 mg/dL = 0.4114 mmol/L "
            "[S36]; plausible (0, 10] mmol/L (unverified here)"
        ),
        sort_order=220,
    ),
    AnalyteDef(
        code="upcr",
        # §1.1 code (Protein/Creatinine [Mass Ratio]); 34366-5 is the generic [Ratio] code.
        loinc="2890-2",
        name_en="Urine protein/creatinine ratio",
        name_fr="Rapport protéinurie/créatininurie",
        panel="urine",
        canonical_unit="mg/mmol",
        units=(
            UnitDef("mg/mmol", "mg/mmol", Decimal(1), systems=frozenset({SI})),
            # mg/g ÷ 8.84 = mg/mmol (creatinine 113.12 g/mol).
            UnitDef("mg/g", "mg/g", Decimal(1), Decimal("8.84"), systems=frozenset({US})),
            UnitDef(
                "g/g",
                "g/g",
                Decimal(1000),
                Decimal("8.84"),
                systems=frozenset(),
                aliases=("mg/mg",),
            ),
        ),
        decimal_places=1,
        # < 0.15 g/g = < 16.97 mg/mmol, rounded to < 17 mg/mmol.
        reference_female=Range(None, Decimal(17), high_inclusive=False),
        reference_male=Range(None, Decimal(17), high_inclusive=False),
        critical=NO_LIMIT,
        plausible=_zero_up_to("5000"),
        source=(
            f"{REF} §1.1: LOINC 2890-2 [S9]; mg/g ÷ 8.84 = mg/mmol; reference < 0.15 g/g "
            "(unverified here) ≈ < 17 mg/mmol; no critical value in §1.2; plausible "
            "[0, 5000] mg/mmol (unverified here)"
        ),
        sort_order=230,
    ),
    AnalyteDef(
        code="bp-systolic",
        loinc="8480-6",
        name_en="Systolic blood pressure",
        name_fr="Pression artérielle systolique",
        panel="vitals",
        canonical_unit="mm[Hg]",
        units=BP_UNITS,
        decimal_places=0,
        # Hypotension < 90, hypertension ≥ 140 (ESC/ESH office thresholds).
        reference_female=Range(Decimal(90), Decimal(140), high_inclusive=False),
        reference_male=Range(Decimal(90), Decimal(140), high_inclusive=False),
        critical=NO_LIMIT,
        # Low bound 50 catches "14" typed for 140 (French habit of saying "14/9" in cmHg).
        plausible=Range(Decimal(50), Decimal(300)),
        source=(
            "LOINC 8480-6 (unverified here); reference 90–139 mmHg (< 140, unverified here); "
            f"no critical value in {REF} §1.2; plausible [50, 300] mmHg (unverified here)"
        ),
        sort_order=240,
    ),
    AnalyteDef(
        code="bp-diastolic",
        loinc="8462-4",
        name_en="Diastolic blood pressure",
        name_fr="Pression artérielle diastolique",
        panel="vitals",
        canonical_unit="mm[Hg]",
        units=BP_UNITS,
        decimal_places=0,
        reference_female=Range(Decimal(60), Decimal(90), high_inclusive=False),
        reference_male=Range(Decimal(60), Decimal(90), high_inclusive=False),
        critical=NO_LIMIT,
        # Low bound 20 catches "9" typed for 90 (cmHg habit).
        plausible=Range(Decimal(20), Decimal(200)),
        source=(
            "LOINC 8462-4 (unverified here); reference 60–89 mmHg (< 90, unverified here); "
            f"no critical value in {REF} §1.2; plausible [20, 200] mmHg (unverified here)"
        ),
        sort_order=250,
    ),
)

BY_CODE: dict[str, AnalyteDef] = {analyte.code: analyte for analyte in ANALYTES}

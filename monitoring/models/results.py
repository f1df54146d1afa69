"""The analyte catalogue and lab results."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..catalogue.analytes import Range
from .people import Patient, User


class Panel(models.TextChoices):
    """Groups of the entry form and the patient page, in clinical order."""

    DRUG = "drug", _("Drug level")
    KIDNEY = "kidney", _("Kidney")
    GLUCOSE = "glucose", _("Glucose")
    BLOOD_COUNT = "blood-count", _("Blood count")
    LIVER = "liver", _("Liver")
    ELECTROLYTES = "electrolytes", _("Electrolytes and uric acid")
    URINE = "urine", _("Urine")
    VITALS = "vitals", _("Blood pressure")


class Flag(models.TextChoices):
    # Interpretation flags as in HL7 v2 OBX-8 / FHIR ObservationInterpretation.
    CRITICAL_LOW = "LL", _("Critically low")
    LOW = "L", _("Low")
    HIGH = "H", _("High")
    CRITICAL_HIGH = "HH", _("Critically high")


def _decimal(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True, **kwargs)


class Analyte(models.Model):
    """What a result measures. Seeded by data migrations from monitoring/catalogue/analytes.py;
    editable in the admin (audited). All limits are in the canonical unit."""

    TACROLIMUS = "tacrolimus"

    code = models.SlugField(max_length=40, unique=True)
    loinc = models.CharField("LOINC", max_length=20, blank=True)
    name = models.CharField("name (English)", max_length=200)
    name_fr = models.CharField("name (French)", max_length=200, blank=True)
    panel = models.CharField(max_length=20, choices=Panel.choices, default=Panel.DRUG)
    sort_order = models.PositiveSmallIntegerField(default=0)
    unit = models.CharField(
        max_length=30, help_text="Canonical unit (UCUM) in which values are stored"
    )
    decimal_places = models.PositiveSmallIntegerField(default=1)
    # Ranges in the canonical unit with the semantics of catalogue.analytes.Range: the values
    # *inside*; a bound is inclusive unless its flag says otherwise; blank = no bound.
    reference_low_female = _decimal()
    reference_high_female = _decimal()
    reference_low_male = _decimal()
    reference_high_male = _decimal()
    reference_low_inclusive = models.BooleanField(default=True)
    reference_high_inclusive = models.BooleanField(default=True)
    critical_low = _decimal(help_text="Values outside the non-critical interval are critical")
    critical_high = _decimal()
    critical_low_inclusive = models.BooleanField(default=True)
    critical_high_inclusive = models.BooleanField(default=True)
    plausible_low = _decimal(help_text="Outside: implausible, saved only with a confirmation")
    plausible_high = _decimal()
    plausible_low_inclusive = models.BooleanField(default=True)
    plausible_high_inclusive = models.BooleanField(default=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where the numbers come from")
    release_policy = models.CharField(
        max_length=15,
        choices=[
            ("immediate", "Shown to the patient at once"),
            ("after-review", "Shown to the patient after a clinician reviewed it"),
        ],
        default="immediate",
        help_text="When patients and family see a result of this test (issue #5)",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def display_name(self) -> str:
        """The name in the active language: French when it is French and the catalogue has a
        French name, else English."""
        if self.name_fr and translation.get_language() == "fr":
            return self.name_fr
        return self.name

    @property
    def unit_label(self) -> str:
        """The canonical unit as people write it (µmol/L, ×10⁹/L)."""
        return display_unit(self.unit)

    def _range(self, kind: str, low: Decimal | None, high: Decimal | None) -> Range:
        return Range(
            low,
            high,
            getattr(self, f"{kind}_low_inclusive"),
            getattr(self, f"{kind}_high_inclusive"),
        )

    def reference_range(self, sex: str) -> Range:
        if sex == "M":
            return self._range("reference", self.reference_low_male, self.reference_high_male)
        return self._range("reference", self.reference_low_female, self.reference_high_female)

    def is_plausible(self, value: Decimal) -> bool:
        return self._range("plausible", self.plausible_low, self.plausible_high).contains(value)

    def is_critical(self, value: Decimal) -> bool:
        return not self._range("critical", self.critical_low, self.critical_high).contains(value)

    def flag(
        self,
        value: Decimal,
        *,
        sex: str,
        low: Decimal | None = None,
        high: Decimal | None = None,
    ) -> str:
        """'LL', 'L', 'H', 'HH' or '' for a value in the canonical unit.

        The lab's own range (`low`/`high`, inclusive) wins over the catalogue default for the
        sex (clinical-reference.md §1.1, A3: reference intervals are lab-specific). Critical
        limits follow §1.2 as stored.
        """
        if self.is_critical(value):
            is_low = self.critical_low is not None and value <= self.critical_low
            return Flag.CRITICAL_LOW if is_low else Flag.CRITICAL_HIGH
        reference = (
            Range(low, high) if low is not None or high is not None else self.reference_range(sex)
        )
        if reference.contains(value):
            return ""
        below = reference.low is not None and value <= reference.low
        return Flag.LOW if below else Flag.HIGH


class AnalyteUnit(models.Model):
    """A unit a value may be entered in, with its exact conversion to the canonical unit:
    canonical = value × multiply_by ÷ divide_by (a ratio keeps ÷1.244-type factors exact)."""

    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=30, help_text="UCUM code")
    label = models.CharField(max_length=30)
    multiply_by = models.DecimalField(max_digits=20, decimal_places=10, default=1)
    divide_by = models.DecimalField(max_digits=20, decimal_places=10, default=1)
    is_si_default = models.BooleanField("default in SI clinics", default=False)
    is_us_default = models.BooleanField("default in US-unit clinics", default=False)
    aliases = models.JSONField(default=list, blank=True, help_text="Other spellings labs send")
    history = HistoricalRecords()

    class Meta:
        ordering = ["analyte", "-is_si_default", "code"]
        constraints = [
            models.UniqueConstraint(fields=["analyte", "code"], name="analyte_unit_unique"),
            models.CheckConstraint(condition=Q(multiply_by__gt=0), name="unit_multiply_positive"),
            models.CheckConstraint(condition=Q(divide_by__gt=0), name="unit_divide_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    def to_canonical(self, value: Decimal) -> Decimal:
        return to_canonical(value, self.multiply_by, self.divide_by)

    def from_canonical(self, value: Decimal) -> Decimal:
        return to_canonical(value, self.divide_by, self.multiply_by)


def to_canonical(value: Decimal, multiply_by: Decimal, divide_by: Decimal) -> Decimal:
    """Exact ratio conversion, kept to the 6 decimal places a result stores."""
    with localcontext() as context:
        context.prec = 40
        converted = value * multiply_by / divide_by
    return converted.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize() + 0


class ResultStatus(models.TextChoices):
    # FHIR ObservationStatus codes; labs send P, F and C in HL7 OBX-11 (issue #6).
    PRELIMINARY = "preliminary", _("Preliminary")
    FINAL = "final", _("Final")
    CORRECTED = "corrected", _("Corrected")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


class Comparator(models.TextChoices):
    """A censored value ("<2.0 ng/mL", below the assay's limit): `value` holds the limit.

    FHIR Quantity.comparator codes; HL7 OBX-2 SN sends them in its first component."""

    EXACT = "", _("exactly")
    LT = "<", "<"
    LE = "<=", "≤"
    GT = ">", ">"
    GE = ">=", "≥"


class LabResultQuerySet(models.QuerySet):
    def valid(self) -> LabResultQuerySet:
        """Results that count: charts and rules never see entered-in-error values."""
        return self.exclude(status=ResultStatus.ENTERED_IN_ERROR)

    def troughs(self) -> LabResultQuerySet:
        return self.filter(analyte__code=Analyte.TACROLIMUS)

    def for_patient(self, patient: Patient) -> LabResultQuerySet:
        return self.filter(patient=patient)

    def released(self) -> LabResultQuerySet:
        """What the patient and family may see: results of tests released at once, and held
        ones a clinician has reviewed (the analyte's release policy)."""
        return self.filter(Q(analyte__release_policy="immediate") | Q(reviewed_at__isnull=False))

    def held(self) -> LabResultQuerySet:
        return self.filter(analyte__release_policy="after-review", reviewed_at__isnull=True)

    def latest_per_analyte(self, *, released_only: bool = False) -> LabResultQuerySet:
        """The newest valid result of each analyte (of those released to the patient, if
        asked): one query, whatever the history length (the correlated subquery walks the
        result_series index)."""
        candidates = LabResult.objects.valid()
        if released_only:
            candidates = candidates.released()
        newest = (
            candidates.filter(
                patient=models.OuterRef("patient"), analyte=models.OuterRef("analyte")
            )
            .order_by("-collected_at", "-pk")
            .values("pk")[:1]
        )
        return self.valid().filter(pk=models.Subquery(newest))


class LabResult(models.Model):
    """One measured value. Values are stored in the analyte's canonical unit."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="results")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="results")
    value = models.DecimalField(max_digits=16, decimal_places=6, help_text="Canonical unit")
    unit = models.CharField(max_length=30, help_text="The analyte's canonical unit")
    # What was typed or sent, before conversion: nothing entered is lost.
    value_as_entered = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    unit_as_entered = models.CharField(max_length=30, blank=True)
    # The lab's own reference range (canonical unit), which wins over the catalogue default.
    reference_low = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    # An implausible value saved anyway: who confirmed it was right, and when.
    plausibility_confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plausibility_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Derived values (eGFR by CKD-EPI 2021) name their method and the result they come from.
    derived_method = models.CharField(max_length=100, blank=True)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived"
    )
    # Held results (release policy "after-review") reach the portal once reviewed.
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(_("sample time"))
    last_dose_at = models.DateTimeField(
        _("time of last dose"),
        null=True,
        blank=True,
        help_text="For drug levels: when the dose before the sample was taken",
    )
    entered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now, editable=False)
    status = models.CharField(
        max_length=20, choices=ResultStatus.choices, default=ResultStatus.FINAL
    )
    comment = models.CharField(max_length=500, blank=True)
    # A value below or above what the assay measures; rules see the limit (see Comparator).
    comparator = models.CharField(
        max_length=2, choices=Comparator.choices, default=Comparator.EXACT, blank=True
    )
    # Results sent by a laboratory interface name the message they came in (issue #6).
    source_message = models.ForeignKey(
        "InboundMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="results",
    )
    history = HistoricalRecords()

    objects = LabResultQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at"]
        indexes = [
            models.Index(fields=["patient", "analyte", "-collected_at"], name="result_series"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ResultStatus.values), name="result_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="result_comparator_valid"
            ),
            models.CheckConstraint(
                condition=Q(last_dose_at__isnull=True)
                | Q(last_dose_at__lte=models.F("collected_at")),
                name="result_last_dose_before_sample",
            ),
            # A second valid result for the same patient, analyte and time is a duplicate.
            models.UniqueConstraint(
                fields=["patient", "analyte", "collected_at"],
                condition=~Q(status="entered-in-error"),
                name="result_unique_valid_per_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.analyte.name} {self.value_display} at {self.collected_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        errors = {}
        if self.last_dose_at and self.collected_at and self.last_dose_at > self.collected_at:
            errors["last_dose_at"] = _("The last dose must be before the sample time.")
        if self.collected_at and self.collected_at > timezone.now() + dt.timedelta(minutes=5):
            errors["collected_at"] = _("The sample time is in the future.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == ResultStatus.ENTERED_IN_ERROR

    @property
    def value_display(self) -> str:
        """The value in the canonical unit, with its unit: '7.1 ng/mL', '106 µmol/L'.

        Typed in the canonical unit: as typed. Converted: at the analyte's precision."""
        # A censored value reads "<2.0 ng/mL": the limit, never a bare number.
        prefix = self.get_comparator_display() if self.comparator else ""
        if self.value_as_entered is not None and self.unit_as_entered == self.unit:
            shown = format_decimal(self.value_as_entered)
        elif self.value_as_entered is not None:
            # Converted: at the analyte's precision, zeros kept (7.0 mmol/L, not 7).
            places = Decimal(1).scaleb(-self.analyte.decimal_places)
            shown = f"{self.value.quantize(places, rounding=ROUND_HALF_EVEN):f}"
        else:
            shown = format_decimal(self.value)
        return f"{prefix}{shown} {display_unit(self.unit)}"

    @property
    def entered_display(self) -> str:
        """What was typed or sent, when it was another unit: '1.2 mg/dL'."""
        if self.value_as_entered is None or self.unit_as_entered == self.unit:
            return ""
        prefix = self.get_comparator_display() if self.comparator else ""
        entered = format_decimal(self.value_as_entered)
        return f"{prefix}{entered} {display_unit(self.unit_as_entered)}"

    @property
    def flag(self) -> str:
        """L/H against the lab's range or the sex-specific default; LL/HH when critical."""
        return self.analyte.flag(
            self.value, sex=self.patient.sex, low=self.reference_low, high=self.reference_high
        )

    @property
    def hours_after_dose(self) -> float | None:
        if not self.last_dose_at:
            return None
        return (self.collected_at - self.last_dose_at).total_seconds() / 3600


# UCUM codes as people write them; anything else is shown as stored.
UNIT_LABELS = {
    "ug/L": "µg/L",
    "umol/L": "µmol/L",
    "ukat/L": "µkat/L",
    "10*9/L": "×10⁹/L",
    "10*3/uL": "×10³/µL",
    "10*12/L": "×10¹²/L",
    "/mm3": "/mm³",
    "mm[Hg]": "mmHg",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "/min": "/min",
    "L/L": "L/L",
}


def display_unit(code: str) -> str:
    return UNIT_LABELS.get(code, code)


def format_decimal(value: Decimal) -> str:
    """7.1000 → '7.1', 12.0000 → '12'; never scientific notation."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

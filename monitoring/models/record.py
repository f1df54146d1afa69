"""The rest of the clinical record: ECGs, medicines and their interactions, allergies,
vaccinations, pregnancy and breastfeeding, symptoms (clinical-reference.md A4, A5, §7)."""

from __future__ import annotations

from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from .dosing import ClinicalEntry, ends_after_start
from .people import Patient


class ActiveQuerySet(models.QuerySet):
    def valid(self):
        return self.exclude(status=ClinicalEntry.Status.ENTERED_IN_ERROR)


# --- ECG --------------------------------------------------------------------------------------

MAX_TRACING_BYTES = 5 * 1024 * 1024  # a scanned ECG page; larger files are refused


class Rhythm(models.TextChoices):
    SINUS = "sinus", _("Sinus rhythm")
    AF = "af", _("Atrial fibrillation")
    OTHER = "other", _("Other (see comment)")


class QtcMethod(models.TextChoices):
    # Fridericia by default; trends never mix methods (clinical-reference.md §3.1, §2.4).
    FRIDERICIA = "fridericia", "Fridericia"
    BAZETT = "bazett", "Bazett"


class Ecg(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ecgs")
    recorded_at = models.DateTimeField()
    qt_ms = models.PositiveSmallIntegerField(_("QT (ms)"))
    heart_rate_bpm = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    rr_ms = models.PositiveSmallIntegerField(_("RR interval (ms)"), null=True, blank=True)
    qtc_ms = models.PositiveSmallIntegerField(_("QTc (ms)"))
    qtc_method = models.CharField(
        max_length=12, choices=QtcMethod.choices, default=QtcMethod.FRIDERICIA
    )
    qtc_bazett_ms = models.PositiveSmallIntegerField("QTc Bazett (ms)", null=True, blank=True)
    rhythm = models.CharField(max_length=10, choices=Rhythm.choices, default=Rhythm.SINUS)
    comment = models.CharField(max_length=500, blank=True)
    tracing = models.FileField(
        upload_to="ecg/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
        help_text=_("PDF, PNG or JPEG of the tracing, at most 5 MB"),
    )

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "ECG"
        verbose_name_plural = "ECGs"
        constraints = [
            models.CheckConstraint(
                condition=Q(heart_rate_bpm__isnull=False) | Q(rr_ms__isnull=False),
                name="ecg_has_rate_or_rr",
            ),
        ]

    def __str__(self) -> str:
        return f"QTc {self.qtc_ms} ms ({self.get_qtc_method_display()})"


# --- Medicines and interactions ---------------------------------------------------------------


class Effect(models.TextChoices):
    INCREASE = "increase", _("Raises tacrolimus levels")
    DECREASE = "decrease", _("Lowers tacrolimus levels")
    INCREASE_OR_DECREASE = "increase-or-decrease", _("May raise or lower tacrolimus levels")
    KIDNEY = "kidney-toxicity", _("Adds kidney toxicity")
    POTASSIUM = "potassium", _("Adds to high potassium")
    QT = "qt", _("Adds QT prolongation")
    NONE = "none", _("No relevant effect")


class InteractionSeverity(models.TextChoices):
    # Design scale of clinical-reference.md §5.
    # A context of their own: in French an interaction is feminine, a symptom masculine.
    AVOID = "avoid", pgettext_lazy("interaction severity", "Avoid")
    MAJOR = "major", pgettext_lazy("interaction severity", "Major")
    MODERATE = "moderate", pgettext_lazy("interaction severity", "Moderate")
    MINOR = "minor", pgettext_lazy("interaction severity", "Minor")


class InteractingIngredient(models.Model):
    """Catalogue of ingredients that interact with tacrolimus (clinical-reference.md §5),
    seeded from monitoring/catalogue/interactions.py, editable in the admin (audited)."""

    code = models.SlugField(max_length=60, unique=True)
    ingredient = models.CharField(max_length=120)
    names = models.JSONField(
        default=list, help_text="Synonyms and brand names (English, French) a nurse may type"
    )
    drug_class = models.CharField(max_length=120, blank=True)
    mechanism = models.CharField(max_length=300)
    effect = models.CharField(max_length=24, choices=Effect.choices)
    effect_text = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=InteractionSeverity.choices)
    action = models.CharField(max_length=400)
    recheck_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days until a trough recheck (PK interactions)"
    )
    source = models.CharField(max_length=300)
    history = HistoricalRecords()

    class Meta:
        ordering = ["ingredient"]

    def __str__(self) -> str:
        return self.ingredient


class Medication(ClinicalEntry):
    """A concomitant medicine as typed, with its dates; matches are stored as findings."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200, help_text="As written on the prescription")
    dose = models.CharField(max_length=120, blank=True)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    interacting_ingredients = models.ManyToManyField(
        InteractingIngredient, through="InteractionFinding", related_name="medications"
    )

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "name"]
        constraints = [
            ends_after_start("medication_stops_after_start", end="stopped_on"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.started_on <= on and (self.stopped_on is None or self.stopped_on > on)


class InteractionFinding(models.Model):
    """A structured match of a medicine against the interaction catalogue, for the rules."""

    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="findings")
    ingredient = models.ForeignKey(
        InteractingIngredient, on_delete=models.PROTECT, related_name="findings"
    )
    found_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["medication", "ingredient"], name="finding_unique_per_medication"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medication} → {self.ingredient}"


# --- Allergies, vaccinations, pregnancy, symptoms ---------------------------------------------


class Allergy(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    allergy_class = models.CharField(
        max_length=30, help_text="From monitoring/catalogue/allergies.py (e.g. macrolide)"
    )
    is_contraindication = models.BooleanField(
        default=False, help_text="Tacrolimus is contraindicated (macrolide class, §7.4)"
    )
    reaction = models.CharField(max_length=300, blank=True)
    noted_on = models.DateField(default=timezone.localdate)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class Vaccine(models.Model):
    """Vaccine catalogue with the live / not live attribute (clinical-reference.md §7.3)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    names = models.JSONField(default=list, help_text="Brands and French names")
    is_live = models.BooleanField()
    source = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({'live' if self.is_live else 'not live'})"


class Vaccination(ClinicalEntry):
    class State(models.TextChoices):
        GIVEN = "given", _("Given")
        PLANNED = "planned", _("Planned")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="vaccinations")
    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, null=True, blank=True)
    name = models.CharField(max_length=200, help_text="As written")
    state = models.CharField(max_length=10, choices=State.choices)
    date = models.DateField()
    is_live = models.BooleanField(help_text="From the catalogue when matched")

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display().lower()} {self.date})"


class ReproductiveStatus(ClinicalEntry):
    """Pregnancy or breastfeeding, from a date to a date (A5, §7.1, §7.2)."""

    class Kind(models.TextChoices):
        PREGNANT = "pregnant", _("Pregnant")
        BREASTFEEDING = "breastfeeding", _("Breastfeeding")

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="reproductive_statuses"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    comment = models.CharField(max_length=300, blank=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        verbose_name_plural = "pregnancy and breastfeeding"
        constraints = [
            ends_after_start("reproductive_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started_on}"


class Symptom(ClinicalEntry):
    """A symptom to watch on tacrolimus (neurotoxicity and others, A5, §7.5)."""

    class Kind(models.TextChoices):
        TREMOR = "tremor", _("Tremor")
        HEADACHE = "headache", _("Headache")
        PARESTHESIA = "paresthesia", _("Pins and needles (paresthesia)")
        AGITATION = "agitation", _("Agitation")
        ANXIETY = "anxiety", _("Anxiety")
        INSOMNIA = "insomnia", _("Trouble sleeping (insomnia)")
        DIGESTIVE = "digestive", _("Digestive trouble (diarrhoea, nausea)")
        RASH = "rash", _("Skin rash")
        ARTHRALGIA = "arthralgia", _("Joint pain (arthralgia)")
        OTHER = "other", _("Other")

    NEUROTOXICITY = {"tremor", "headache", "paresthesia", "agitation", "anxiety", "insomnia"}

    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="symptoms")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    other_text = models.CharField(_("describe"), max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    comment = models.CharField(max_length=300, blank=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            ends_after_start("symptom_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.other_text if self.kind == self.Kind.OTHER else self.get_kind_display()

    @property
    def is_neurotoxicity(self) -> bool:
        return self.kind in self.NEUROTOXICITY

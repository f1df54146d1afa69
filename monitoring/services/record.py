"""Writes of the clinical record beyond single results: a blood draw's panel, regimens,
weights, ECGs, medicines, allergies, vaccinations, pregnancy and symptoms.

Each function is atomic, validates before it writes and records who did it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from .. import formulas
from ..catalogue.allergies import classify_allergy
from ..catalogue.matching import find_matches
from ..catalogue.vaccines import match_vaccine as find_vaccine
from ..models import (
    PRODUCTS,
    Alert,
    Allergy,
    Analyte,
    AnalyteUnit,
    ClinicalEntry,
    Ecg,
    Formulation,
    InteractingIngredient,
    InteractionFinding,
    LabResult,
    Medication,
    Patient,
    QtcMethod,
    Regimen,
    ReproductiveStatus,
    Symptom,
    User,
    Vaccination,
    Vaccine,
    Weight,
    format_decimal,
)
from .alerts import RuleSession, evaluate_record, evaluate_result
from .base import _audit
from .results import DuplicateResultError, ImplausibleValueError, new_result, record_result

EGFR = "egfr"
CREATININE = "creatinine"


def _save_new(entry, *, user: User) -> None:
    """Validate and save a new record entry, with `user` on its history row."""
    entry.full_clean()
    _audit(entry, user=user)
    entry.save()


@dataclass(frozen=True)
class PanelValue:
    """One value of a blood draw as entered: in `unit`, with the lab's range if given."""

    analyte: Analyte
    value: Decimal
    unit: AnalyteUnit
    confirmed_implausible: bool = False
    reference_low: Decimal | None = None
    reference_high: Decimal | None = None


class PanelError(ValidationError):
    """Errors keyed by analyte code. `duplicates` maps a code to the result already there;
    `implausible` holds the codes whose value needs an explicit confirmation."""

    def __init__(
        self,
        errors: dict[str, list[str]],
        *,
        duplicates: dict[str, LabResult],
        implausible: set[str],
    ):
        super().__init__(errors)
        self.duplicates = duplicates
        self.implausible = implausible


@transaction.atomic
def record_panel(
    *,
    patient: Patient,
    collected_at: dt.datetime,
    values: list[PanelValue],
    entered_by: User,
    last_dose_at: dt.datetime | None = None,
    comment: str = "",
) -> tuple[list[LabResult], list[Alert]]:
    """Record every value of one blood draw, or none of them.

    eGFR is derived by CKD-EPI 2021 when creatinine is given without an eGFR from the lab
    (clinical-reference.md A3, §3.2), and stored with its method and source result.
    """
    if not values:
        raise ValidationError(_("Enter at least one value."), code="empty")
    errors: dict[str, list[str]] = {}
    duplicates: dict[str, LabResult] = {}
    implausible: set[str] = set()
    results: list[LabResult] = []
    alerts: list[Alert] = []
    for entry in values:
        is_drug_level = entry.analyte.code == Analyte.TACROLIMUS
        try:
            result, raised = record_result(
                patient=patient,
                analyte=entry.analyte,
                value=entry.value,
                unit=entry.unit,
                collected_at=collected_at,
                last_dose_at=last_dose_at if is_drug_level else None,
                entered_by=entered_by,
                comment=comment,
                reference_low=entry.reference_low,
                reference_high=entry.reference_high,
                confirmed_implausible=entry.confirmed_implausible,
                run_record_rules=False,
            )
        except DuplicateResultError as error:
            duplicates[entry.analyte.code] = error.existing
            errors[entry.analyte.code] = error.messages
        except ImplausibleValueError as error:
            implausible.add(entry.analyte.code)
            errors[entry.analyte.code] = error.messages
        except ValidationError as error:
            errors[entry.analyte.code] = error.messages
        else:
            results.append(result)
            alerts.extend(raised)
    if errors:
        # Raising inside the atomic block rolls back the values already written.
        raise PanelError(errors, duplicates=duplicates, implausible=implausible)
    derived = _derive_egfr(patient=patient, results=results, entered_by=entered_by)
    if derived:
        results.append(derived[0])
        alerts.extend(derived[1])
    alerts.extend(evaluate_record(patient=patient, user=entered_by))
    return results, alerts


def _derive_egfr(
    *, patient: Patient, results: list[LabResult], entered_by: User
) -> tuple[LabResult, list[Alert]] | None:
    creatinine_and_value = _egfr_to_derive(patient=patient, results=results)
    if creatinine_and_value is None:
        return None
    creatinine, egfr = creatinine_and_value
    if (
        LabResult.objects.valid()
        .filter(patient=patient, analyte__code=EGFR, collected_at=creatinine.collected_at)
        .exists()
    ):
        return None  # the lab's own eGFR for this sample is already recorded
    return record_result(
        patient=patient,
        analyte=Analyte.objects.get(code=EGFR),
        value=egfr,
        collected_at=creatinine.collected_at,
        entered_by=entered_by,
        derived_method=formulas.EGFR_METHOD,
        derived_from=creatinine,
        run_record_rules=False,
    )


def _egfr_to_derive(
    *, patient: Patient, results: list[LabResult]
) -> tuple[LabResult, Decimal] | None:
    """The creatinine of a sample's `results` and its eGFR by CKD-EPI 2021, if the sample
    has a creatinine that the formula can use and no eGFR."""
    codes = {result.analyte.code: result for result in results}
    creatinine = codes.get(CREATININE)
    if creatinine is None or EGFR in codes:
        return None
    if creatinine.comparator:
        return None  # "<20 µmol/L" is a limit, not a value a formula can use
    age = patient.age_on(timezone.localtime(creatinine.collected_at).date())
    if age < 18:  # CKD-EPI 2021 is for adults (clinical-reference.md §3.2)
        return None
    egfr = formulas.egfr_ckd_epi_2021(
        creatinine_umol_l=creatinine.value, age_years=age, sex=patient.sex
    )
    return creatinine, egfr


def derive_egfr_for_samples(
    *, results: list[LabResult], entered_by: User, session: RuleSession | None = None
) -> tuple[list[LabResult], list[Alert]]:
    """For imports (CSV, HL7, FHIR): derive eGFR, as the entry form does, for every sample
    (patient and sample time) with a creatinine and no eGFR from the lab, sent or stored.
    Returns the derived results and the alerts they raised; record rules are left to the
    caller, which runs them once per patient.

    The bulk CSV import passes its rule `session`, with every patient of `results` locked
    and its history read before `results` were written: the eGFRs are then looked for in
    one query, written in bulk, and their rules run in turn as if each had been saved alone.
    """
    samples: dict[tuple[int, object], list[LabResult]] = {}
    for result in results:
        samples.setdefault((result.patient_id, result.collected_at), []).append(result)
    derived: list[LabResult] = []
    alerts: list[Alert] = []
    if session is None:
        for sample in samples.values():
            outcome = _derive_egfr(patient=sample[0].patient, results=sample, entered_by=entered_by)
            if outcome:
                derived.append(outcome[0])
                alerts.extend(outcome[1])
        return derived, alerts
    to_derive = [
        found
        for sample in samples.values()
        if (found := _egfr_to_derive(patient=sample[0].patient, results=sample))
    ]
    if not to_derive:
        return derived, alerts
    times = [creatinine.collected_at for creatinine, _egfr in to_derive]
    # The eGFRs recorded for these samples (the lab's own): the duplicate check of
    # record_result, for every sample in one query.
    recorded = set(
        LabResult.objects.valid()
        .filter(
            patient__in={creatinine.patient_id for creatinine, _egfr in to_derive},
            analyte__code=EGFR,
            collected_at__range=(min(times), max(times)),
        )
        .values_list("patient_id", "collected_at")
    )
    analyte = session.analyte(EGFR)
    for creatinine, egfr in to_derive:
        if (creatinine.patient_id, creatinine.collected_at) in recorded:
            continue  # the lab's own eGFR for this sample is already recorded
        derived.append(
            new_result(
                patient=creatinine.patient,
                analyte=analyte,
                value=egfr,
                collected_at=creatinine.collected_at,
                entered_by=entered_by,
                derived_method=formulas.EGFR_METHOD,
                derived_from=creatinine,
            )
        )
    bulk_create_with_history(derived, LabResult, batch_size=500, default_user=entered_by)
    for result in derived:
        alerts.extend(evaluate_result(result=result, user=entered_by, session=session))
    return derived, alerts


# --- Dosing -------------------------------------------------------------------------------------


@transaction.atomic
def start_regimen(
    *,
    patient: Patient,
    product: str,
    strength_mg: Decimal,
    morning_dose_mg: Decimal,
    evening_dose_mg: Decimal | None,
    started_on: dt.date,
    reason: str,
    prescriber: User,
    entered_by: User,
) -> Regimen:
    """Start a tacrolimus regimen; the current one ends the day this one starts.

    The formulation comes from the product (IR twice daily, XR once daily); a change of
    formulation is recorded as a switch (IR and XR are not interchangeable, A2).
    """
    if product not in PRODUCTS:
        raise ValidationError({"product": _("Choose a product from the list.")})
    formulation, strengths = PRODUCTS[product]
    errors: dict[str, str] = {}
    if f"{strength_mg.normalize():f}" not in strengths:
        listed = ", ".join(f"{s} mg" for s in strengths)
        errors["strength_mg"] = _("%(product)s comes in %(strengths)s.") % {
            "product": product,
            "strengths": listed,
        }
    if formulation == Formulation.EXTENDED_RELEASE and evening_dose_mg:
        errors["evening_dose_mg"] = _(
            "%(product)s is taken once daily: leave the evening dose empty."
        ) % {"product": product}
    if formulation == Formulation.IMMEDIATE_RELEASE and not evening_dose_mg:
        errors["evening_dose_mg"] = _(
            "%(product)s is taken twice daily: enter the evening dose."
        ) % {"product": product}
    for field, dose in (("morning_dose_mg", morning_dose_mg), ("evening_dose_mg", evening_dose_mg)):
        if dose and not _can_make(dose, strengths):
            errors.setdefault(
                field,
                _("%(dose)s mg cannot be made from %(product)s %(strengths)s mg units.")
                % {
                    "dose": format_decimal(dose),
                    "product": product,
                    "strengths": ", ".join(strengths),
                },
            )
    if errors:
        raise ValidationError(errors)
    previous = Regimen.objects.current(started_on).filter(patient=patient).first()
    regimen = Regimen(
        patient=patient,
        product=product,
        formulation=formulation,
        strength_mg=strength_mg,
        morning_dose_mg=morning_dose_mg,
        evening_dose_mg=evening_dose_mg or None,
        started_on=started_on,
        prescriber=prescriber,
        entered_by=entered_by,
        reason=reason.strip(),
        is_formulation_switch=bool(previous and previous.formulation != formulation),
    )
    regimen.full_clean()
    if previous:
        previous.ended_on = started_on
        _audit(previous, user=entered_by, reason=f"Replaced: {reason}")
        previous.save()
    _audit(regimen, user=entered_by)
    regimen.save()
    evaluate_record(patient=patient, user=entered_by)
    return regimen


def _can_make(dose: Decimal, strengths: tuple[str, ...]) -> bool:
    """Whether whole capsules of these strengths add up to `dose` exactly: Envarsus 1.75 mg is
    0.75 + 1 mg although it is no multiple of the smallest strength."""
    smallest = min(Decimal(s) for s in strengths)
    if dose % smallest == 0:
        return True
    target = dose * 100  # in hundredths of a mg, the precision of a regimen dose
    if target != target.to_integral_value():
        return False
    units = [int(Decimal(s) * 100) for s in strengths]
    made = [True] + [False] * int(target)
    for amount in range(1, int(target) + 1):
        made[amount] = any(unit <= amount and made[amount - unit] for unit in units)
    return made[-1]


# Adult weights outside this are typing errors (kg); no threshold in the reference.
WEIGHT_PLAUSIBLE_KG = (Decimal("25"), Decimal("250"))


@transaction.atomic
def record_weight(
    *, patient: Patient, weight_kg: Decimal, measured_on: dt.date, entered_by: User
) -> Weight:
    low, high = WEIGHT_PLAUSIBLE_KG
    if not low <= weight_kg <= high:
        raise ValidationError(
            {
                "weight_kg": _(
                    "%(weight)s kg is not a plausible adult weight (%(low)s–%(high)s kg). "
                    "Check the value."
                )
                % {
                    "weight": format_decimal(weight_kg),
                    "low": format_decimal(low),
                    "high": format_decimal(high),
                }
            }
        )
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("The date is in the future.")})
    weight = Weight(
        patient=patient, weight_kg=weight_kg, measured_on=measured_on, entered_by=entered_by
    )
    _save_new(weight, user=entered_by)
    evaluate_record(patient=weight.patient, user=entered_by)
    return weight


# --- ECG ------------------------------------------------------------------------------------------


@transaction.atomic
def record_ecg(
    *,
    patient: Patient,
    recorded_at: dt.datetime,
    qt_ms: int,
    entered_by: User,
    heart_rate_bpm: int | None = None,
    rr_ms: int | None = None,
    rhythm: str = "sinus",
    comment: str = "",
    tracing=None,
) -> Ecg:
    """Store an ECG with QTc by Fridericia (trended) and Bazett (shown), §3.1 and §2.4."""
    if recorded_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"recorded_at": _("The ECG time is in the future.")})
    try:
        rate = {
            "heart_rate_bpm": Decimal(heart_rate_bpm) if heart_rate_bpm else None,
            "rr_ms": Decimal(rr_ms) if rr_ms else None,
        }
        fridericia = formulas.qtc(qt_ms=Decimal(qt_ms), method="fridericia", **rate)
        bazett = formulas.qtc(qt_ms=Decimal(qt_ms), method="bazett", **rate)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    ecg = Ecg(
        patient=patient,
        recorded_at=recorded_at,
        qt_ms=qt_ms,
        heart_rate_bpm=heart_rate_bpm,
        rr_ms=rr_ms,
        qtc_ms=int(fridericia),
        qtc_method=QtcMethod.FRIDERICIA,
        qtc_bazett_ms=int(bazett),
        rhythm=rhythm,
        comment=comment,
        tracing=tracing or "",
        entered_by=entered_by,
    )
    _save_new(ecg, user=entered_by)
    evaluate_record(patient=ecg.patient, user=entered_by)
    return ecg


# --- Medicines, allergies, vaccinations -----------------------------------------------------------


def match_interactions(text: str) -> list[InteractingIngredient]:
    """Catalogue entries whose ingredient, synonym or brand appears in `text`."""
    return find_matches(text, list(InteractingIngredient.objects.all()))


@transaction.atomic
def record_medication(
    *,
    patient: Patient,
    name: str,
    started_on: dt.date,
    entered_by: User,
    dose: str = "",
    stopped_on: dt.date | None = None,
) -> Medication:
    """Store a concomitant medicine and its interaction findings (A5, §5)."""
    medication = Medication(
        patient=patient,
        name=name.strip(),
        dose=dose.strip(),
        started_on=started_on,
        stopped_on=stopped_on,
        entered_by=entered_by,
    )
    _save_new(medication, user=entered_by)
    for ingredient in match_interactions(medication.name):
        finding = InteractionFinding(medication=medication, ingredient=ingredient)
        _audit(finding, user=entered_by)
        finding.save()
    evaluate_record(patient=patient, user=entered_by)
    return medication


@transaction.atomic
def stop_medication(*, medication: Medication, stopped_on: dt.date, user: User) -> Medication:
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    if stopped_on < medication.started_on:
        raise ValidationError({"stopped_on": _("The stop date is before the start date.")})
    medication.stopped_on = stopped_on
    _audit(medication, user=user, reason="Stopped")
    medication.save()
    evaluate_record(patient=medication.patient, user=user)
    return medication


@transaction.atomic
def record_allergy(
    *, patient: Patient, substance: str, entered_by: User, reaction: str = ""
) -> Allergy:
    """Store an allergy with its class; a macrolide allergy contraindicates tacrolimus (§7.4)."""
    allergy_class = classify_allergy(substance)
    allergy = Allergy(
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        allergy_class=allergy_class.code,
        is_contraindication=allergy_class.is_contraindication,
        entered_by=entered_by,
    )
    _save_new(allergy, user=entered_by)
    evaluate_record(patient=allergy.patient, user=entered_by)
    return allergy


def match_vaccine(text: str) -> Vaccine | None:
    """The catalogue vaccine named in `text`: the most specific name wins, and words such as
    "intranasal" pick the live form (catalogue/vaccines.py); live or not comes from the
    database row, which the clinic can correct in the admin."""
    found = find_vaccine(text)
    return Vaccine.objects.filter(code=found.code).first() if found else None


@transaction.atomic
def record_vaccination(
    *, patient: Patient, name: str, state: str, date: dt.date, entered_by: User
) -> Vaccination:
    """Store a vaccination given or planned; live vaccines are contraindicated (§7.3)."""
    vaccine = match_vaccine(name)
    if state == Vaccination.State.GIVEN and date > timezone.localdate():
        raise ValidationError({"date": _("A vaccination given cannot be in the future.")})
    vaccination = Vaccination(
        patient=patient,
        vaccine=vaccine,
        name=name.strip(),
        state=state,
        date=date,
        is_live=bool(vaccine and vaccine.is_live),
        entered_by=entered_by,
    )
    _save_new(vaccination, user=entered_by)
    evaluate_record(patient=vaccination.patient, user=entered_by)
    return vaccination


@transaction.atomic
def record_reproductive_status(
    *,
    patient: Patient,
    kind: str,
    started_on: dt.date,
    entered_by: User,
    ended_on: dt.date | None = None,
    comment: str = "",
) -> ReproductiveStatus:
    if patient.sex != "F":
        raise ValidationError(_("Pregnancy and breastfeeding apply to female patients only."))
    status = ReproductiveStatus(
        patient=patient,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        comment=comment.strip(),
        entered_by=entered_by,
    )
    _save_new(status, user=entered_by)
    evaluate_record(patient=status.patient, user=entered_by)
    return status


@transaction.atomic
def record_symptom(
    *,
    patient: Patient,
    kind: str,
    severity: str,
    started_on: dt.date,
    entered_by: User,
    other_text: str = "",
    ended_on: dt.date | None = None,
    comment: str = "",
) -> Symptom:
    """Store a symptom reported by a nurse or by the patient (A5)."""
    if kind == Symptom.Kind.OTHER and not other_text.strip():
        raise ValidationError({"other_text": _("Describe the symptom.")})
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": _("The start date is in the future.")})
    symptom = Symptom(
        patient=patient,
        kind=kind,
        other_text=other_text.strip(),
        severity=severity,
        started_on=started_on,
        ended_on=ended_on,
        comment=comment.strip(),
        entered_by=entered_by,
    )
    _save_new(symptom, user=entered_by)
    evaluate_record(patient=symptom.patient, user=entered_by)
    return symptom


@transaction.atomic
def mark_entry_entered_in_error(*, entry: ClinicalEntry, user: User, reason: str) -> ClinicalEntry:
    """Withdraw a wrong record entry: it stays, with its history and the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason the entry is wrong.")})
    entry = type(entry).objects.select_for_update().get(pk=entry.pk)
    if entry.status == ClinicalEntry.Status.ENTERED_IN_ERROR:
        raise ValidationError(_("This entry is already marked entered in error."))
    entry.status = ClinicalEntry.Status.ENTERED_IN_ERROR
    _audit(entry, user=user, reason=f"Entered in error: {reason}")
    entry.save()
    evaluate_record(patient=entry.patient, user=user)
    return entry

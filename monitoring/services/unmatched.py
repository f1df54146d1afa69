"""The unmatched-results queue (issue #6): what a nurse does with an observation a lab sent
that could not be stored (unknown patient, unmapped code or unit, unreadable value).

Every import goes through record_result, exactly as if the nurse had typed the value in the
form: same validation, conversion, duplicate detection, audit and rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..forms.results import parse_decimal, validate_against_analyte
from ..imports.codes import AnalyteIndex, find_unit, parse_lab_value
from ..models import (
    Alert,
    Analyte,
    AnalyteUnit,
    CodeMapping,
    LabResult,
    Patient,
    ResultStatus,
    UnmatchedResult,
    User,
)
from .alerts import evaluate_record
from .base import _audit
from .patients import register_patient
from .record import derive_egfr_for_samples
from .results import record_result

# HL7 v2 OBX-11 (table 0085) → our result status. Other codes (X: cannot be obtained,
# D: delete, W: wrong patient, R: not verified, I: pending...) carry no value to store.
OBX_STATUSES = {
    "P": ResultStatus.PRELIMINARY,
    "F": ResultStatus.FINAL,
    "C": ResultStatus.CORRECTED,
}

# "3.5-5.1", "3,5 – 5,1", "-2 to 2"; "<5.0" (upper limit only); ">60" (lower limit only).
_NUMBER = r"-?\d+(?:[.,]\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*(?:-|–|to)\s*({_NUMBER})\s*$", re.IGNORECASE)
_UPPER = re.compile(rf"^\s*(?:<|<=|≤)\s*({_NUMBER})\s*$")
_LOWER = re.compile(rf"^\s*(?:>|>=|≥)\s*({_NUMBER})\s*$")


def parse_reference_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """The lab's reference range (OBX-7) as (low, high) in the sent unit; (None, None) when it
    cannot be read, so the catalogue range applies (the text stays on the queue item)."""
    if match := _RANGE.match(text):
        low, high = (parse_decimal(group) for group in match.groups())
        return (low, high) if low < high else (None, None)
    if match := _UPPER.match(text):
        return None, parse_decimal(match.group(1))
    if match := _LOWER.match(text):
        return parse_decimal(match.group(1)), None
    return None, None


def normalise_mrn(mrn: str) -> str:
    """An MRN as compared for candidates: case, spaces and leading zeros ignored."""
    return mrn.replace(" ", "").upper().lstrip("0")


def other_pending_for_mrn(item: UnmatchedResult) -> QuerySet[UnmatchedResult]:
    """The other pending items of the clinic with exactly the same MRN and authority: the
    same person, once one of them is matched. None when the lab sent no MRN."""
    if not item.mrn.strip():
        return UnmatchedResult.objects.none()
    return (
        UnmatchedResult.objects.pending()
        .filter(clinic=item.clinic_id, mrn=item.mrn, assigning_authority=item.assigning_authority)
        .exclude(pk=item.pk)
    )


@dataclass
class ImportedItem:
    """What importing one queue item stored: the result, the alerts it raised, and the code
    mapping remembered on the way (if any)."""

    item: UnmatchedResult
    result: LabResult
    alerts: list[Alert] = field(default_factory=list)
    mapping: CodeMapping | None = None


def _locked_pending(item: UnmatchedResult, user: User) -> UnmatchedResult:
    """The item, locked, if `user` works in its clinic and it is still waiting."""
    locked = (
        UnmatchedResult.objects.visible_to(user)
        .select_for_update()
        .select_related("message")
        .filter(pk=item.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This lab result is not in the queue of your clinics."))
    if locked.status != UnmatchedResult.Status.PENDING:
        raise ValidationError(
            _("This lab result was already handled (%(status)s); nothing was stored.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def import_unmatched_result(
    *,
    item: UnmatchedResult,
    patient: Patient,
    user: User,
    analyte: Analyte | None = None,
    unit: AnalyteUnit | None = None,
    remember_code: bool = False,
    confirmed_implausible: bool = False,
) -> ImportedItem:
    """Store the observation of a queue item for `patient` and mark the item imported.

    The test is the one the lab's code maps to, unless the nurse chose `analyte`; the unit is
    the one the lab's spelling names, unless the nurse chose `unit`. With `remember_code`, a
    code the nurse mapped by hand is remembered (CodeMapping), so the next message with it is
    stored automatically. Raises ValidationError and writes nothing if the item is not
    waiting, the patient is not of its clinic, or record_result refuses the value."""
    item = _locked_pending(item, user)
    if (
        patient.clinic_id != item.clinic_id
        or not Patient.objects.visible_to(user).filter(pk=patient.pk).exists()
    ):
        raise ValidationError(
            {"patient": _("Choose a patient of %(clinic)s.") % {"clinic": item.clinic.name}}
        )
    chosen_analyte = analyte
    analyte = analyte or AnalyteIndex().find(item.code, item.code_system)
    if analyte is None:
        raise ValidationError(
            {
                "analyte": _("The lab's test code “%(code)s” is not known here: choose the test.")
                % {"code": item.code}
            }
        )
    if unit is not None and unit.analyte_id != analyte.pk:
        raise ValidationError(
            {
                "unit": _("%(unit)s is not a unit of %(analyte)s.")
                % {"unit": unit.label, "analyte": analyte.display_name}
            }
        )
    unit = unit or find_unit(analyte, item.unit)
    if unit is None:
        raise ValidationError(
            {
                "unit": _("The unit “%(unit)s” is not one of %(analyte)s (%(allowed)s): choose it.")
                % {
                    "unit": item.unit,
                    "analyte": analyte.display_name,
                    "allowed": ", ".join(u.label for u in analyte.units.all()),
                }
            }
        )
    status = OBX_STATUSES.get(item.result_status.strip().upper() or "F")
    if status is None:
        raise ValidationError(
            _(
                "The lab sent the status “%(status)s”: only preliminary (P), final (F) and "
                "corrected (C) results can be stored."
            )
            % {"status": item.result_status}
        )
    if item.observed_at is None:
        raise ValidationError(_("The lab sent no sample time: this result cannot be stored."))
    try:
        comparator, value = parse_lab_value(item.value)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from error
    try:
        validate_against_analyte(unit.to_canonical(value), analyte)
    except ValidationError as error:
        raise ValidationError({"value": error.messages}) from error
    if item.observed_at.date() < patient.date_of_birth:
        raise ValidationError(
            {"patient": _("The sample time is before this patient's date of birth.")}
        )
    reference_low, reference_high = parse_reference_range(item.reference_range)
    result, alerts = record_result(
        patient=patient,
        analyte=analyte,
        value=value,
        unit=unit,
        collected_at=item.observed_at,
        entered_by=user,
        comment=item.comment,
        reference_low=reference_low,
        reference_high=reference_high,
        confirmed_implausible=confirmed_implausible,
        status=status,
        comparator=comparator,
        source_message=item.message,
        run_record_rules=False,
    )
    # As the entry form does: eGFR by CKD-EPI 2021 from a creatinine, then the record rules.
    _derived, derived_alerts = derive_egfr_for_samples(results=[result], entered_by=user)
    alerts = [*alerts, *derived_alerts, *evaluate_record(patient=patient, user=user)]
    mapping = None
    if remember_code and chosen_analyte and item.code.strip():
        mapping = _remember_code(item, chosen_analyte, user)
    item.status = UnmatchedResult.Status.IMPORTED
    item.patient = patient
    item.result = result
    item.resolved_by = user
    item.resolved_at = timezone.now()
    item.resolution = f"Stored as {analyte.name} {result.value_display} for {patient}"
    item.full_clean()
    _audit(item, user=user, reason="Imported from the unmatched-results queue")
    item.save()
    return ImportedItem(item=item, result=result, alerts=alerts, mapping=mapping)


def _remember_code(item: UnmatchedResult, analyte: Analyte, user: User) -> CodeMapping | None:
    """Map the lab's code to `analyte`, unless the code already leads to a test: a LOINC or
    an existing mapping is never redirected from the queue (that is the admin's job)."""
    code, system = item.code.strip(), item.code_system.strip()
    if AnalyteIndex().find(code, system) is not None:
        return None
    mapping = CodeMapping(code=code, system=system, analyte=analyte, description=item.code_text)
    mapping.full_clean()
    _audit(mapping, user=user, reason=f"Mapped from unmatched lab result {item.pk}")
    mapping.save()
    return mapping


@transaction.atomic
def import_unmatched_results_for_mrn(
    *, item: UnmatchedResult, patient: Patient, user: User, **choices
) -> list[ImportedItem]:
    """Import `item` (with the nurse's `choices`, as import_unmatched_result), then every other
    pending item with the same MRN and authority, each with its own mapped test and unit.

    All or nothing: if any is refused, nothing is stored and the ValidationError lists every
    refusal, each naming the result it is about."""
    imported = [import_unmatched_result(item=item, patient=patient, user=user, **choices)]
    errors = []
    for other in other_pending_for_mrn(item).select_related("message"):
        try:
            imported.append(import_unmatched_result(item=other, patient=patient, user=user))
        except ValidationError as error:
            errors.extend(
                _("%(test)s %(value)s %(unit)s sampled %(sampled)s: %(reason)s")
                % {
                    "test": other.code_text or other.code,
                    "value": other.value,
                    "unit": other.unit,
                    "sampled": _sampled(other),
                    "reason": message,
                }
                for message in error.messages
            )
    if errors:
        # Raising out of this atomic block rolls back the imports already made.
        raise ValidationError(errors)
    return imported


def _sampled(item: UnmatchedResult) -> str:
    if item.observed_at is None:
        return "—"
    return f"{timezone.localtime(item.observed_at):%d/%m/%Y %H:%M}"


@transaction.atomic
def create_patient_from_unmatched(*, item: UnmatchedResult, user: User) -> Patient:
    """Create the patient in the item's clinic from the identity the lab sent (PID), audited.
    The nurse then imports the result for them. Raises ValidationError and writes nothing
    when the lab's data is not enough to register a patient, or the MRN is already used."""
    item = _locked_pending(item, user)
    if not user.is_clinical_staff:
        raise ValidationError(_("Only nurses and doctors can create patients from lab results."))
    missing = []
    if not item.mrn.strip():
        missing.append(_("the MRN"))
    if not item.family_name.strip() or not item.given_name.strip():
        missing.append(_("the name"))
    if item.date_of_birth is None:
        missing.append(_("the date of birth"))
    sex = item.sex.strip().upper()
    if sex not in ("F", "M"):
        missing.append(_("the sex (F or M)"))
    if missing:
        raise ValidationError(
            _(
                "The lab did not send %(missing)s: create the patient in the administration, "
                "then choose them here."
            )
            % {"missing": ", ".join(missing)}
        )
    if Patient.objects.filter(clinic=item.clinic_id, mrn=item.mrn.strip()).exists():
        raise ValidationError(
            _("A patient with MRN %(mrn)s already exists in %(clinic)s: choose them.")
            % {"mrn": item.mrn.strip(), "clinic": item.clinic.name}
        )
    patient, _created = register_patient(
        clinic=item.clinic,
        mrn=item.mrn.strip(),
        first_name=item.given_name,
        last_name=item.family_name,
        date_of_birth=item.date_of_birth,
        sex=sex,
        user=user,
        reason=f"From unmatched lab result {item.pk}",
    )
    return patient


@transaction.atomic
def dismiss_unmatched_result(*, item: UnmatchedResult, user: User, reason: str) -> UnmatchedResult:
    """Take an item off the queue without storing it (a test the clinic does not follow, a
    duplicate sent twice...). The item and its message are kept with the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for dismissing this result.")})
    item = _locked_pending(item, user)
    item.status = UnmatchedResult.Status.DISMISSED
    item.resolved_by = user
    item.resolved_at = timezone.now()
    item.resolution = reason
    item.full_clean()
    _audit(item, user=user, reason=f"Dismissed: {reason}")
    item.save()
    return item

"""Receive one HL7 v2 message (issue #6): log it, store what it says, answer with an ACK.

ORU^R01 results go through record_result (the nurse's validation, conversion, duplicates,
audit and alert rules); what cannot be stored goes to the unmatched-results queue with the
reason. ADT^A04/A08/A31 register or update the patient. Every message is kept in
InboundMessage whatever became of it; everything else of one message is atomic.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..hl7.ack import build_ack
from ..hl7.parse import (
    APPLICATION_ERROR,
    DATA_TYPE_ERROR,
    DUPLICATE_KEY,
    REQUIRED_FIELD_MISSING,
    TABLE_VALUE_NOT_FOUND,
    UNKNOWN_KEY,
    Header,
    Hl7Message,
    Hl7ReadError,
    Location,
    Observation,
    Order,
    PatientData,
    PatientIdentifier,
    Problem,
    parse_message,
    read_header,
)
from ..models import (
    Analyte,
    AnalyteUnit,
    AssigningAuthority,
    Clinic,
    InboundMessage,
    LabResult,
    Patient,
    ResultStatus,
    UnmatchedResult,
    User,
    format_decimal,
)
from .alerts import evaluate_record
from .base import _audit
from .patients import register_patient
from .record import derive_egfr_for_samples
from .results import correct_lab_result, find_duplicate, mark_result_entered_in_error, record_result

logger = logging.getLogger(__name__)

ACCEPTED, ERROR, REJECTED = "AA", "AE", "AR"

# OBX-11 (HL7 table 0085) → our status; "cancel" marks the earlier result entered in error.
CANCEL = "cancel"
STATUSES = {
    "": ResultStatus.FINAL,
    "F": ResultStatus.FINAL,
    "P": ResultStatus.PRELIMINARY,
    "R": ResultStatus.PRELIMINARY,
    "S": ResultStatus.PRELIMINARY,
    "C": ResultStatus.CORRECTED,
    "X": CANCEL,
    "D": CANCEL,
    "W": CANCEL,
}
NUMERIC_TYPES = ("NM", "SN", "ST", "")


@dataclass
class Hl7Outcome:
    """What became of a message: the ACK sent back and what was stored."""

    ack: str
    code: str
    control_id: str = ""  # MSH-10 as sent
    duplicate: bool = False
    message: InboundMessage | None = None
    results: list[LabResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duplicates: int = 0
    unmatched: int = 0
    cancelled: int = 0
    patient: Patient | None = None


@dataclass
class _Work:
    """What processing one message did so far."""

    header: Header
    message: InboundMessage
    user: User
    problems: list[Problem] = field(default_factory=list)
    rejected: bool = False
    stored: list[LabResult] = field(default_factory=list)
    updated: list[LabResult] = field(default_factory=list)
    duplicates: int = 0
    unmatched: int = 0
    cancelled: int = 0
    patients: dict[int, Patient] = field(default_factory=dict)
    patient: Patient | None = None
    summary: str = ""


class _Rollback(Exception):
    """Leave the atomic block of a rejected message: nothing it wrote is kept."""


def receive_hl7_message(
    *, raw: str, transport: str, user: User, default_clinic: Clinic | None = None
) -> Hl7Outcome:
    """Log the message, process it and return the ACK. Never raises: an unexpected error is
    logged and answered AR (application error), with the raw text kept when possible."""
    try:
        return _receive(raw=raw, transport=transport, user=user, default_clinic=default_clinic)
    except Exception:
        logger.exception("HL7 message could not be processed")
        problem = Problem(
            None,
            APPLICATION_ERROR,
            _("The message could not be processed because of an error on our side."),
        )
        header = None
        with contextlib.suppress(Exception):  # the ACK is built without the header then
            header = read_header(raw)[1]
        ack = build_ack(code=REJECTED, text=problem.text, problems=[problem], header=header)
        message = None
        try:
            message = InboundMessage.objects.create(
                transport=transport,
                received_by=user,
                raw=raw,
                outcome=REJECTED,
                errors=[problem.text],
                ack=ack,
            )
        except Exception:
            logger.exception("HL7 message could not be logged")
        return Hl7Outcome(ack=ack, code=REJECTED, message=message, errors=[problem.text])


def _receive(*, raw: str, transport: str, user: User, default_clinic: Clinic | None):
    try:
        parsed = parse_message(raw)
    except Hl7ReadError as error:
        return _reject(raw=raw, transport=transport, user=user, error=error)
    header = parsed.header
    existing = _logged(header)
    if existing is not None:
        return _duplicate(existing, header)
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    control_id=header.control_id[:200],
                    sending_application=header.sending_application[:200],
                    sending_facility=header.sending_facility[:200],
                    message_type=header.message_type[:20],
                    version=header.version[:10],
                    transport=transport,
                    received_by=user,
                    raw=raw,
                    outcome=REJECTED,  # until processed
                )
        except IntegrityError:
            # The same message arrived on another connection at the same moment.
            return _duplicate(_logged(header), header)
        work = _Work(header=header, message=message, user=user)
        try:
            with transaction.atomic():
                if header.message_type.startswith("ORU"):
                    _store_results(parsed, work, default_clinic)
                else:
                    _register_patient(parsed, work, default_clinic)
                if work.rejected:
                    raise _Rollback
        except _Rollback:
            work.stored, work.updated, work.patient = [], [], None
        except Exception:
            logger.exception("HL7 message %s could not be stored", header.control_id)
            work.stored, work.updated, work.patient = [], [], None
            work.rejected = True
            work.problems.append(
                Problem(
                    None,
                    APPLICATION_ERROR,
                    _("The message could not be stored because of an error on our side."),
                )
            )
        code = REJECTED if work.rejected else ERROR if work.problems else ACCEPTED
        errors = [_error_line(problem) for problem in work.problems]
        text = work.summary if not work.rejected else _("Rejected: nothing was stored.")
        message.outcome = code
        message.errors = errors
        message.ack = build_ack(code=code, text=text, problems=work.problems, header=header)
        if code == REJECTED:
            # A rejected message was not processed: the sender may send it again once fixed.
            message.control_id = ""
        message.save()
    return Hl7Outcome(
        ack=message.ack,
        code=code,
        control_id=header.control_id,
        message=message,
        results=work.stored + work.updated,
        errors=errors,
        duplicates=work.duplicates,
        unmatched=work.unmatched,
        cancelled=work.cancelled,
        patient=work.patient,
    )


def _logged(header: Header) -> InboundMessage | None:
    return InboundMessage.objects.filter(
        sending_application=header.sending_application[:200],
        sending_facility=header.sending_facility[:200],
        control_id=header.control_id[:200],
    ).first()


def _duplicate(existing: InboundMessage, header: Header) -> Hl7Outcome:
    received = timezone.localtime(existing.received_at)
    text = _("Duplicate of message received at %(when)s: nothing was stored again.") % {
        "when": received.strftime("%Y-%m-%d %H:%M:%S %z")
    }
    return Hl7Outcome(
        ack=build_ack(code=existing.outcome, text=text, problems=[], header=header),
        code=existing.outcome,
        control_id=header.control_id,
        duplicate=True,
        message=existing,
        errors=[text],
    )


def _reject(*, raw: str, transport: str, user: User, error: Hl7ReadError) -> Hl7Outcome:
    header = error.header
    text = _("Rejected: %(reason)s") % {"reason": error.problem.text}
    ack = build_ack(code=REJECTED, text=text, problems=[error.problem], header=header)
    errors = [_error_line(error.problem)]
    message = InboundMessage.objects.create(
        # No control ID: a rejected message may be sent again once fixed.
        sending_application=header.sending_application[:200] if header else "",
        sending_facility=header.sending_facility[:200] if header else "",
        message_type=header.message_type[:20] if header else "",
        version=header.version[:10] if header else "",
        transport=transport,
        received_by=user,
        raw=raw,
        outcome=REJECTED,
        errors=errors,
        ack=ack,
    )
    return Hl7Outcome(
        ack=ack,
        code=REJECTED,
        control_id=header.control_id if header else "",
        message=message,
        errors=errors,
    )


def _error_line(problem: Problem) -> str:
    """'OBX-5 of OBX 3: ...' as the message log shows it."""
    location = problem.location
    if location is None:
        return problem.text
    if location.field:
        where = _("%(field)s of %(segment)s %(sequence)s") % {
            "field": str(location),
            "segment": location.segment,
            "sequence": location.sequence,
        }
    else:
        where = str(location)
    return f"{where}: {problem.text}"


# Patients and clinics -----------------------------------------------------------------------


@dataclass
class _PatientMatch:
    clinic: Clinic | None
    patient: Patient | None
    identifier: PatientIdentifier
    # Why the patient was not found (for the ERR and the unmatched queue).
    problem: Problem | None = None


def _clinic_for_authority(authority: str) -> Clinic | None:
    clinic = Clinic.objects.filter(code__iexact=authority).first()
    if clinic is None:
        mapped = (
            AssigningAuthority.objects.select_related("clinic")
            .filter(code__iexact=authority)
            .first()
        )
        clinic = mapped.clinic if mapped else None
    return clinic


def _fallback_clinic(user: User, default_clinic: Clinic | None) -> Clinic | None:
    """The clinic given with the transport, else the user's only clinic."""
    if default_clinic is not None:
        return default_clinic
    clinics = list(user.clinics.all()[:2])
    return clinics[0] if len(clinics) == 1 else None


def _find_patient(
    data: PatientData | None, user: User, default_clinic: Clinic | None
) -> _PatientMatch:
    """The patient of PID-3: each identifier's authority (PID-3.4) names the clinic (its code
    or an AssigningAuthority); without one, the default clinic."""
    fallback = _fallback_clinic(user, default_clinic)
    where = Location("PID", 1, 3)
    if data is None or not data.identifiers:
        return _PatientMatch(
            fallback,
            None,
            PatientIdentifier("", ""),
            Problem(where, REQUIRED_FIELD_MISSING, _("No patient identifier (PID-3) was sent.")),
        )
    candidates: list[tuple[PatientIdentifier, Clinic]] = []
    unknown: list[str] = []
    for identifier in data.identifiers:
        clinic = _clinic_for_authority(identifier.authority) if identifier.authority else fallback
        if clinic is None:
            if identifier.authority:
                unknown.append(identifier.authority)
            continue
        candidates.append((identifier, clinic))
    for identifier, clinic in candidates:
        patient = Patient.objects.filter(clinic=clinic, mrn=identifier.mrn).first()
        if patient is not None:
            return _PatientMatch(clinic, patient, identifier)
    if candidates:
        identifier, clinic = candidates[0]
        problem = Problem(
            where,
            UNKNOWN_KEY,
            _("No patient with MRN “%(mrn)s” in %(clinic)s.")
            % {"mrn": identifier.mrn, "clinic": clinic.name},
        )
        return _PatientMatch(clinic, None, identifier, problem)
    if unknown:
        problem = Problem(
            Location("PID", 1, 3),
            UNKNOWN_KEY,
            _("Unknown assigning authority “%(authority)s” (PID-3.4): no clinic uses it.")
            % {"authority": ", ".join(unknown)},
        )
    else:
        problem = Problem(
            where,
            UNKNOWN_KEY,
            _("No assigning authority (PID-3.4) was sent and no default clinic is set."),
        )
    return _PatientMatch(fallback, None, data.first_identifier, problem)


def _may_write(work: _Work, clinic: Clinic) -> bool:
    """The receiving account must work in the clinic: else the message is rejected."""
    user = work.user
    if user.can_import_results and user.clinics.filter(pk=clinic.pk).exists():
        return True
    work.rejected = True
    work.problems.append(
        Problem(
            Location("PID", 1, 3),
            APPLICATION_ERROR,
            _("The account %(user)s may not write in %(clinic)s.")
            % {"user": user.username, "clinic": clinic.name},
        )
    )
    return False


def _no_clinic(work: _Work, match: _PatientMatch) -> None:
    work.problems.append(match.problem)
    work.problems.append(
        Problem(
            Location("PID", 1, 3),
            UNKNOWN_KEY,
            _(
                "No clinic could be found for this message (assigning authority or default "
                "clinic): nothing was stored; the message is kept in the log."
            ),
        )
    )


# ORU^R01 ------------------------------------------------------------------------------------


def _store_results(parsed: Hl7Message, work: _Work, default_clinic: Clinic | None) -> None:
    match = _find_patient(parsed.patient, work.user, default_clinic)
    if match.clinic is None:
        _no_clinic(work, match)
        work.summary = _("Nothing was stored.")
        return
    if not _may_write(work, match.clinic):
        return
    work.problems.extend(parsed.problems)
    if match.problem is not None:
        work.problems.append(match.problem)
    from ..imports.codes import AnalyteIndex  # the forms it uses import services

    index = AnalyteIndex()
    for order in parsed.orders:
        for observation in order.observations:
            _store_observation(observation, order, parsed.patient, match, index, work)
    # As the entry form does: eGFR by CKD-EPI 2021 from a creatinine the lab sent without one.
    derive_egfr_for_samples(results=work.stored, entered_by=work.user)
    for patient in work.patients.values():
        evaluate_record(patient=patient, user=work.user)
    work.summary = _(
        "Results stored: %(stored)s; updated: %(updated)s; cancelled: %(cancelled)s; "
        "already received: %(duplicates)s; waiting in the unmatched queue: %(unmatched)s."
    ) % {
        "stored": len(work.stored),
        "updated": len(work.updated),
        "cancelled": work.cancelled,
        "duplicates": work.duplicates,
        "unmatched": work.unmatched,
    }


def _store_observation(
    observation: Observation,
    order: Order,
    patient_data: PatientData | None,
    match: _PatientMatch,
    index,
    work: _Work,
) -> None:
    # Imported here: monitoring.forms imports services.
    from ..forms.results import validate_against_analyte
    from ..imports.codes import find_unit, parse_lab_value, parse_structured_numeric

    def refuse(position: int, code: str, reason: str, *, queue: bool = True) -> None:
        work.problems.append(Problem(Location("OBX", observation.sequence, position), code, reason))
        if queue:
            _queue(observation, order, patient_data, match, reason, work)

    if match.patient is None:
        # The PID-3 problem is reported once for the message; each observation waits.
        _queue(observation, order, patient_data, match, match.problem.text, work)
        return
    patient = match.patient
    status = STATUSES.get(observation.status)
    if status is None:
        refuse(
            11,
            TABLE_VALUE_NOT_FOUND,
            _("Result status “%(status)s” (OBX-11) is not one of F, P, C, X.")
            % {"status": observation.status},
        )
        return
    analyte = next(
        (a for code, system in observation.codes if (a := index.find(code, system))), None
    )
    if analyte is None:
        refuse(
            3,
            TABLE_VALUE_NOT_FOUND,
            _("Test code “%(code)s” (%(system)s) is not mapped to any of our tests.")
            % {"code": observation.code, "system": observation.code_system or "-"},
        )
        return
    collected_at = observation.observed_at
    if collected_at is None:
        refuse(
            14,
            REQUIRED_FIELD_MISSING,
            _("No observation time was sent (OBX-14 or OBR-7)."),
        )
        return
    if status == CANCEL:
        _cancel(observation, patient, analyte, collected_at, work)
        return
    if observation.value_type not in NUMERIC_TYPES:
        refuse(
            2,
            DATA_TYPE_ERROR,
            _("Value type “%(type)s” (OBX-2) is not a measured value (NM, SN or ST are).")
            % {"type": observation.value_type},
            queue=False,
        )
        return
    try:
        if observation.value_type == "SN":
            comparator, value = parse_structured_numeric(observation.value_components)
        else:
            comparator, value = parse_lab_value(observation.value)
    except ValidationError as error:
        refuse(5, DATA_TYPE_ERROR, " ".join(error.messages))
        return
    unit = find_unit(analyte, observation.units)
    if unit is None:
        refuse(
            6,
            TABLE_VALUE_NOT_FOUND,
            _("The unit “%(unit)s” is not accepted for %(analyte)s; accepted: %(allowed)s.")
            % {
                "unit": observation.units,
                "analyte": analyte.display_name,
                "allowed": ", ".join(u.label for u in analyte.units.all()),
            },
        )
        return
    canonical = unit.to_canonical(value)
    try:
        validate_against_analyte(canonical, analyte)
    except ValidationError as error:
        refuse(5, APPLICATION_ERROR, " ".join(error.messages))
        return
    if not analyte.is_plausible(canonical):
        refuse(
            5,
            APPLICATION_ERROR,
            _(
                "%(value)s %(unit)s is not a plausible %(analyte)s value: it was not stored, "
                "as nobody can confirm it; check it with the laboratory."
            )
            % {"value": format_decimal(value), "unit": unit.label, "analyte": analyte.display_name},
        )
        return
    if collected_at.date() < patient.date_of_birth:
        refuse(14, APPLICATION_ERROR, _("The sample time is before the patient's date of birth."))
        return
    low, high = reference_range(observation.reference_range)
    comment = _comment(observation, order)
    existing = find_duplicate(patient=patient, analyte=analyte, collected_at=collected_at)
    try:
        if existing is not None:
            _update_existing(
                existing, observation, status, comparator, value, unit, low, high, refuse, work
            )
        else:
            result, _alerts = record_result(
                patient=patient,
                analyte=analyte,
                value=value,
                unit=unit,
                collected_at=collected_at,
                entered_by=work.user,
                comment=comment,
                reference_low=low,
                reference_high=high,
                status=status,
                comparator=comparator,
                source_message=work.message,
                run_record_rules=False,
            )
            work.stored.append(result)
    except ValidationError as error:
        refuse(5, APPLICATION_ERROR, " ".join(error.messages))
        return
    work.patients[patient.pk] = patient


def _update_existing(
    existing: LabResult,
    observation: Observation,
    status: str,
    comparator: str,
    value: Decimal,
    unit: AnalyteUnit,
    low: Decimal | None,
    high: Decimal | None,
    refuse,
    work: _Work,
) -> None:
    """The lab sent this patient, test and time before: the same again, the final value of a
    preliminary result, or a correction."""
    same_value = existing.value == unit.to_canonical(value) and existing.comparator == comparator
    if same_value and (existing.status == status or status == ResultStatus.PRELIMINARY):
        work.duplicates += 1
        return
    control_id = work.header.control_id
    if status == ResultStatus.CORRECTED or existing.status == ResultStatus.PRELIMINARY:
        if status == ResultStatus.FINAL and same_value:
            reason = f"Final result from the laboratory (message {control_id})"
        else:
            reason = f"Corrected by the laboratory (message {control_id})"
        result = correct_lab_result(
            result=existing,
            value=value,
            unit=unit,
            comparator=comparator,
            status=status,
            user=work.user,
            reason=reason,
            reference_low=low,
            reference_high=high,
            source_message=work.message,
        )
        work.updated.append(result)
        return
    refuse(
        5,
        DUPLICATE_KEY,
        _(
            "%(analyte)s at this sample time is already recorded (%(value)s); a change must "
            "be sent as a correction (OBX-11 “C”)."
        )
        % {"analyte": existing.analyte.display_name, "value": existing.value_display},
    )


def _cancel(
    observation: Observation,
    patient: Patient,
    analyte: Analyte,
    collected_at: dt.datetime,
    work: _Work,
) -> None:
    existing = find_duplicate(patient=patient, analyte=analyte, collected_at=collected_at)
    if existing is None:
        work.problems.append(
            Problem(
                Location("OBX", observation.sequence, 11),
                UNKNOWN_KEY,
                _("Nothing to cancel: no %(analyte)s result at %(when)s.")
                % {
                    "analyte": analyte.display_name,
                    "when": date_format(timezone.localtime(collected_at), "d M Y H:i"),
                },
            )
        )
        return
    mark_result_entered_in_error(
        result=existing,
        user=work.user,
        reason=f"Cancelled by the laboratory (message {work.header.control_id})",
    )
    work.cancelled += 1
    work.patients[patient.pk] = patient


def _queue(
    observation: Observation,
    order: Order,
    patient_data: PatientData | None,
    match: _PatientMatch,
    reason: str,
    work: _Work,
) -> None:
    """Keep the observation, as sent, in the clinic's unmatched-results queue."""
    pid = patient_data or PatientData([], "", "", None, "", "")
    unmatched = UnmatchedResult(
        message=work.message,
        clinic=match.clinic,
        reason=reason[:500],
        mrn=match.identifier.mrn[:100],
        assigning_authority=match.identifier.authority[:100],
        family_name=pid.family_name[:100],
        given_name=pid.given_name[:100],
        date_of_birth=pid.date_of_birth,
        sex=pid.sex[:1],
        code=observation.code[:100],
        code_system=observation.code_system[:100],
        code_text=observation.code_text[:200],
        value=observation.value[:200],
        unit=observation.units[:50],
        reference_range=observation.reference_range[:100],
        abnormal_flags=observation.abnormal_flags[:20],
        result_status=observation.status[:2],
        observed_at=observation.observed_at,
        comment=_comment(observation, order),
    )
    _audit(unmatched, user=work.user, reason=f"HL7 message {work.header.control_id}")
    unmatched.save()
    work.unmatched += 1


def _comment(observation: Observation, order: Order) -> str:
    """NTEs of the observation and of its order, and the lab's abnormal flags (OBX-8: our own
    flag is computed from the value, theirs is kept for the reader)."""
    parts = [*observation.comments, *order.comments]
    if observation.abnormal_flags:
        parts.append(
            _("Laboratory flag: %(flags)s")
            % {"flags": observation.abnormal_flags.replace("~", ", ")}
        )
    text = "\n".join(part for part in parts if part)
    return text if len(text) <= 500 else text[:499] + "…"


_NUMBER = r"[+-]?\d+(?:[.,]\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*(?:-|–|to)\s*({_NUMBER})\s*$")


def reference_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    """OBX-7 "3.5-5.1" → (3.5, 5.1); "<5.0" → (None, 5.0); ">60" → (60, None); anything
    else → (None, None): the catalogue's range is used then."""
    from ..imports.codes import parse_lab_value  # monitoring.forms imports services

    found = _RANGE.match(text)
    if found:
        low, high = (Decimal(part.replace(",", ".")) for part in found.groups())
        return (low, high) if low <= high else (None, None)
    if text.strip()[:1] in ("<", ">", "≤", "≥"):
        try:
            comparator, limit = parse_lab_value(text)
        except ValidationError:
            return None, None
        return (None, limit) if comparator.startswith("<") else (limit, None)
    return None, None


# ADT^A04, A08, A31 --------------------------------------------------------------------------


def _register_patient(parsed: Hl7Message, work: _Work, default_clinic: Clinic | None) -> None:
    data = parsed.patient
    match = _find_patient(data, work.user, default_clinic)
    if data is None or not data.identifiers:
        work.problems.append(match.problem)
        return
    if match.clinic is None:
        _no_clinic(work, match)
        return
    authority = match.identifier.authority
    if authority and _clinic_for_authority(authority) is None:
        # Registering under a guessed clinic would mix two MRN numberings.
        work.problems.append(match.problem)
        return
    if not _may_write(work, match.clinic):
        return
    if data.sex not in ("F", "M"):
        work.problems.append(
            Problem(
                Location("PID", 1, 8),
                TABLE_VALUE_NOT_FOUND,
                _("Sex “%(sex)s” (PID-8) cannot be recorded: F or M is needed.")
                % {"sex": data.sex},
            )
        )
    if data.date_of_birth is None:
        work.problems.append(
            Problem(
                Location("PID", 1, 7),
                REQUIRED_FIELD_MISSING if not data.date_of_birth_text else DATA_TYPE_ERROR,
                _("The date of birth (PID-7) is missing or unreadable."),
            )
        )
    if work.problems:
        work.summary = _("The patient was not registered.")
        return
    try:
        patient, created = register_patient(
            clinic=match.clinic,
            mrn=match.identifier.mrn,
            first_name=data.given_name,
            last_name=data.family_name,
            date_of_birth=data.date_of_birth,
            sex=data.sex,
            user=work.user,
            reason=f"{work.header.message_type} message {work.header.control_id}",
        )
    except ValidationError as error:
        work.problems.append(
            Problem(Location("PID", 1, 5), APPLICATION_ERROR, " ".join(error.messages))
        )
        work.summary = _("The patient was not registered.")
        return
    work.patient = patient
    work.summary = (
        _("Patient %(mrn)s registered.") if created else _("Patient %(mrn)s updated.")
    ) % {"mrn": patient.mrn}

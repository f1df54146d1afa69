"""Reading a POSTed Patient or Observation into the arguments of our services.

Pure checks of the JSON (plus the lookups named below); each problem is one specific message,
and the caller writes nothing while there is any."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.utils.translation import gettext as _

from ..imports.codes import AnalyteIndex, find_unit
from ..models import Analyte, AnalyteUnit, Clinic, Comparator, Patient, ResultStatus, User
from .resources import ANALYTE_SYSTEM, CLINIC_SYSTEM_PREFIX, GENDERS, LOINC

# A FHIR POST body larger than this is not one resource.
MAX_BODY_BYTES = 1024 * 1024


class FhirInputError(Exception):
    """The request cannot be stored: `status` 400 (not a resource of this type) or 422 (the
    resource is wrong); `messages` say what."""

    def __init__(self, messages: list[str], *, status: int = 422, code: str = "invalid"):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.status = status
        self.code = code


def _refuse_constant(name: str):
    raise ValueError(name)


def read_resource(body: bytes, resource_type: str) -> dict:
    """The JSON object of the body, if it is a resource of `resource_type` (else 400)."""
    if len(body) > MAX_BODY_BYTES:
        raise FhirInputError([_("The request body is too large.")], status=400, code="too-costly")
    try:
        # Decimals stay exact (7.1 is not 7.0999…); NaN and Infinity are not JSON numbers.
        data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise FhirInputError(
            [_("The request body is not valid JSON.")], status=400, code="structure"
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        found = data.get("resourceType") if isinstance(data, dict) else None
        raise FhirInputError(
            [
                _("Expected resourceType %(expected)s, got “%(found)s”.")
                % {"expected": resource_type, "found": found or ""}
            ],
            status=400,
            code="structure",
        )
    return data


def _object(data: dict, name: str, errors: list[str]) -> dict | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.append(_("%(field)s must be a JSON object.") % {"field": name})
        return None
    return value


def _list(data: dict, name: str, errors: list[str]) -> list:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(_("%(field)s must be a JSON array.") % {"field": name})
        return []
    return value


def _string(value, field: str, errors: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(_("%(field)s must be a string.") % {"field": field})
        return ""
    return value.strip()


def _number(value, field: str, errors: list[str]) -> Decimal | None:
    # bool is an int in Python, and true is not a number.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.append(_("%(field)s must be a JSON number.") % {"field": field})
        return None
    number = Decimal(value)
    if not number.is_finite():
        errors.append(_("%(field)s must be a JSON number.") % {"field": field})
        return None
    return number


def _datetime(value, field: str, errors: list[str]) -> dt.datetime | None:
    text = _string(value, field, errors)
    if not text:
        errors.append(_("%(field)s is required.") % {"field": field})
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or "T" not in text:
        errors.append(
            _(
                "%(field)s must be a date and time such as 2026-03-05T08:30:00+01:00, "
                "not “%(value)s”."
            )
            % {"field": field, "value": text}
        )
        return None
    if moment.tzinfo is None:
        errors.append(
            _("%(field)s needs a time zone offset (+01:00 or Z): “%(value)s”.")
            % {"field": field, "value": text}
        )
        return None
    return moment


# --- Patient -----------------------------------------------------------------------------------


def patient_arguments(data: dict, *, user: User) -> dict:
    """Arguments for services.register_patient from a Patient resource."""
    errors: list[str] = []
    clinic, mrn = _clinic_and_mrn(data, user=user, errors=errors)
    names = [n for n in _list(data, "name", errors) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    family = _string(official.get("family"), "name.family", errors)
    given_list = official.get("given") or []
    if not isinstance(given_list, list):
        errors.append(_("%(field)s must be a JSON array.") % {"field": "name.given"})
        given_list = []
    given = " ".join(_string(g, "name.given", errors) for g in given_list).strip()
    if not family or not given:
        errors.append(_("name needs a family name and a given name."))
    gender = data.get("gender")
    sex = {fhir: ours for ours, fhir in GENDERS.items()}.get(gender)
    if sex is None:
        errors.append(
            _("gender must be female or male (the sex used for reference ranges), not “%(value)s”.")
            % {"value": gender or ""}
        )
    born = None
    birth_text = _string(data.get("birthDate"), "birthDate", errors)
    try:
        born = dt.date.fromisoformat(birth_text) if len(birth_text) == 10 else None
    except ValueError:
        born = None
    if born is None:
        errors.append(
            _("birthDate must be a full date such as 1990-05-17, not “%(value)s”.")
            % {"value": birth_text}
        )
    if errors:
        raise FhirInputError(errors)
    return {
        "clinic": clinic,
        "mrn": mrn,
        "first_name": given,
        "last_name": family,
        "date_of_birth": born,
        "sex": sex,
    }


def _clinic_and_mrn(data: dict, *, user: User, errors: list[str]) -> tuple[Clinic | None, str]:
    identifiers = [i for i in _list(data, "identifier", errors) if isinstance(i, dict)]
    ours = [i for i in identifiers if str(i.get("system", "")).startswith(CLINIC_SYSTEM_PREFIX)]
    if not ours:
        errors.append(
            _("identifier needs the MRN with system %(system)s<clinic code>.")
            % {"system": CLINIC_SYSTEM_PREFIX}
        )
        return None, ""
    code = ours[0]["system"].removeprefix(CLINIC_SYSTEM_PREFIX)
    mrn = _string(ours[0].get("value"), "identifier.value", errors)
    if not mrn:
        errors.append(_("identifier.value (the MRN) is required."))
    clinic = user.clinics.filter(code=code).first()
    if clinic is None:
        errors.append(
            _("%(system)s is not the system of one of your clinics.")
            % {"system": ours[0]["system"]}
        )
    return clinic, mrn


# --- Observation -------------------------------------------------------------------------------

POSTED_STATUSES = (ResultStatus.PRELIMINARY, ResultStatus.FINAL)
COMPARATORS = {value for value in Comparator.values if value}


def observation_arguments(data: dict, *, user: User) -> dict:
    """Arguments for services.record_result from an Observation resource. Reads the patients
    the user may see and the analyte catalogue (AnalyteIndex: two queries)."""
    errors: list[str] = []
    patient = _subject(data, user=user, errors=errors)
    analyte = _analyte(data, errors=errors)
    status = data.get("status")
    if status not in POSTED_STATUSES:
        errors.append(
            _("status must be preliminary or final, not “%(value)s”.") % {"value": status or ""}
        )
    collected_at = _datetime(data.get("effectiveDateTime"), "effectiveDateTime", errors)
    value, comparator, unit = None, "", None
    quantity = _object(data, "valueQuantity", errors)
    if quantity is None:
        errors.append(_("valueQuantity is required (a number with its UCUM unit)."))
    else:
        value = _number(quantity.get("value"), "valueQuantity.value", errors)
        comparator = quantity.get("comparator") or ""
        if comparator and comparator not in COMPARATORS:
            errors.append(
                _("valueQuantity.comparator must be <, <=, > or >=, not “%(value)s”.")
                % {"value": comparator}
            )
        if analyte is not None:
            unit = _unit(analyte, quantity, "valueQuantity", errors)
    low = high = None
    ranges = [r for r in _list(data, "referenceRange", errors) if isinstance(r, dict)]
    if ranges and analyte is not None and unit is not None:
        for bound in ("low", "high"):
            limit = _object(ranges[0], bound, errors)
            if limit is None:
                continue
            field = f"referenceRange.{bound}"
            number = _number(limit.get("value"), f"{field}.value", errors)
            if (limit.get("code") or limit.get("unit")) and _unit(
                analyte, limit, field, errors
            ) not in (None, unit):
                errors.append(
                    _("%(field)s must be in the unit of valueQuantity.") % {"field": field}
                )
            if bound == "low":
                low = number
            else:
                high = number
    notes = [n for n in _list(data, "note", errors) if isinstance(n, dict)]
    comment = "; ".join(_string(n.get("text"), "note.text", errors) for n in notes).strip("; ")
    if len(comment) > 500:
        errors.append(_("note is longer than 500 characters."))
    if errors:
        raise FhirInputError(errors)
    return {
        "patient": patient,
        "analyte": analyte,
        "value": value,
        "unit": unit,
        "comparator": comparator,
        "collected_at": collected_at,
        "status": status,
        "reference_low": low,
        "reference_high": high,
        "comment": comment,
    }


def _subject(data: dict, *, user: User, errors: list[str]) -> Patient | None:
    subject = _object(data, "subject", errors) or {}
    text = _string(subject.get("reference"), "subject.reference", errors)
    number = text.removeprefix("Patient/")
    if not text.startswith("Patient/") or not number.isdigit():
        errors.append(_("subject must be a reference such as Patient/12."))
        return None
    patient = (
        Patient.objects.visible_to(user).select_related("clinic").filter(pk=int(number)).first()
    )
    if patient is None:
        # The same words for a patient who does not exist and one the user may not see.
        errors.append(_("subject: %(reference)s is not known.") % {"reference": text})
    return patient


def _analyte(data: dict, *, errors: list[str]) -> Analyte | None:
    code = _object(data, "code", errors) or {}
    codings = [c for c in code.get("coding") or [] if isinstance(c, dict)]
    if not codings:
        errors.append(
            _("code needs a coding (a LOINC such as %(example)s).") % {"example": "77348-1"}
        )
        return None
    index = AnalyteIndex()
    for coding in codings:
        system = str(coding.get("system") or "")
        value = str(coding.get("code") or "")
        if system == ANALYTE_SYSTEM:
            analyte = index.by_code.get(value.casefold())
        else:
            # A lab's mapping for LOINC is kept under HL7's name for it, LN.
            analyte = index.find(value, "LN" if system == LOINC else system)
        if analyte is not None:
            return analyte
    shown = ", ".join(f"{c.get('system', '')}|{c.get('code', '')}" for c in codings)
    errors.append(_("code: %(codes)s is not a test this clinic records.") % {"codes": shown})
    return None


def _unit(analyte: Analyte, quantity: dict, field: str, errors: list[str]) -> AnalyteUnit | None:
    spelling = str(quantity.get("code") or quantity.get("unit") or "")
    if not spelling:
        errors.append(_("%(field)s needs its unit (a UCUM code).") % {"field": field})
        return None
    unit = find_unit(analyte, spelling)
    if unit is None:
        accepted = ", ".join(u.code for u in analyte.units.all())
        errors.append(
            _("%(field)s: “%(unit)s” is not a unit of %(analyte)s (accepted: %(accepted)s).")
            % {
                "field": field,
                "unit": spelling,
                "analyte": analyte.display_name,
                "accepted": accepted,
            }
        )
    return unit

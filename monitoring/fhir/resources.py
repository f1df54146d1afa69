"""Pure functions: a model instance in, a FHIR R4 resource (a plain dict) out.

No queries here: the callers select the related rows each function reads (noted per
function), so a page of resources costs the same number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    Alert,
    Analyte,
    ClinicalEntry,
    Decision,
    LabResult,
    Medication,
    Patient,
    Regimen,
    Severity,
    display_unit,
)
from ..templatetags.monitoring_tags import rule_name

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json; charset=utf-8"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ANALYTE_SYSTEM = "urn:tdm-tracker:analyte"
RULE_SYSTEM = "urn:tdm-tracker:rule"
CLINIC_SYSTEM_PREFIX = "urn:tdm-tracker:clinic:"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

GENDERS = {"F": "female", "M": "male"}

INTERPRETATION_DISPLAY = {
    "LL": "Critical low",
    "L": "Low",
    "N": "Normal",
    "H": "High",
    "HH": "Critical high",
}

DETECTED_ISSUE_STATUS = {
    Alert.Status.OPEN: "preliminary",
    Alert.Status.ACKNOWLEDGED: "final",
    Alert.Status.RESOLVED: "final",
}

DETECTED_ISSUE_SEVERITY = {
    Severity.CRITICAL: "high",
    Severity.URGENT: "high",
    Severity.WARNING: "moderate",
    Severity.INFO: "low",
}


def clinic_system(clinic_code: str) -> str:
    return f"{CLINIC_SYSTEM_PREFIX}{clinic_code}"


def number(value: Decimal | int) -> int | float:
    """A JSON number for a FHIR decimal: 106.080000 → 106.08, 7.000000 → 7.

    Values have at most 16 digits with 6 decimals, which a float round-trips exactly."""
    value = Decimal(value).normalize()
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def instant(value: dt.datetime) -> str:
    """An aware datetime as FHIR dateTime/instant text, in TIME_ZONE with its offset."""
    return timezone.localtime(value).isoformat()


def reference(resource_type: str, pk: int | str) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def quantity(value: Decimal, unit_code: str, comparator: str = "") -> dict:
    data = {"value": number(value)}
    if comparator:
        data["comparator"] = comparator
    data.update({"unit": display_unit(unit_code), "system": UCUM, "code": unit_code})
    return data


# --- Patient -----------------------------------------------------------------------------------


def patient_resource(patient: Patient) -> dict:
    """Reads patient.clinic (select it)."""
    return {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}], "text": "MRN"},
                "system": clinic_system(patient.clinic.code),
                "value": patient.mrn,
            }
        ],
        "name": [
            {
                "use": "official",
                "text": patient.full_name,
                "family": patient.last_name,
                "given": [patient.first_name],
            }
        ],
        "gender": GENDERS.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": patient.clinic.name},
    }


# --- Observation -------------------------------------------------------------------------------


def analyte_concept(analyte: Analyte) -> dict:
    coding = []
    if analyte.loinc:
        coding.append({"system": LOINC, "code": analyte.loinc, "display": analyte.name})
    coding.append({"system": ANALYTE_SYSTEM, "code": analyte.code, "display": analyte.name})
    return {"coding": coding, "text": analyte.display_name}


def observation_resource(result: LabResult) -> dict:
    """Reads result.analyte and result.patient (select them)."""
    analyte = result.analyte
    data = {
        "resourceType": "Observation",
        "id": str(result.pk),
        "status": result.status,
        "category": [
            {
                "coding": [
                    {
                        "system": OBSERVATION_CATEGORY,
                        "code": "laboratory",
                        "display": "Laboratory",
                    }
                ]
            }
        ],
        "code": analyte_concept(analyte),
        "subject": reference("Patient", result.patient_id),
        "effectiveDateTime": instant(result.collected_at),
        "issued": instant(result.entered_at),
        "valueQuantity": quantity(result.value, result.unit, result.comparator),
    }
    flag = result.flag
    if result.reference_low is not None or result.reference_high is not None:
        low, high = result.reference_low, result.reference_high
    else:
        default = analyte.reference_range(result.patient.sex)
        low, high = default.low, default.high
    if low is not None or high is not None:
        reference_range = {}
        if low is not None:
            reference_range["low"] = quantity(low, result.unit)
        if high is not None:
            reference_range["high"] = quantity(high, result.unit)
        data["referenceRange"] = [reference_range]
    if not flag and (low is not None or high is not None):
        flag = "N"  # "normal" only where there is a range to be inside
    if flag:
        data["interpretation"] = [
            {
                "coding": [
                    {
                        "system": INTERPRETATION,
                        "code": flag,
                        "display": INTERPRETATION_DISPLAY[flag],
                    }
                ]
            }
        ]
    if result.comment:
        data["note"] = [{"text": result.comment}]
    return data


# --- MedicationStatement -----------------------------------------------------------------------


def entry_status(status: str, started_on: dt.date, ended_on: dt.date | None, today: dt.date) -> str:
    """A MedicationStatement status from a record entry's status and dates."""
    if status == ClinicalEntry.Status.ENTERED_IN_ERROR:
        return "entered-in-error"
    if ended_on is not None and ended_on <= today:
        return "stopped"
    if started_on > today:
        return "intended"
    return "active"


def _period(started_on: dt.date, ended_on: dt.date | None) -> dict:
    period = {"start": started_on.isoformat()}
    if ended_on is not None:
        period["end"] = ended_on.isoformat()
    return period


def regimen_resource(regimen: Regimen, *, today: dt.date) -> dict:
    data = {
        "resourceType": "MedicationStatement",
        "id": f"regimen-{regimen.pk}",
        "status": entry_status(regimen.status, regimen.started_on, regimen.ended_on, today),
        "medicationCodeableConcept": {
            "text": f"{regimen.product} (tacrolimus, {regimen.get_formulation_display()})"
        },
        "subject": reference("Patient", regimen.patient_id),
        "effectivePeriod": _period(regimen.started_on, regimen.ended_on),
        "dateAsserted": instant(regimen.entered_at),
        "dosage": [{"text": regimen.schedule_display}],
    }
    if regimen.reason:
        data["reasonCode"] = [{"text": regimen.reason}]
    return data


def medication_resource(medication: Medication, *, today: dt.date) -> dict:
    data = {
        "resourceType": "MedicationStatement",
        "id": f"medication-{medication.pk}",
        "status": entry_status(
            medication.status, medication.started_on, medication.stopped_on, today
        ),
        "medicationCodeableConcept": {"text": medication.name},
        "subject": reference("Patient", medication.patient_id),
        "effectivePeriod": _period(medication.started_on, medication.stopped_on),
        "dateAsserted": instant(medication.entered_at),
    }
    if medication.dose:
        data["dosage"] = [{"text": medication.dose}]
    return data


# --- DetectedIssue -----------------------------------------------------------------------------


def detected_issue_resource(alert: Alert) -> dict:
    """Reads alert.acknowledged_by (select it)."""
    data = {
        "resourceType": "DetectedIssue",
        "id": str(alert.pk),
        "status": DETECTED_ISSUE_STATUS[alert.status],
        "code": {
            "coding": [
                {
                    "system": RULE_SYSTEM,
                    "code": alert.rule_code,
                    "display": str(rule_name(alert.rule_code)),
                }
            ],
            "text": str(rule_name(alert.rule_code)),
        },
        "severity": DETECTED_ISSUE_SEVERITY[Severity(alert.severity)],
        "patient": reference("Patient", alert.patient_id),
        "identifiedDateTime": instant(alert.first_raised_at),
        "detail": alert.text,
    }
    if alert.result_id:
        data["implicated"] = [reference("Observation", alert.result_id)]
    mitigation = []
    if alert.acknowledged_at:
        decision = Decision(alert.decision).label if alert.decision else _("Acknowledged")
        text = str(decision)
        if alert.acknowledgement_comment:
            text = f"{text}: {alert.acknowledgement_comment}"
        acknowledged = {"action": {"text": text}, "date": instant(alert.acknowledged_at)}
        if alert.acknowledged_by_id:
            acknowledged["author"] = {"display": alert.acknowledged_by.display_name}
        mitigation.append(acknowledged)
    if alert.status == Alert.Status.RESOLVED:
        resolved = {"action": {"text": alert.resolution or _("Resolved")}}
        if alert.resolved_at:
            resolved["date"] = instant(alert.resolved_at)
        mitigation.append(resolved)
    if mitigation:
        data["mitigation"] = mitigation
    return data


# --- Bundle, OperationOutcome, CapabilityStatement -------------------------------------------


def bundle(
    *,
    resources: list[dict],
    base: str,
    total: int | None,
    links: dict[str, str],
    bundle_type: str = "searchset",
) -> dict:
    data = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "timestamp": instant(timezone.now()),
    }
    if total is not None:
        data["total"] = total
    data["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    data["entry"] = [
        {
            "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": "match"},
        }
        for resource in resources
    ]
    if not data["link"]:
        del data["link"]
    if not data["entry"]:
        del data["entry"]
    return data


def operation_outcome(diagnostics: list[str], *, code: str, severity: str = "error") -> dict:
    """Issue codes are FHIR IssueType values (not-found, invalid, security, ...)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": message} for message in diagnostics
        ],
    }


def _search_params(*params: tuple[str, str, str]) -> list[dict]:
    return [
        {"name": name, "type": kind, "documentation": documentation}
        for name, kind, documentation in params
    ]


def capability_statement(*, base: str, software_version: str) -> dict:
    paging = (
        ("_count", "number", "Page size: 50 by default, at most 500."),
        ("_offset", "number", "Where the page starts (the next and previous links carry it)."),
    )
    read_search = [{"code": "read"}, {"code": "search-type"}]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-01-01",
        "publisher": "tdm-tracker",
        "kind": "instance",
        "software": {"name": "tdm-tracker", "version": software_version},
        "implementation": {
            "description": "tdm-tracker: therapeutic drug monitoring of tacrolimus",
            "url": base.rstrip("/"),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": (
                        "Send an API token as 'Authorization: Bearer <token>' (tokens are "
                        "created by an administrator with manage.py create_api_token). A "
                        "signed-in browser session may read. A token sees exactly what its "
                        "account sees on the pages; writes need a token."
                    ),
                },
                "resource": [
                    {
                        "type": "Patient",
                        "interaction": [*read_search, {"code": "create"}],
                        "searchParam": _search_params(
                            (
                                "identifier",
                                "token",
                                f"MRN: {CLINIC_SYSTEM_PREFIX}<clinic code>|<MRN>, or the MRN.",
                            ),
                            *paging,
                        ),
                        "operation": [
                            {
                                "name": "everything",
                                "definition": (
                                    "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                                ),
                                "documentation": "The patient's record as one Bundle; "
                                "?_download=1 serves it as a file.",
                            }
                        ],
                    },
                    {
                        "type": "Observation",
                        "interaction": [*read_search, {"code": "create"}],
                        "searchParam": _search_params(
                            ("patient", "reference", "Patient/<id> or <id>."),
                            ("code", "token", f"{LOINC}|<LOINC>, a LOINC, or our analyte code."),
                            ("date", "date", "Sample time, with ge, le, gt, lt or eq."),
                            ("status", "token", "Entered-in-error results only when asked."),
                            ("_sort", "string", "-date (default) or date."),
                            *paging,
                        ),
                    },
                    {
                        "type": "MedicationStatement",
                        "interaction": read_search,
                        "searchParam": _search_params(
                            ("patient", "reference", "Patient/<id> or <id>."),
                            ("status", "token", "active, stopped, intended, entered-in-error."),
                            *paging,
                        ),
                    },
                    {
                        "type": "DetectedIssue",
                        "interaction": read_search,
                        "searchParam": _search_params(
                            ("patient", "reference", "Patient/<id> or <id>."),
                            ("status", "token", "preliminary (open) or final (reviewed)."),
                            *paging,
                        ),
                    },
                ],
            }
        ],
    }

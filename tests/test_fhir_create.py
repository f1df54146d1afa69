"""Creating Patients and Observations through the FHIR API (issue #6): the same services as
the forms (conversion, duplicates, audit, rules), specific errors, nothing written on error."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.observation import Observation
from fhir.resources.operationoutcome import OperationOutcome
from fhir.resources.patient import Patient as FhirPatient

from monitoring import services
from monitoring.models import Alert, LabResult, Patient
from tests.fhir_support import BASE, Api


def _sampled(hours_ago: int = 2) -> str:
    return (timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)).isoformat()


def _observation(patient, **changes) -> dict:
    """Creatinine 1.2 mg/dL sent under the mass LOINC, 2160-0."""
    data = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "effectiveDateTime": _sampled(),
        "valueQuantity": {
            "value": 1.2,
            "unit": "mg/dL",
            "system": "http://unitsofmeasure.org",
            "code": "mg/dL",
        },
    }
    data.update(changes)
    return data


def test_a_posted_creatinine_is_stored_converted_to_the_canonical_unit(client, lab, patient_a):
    response = Api(client, lab).post("Observation", _observation(patient_a))
    assert response.status_code == 201
    result = LabResult.objects.get(analyte__code="creatinine")
    assert response["Location"] == f"http://testserver{BASE}Observation/{result.pk}"
    assert result.value == Decimal("106.08")
    assert result.unit == "umol/L"
    assert (result.value_as_entered, result.unit_as_entered) == (Decimal("1.2"), "mg/dL")
    assert result.entered_by == lab
    assert result.history.get().history_user == lab
    data = response.json()
    Observation.parse_obj(data)
    assert data["valueQuantity"]["value"] == 106.08
    assert data["id"] == str(result.pk)
    # As from the entry form, eGFR is derived from the creatinine (CKD-EPI 2021).
    egfr = LabResult.objects.get(analyte__code="egfr")
    assert egfr.derived_from == result


def test_a_posted_trough_raises_the_same_alerts_as_the_form(
    client, nurse, patient_a, patient_b, tacrolimus
):
    at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    trough = {
        "code": {"coding": [{"system": "http://loinc.org", "code": "77348-1"}]},
        "effectiveDateTime": at.isoformat(),
        "valueQuantity": {"value": 12, "unit": "ng/mL", "code": "ng/mL"},
    }
    response = Api(client, nurse).post("Observation", _observation(patient_a, **trough))
    assert response.status_code == 201
    services.record_result(
        patient=patient_b, analyte=tacrolimus, value=Decimal(12), collected_at=at, entered_by=nurse
    )
    posted = set(Alert.objects.filter(patient=patient_a).values_list("rule_code", flat=True))
    typed = set(Alert.objects.filter(patient=patient_b).values_list("rule_code", flat=True))
    assert posted
    assert posted == typed


def test_a_censored_preliminary_value_keeps_its_comparator_range_and_note(client, lab, patient_a):
    data = _observation(
        patient_a,
        status="preliminary",
        code={"coding": [{"system": "urn:tdm-tracker:analyte", "code": "tacrolimus"}]},
        valueQuantity={"value": 2.0, "comparator": "<", "code": "ng/mL"},
        referenceRange=[{"low": {"value": 5, "code": "ng/mL"}, "high": {"value": 15}}],
        note=[{"text": "below the assay's limit"}],
    )
    assert Api(client, lab).post("Observation", data).status_code == 201
    result = LabResult.objects.get()
    assert (result.comparator, result.value, result.status) == ("<", Decimal(2), "preliminary")
    assert (result.reference_low, result.reference_high) == (Decimal(5), Decimal(15))
    assert result.comment == "below the assay's limit"


def test_a_posted_reference_range_is_converted_like_the_value(client, lab, patient_a):
    data = _observation(
        patient_a,
        referenceRange=[{"low": {"value": 0.6, "code": "mg/dL"}, "high": {"value": 1.1}}],
    )
    assert Api(client, lab).post("Observation", data).status_code == 201
    result = LabResult.objects.get(analyte__code="creatinine")
    assert (result.reference_low, result.reference_high) == (Decimal("53.04"), Decimal("97.24"))


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ("{not json", 400, "not valid JSON"),
        ('{"resourceType": "Patient"}', 400, "Expected resourceType Observation"),
        ({"code": {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}}, 422, "1-8"),
        ({"valueQuantity": {"value": 1.2, "code": "furlongs"}}, 422, "“furlongs” is not a unit"),
        ({"valueQuantity": {"value": "1.2", "code": "mg/dL"}}, 422, "must be a JSON number"),
        ({"valueQuantity": {"value": 1.2}}, 422, "needs its unit"),
        ({"valueQuantity": {"value": 90, "code": "mg/dL"}}, 422, "not a plausible"),
        ({"valueQuantity": {"value": 1, "comparator": "ad", "code": "mg/dL"}}, 422, "comparator"),
        ({"effectiveDateTime": "2026-03-05T08:30:00"}, 422, "time zone"),
        ({"effectiveDateTime": "2026-03-05"}, 422, "date and time"),
        ({"effectiveDateTime": "2099-01-01T08:00:00Z"}, 422, "future"),
        ({"status": "amended"}, 422, "preliminary or final"),
        ({"subject": {"reference": "Group/1"}}, 422, "Patient/12"),
        ({"subject": {"reference": "Patient/987654"}}, 422, "Patient/987654 is not known"),
    ],
)
def test_a_bad_observation_is_refused_with_a_specific_message_and_nothing_is_written(
    client, lab, patient_a, body, status, words
):
    sent = body if isinstance(body, str) else _observation(patient_a, **body)
    response = Api(client, lab).post("Observation", sent)
    assert response.status_code == status
    outcome = response.json()
    OperationOutcome.parse_obj(outcome)
    assert any(words in issue["diagnostics"] for issue in outcome["issue"])
    assert not LabResult.objects.exists()
    assert not Alert.objects.exists()


def test_a_patient_of_another_clinic_reads_like_an_unknown_one(client, lab, patient_other):
    response = Api(client, lab).post("Observation", _observation(patient_other))
    assert response.status_code == 422
    assert f"Patient/{patient_other.pk} is not known" in response.json()["issue"][0]["diagnostics"]
    assert "Garnier" not in response.content.decode()
    assert not LabResult.objects.exists()


def test_the_same_result_twice_is_a_conflict(client, lab, patient_a):
    api = Api(client, lab)
    data = _observation(patient_a)
    assert api.post("Observation", data).status_code == 201
    response = api.post("Observation", data)
    assert response.status_code == 409
    assert "already recorded" in response.json()["issue"][0]["diagnostics"]
    assert LabResult.objects.filter(analyte__code="creatinine").count() == 1


@pytest.mark.parametrize("who", ["patient", "family"])
def test_patients_and_family_cannot_write(client, patient_a, family, who):
    if who == "family":
        # Family members have no tokens; their browser session cannot write either.
        client.force_login(family)
        response = client.post(
            BASE + "Observation", data="{}", content_type="application/fhir+json"
        )
        assert response.status_code == 401
    else:
        response = Api(client, patient_a.user).post("Observation", _observation(patient_a))
        assert response.status_code == 403
    OperationOutcome.parse_obj(response.json())
    assert not LabResult.objects.exists()


# --- Patient -----------------------------------------------------------------------------------


def _patient(code="demo-rheum", mrn="DR-2001", **changes) -> dict:
    data = {
        "resourceType": "Patient",
        "identifier": [{"system": f"urn:tdm-tracker:clinic:{code}", "value": mrn}],
        "name": [{"use": "official", "family": "Moreau", "given": ["Élise", "Marie"]}],
        "gender": "female",
        "birthDate": "1988-04-02",
    }
    data.update(changes)
    return data


def test_a_posted_patient_is_registered_in_the_clinic_of_its_identifier(client, lab, clinic):
    response = Api(client, lab).post("Patient", _patient())
    assert response.status_code == 201
    patient = Patient.objects.get(mrn="DR-2001")
    assert response["Location"] == f"http://testserver{BASE}Patient/{patient.pk}"
    assert patient.clinic == clinic
    assert (patient.first_name, patient.last_name) == ("Élise Marie", "Moreau")
    assert (patient.sex, patient.date_of_birth) == ("F", dt.date(1988, 4, 2))
    record = patient.history.get()
    assert (record.history_user, record.history_change_reason) == (lab, "FHIR Patient create")
    FhirPatient.parse_obj(response.json())


def test_an_existing_mrn_is_a_conflict_and_changes_nothing(client, lab, patient_a):
    response = Api(client, lab).post("Patient", _patient(mrn="DR-1001"))
    assert response.status_code == 409
    assert "DR-1001" in response.json()["issue"][0]["diagnostics"]
    patient_a.refresh_from_db()
    assert patient_a.last_name == "Durand"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"code": "lyon-lupus"}, "not the system of one of your clinics"),
        ({"identifier": []}, "identifier needs the MRN"),
        ({"gender": "unknown"}, "gender must be female or male"),
        ({"birthDate": "1988"}, "birthDate must be a full date"),
        ({"name": [{"family": "Moreau"}]}, "family name and a given name"),
    ],
)
def test_a_bad_patient_is_refused_and_nothing_is_written(client, lab, other_clinic, changes, words):
    code = changes.pop("code", "demo-rheum")
    response = Api(client, lab).post("Patient", _patient(code=code, **changes))
    assert response.status_code == 422
    assert any(words in issue["diagnostics"] for issue in response.json()["issue"])
    assert not Patient.objects.exists()


def test_a_patient_cannot_register_patients(client, patient_a):
    response = Api(client, patient_a.user).post("Patient", _patient())
    assert response.status_code == 403
    assert not Patient.objects.filter(mrn="DR-2001").exists()

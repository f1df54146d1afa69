"""Who may read what through the FHIR API: exactly what the pages show, and nothing about
anyone else (a 404 that reads like an unknown id, an empty Bundle)."""

import json

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.operationoutcome import OperationOutcome

from monitoring import services
from monitoring.models import Alert, ApiToken
from tests.fhir_support import BASE, Api

# What would give patient B away: name, MRN, the trough value recorded for them.
B_MARKERS = ("Bruno", "Lefebvre", "DR-1002", "13.7")


@pytest.fixture
def b_data(patient_b, record_trough):
    """Patient B's trough of 13.7 ng/mL (above target: it raises an alert)."""
    result = record_trough(patient_b, "13.7")
    return {"Patient": patient_b.pk, "Observation": result.pk, "alert": result.alerts.first().pk}


def _user(request, name: str):
    """The account of a named fixture (a patient's login, or the staff user itself)."""
    found = request.getfixturevalue(name)
    return found.user if name.startswith("patient") else found


def _same_but_the_id(response, shown_id, unknown, unknown_id) -> bool:
    return response.content.decode().replace(
        str(shown_id), "ID"
    ) == unknown.content.decode().replace(str(unknown_id), "ID")


@pytest.mark.parametrize(
    ("kind", "key"),
    [("Patient", "Patient"), ("Observation", "Observation"), ("DetectedIssue", "alert")],
)
@pytest.mark.parametrize("reader", ["patient_a", "nurse_other"])
def test_reading_someone_elses_resource_is_the_404_of_an_unknown_id(
    request, client, b_data, kind, key, reader
):
    api = Api(client, _user(request, reader))
    hidden = api.get(f"{kind}/{b_data[key]}")
    unknown = api.get(f"{kind}/987654")
    assert hidden.status_code == unknown.status_code == 404
    OperationOutcome.parse_obj(hidden.json())
    assert _same_but_the_id(hidden, b_data[key], unknown, 987654)
    assert not any(marker in hidden.content.decode() for marker in B_MARKERS)


@pytest.mark.parametrize("reader", ["patient_a", "nurse_other"])
@pytest.mark.parametrize("path", ["Observation", "DetectedIssue", "MedicationStatement", "Patient"])
def test_searching_for_someone_elses_data_is_an_empty_bundle(
    request, client, b_data, reader, path, patient_a, record_trough
):
    record_trough(patient_a, "7.1")
    api = Api(client, _user(request, reader))
    params = {"identifier": "DR-1002"} if path == "Patient" else {"patient": b_data["Patient"]}
    response = api.get(path, params)
    assert response.status_code == 200
    bundle = response.json()
    Bundle.parse_obj(bundle)
    assert bundle["total"] == 0
    assert "entry" not in bundle
    # The self link repeats the search as asked (the MRN the client sent); nothing else of B.
    del bundle["link"]
    assert not any(marker in json.dumps(bundle) for marker in B_MARKERS)
    assert not any(marker in response.content.decode() for marker in B_MARKERS[:2])


def test_a_search_without_a_patient_returns_only_the_users_own_data(
    client, patient_a, b_data, record_trough
):
    own = record_trough(patient_a, "7.1")
    response = Api(client, patient_a.user).get("Observation")
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [str(own.pk)]
    everything = Api(client, patient_a.user).get("Patient").content.decode()
    assert not any(marker in everything for marker in B_MARKERS)


def test_a_nurse_of_another_clinic_sees_none_of_this_clinics_data(client, nurse_other, b_data):
    api = Api(client, nurse_other)
    for path in ("Patient", "Observation", "DetectedIssue", "MedicationStatement"):
        assert api.get(path).json()["total"] == 0
    assert api.get(f"Patient/{b_data['Patient']}/$everything").status_code == 404


def test_a_nurse_reads_her_clinics_patients(client, nurse, b_data):
    api = Api(client, nurse)
    assert api.get(f"Observation/{b_data['Observation']}").status_code == 200
    assert api.get(f"DetectedIssue/{b_data['alert']}").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer tdm_not-a-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_without_a_valid_token_it_is_401(client, patient_a, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(BASE + f"Patient/{patient_a.pk}", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    outcome = response.json()
    OperationOutcome.parse_obj(outcome)
    assert "Durand" not in response.content.decode()


def test_a_revoked_token_is_401(client, nurse, patient_a):
    api = Api(client, nurse)
    assert api.get(f"Patient/{patient_a.pk}").status_code == 200
    services.revoke_api_token(token=ApiToken.objects.get(), user=nurse, reason="left")
    response = api.get(f"Patient/{patient_a.pk}")
    assert response.status_code == 401
    assert "Durand" not in response.content.decode()


def test_a_wrong_token_is_refused_even_in_a_signed_in_browser(client, nurse, patient_a):
    client.force_login(nurse)
    assert client.get(BASE + f"Patient/{patient_a.pk}").status_code == 200
    response = client.get(BASE + f"Patient/{patient_a.pk}", HTTP_AUTHORIZATION="Bearer tdm_x")
    assert response.status_code == 401


def test_a_signed_in_browser_cannot_write(client, nurse, patient_a):
    client.force_login(nurse)
    response = client.post(BASE + "Patient", data="{}", content_type="application/fhir+json")
    assert response.status_code == 401
    assert "token" in response.json()["issue"][0]["diagnostics"]


def test_a_family_member_sees_the_shared_patient_only(client, family, patient_a, b_data):
    client.force_login(family)
    assert client.get(BASE + f"Patient/{patient_a.pk}").status_code == 200
    assert client.get(BASE + f"Patient/{b_data['Patient']}").status_code == 404
    assert client.get(BASE + "Observation", {"patient": b_data["Patient"]}).json()["total"] == 0


def test_a_family_member_whose_share_was_revoked_sees_nothing(
    client, family, share, patient_a, record_trough
):
    record_trough(patient_a, "7.1")
    services.revoke_share(share=share, user=patient_a.user)
    client.force_login(family)
    assert client.get(BASE + f"Patient/{patient_a.pk}").status_code == 404
    assert client.get(BASE + "Observation").json()["total"] == 0


def test_the_metadata_needs_no_token_but_nothing_else_is_public(client, patient_a):
    assert client.get(BASE + "metadata").status_code == 200
    assert client.get(BASE + "Observation").status_code == 401
    assert client.get(BASE + f"Patient/{patient_a.pk}/$everything").status_code == 401


def test_an_unknown_path_is_an_operation_outcome(client, nurse):
    response = Api(client, nurse).get("Encounter")
    assert response.status_code == 404
    OperationOutcome.parse_obj(response.json())


def test_alerts_stay_hidden_from_family(client, family, patient_a, record_trough):
    record_trough(patient_a, "12")
    client.force_login(family)
    alert = Alert.objects.filter(patient=patient_a).first()
    assert client.get(BASE + f"DetectedIssue/{alert.pk}").status_code == 404
    assert client.get(BASE + "DetectedIssue").json()["total"] == 0


def test_every_api_read_and_write_is_in_the_access_log_with_ids_only(
    client, lab, nurse, patient_a, patient_b, record_trough
):
    from monitoring.models import AccessAction, AccessEvent, LabResult

    record_trough(patient_a, "7.1")
    record_trough(patient_b, "5.2")

    assert Api(client, nurse).get("Observation").status_code == 200
    reads = AccessEvent.objects.filter(action=AccessAction.API_READ, user=nurse)
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk, patient_b.pk}
    assert all(event.what == "FHIR Observation search" for event in reads)

    body = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": f"Patient/{patient_a.pk}"},
        "effectiveDateTime": "2026-01-05T08:00:00+01:00",
        "valueQuantity": {"value": 4.2, "unit": "mmol/L", "code": "mmol/L"},
    }
    assert Api(client, lab).post("Observation", body).status_code == 201
    [write] = AccessEvent.objects.filter(action=AccessAction.API_WRITE)
    result = LabResult.objects.get(analyte__code="potassium")
    assert (write.user, write.patient_id, write.object_type, write.object_id) == (
        lab,
        patient_a.pk,
        "LabResult",
        result.pk,
    )
    # Ids only: no names, MRNs or values in the log.
    assert not AccessEvent.objects.filter(what__contains="4.2").exists()

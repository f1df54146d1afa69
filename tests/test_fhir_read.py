"""The FHIR R4 API, reading (issue #6): resources valid against R4, search semantics, paging
and the patient's record as a Bundle."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fhir.resources.bundle import Bundle
from fhir.resources.capabilitystatement import CapabilityStatement
from fhir.resources.detectedissue import DetectedIssue
from fhir.resources.medicationstatement import MedicationStatement
from fhir.resources.observation import Observation
from fhir.resources.operationoutcome import OperationOutcome
from fhir.resources.patient import Patient

from monitoring import services
from monitoring.models import Alert, Analyte, LabResult, Severity
from tests.factories import AlertFactory
from tests.fhir_support import BASE, Api, ids, link


@pytest.fixture
def creatinine(db):
    return Analyte.objects.get(code="creatinine")


def _creatinine(patient, nurse, creatinine, value="1.2", unit="mg/dL", days_ago=1, **extra):
    result, _alerts = services.record_result(
        patient=patient,
        analyte=creatinine,
        value=Decimal(value),
        unit=creatinine.units.get(code=unit),
        collected_at=timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago),
        entered_by=nurse,
        **extra,
    )
    return result


def test_the_capability_statement_is_public_and_valid(client):
    response = client.get(BASE + "metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    data = response.json()
    CapabilityStatement.parse_obj(data)
    assert data["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in data["rest"][0]["resource"]}
    assert set(resources) == {"Patient", "Observation", "MedicationStatement", "DetectedIssue"}
    observation_params = {p["name"] for p in resources["Observation"]["searchParam"]}
    assert {"patient", "code", "date", "status", "_count"} <= observation_params
    assert "Bearer" in data["rest"][0]["security"]["description"]


def test_a_patient_reads_their_own_patient_resource(client, patient_a):
    response = Api(client, patient_a.user).get(f"Patient/{patient_a.pk}")
    assert response.status_code == 200
    data = response.json()
    Patient.parse_obj(data)
    assert data["identifier"][0]["system"] == "urn:tdm-tracker:clinic:demo-rheum"
    assert data["identifier"][0]["value"] == "DR-1001"
    assert data["name"][0]["family"] == "Durand"
    assert data["gender"] == "female"
    assert data["birthDate"] == patient_a.date_of_birth.isoformat()
    assert data["managingOrganization"]["display"] == "Demo Rheumatology"


@pytest.mark.parametrize(
    "identifier", ["urn:tdm-tracker:clinic:demo-rheum|DR-1001", "DR-1001", "|DR-1001"]
)
def test_a_nurse_finds_a_patient_by_mrn(client, nurse, patient_a, patient_b, identifier):
    response = Api(client, nurse).get("Patient", {"identifier": identifier})
    bundle = response.json()
    Bundle.parse_obj(bundle)
    assert bundle["total"] == 1
    assert ids(bundle) == [str(patient_a.pk)]


def test_an_mrn_under_another_system_finds_nobody(client, nurse, patient_a):
    bundle = Api(client, nurse).get("Patient", {"identifier": "urn:other|DR-1001"}).json()
    assert bundle["total"] == 0
    assert "entry" not in bundle


def test_an_observation_is_a_valid_laboratory_result_in_the_canonical_unit(
    client, nurse, patient_a, creatinine
):
    result = _creatinine(patient_a, nurse, creatinine, comment="haemolysed?")
    response = Api(client, nurse).get(f"Observation/{result.pk}")
    assert response.status_code == 200
    data = response.json()
    Observation.parse_obj(data)
    assert data["status"] == "final"
    assert data["category"][0]["coding"][0]["code"] == "laboratory"
    assert {"system": "http://loinc.org", "code": "14682-9", "display": "Creatinine"} in data[
        "code"
    ]["coding"]
    # 1.2 mg/dL × 88.4 = 106.08 µmol/L, sent as a number in the canonical UCUM unit.
    assert data["valueQuantity"] == {
        "value": 106.08,
        "unit": "µmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "umol/L",
    }
    # Alice's default (female) range, 52–92 µmol/L: 106 is high.
    assert data["referenceRange"][0]["low"]["value"] == 52
    assert data["referenceRange"][0]["high"]["value"] == 92
    assert data["interpretation"][0]["coding"][0]["code"] == "H"
    assert data["note"] == [{"text": "haemolysed?"}]
    assert data["subject"] == {"reference": f"Patient/{patient_a.pk}"}
    assert dt.datetime.fromisoformat(data["effectiveDateTime"]) == result.collected_at
    assert data["effectiveDateTime"].endswith(("+01:00", "+02:00"))


def test_the_labs_own_range_and_a_censored_value_are_kept(client, nurse, patient_a, tacrolimus):
    result, _alerts = services.record_result(
        patient=patient_a,
        analyte=tacrolimus,
        value=Decimal("2.0"),
        comparator="<",
        reference_low=Decimal("5"),
        reference_high=Decimal("15"),
        collected_at=timezone.now() - dt.timedelta(hours=2),
        entered_by=nurse,
    )
    data = Api(client, nurse).get(f"Observation/{result.pk}").json()
    Observation.parse_obj(data)
    assert data["valueQuantity"]["comparator"] == "<"
    assert data["valueQuantity"]["value"] == 2
    assert data["valueQuantity"]["code"] == "ng/mL"
    assert data["referenceRange"][0]["low"]["value"] == 5
    assert data["referenceRange"][0]["high"]["value"] == 15


def test_an_entered_in_error_result_is_read_with_that_status_and_left_out_of_searches(
    client, nurse, patient_a, record_trough
):
    wrong = record_trough(patient_a, "7.1")
    kept = record_trough(patient_a, "6.5")
    services.mark_result_entered_in_error(result=wrong, user=nurse, reason="wrong patient")
    api = Api(client, nurse)
    assert api.get(f"Observation/{wrong.pk}").json()["status"] == "entered-in-error"
    assert ids(api.get("Observation", {"patient": patient_a.pk}).json()) == [str(kept.pk)]
    asked = api.get("Observation", {"patient": patient_a.pk, "status": "entered-in-error"})
    assert ids(asked.json()) == [str(wrong.pk)]


@pytest.mark.parametrize(
    "code",
    ["http://loinc.org|14682-9", "14682-9", "creatinine", "2160-0", "http://loinc.org|2160-0"],
)
def test_observations_are_searched_by_code(
    client, nurse, patient_a, record_trough, creatinine, code
):
    record_trough(patient_a, "7.1")
    result = _creatinine(patient_a, nurse, creatinine)
    bundle = Api(client, nurse).get("Observation", {"code": code}).json()
    assert ids(bundle) == [str(result.pk)]


def test_observations_are_searched_by_sample_date(client, nurse, patient_a, record_trough):
    now = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    days = [now - dt.timedelta(days=n) for n in (10, 5, 1)]
    old, middle, recent = (record_trough(patient_a, "7", at=day) for day in days)
    api = Api(client, nurse)
    params = {"date": [f"ge{days[1].date()}", f"le{days[1].date()}"]}
    assert ids(api.get("Observation", params).json()) == [str(middle.pk)]
    after = api.get("Observation", {"date": f"gt{days[1].date()}"}).json()
    assert ids(after) == [str(recent.pk)]
    before = api.get("Observation", {"date": f"lt{days[1].isoformat()}"}).json()
    assert ids(before) == [str(old.pk)]


def test_following_next_links_returns_every_result_once(client, nurse, patient_a, record_trough):
    created = {str(record_trough(patient_a, "7").pk) for _ in range(7)}
    api = Api(client, nurse)
    response = api.get("Observation", {"patient": f"Patient/{patient_a.pk}", "_count": 3})
    seen, pages = [], 0
    while True:
        bundle = response.json()
        Bundle.parse_obj(bundle)
        assert bundle["total"] == 7
        seen += ids(bundle)
        pages += 1
        following = link(bundle, "next")
        if following is None:
            break
        response = client.get(following, HTTP_AUTHORIZATION=api.header)
    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    assert link(bundle, "previous") is not None


def test_results_are_newest_first_unless_sorted_by_date(client, nurse, patient_a, record_trough):
    first, second = record_trough(patient_a, "7"), record_trough(patient_a, "6")
    api = Api(client, nurse)
    assert ids(api.get("Observation").json()) == [str(second.pk), str(first.pk)]
    assert ids(api.get("Observation", {"_sort": "date"}).json()) == [str(first.pk), str(second.pk)]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"subject": "1"}, "Unknown search parameter subject"),
        ({"date": "2026-13-45"}, "is not a date"),
        ({"date": "ne2026-01-01"}, "prefix “ne”"),
        ({"_count": "-1"}, "_count must be a whole number"),
        ({"patient": "Group/1"}, "Patient/<id>"),
        ({"status": "cancelled"}, "status “cancelled”"),
        ({"_sort": "value"}, "_sort “value”"),
    ],
)
def test_a_search_it_cannot_run_is_a_400_that_says_why(client, nurse, params, words):
    response = Api(client, nurse).get("Observation", params)
    assert response.status_code == 400
    outcome = response.json()
    OperationOutcome.parse_obj(outcome)
    assert words in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize("count", [5, 30])
def test_an_observation_search_costs_the_same_queries_whatever_its_length(
    client, nurse, patient_a, record_trough, django_assert_num_queries, count
):
    for _ in range(count):
        record_trough(patient_a, "7.1")
    api = Api(client, nurse)
    api.get("Patient")  # the token's first use records it (once a minute)
    # The token (1), the total (1), the page (1), the access log (1 INSERT for every patient
    # in the page): the same for 5 or 30 results.
    with django_assert_num_queries(4):
        response = api.get("Observation", {"patient": patient_a.pk, "code": "77348-1"})
    assert response.json()["total"] == count


def test_medication_statements_carry_the_regimen_and_other_medicines(
    client, nurse, patient_a, start_regimen
):
    today = timezone.localdate()
    regimen = start_regimen(patient_a, today - dt.timedelta(days=30))
    stopped = services.record_medication(
        patient=patient_a,
        name="Amlodipine",
        dose="5 mg daily",
        started_on=today - dt.timedelta(days=60),
        stopped_on=today - dt.timedelta(days=10),
        entered_by=nurse,
    )
    api = Api(client, nurse)
    bundle = api.get("MedicationStatement", {"patient": patient_a.pk}).json()
    Bundle.parse_obj(bundle)
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    tacrolimus = by_id[f"regimen-{regimen.pk}"]
    MedicationStatement.parse_obj(tacrolimus)
    assert tacrolimus["status"] == "active"
    assert "Prograf" in tacrolimus["medicationCodeableConcept"]["text"]
    assert tacrolimus["dosage"][0]["text"] == "3 mg morning + 3 mg evening"
    assert by_id[f"medication-{stopped.pk}"]["status"] == "stopped"
    only_active = api.get("MedicationStatement", {"patient": patient_a.pk, "status": "active"})
    assert ids(only_active.json()) == [f"regimen-{regimen.pk}"]
    read = api.get(f"MedicationStatement/medication-{stopped.pk}").json()
    assert read["medicationCodeableConcept"]["text"] == "Amlodipine"


def test_an_alert_is_a_detected_issue_pointing_at_its_result(
    client, doctor, patient_a, record_trough
):
    result = record_trough(patient_a, "12")
    alert = Alert.objects.get(patient=patient_a, result=result, severity__gte=Severity.WARNING)
    api = Api(client, doctor)
    data = api.get(f"DetectedIssue/{alert.pk}").json()
    DetectedIssue.parse_obj(data)
    assert data["status"] == "preliminary"
    assert data["code"]["coding"][0]["system"] == "urn:tdm-tracker:rule"
    assert data["code"]["coding"][0]["code"] == alert.rule_code
    assert data["implicated"] == [{"reference": f"Observation/{result.pk}"}]
    assert data["detail"] == alert.text
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose to be reviewed")
    data = api.get(f"DetectedIssue/{alert.pk}").json()
    assert data["status"] == "final"
    assert "Dose to be reviewed" in data["mitigation"][0]["action"]["text"]
    assert ids(api.get("DetectedIssue", {"status": "preliminary"}).json()) == [
        a for a in ids(api.get("DetectedIssue").json()) if a != str(alert.pk)
    ]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.CRITICAL, "high"),
        (Severity.URGENT, "high"),
        (Severity.WARNING, "moderate"),
        (Severity.INFO, "low"),
    ],
)
def test_alert_severities_map_to_detected_issue_severities(
    client, doctor, patient_a, severity, expected
):
    alert = AlertFactory(patient=patient_a, severity=severity)
    assert Api(client, doctor).get(f"DetectedIssue/{alert.pk}").json()["severity"] == expected


def test_everything_is_the_patients_record_in_one_bundle(
    client, doctor, patient_a, record_trough, start_regimen
):
    result = record_trough(patient_a, "12")
    regimen = start_regimen(patient_a, timezone.localdate() - dt.timedelta(days=3))
    response = Api(client, doctor).get(f"Patient/{patient_a.pk}/$everything")
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    bundle = response.json()
    Bundle.parse_obj(bundle)
    kinds = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]}
    assert ("Patient", str(patient_a.pk)) in kinds
    assert ("Observation", str(result.pk)) in kinds
    assert ("MedicationStatement", f"regimen-{regimen.pk}") in kinds
    assert any(kind == "DetectedIssue" for kind, _id in kinds)
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver{BASE}Patient/{patient_a.pk}"


def test_the_record_downloads_as_a_fhir_file(client, doctor, patient_a):
    response = Api(client, doctor).get(f"Patient/{patient_a.pk}/$everything", {"_download": 1})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="patient-DR-1001-fhir.json"'
    Bundle.parse_obj(response.json())


def test_patients_see_held_results_only_once_released(client, nurse, patient_a, creatinine):
    creatinine.release_policy = "after-review"
    creatinine.save()
    result = _creatinine(patient_a, nurse, creatinine)
    api = Api(client, patient_a.user)
    assert api.get(f"Observation/{result.pk}").status_code == 404
    assert api.get("Observation").json()["total"] == 0
    services.release_results(results=[result], user=nurse)
    assert api.get(f"Observation/{result.pk}").status_code == 200
    assert ids(api.get("Observation").json()) == [str(result.pk)]


def test_patients_get_no_detected_issues_as_the_portal_shows_them_no_alerts(
    client, patient_a, record_trough
):
    record_trough(patient_a, "12")
    alert = Alert.objects.filter(patient=patient_a).first()
    api = Api(client, patient_a.user)
    assert api.get("DetectedIssue").json()["total"] == 0
    assert api.get(f"DetectedIssue/{alert.pk}").status_code == 404
    everything = api.get(f"Patient/{patient_a.pk}/$everything").json()
    assert "DetectedIssue" not in {e["resource"]["resourceType"] for e in everything["entry"]}


def test_a_family_members_reads_are_recorded_on_their_share(
    client, family, share, patient_a, record_trough
):
    result = record_trough(patient_a, "7.1")
    client.force_login(family)
    search = client.get(BASE + "Observation", {"patient": patient_a.pk})
    assert ids(search.json()) == [str(result.pk)]
    assert client.get(BASE + f"Patient/{patient_a.pk}").status_code == 200
    assert sorted(share.accesses.values_list("what", flat=True)) == [
        "FHIR Observation search",
        "FHIR Patient",
    ]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(client, nurse, patient_a, method):
    api = Api(client, nurse)
    response = getattr(client, method)(
        BASE + f"Patient/{patient_a.pk}", HTTP_AUTHORIZATION=api.header
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    OperationOutcome.parse_obj(response.json())
    assert LabResult.objects.count() == 0


@pytest.mark.parametrize(
    "path", ["Patient/{pk}/$everything", "DetectedIssue", "MedicationStatement", "Patient"]
)
def test_other_lists_cost_the_same_queries_whatever_their_length(
    client, doctor, nurse, patient_a, record_trough, path
):
    api = Api(client, doctor)
    api.get("Patient")  # the token's first use records it (once a minute)
    url = path.format(pk=patient_a.pk)

    def queries_after(troughs: int) -> int:
        for _ in range(troughs):
            record_trough(patient_a, "12")  # above target: results and alerts
            services.record_medication(
                patient=patient_a,
                name="Paracetamol",
                started_on=timezone.localdate(),
                entered_by=nurse,
            )
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    assert queries_after(2) == queries_after(6)


def test_the_charts_page_offers_the_record_as_a_fhir_bundle_download(client, nurse, patient_a):
    client.force_login(nurse)
    page = client.get(reverse("monitoring:patient_charts", args=[patient_a.pk])).text
    link = reverse("fhir:patient_everything", args=[patient_a.pk]) + "?_download=1"
    assert link in page
    response = client.get(link)
    assert response["Content-Disposition"] == 'attachment; filename="patient-DR-1001-fhir.json"'
    Bundle.parse_obj(response.json())

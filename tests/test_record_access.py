"""Who may open the clinical-record views: the blood draw, the entry forms, the ECG tracing,
the interaction check and the patient's symptom report."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Analyte, ClinicalEntry, LabResult, Role, Symptom
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n%%EOF\n"
KINDS = ["regimen", "weight", "ecg", "medication", "allergy", "vaccination", "pregnancy", "symptom"]
STAFF = {Role.NURSE, Role.DOCTOR}

# Each view, how it is reached, and the roles it serves.
VIEWS = {
    "record_draw": ("get", STAFF),
    "draw_detail": ("get", STAFF),
    **{f"record_entry:{kind}": ("get", STAFF) for kind in KINDS},
    "record_entry_entered_in_error": ("get", STAFF),
    "medication_stop": ("post", STAFF),
    "ecg_tracing": ("get", STAFF),
    "interaction_match": ("get", STAFF),
    "report_symptom": ("get", {Role.PATIENT}),
}
# Views whose URL names patient A: another clinic's staff must not learn they exist.
PATIENT_SCOPED = [
    name for name in VIEWS if name not in {"record_draw", "interaction_match", "report_symptom"}
]
USERS = {Role.NURSE: "nurse", Role.DOCTOR: "doctor", Role.PATIENT: "alice", Role.FAMILY: "family"}

WRONG_ROLES = [
    (name, role)
    for name, (_method, allowed) in VIEWS.items()
    for role in USERS
    if role not in allowed
]
RIGHT_ROLES = [
    (name, role)
    for name, (method, allowed) in VIEWS.items()
    for role in sorted(allowed)
    if method == "get"
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def alice(patient_a):
    return patient_a.user


@pytest.fixture
def record(patient_a, nurse):
    """Patient A's record: a draw, a weight, a medicine and an ECG with its tracing."""
    drawn = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    result, _ = services.record_result(
        patient=patient_a,
        analyte=Analyte.objects.get(code="potassium"),
        value=Decimal("4.2"),
        collected_at=drawn,
        entered_by=nurse,
    )
    return {
        "result": result,
        "weight": services.record_weight(
            patient=patient_a,
            weight_kg=Decimal("64"),
            measured_on=timezone.localdate(),
            entered_by=nurse,
        ),
        "medication": services.record_medication(
            patient=patient_a, name="Vfend 200 mg", started_on=drawn.date(), entered_by=nurse
        ),
        "ecg": services.record_ecg(
            patient=patient_a,
            recorded_at=drawn,
            qt_ms=400,
            heart_rate_bpm=70,
            tracing=SimpleUploadedFile("ecg.pdf", PDF),
            entered_by=nurse,
        ),
    }


def urls_for(patient, record) -> dict[str, str]:
    patient_id = patient.pk
    at = int(record["result"].collected_at.timestamp())
    urls = {
        "record_draw": reverse("monitoring:record_draw"),
        "draw_detail": reverse("monitoring:draw_detail", args=[patient_id, at]),
        "record_entry_entered_in_error": reverse(
            "monitoring:record_entry_entered_in_error",
            args=[patient_id, "weight", record["weight"].pk],
        ),
        "medication_stop": reverse(
            "monitoring:medication_stop", args=[patient_id, record["medication"].pk]
        ),
        "ecg_tracing": reverse("monitoring:ecg_tracing", args=[patient_id, record["ecg"].pk]),
        "interaction_match": reverse("monitoring:interaction_match") + "?q=Vfend",
        "report_symptom": reverse("monitoring:report_symptom"),
    }
    for kind in KINDS:
        urls[f"record_entry:{kind}"] = reverse("monitoring:record_entry", args=[patient_id, kind])
    return urls


@pytest.fixture
def urls(patient_a, record, share):
    return urls_for(patient_a, record)


def visit(client, name, url):
    if VIEWS[name][0] == "post":
        return client.post(url)
    response = client.get(url)
    if response.streaming:  # the tracing: read it, which also closes the file
        response.downloaded = b"".join(response.streaming_content)
    return response


def nothing_changed(record) -> bool:
    record["medication"].refresh_from_db()
    record["weight"].refresh_from_db()
    return (
        record["medication"].stopped_on is None
        and record["weight"].status == ClinicalEntry.Status.ACTIVE
    )


@pytest.mark.parametrize("name", VIEWS)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, urls, record, name):
    response = visit(client, name, urls[name])

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert nothing_changed(record)


@pytest.mark.parametrize(("name", "role"), RIGHT_ROLES)
def test_the_right_role_can_open_the_page(client, request, urls, name, role):
    client.force_login(request.getfixturevalue(USERS[role]))

    response = visit(client, name, urls[name])

    assert response.status_code == 200
    if name == "ecg_tracing":
        assert response.downloaded == PDF


@pytest.mark.parametrize(("name", "role"), WRONG_ROLES)
def test_a_wrong_role_is_forbidden(client, request, urls, record, name, role):
    client.force_login(request.getfixturevalue(USERS[role]))

    response = visit(client, name, urls[name])

    assert response.status_code == 403
    assert "Durand" not in response.text
    assert PDF not in response.content
    assert nothing_changed(record)


@pytest.mark.parametrize("name", PATIENT_SCOPED)
def test_a_nurse_of_another_clinic_gets_not_found(client, nurse_other, urls, record, name):
    client.force_login(nurse_other)

    response = visit(client, name, urls[name])

    assert response.status_code == 404
    assert "Durand" not in response.text
    assert PDF not in response.content
    assert nothing_changed(record)


@pytest.mark.parametrize("name", ["draw_detail", "ecg_tracing", "medication_stop"])
def test_a_doctor_of_another_clinic_gets_not_found(client, doctor_other, urls, record, name):
    client.force_login(doctor_other)

    response = visit(client, name, urls[name])

    assert response.status_code == 404
    assert nothing_changed(record)


@pytest.mark.parametrize(
    "name", ["draw_detail", "record_entry_entered_in_error", "medication_stop", "ecg_tracing"]
)
def test_an_entry_of_patient_a_is_not_found_under_patient_bs_address(
    client, nurse, patient_b, record, name
):
    client.force_login(nurse)

    response = visit(client, name, urls_for(patient_b, record)[name])

    assert response.status_code == 404
    assert PDF not in response.content
    assert nothing_changed(record)


def test_a_nurse_of_another_clinic_cannot_record_a_draw_for_patient_a(
    client, nurse_other, patient_a
):
    client.force_login(nurse_other)
    url = reverse("monitoring:record_draw")

    page = client.get(url, {"patient": patient_a.pk})
    response = client.post(
        url,
        {
            "patient": patient_a.pk,
            "collected_at": "2025-11-24T08:00",
            "value_potassium": "4.2",
            "unit_potassium": "mmol/L",
        },
    )

    assert "Durand" not in page.text
    assert "Select a valid choice." in response.text
    assert "Durand" not in response.text
    assert LabResult.objects.count() == 0


def test_the_draw_form_lists_only_the_patients_of_the_nurses_clinics(
    client, nurse, patient_a, patient_b, patient_other
):
    client.force_login(nurse)

    page = client.get(reverse("monitoring:record_draw")).text

    assert "Durand, Alice (DR-1001)" in page
    assert "Lefebvre, Bruno (DR-1002)" in page
    assert "Garnier" not in page


def test_a_patients_symptom_report_is_always_for_themself(client, alice, patient_a, patient_b):
    client.force_login(alice)

    client.post(
        reverse("monitoring:report_symptom"),
        {
            "patient": patient_b.pk,
            "kind": "headache",
            "severity": "mild",
            "started_on": f"{timezone.localdate():%Y-%m-%d}",
        },
    )

    assert Symptom.objects.get().patient == patient_a
    assert not patient_b.symptoms.exists()


def test_a_family_member_cannot_report_a_symptom_for_the_patient(client, family, patient_a):
    client.force_login(family)

    response = client.post(
        reverse("monitoring:report_symptom"),
        {"kind": "tremor", "severity": "mild", "started_on": f"{timezone.localdate():%Y-%m-%d}"},
    )

    assert response.status_code == 403
    assert Symptom.objects.count() == 0


def test_a_patient_account_without_a_record_cannot_report_a_symptom(client, db):
    client.force_login(UserFactory(role=Role.PATIENT))

    response = client.get(reverse("monitoring:report_symptom"))

    assert response.status_code == 404

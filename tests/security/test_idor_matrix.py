"""The authorisation matrix (issue #7, OWASP ASVS 5.0 V8): every endpoint that takes an object
id, with every method it accepts, for every kind of visitor, against patient A's objects.

The expected answer of each cell comes from ACCESS below (SECURITY.md shows the same table).
A denied cell must look exactly like an id that does not exist (same status, same page once
the CSRF token and the id are set aside), show nothing of patient A, change nothing in the
database, and (once the access log is merged) leave an access-log entry.

The world is built once for the module, inside a transaction rolled back at the end; each
test runs in its own savepoint, so a write by one cell never reaches another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from monitoring import models as monitoring_models
from monitoring import services
from monitoring.models import (
    Alert,
    Allergy,
    Analyte,
    DoseTimeReport,
    Ecg,
    InboundMessage,
    Invitation,
    LabResult,
    Medication,
    Patient,
    Regimen,
    Role,
    RuleSuppression,
    Share,
    ShareAccess,
    Symptom,
    TroughTarget,
    UnmatchedResult,
    User,
    Weight,
)
from tests.factories import ClinicFactory, PatientFactory, UserFactory

MISSING = 999999
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Patient A's data that nobody outside their care may ever see: distinctive on purpose.
A_LAST_NAME = "Quixmark"
A_MRN = "QX-7731"
A_MARKERS = ["MARKER-COMMENT-A", "Markerazole", "MARKER-SYMPTOM-A", "MARKER-DISMISS-A"]
OTHER_CLINIC_MARKERS = ["Farquar", "LY-9090", "MARKER-COMMENT-OTHER"]


# --- The world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        yield _build_world()
        transaction.set_rollback(True)


def _build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.clinic = ClinicFactory(name="Demo Rheumatology", code="demo-rheum")
    w.other_clinic = ClinicFactory(name="Lyon Lupus Clinic", code="lyon-lupus")
    w.nurse = UserFactory(username="nurse", role=Role.NURSE, clinics=[w.clinic])
    w.doctor = UserFactory(username="doctor", role=Role.DOCTOR, clinics=[w.clinic])
    w.nurse_other = UserFactory(username="nurse2", role=Role.NURSE, clinics=[w.other_clinic])
    w.doctor_other = UserFactory(username="doctor2", role=Role.DOCTOR, clinics=[w.other_clinic])
    w.patient_a = PatientFactory(
        clinic=w.clinic,
        mrn=A_MRN,
        first_name="Zephyrine",
        last_name=A_LAST_NAME,
        user=UserFactory(username="alice", first_name="Zephyrine", role=Role.PATIENT),
    )
    w.patient_b = PatientFactory(
        clinic=w.clinic,
        mrn="DR-1002",
        first_name="Bruno",
        last_name="Lefebvre",
        user=UserFactory(username="bob", role=Role.PATIENT),
    )
    w.patient_other = PatientFactory(
        clinic=w.other_clinic,
        mrn="LY-9090",
        first_name="Ottoline",
        last_name="Farquar",
        user=UserFactory(username="dave", role=Role.PATIENT),
    )
    w.alice, w.bob = w.patient_a.user, w.patient_b.user
    w.carol = UserFactory(username="carol", first_name="Carole", role=Role.FAMILY)
    w.rita = UserFactory(username="rita", first_name="Rita", role=Role.FAMILY)
    w.share = Share.objects.create(patient=w.patient_a, grantee=w.carol)
    w.revoked_share = Share.objects.create(
        patient=w.patient_a, grantee=w.rita, revoked_at=timezone.now()
    )
    w.lab = UserFactory(username="lab", role=Role.INTERFACE, clinics=[w.clinic])

    tacrolimus = Analyte.objects.get(code=Analyte.TACROLIMUS)
    collected = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=2)

    def trough(patient, value, at, comment=""):
        result, _alerts = services.record_result(
            patient=patient,
            analyte=tacrolimus,
            value=Decimal(value),
            collected_at=at,
            last_dose_at=at - dt.timedelta(hours=12),
            comment=comment,
            entered_by=w.nurse,
        )
        return result

    # A low trough raises an alert: patient A's result, alert and draw.
    w.result = trough(w.patient_a, "4.0", collected, "MARKER-COMMENT-A")
    w.alert = Alert.objects.get(result=w.result)
    w.at = int(collected.timestamp())
    assert LabResult.objects.released().filter(pk=w.result.pk).exists()
    w.result_b = trough(w.patient_b, "7.0", collected)
    other = trough(w.patient_other, "4.0", collected, "MARKER-COMMENT-OTHER")
    w.alert_other = Alert.objects.get(result=other)

    today = timezone.localdate()
    w.medication = services.record_medication(
        patient=w.patient_a, name="Markerazole", started_on=today, entered_by=w.nurse
    )
    w.medication_b = services.record_medication(
        patient=w.patient_b, name="Paracetamol", started_on=today, entered_by=w.nurse
    )
    w.ecg = services.record_ecg(
        patient=w.patient_a,
        recorded_at=collected,
        qt_ms=400,
        heart_rate_bpm=70,
        entered_by=w.nurse,
        tracing=SimpleUploadedFile("ecg.pdf", PDF, content_type="application/pdf"),
    )
    w.ecg_b = services.record_ecg(
        patient=w.patient_b,
        recorded_at=collected,
        qt_ms=400,
        heart_rate_bpm=70,
        entered_by=w.nurse,
        tracing=SimpleUploadedFile("ecg.pdf", PDF, content_type="application/pdf"),
    )
    w.symptom = services.record_symptom(
        patient=w.patient_a,
        kind="other",
        other_text="MARKER-SYMPTOM-A",
        severity="mild",
        started_on=today,
        entered_by=w.nurse,
    )
    w.invitation, w.invitation_token = services.invite_family_member(
        patient=w.patient_a, email="friend@example.org", invited_by=w.alice
    )
    message = InboundMessage.objects.create(
        control_id="MSG-IDOR",
        sending_application="LAB",
        sending_facility="CHU",
        message_type="ORU^R01",
        version="2.5",
        transport="mllp",
        received_by=w.lab,
        raw="MSH|^~\\&|LAB|CHU\rPID|1||QX-7731^^^demo-rheum^MR||Quixmark^Zephyrine\r",
        outcome="AE",
    )
    w.unmatched = UnmatchedResult.objects.create(
        message=message,
        clinic=w.clinic,
        reason="No patient with this MRN",
        mrn="QX-7731",
        family_name=A_LAST_NAME,
        given_name="Zephyrine",
        code="77348-1",
        code_system="LN",
        code_text="Tacrolimus",
        value="7.1",
        unit="ng/mL",
        result_status="F",
        observed_at=collected,
    )
    return w


PERSONAS = [
    "alice",  # patient A
    "bob",  # patient B, same clinic
    "carol",  # family of A (active share)
    "rita",  # family of A, share revoked
    "nurse",  # A's clinic
    "doctor",  # A's clinic
    "nurse_other",  # another clinic
    "doctor_other",  # another clinic (reaches the doctor-only pages' lookups)
    "anonymous",
]
# Who may see patient A at all: everyone else must never meet A's name or MRN.
MAY_KNOW_A = {"alice", "carol", "nurse", "doctor"}

# The access classes: persona → "ok", or the denial they get.
_STAFF = {"nurse": "ok", "doctor": "ok", "nurse_other": 404, "doctor_other": 404}
_PORTAL_403 = {"alice": 403, "bob": 403, "carol": 403, "rita": 403}
ACCESS = {
    # Nurses and doctors of the patient's clinic.
    "staff": {**_STAFF, **_PORTAL_403, "anonymous": "login"},
    # Doctors of the patient's clinic; nurses are the wrong role.
    "doctor": {
        **_PORTAL_403,
        "doctor": "ok",
        "doctor_other": 404,
        "nurse": 403,
        "nurse_other": 403,
        "anonymous": "login",
    },
    # The patient and their family (active share).
    "portal": {
        "alice": "ok",
        "carol": "ok",
        "bob": 404,
        "rita": 404,
        "nurse": 403,
        "doctor": 403,
        "nurse_other": 403,
        "doctor_other": 403,
        "anonymous": "login",
    },
    # Only the patient who gave the share or sent the invitation.
    "owner": {
        "alice": "ok",
        "bob": 404,
        "carol": 403,
        "rita": 403,
        "nurse": 403,
        "doctor": 403,
        "nurse_other": 403,
        "doctor_other": 403,
        "anonymous": "login",
    },
    # FHIR reads of the patient's record: whoever sees the patient on the pages.
    "fhir": {
        **_STAFF,
        "alice": "ok",
        "carol": "ok",
        "bob": 404,
        "rita": 404,
        "anonymous": 401,
    },
    # FHIR reads of alerts: staff only (the portal shows no alerts).
    "fhir_staff": {
        **_STAFF,
        "alice": 404,
        "carol": 404,
        "bob": 404,
        "rita": 404,
        "anonymous": 401,
    },
    # The clinic administrator only (the access log); none of the personas is one.
    "clinic_admin": {
        **_PORTAL_403,
        "nurse": 403,
        "doctor": 403,
        "nurse_other": 403,
        "doctor_other": 403,
        "anonymous": "login",
    },
    # An object of patient B under patient A's id, for staff who may see both.
    "crossed": {"nurse": 404, "doctor": 404},
}


@dataclass(frozen=True)
class Endpoint:
    label: str
    url_name: str
    method: str
    access: str
    ids: Callable  # world → the URL's kwargs (the object ids in it)
    data: Callable = field(default=lambda w: {})  # world → a plausible POST body
    # Whether the denial is decided by monitoring/views/access.py (then it is logged).
    logged: bool = True

    def url(self, w, *, missing: bool = False) -> str:
        kwargs = self.ids(w)
        if missing:
            kwargs = {k: (MISSING if isinstance(v, int) else v) for k, v in kwargs.items()}
        return reverse(self.url_name, kwargs=kwargs)


def _patient(w):
    return {"patient_id": w.patient_a.pk}


def _trough_body(w):
    at = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "value": "7.0",
        "collected_at": at.strftime("%Y-%m-%dT%H:%M"),
        "last_dose_at": (at - dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        "comment": "",
    }


ENDPOINTS = [
    Endpoint("patient page", "monitoring:patient_detail", "GET", "staff", _patient),
    Endpoint("record trough form", "monitoring:record_trough", "GET", "staff", _patient),
    Endpoint("record trough", "monitoring:record_trough", "POST", "staff", _patient, _trough_body),
    Endpoint("target form", "monitoring:trough_target_set", "GET", "doctor", _patient),
    Endpoint(
        "set target",
        "monitoring:trough_target_set",
        "POST",
        "doctor",
        _patient,
        lambda w: {
            "preset": "custom",
            "low": "5",
            "high": "7",
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "reason": "lower risk",
        },
    ),
    Endpoint(
        "result edit form",
        "monitoring:result_edit",
        "GET",
        "staff",
        lambda w: {"result_id": w.result.pk},
    ),
    Endpoint(
        "edit result",
        "monitoring:result_edit",
        "POST",
        "staff",
        lambda w: {"result_id": w.result.pk},
        lambda w: {
            **_trough_body(w),
            "collected_at": timezone.localtime(w.result.collected_at).strftime("%Y-%m-%dT%H:%M"),
            "last_dose_at": timezone.localtime(w.result.last_dose_at).strftime("%Y-%m-%dT%H:%M"),
            "reason": "transcription error",
        },
    ),
    Endpoint(
        "entered-in-error form",
        "monitoring:result_entered_in_error",
        "GET",
        "staff",
        lambda w: {"result_id": w.result.pk},
    ),
    Endpoint(
        "mark result entered in error",
        "monitoring:result_entered_in_error",
        "POST",
        "staff",
        lambda w: {"result_id": w.result.pk},
        lambda w: {"reason": "wrong patient"},
    ),
    Endpoint(
        "result history",
        "monitoring:result_history",
        "GET",
        "staff",
        lambda w: {"result_id": w.result.pk},
    ),
    Endpoint("charts", "monitoring:patient_charts", "GET", "staff", _patient),
    Endpoint("results CSV", "monitoring:patient_results_csv", "GET", "staff", _patient),
    Endpoint(
        "draw",
        "monitoring:draw_detail",
        "GET",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "at": w.at},
    ),
    Endpoint(
        "release draw",
        "monitoring:draw_release",
        "POST",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "at": w.at},
    ),
    Endpoint(
        "entry form",
        "monitoring:record_entry",
        "GET",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "kind": "allergy"},
    ),
    Endpoint(
        "record entry",
        "monitoring:record_entry",
        "POST",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "kind": "allergy"},
        lambda w: {"substance": "penicillin", "reaction": "rash"},
    ),
    Endpoint(
        "entry entered-in-error form",
        "monitoring:record_entry_entered_in_error",
        "GET",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "kind": "symptom", "entry_id": w.symptom.pk},
    ),
    Endpoint(
        "mark entry entered in error",
        "monitoring:record_entry_entered_in_error",
        "POST",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "kind": "symptom", "entry_id": w.symptom.pk},
        lambda w: {"reason": "wrong patient"},
    ),
    Endpoint(
        "stop medication",
        "monitoring:medication_stop",
        "POST",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "medication_id": w.medication.pk},
    ),
    Endpoint(
        "ECG tracing",
        "monitoring:ecg_tracing",
        "GET",
        "staff",
        lambda w: {"patient_id": w.patient_a.pk, "ecg_id": w.ecg.pk},
    ),
    Endpoint(
        "alert",
        "monitoring:alert_acknowledge",
        "GET",
        "doctor",
        lambda w: {"alert_id": w.alert.pk},
    ),
    Endpoint(
        "acknowledge alert",
        "monitoring:alert_acknowledge",
        "POST",
        "doctor",
        lambda w: {"alert_id": w.alert.pk},
        lambda w: {"comment": "seen", "decision": "no-change"},
    ),
    Endpoint(
        "silence rule",
        "monitoring:alert_suppress",
        "POST",
        "doctor",
        lambda w: {"alert_id": w.alert.pk},
        lambda w: {"days": "7", "reason": "known"},
    ),
    Endpoint(
        "clinic results CSV",
        "monitoring:clinic_results_csv",
        "GET",
        "staff",
        lambda w: {"code": w.clinic.code},
    ),
    Endpoint(
        "unmatched item",
        "monitoring:unmatched_detail",
        "GET",
        "staff",
        lambda w: {"item_id": w.unmatched.pk},
    ),
    Endpoint(
        "dismiss unmatched item",
        "monitoring:unmatched_detail",
        "POST",
        "staff",
        lambda w: {"item_id": w.unmatched.pk},
        lambda w: {"action": "dismiss", "reason": "MARKER-DISMISS-A"},
    ),
    Endpoint("portal chart", "monitoring:patient_chart", "GET", "portal", _patient),
    Endpoint(
        "who looked at the record",
        "monitoring:patient_access_log",
        "GET",
        "clinic_admin",
        _patient,
    ),
    Endpoint(
        "revoke share",
        "monitoring:share_revoke",
        "POST",
        "owner",
        lambda w: {"share_id": w.share.pk},
    ),
    Endpoint(
        "revoke invitation",
        "monitoring:invitation_revoke",
        "POST",
        "owner",
        lambda w: {"invitation_id": w.invitation.pk},
    ),
    # The FHIR API, read with the browser session (tokens are tested in tests/test_fhir_*).
    Endpoint(
        "FHIR Patient",
        "fhir:patient_read",
        "GET",
        "fhir",
        lambda w: {"resource_id": w.patient_a.pk},
    ),
    Endpoint(
        "FHIR $everything",
        "fhir:patient_everything",
        "GET",
        "fhir",
        lambda w: {"resource_id": w.patient_a.pk},
    ),
    Endpoint(
        "FHIR Observation",
        "fhir:observation_read",
        "GET",
        "fhir",
        lambda w: {"resource_id": w.result.pk},
        logged=False,
    ),
    Endpoint(
        "FHIR MedicationStatement",
        "fhir:medication_statement_read",
        "GET",
        "fhir",
        lambda w: {"resource_id": f"medication-{w.medication.pk}"},
        logged=False,
    ),
    Endpoint(
        "FHIR DetectedIssue",
        "fhir:detected_issue_read",
        "GET",
        "fhir_staff",
        lambda w: {"resource_id": w.alert.pk},
        logged=False,
    ),
]
# A's id with an object of patient B (same clinic): the pairing alone must refuse them.
CROSSED = [
    Endpoint(
        "B's medication under A",
        "monitoring:medication_stop",
        "POST",
        "crossed",
        lambda w: {"patient_id": w.patient_a.pk, "medication_id": w.medication_b.pk},
        logged=False,
    ),
    Endpoint(
        "B's ECG under A",
        "monitoring:ecg_tracing",
        "GET",
        "crossed",
        lambda w: {"patient_id": w.patient_a.pk, "ecg_id": w.ecg_b.pk},
        logged=False,
    ),
    Endpoint(
        "A's symptom under B",
        "monitoring:record_entry_entered_in_error",
        "GET",
        "crossed",
        lambda w: {"patient_id": w.patient_b.pk, "kind": "symptom", "entry_id": w.symptom.pk},
        logged=False,
    ),
]
# The FHIR id is text: "medication-123" → "medication-999999" for the comparison.
_MEDICATION_ID = re.compile(r"medication-\d+")


def _expected(endpoint: Endpoint, persona: str):
    return ACCESS[endpoint.access][persona]


CELLS = [pytest.param(e, p, id=f"{e.label}-{e.method}-{p}") for e in ENDPOINTS for p in PERSONAS]


# --- What a denied cell must not do -------------------------------------------------------------

# The tables a refused request must leave exactly as they were, with their history.
WATCHED = [
    Patient,
    LabResult,
    Alert,
    Share,
    ShareAccess,
    Invitation,
    Medication,
    Ecg,
    Symptom,
    Allergy,
    Weight,
    Regimen,
    TroughTarget,
    RuleSuppression,
    DoseTimeReport,
    UnmatchedResult,
    User,
]


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every row of the watched tables and their history."""
    models = WATCHED + [m.history.model for m in WATCHED if hasattr(m, "history")]
    state = {}
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        rows = list(model._default_manager.order_by("pk").values_list(*names))
        state[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def _access_events():
    return getattr(monitoring_models, "AccessEvent", None)


def access_event_count() -> int | None:
    model = _access_events()
    return None if model is None else model._default_manager.count()


def assert_denial_logged(user: User, before: int | None) -> None:
    """The refusal left an "authz_denied" entry naming the user in the access log."""
    model = _access_events()
    if model is None:
        pytest.skip("access log not on main yet")
    events = model._default_manager.order_by("pk")
    new = list(events[before:]) if before is not None else list(events)
    assert any(
        getattr(event, "action", None) in ("denied", "authz_denied")
        and getattr(event, "user_id", user.pk) == user.pk
        for event in new
    ), f"no authz_denied event for {user.username}"


def _normalised(text: str, path: str, ids: list[str]) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    for value in filter(None, (path, quote(path))):
        text = text.replace(value, "<path>")
    text = _MEDICATION_ID.sub("medication-<id>", text)
    for value in ids:
        text = re.sub(rf"\b{re.escape(value)}\b", "<id>", text)
    return text


def _request(client, endpoint: Endpoint, url: str, w):
    if endpoint.method == "GET":
        return client.get(url)
    return client.post(url, endpoint.data(w))


def _login(client, w, persona: str):
    if persona != "anonymous":
        client.force_login(getattr(w, persona))


def _content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def check_cell(client, w, endpoint: Endpoint, persona: str) -> None:
    expected = _expected(endpoint, persona)
    _login(client, w, persona)
    url = endpoint.url(w)
    before, events_before = snapshot(), access_event_count()

    response = _request(client, endpoint, url, w)
    body = _content(response)

    if expected == "ok":
        assert response.status_code in (200, 302), f"{persona} refused: {response.status_code}"
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
        return
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected, (
            f"{persona}: {response.status_code}, expected {expected}"
        )
    # The same answer as for an object that does not exist.
    missing_url = endpoint.url(w, missing=True)
    missing = _request(client, endpoint, missing_url, w)
    ids = [str(v) for v in endpoint.ids(w).values() if isinstance(v, int)] + [str(MISSING)]
    assert missing.status_code == response.status_code
    assert _normalised(body, url, ids) == _normalised(_content(missing), missing_url, ids)
    assert _normalised(response.get("Location", ""), url, ids) == _normalised(
        missing.get("Location", ""), missing_url, ids
    )
    # Nothing of patient A.
    markers = A_MARKERS + ([] if persona in MAY_KNOW_A else [A_LAST_NAME, A_MRN])
    assert [m for m in markers if m in body] == []
    # Nothing changed.
    assert snapshot() == before
    if persona != "anonymous" and endpoint.logged:
        assert_denial_logged(getattr(w, persona), events_before)


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "persona"), CELLS)
def test_each_visitor_gets_the_declared_answer(client, world, endpoint, persona):
    check_cell(client, world, endpoint, persona)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", CROSSED, ids=lambda e: e.label)
@pytest.mark.parametrize("persona", ["nurse", "doctor"])
def test_an_object_of_another_patient_under_a_patients_id_is_not_found(
    client, world, endpoint, persona
):
    # The nurse may see both patients: only the pairing of the two ids refuses her.
    check_cell(client, world, endpoint, persona)


def test_every_endpoint_with_an_object_id_is_in_the_matrix():
    from tests.security.test_url_inventory import ENDPOINTS as INVENTORY

    with_ids = {
        e.name
        for e in INVENTORY
        if "<" in e.route
        and e.name.startswith(("monitoring:", "fhir:"))
        and e.name not in {"monitoring:invitation_accept", "fhir:unknown"}
    }
    # The token of an invitation link is its own credential (tests/test_invitations.py).
    assert with_ids - {e.url_name for e in ENDPOINTS} == set()


def test_the_matrix_is_the_one_security_md_shows():
    from tests.security.security_md import matrix_rows

    documented = matrix_rows()
    for endpoint in ENDPOINTS:
        row = documented.get((endpoint.url_name, endpoint.method))
        assert row is not None, f"SECURITY.md has no row for {endpoint.url_name} {endpoint.method}"
        assert row == {p: str(ACCESS[endpoint.access][p]) for p in PERSONAS}, endpoint.label


# --- Objects named in the body ------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_acknowledging_another_clinics_alert_acknowledges_nothing(client, world):
    w = world
    client.force_login(w.doctor_other)
    url = reverse("monitoring:alert_bulk_acknowledge")
    before = snapshot()

    response = client.post(url, {"alerts": [w.alert.pk], "comment": "x"}, follow=True)
    missing = client.post(url, {"alerts": [MISSING], "comment": "x"}, follow=True)

    ids = [str(w.alert.pk), str(MISSING)]
    assert _normalised(response.text, url, ids) == _normalised(missing.text, url, ids)
    assert A_LAST_NAME not in response.text
    assert snapshot() == before


@pytest.mark.django_db
def test_a_draw_cannot_be_recorded_for_a_patient_of_another_clinic(client, world):
    w = world
    client.force_login(w.nurse_other)
    url = reverse("monitoring:record_draw")
    before = snapshot()

    body = {**_trough_body(w), "tacrolimus": "7.0"}
    response = client.post(url, {**body, "patient": w.patient_a.pk})
    missing = client.post(url, {**body, "patient": MISSING})
    chosen = client.get(url, {"patient": w.patient_a.pk})

    ids = [str(w.patient_a.pk), str(MISSING)]
    assert response.status_code == missing.status_code == 200
    assert _normalised(response.text, url, ids) == _normalised(missing.text, url, ids)
    assert A_LAST_NAME not in response.text + chosen.text
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["nurse_other", "lab_other"])
def test_a_fhir_observation_for_a_patient_out_of_reach_is_not_written(client, world, persona):
    w = world
    user = (
        w.nurse_other
        if persona == "nurse_other"
        else UserFactory(role=Role.INTERFACE, clinics=[w.other_clinic])
    )
    header = f"Bearer {services.create_api_token(user=user, name='test')}"

    def post(patient_id):
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "77348-1"}]},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": timezone.now().isoformat(),
            "valueQuantity": {"value": 7.0, "unit": "ng/mL"},
        }
        return client.post(
            "/fhir/R4/Observation",
            json.dumps(observation),
            content_type="application/fhir+json",
            HTTP_AUTHORIZATION=header,
        )

    before = snapshot()
    response, missing = post(w.patient_a.pk), post(MISSING)

    assert response.status_code == missing.status_code == 422
    ids = [str(w.patient_a.pk), str(MISSING)]
    assert _normalised(response.text, "", ids) == _normalised(missing.text, "", ids)
    assert snapshot() == before


# --- Hidden and extra form fields -----------------------------------------------------------------


def _extras(w) -> dict:
    """Fields no form has, naming someone else: ignored, never trusted."""
    return {
        "patient": w.patient_other.pk,
        "patient_id": w.patient_other.pk,
        "acknowledged_by": w.doctor_other.pk,
        "entered_by": w.nurse_other.pk,
        "set_by": w.doctor_other.pk,
        "created_by": w.doctor_other.pk,
        "invited_by": w.bob.pk,
        "role": Role.ADMIN,
        "is_staff": "on",
        "is_superuser": "on",
        "clinic": w.other_clinic.pk,
        "clinics": w.other_clinic.pk,
    }


def _unchanged_privileges(user: User) -> None:
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.role, fresh.is_staff, fresh.is_superuser) == (
        user.role,
        user.is_staff,
        user.is_superuser,
    )
    assert list(fresh.clinics.all()) == list(user.clinics.all())


WRITE_FORMS = {
    # label: (persona, url, body, the saved row → (patient, author))
    "record trough": (
        "nurse",
        lambda w: reverse("monitoring:record_trough", args=[w.patient_a.pk]),
        _trough_body,
        lambda w: (r := LabResult.objects.latest("pk"), (r.patient, r.entered_by))[1],
    ),
    "set target": (
        "doctor",
        lambda w: reverse("monitoring:trough_target_set", args=[w.patient_a.pk]),
        lambda w: {
            "preset": "custom",
            "low": "5",
            "high": "7",
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "reason": "lower risk",
        },
        lambda w: (t := TroughTarget.objects.latest("pk"), (t.patient, t.set_by))[1],
    ),
    "record medicine": (
        "nurse",
        lambda w: reverse("monitoring:record_entry", args=[w.patient_a.pk, "medication"]),
        lambda w: {"name": "Paracetamol", "started_on": timezone.localdate().isoformat()},
        lambda w: (m := Medication.objects.latest("pk"), (m.patient, m.entered_by))[1],
    ),
    "acknowledge alert": (
        "doctor",
        lambda w: reverse("monitoring:alert_acknowledge", args=[w.alert.pk]),
        lambda w: {"comment": "seen", "decision": "no-change"},
        lambda w: (a := Alert.objects.get(pk=w.alert.pk), (a.patient, a.acknowledged_by))[1],
    ),
    "silence rule": (
        "doctor",
        lambda w: reverse("monitoring:alert_suppress", args=[w.alert.pk]),
        lambda w: {"days": "7", "reason": "known"},
        lambda w: (s := RuleSuppression.objects.latest("pk"), (s.patient, s.created_by))[1],
    ),
    "report symptom": (
        "alice",
        lambda w: reverse("monitoring:report_symptom"),
        lambda w: {
            "kind": "other",
            "other_text": "tremor",
            "severity": "mild",
            "started_on": timezone.localdate().isoformat(),
        },
        lambda w: (s := Symptom.objects.latest("pk"), (s.patient, s.entered_by))[1],
    ),
    "report last dose": (
        "alice",
        lambda w: reverse("monitoring:report_last_dose"),
        lambda w: {"taken_on": timezone.localdate().isoformat(), "taken_time": "00:01"},
        lambda w: (d := DoseTimeReport.objects.latest("pk"), (d.patient, d.entered_by))[1],
    ),
    "invite family": (
        "alice",
        lambda w: reverse("monitoring:sharing"),
        lambda w: {"email": "cousin@example.org"},
        lambda w: (i := Invitation.objects.latest("pk"), (i.patient, i.invited_by))[1],
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("label", WRITE_FORMS)
def test_extra_fields_never_change_whose_record_or_who_wrote_it(client, world, label):
    w = world
    persona, url, body, saved = WRITE_FORMS[label]
    user = getattr(w, persona)
    client.force_login(user)

    response = client.post(url(w), {**body(w), **_extras(w)})

    assert response.status_code == 302, response.content[:2000]
    assert saved(w) == (w.patient_a, user)
    _unchanged_privileges(user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "body"),
    [
        ("monitoring:set_unit_system", {"unit_system": "US"}),
        ("monitoring:set_language", {"language": "fr"}),
    ],
)
def test_the_preference_switches_change_no_privilege(client, world, url_name, body):
    client.force_login(world.nurse)

    client.post(reverse(url_name), {**body, **_extras(world)})

    _unchanged_privileges(world.nurse)


@pytest.mark.django_db
def test_accepting_an_invitation_makes_a_family_member_whatever_is_posted(client, world):
    w = world
    response = client.post(
        reverse("monitoring:invitation_accept", args=[w.invitation_token]),
        {
            "username": "newcousin",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            **_extras(w),
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="newcousin")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.FAMILY, False, False)
    assert list(user.clinics.all()) == []
    assert list(Share.objects.filter(grantee=user).values_list("patient", flat=True)) == [
        w.patient_a.pk
    ]


# --- Sort and filter parameters ------------------------------------------------------------------

HOSTILE = {
    "_sort": "collected_at; DROP TABLE monitoring_labresult",
    "order": "password",
    "ordering": "-user__password",
    "status": "anything",
    "severity": "1 OR 1=1",
    "q": "' OR 1=1 --",
    "patient": "%' OR '1'='1",
    "clinic": "1 OR 1=1",
    "page": "-1",
}
LISTS = {
    "worklist": ("doctor", lambda: reverse("monitoring:worklist")),
    "worklist CSV": ("doctor", lambda: reverse("monitoring:worklist_alerts_csv")),
    "patient list": ("nurse", lambda: reverse("monitoring:patient_list")),
    "unmatched list": ("nurse", lambda: reverse("monitoring:unmatched_list")),
    "FHIR Observation search": ("nurse", lambda: "/fhir/R4/Observation"),
    "FHIR Patient search": ("nurse", lambda: "/fhir/R4/Patient"),
    "FHIR DetectedIssue search": ("doctor", lambda: "/fhir/R4/DetectedIssue"),
    "FHIR MedicationStatement search": ("nurse", lambda: "/fhir/R4/MedicationStatement"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("label", LISTS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_sort_and_filter_parameters_never_widen_a_list(client, world, label, name):
    persona, url = LISTS[label]
    client.force_login(getattr(world, persona))
    before = snapshot()

    response = client.get(url(), {name: HOSTILE[name]})

    assert response.status_code in (200, 400), response.status_code
    body = _content(response)
    assert [m for m in OTHER_CLINIC_MARKERS if m in body] == []
    assert snapshot() == before

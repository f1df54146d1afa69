"""Hostile input (issue #7, OWASP ASVS 5.0 V1 and V3): stored script is shown as text, odd
values are refused with a message and nothing written, oversized bodies are refused, an
unknown Host is a 400, and no `next` leaves the site."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, LabResult, Medication, Symptom, UnmatchedResult
from monitoring.two_factor import qr_code_svg
from tests.factories import PASSWORD

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{IMG}{JS_URL}"
# What must never reach a page unescaped.
RAW = ["<script>alert(1)", "<img src=x", 'href="javascript:']
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(response) -> None:
    text = response.content.decode()
    assert response.status_code == 200
    assert [raw for raw in RAW if raw in text] == []
    assert ESCAPED in text or r"\u003Cscript\u003E" in text  # shown, as text


@pytest.fixture
def alert_a(patient_a, record_trough):
    record_trough(patient_a, 4)
    return Alert.objects.get(patient=patient_a)


# --- Stored XSS ----------------------------------------------------------------------------------


def test_a_result_comment_is_shown_as_text(client, nurse, patient_a, tacrolimus):
    result, _alerts = services.record_result(
        patient=patient_a,
        analyte=tacrolimus,
        value=Decimal("7.0"),
        collected_at=timezone.now() - dt.timedelta(hours=1),
        last_dose_at=timezone.now() - dt.timedelta(hours=13),
        comment=PAYLOAD,
        entered_by=nurse,
    )
    client.force_login(nurse)

    assert_escaped(client.get(reverse("monitoring:result_edit", args=[result.pk])))
    services.amend_result(result=result, user=nurse, reason=PAYLOAD, comment="fixed")
    assert_escaped(client.get(reverse("monitoring:result_history", args=[result.pk])))


def test_an_acknowledgement_comment_is_shown_as_text(client, doctor, patient_a, alert_a):
    services.acknowledge_alert(alert=alert_a, user=doctor, comment=PAYLOAD)
    client.force_login(doctor)

    assert_escaped(client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])))
    assert_escaped(client.get(reverse("monitoring:worklist"), {"status": "acknowledged"}))


def test_medicine_allergy_and_symptom_texts_are_shown_as_text(client, nurse, patient_a):
    today = timezone.localdate()
    services.record_medication(patient=patient_a, name=PAYLOAD, started_on=today, entered_by=nurse)
    services.record_allergy(patient=patient_a, substance=PAYLOAD, entered_by=nurse)
    services.record_symptom(
        patient=patient_a,
        kind="other",
        other_text=PAYLOAD[:200],
        severity="mild",
        started_on=today,
        entered_by=nurse,
    )
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

    assert_escaped(page)
    assert page.content.decode().count(ESCAPED) >= 3
    client.force_login(patient_a.user)
    assert_escaped(client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])))


def test_names_registered_by_the_lab_are_shown_as_text(client, nurse, doctor, clinic):
    patient, _created = services.register_patient(
        clinic=clinic,
        mrn="XSS-1",
        first_name=SCRIPT,
        last_name=IMG[:100],
        date_of_birth=dt.date(1990, 1, 1),
        sex="F",
        user=nurse,
        reason="test",
    )
    client.force_login(nurse)

    assert_escaped(client.get(reverse("monitoring:patient_list")))
    assert_escaped(client.get(reverse("monitoring:patient_detail", args=[patient.pk])))


def test_a_dismissal_reason_is_shown_as_text(client, nurse, clinic, lab):
    item = _unmatched(clinic, lab)
    services.dismiss_unmatched_result(item=item, user=nurse, reason=PAYLOAD)
    client.force_login(nurse)

    assert_escaped(client.get(reverse("monitoring:unmatched_list"), {"status": "dismissed"}))


def _unmatched(clinic, lab) -> UnmatchedResult:
    from monitoring.models import InboundMessage

    message = InboundMessage.objects.create(
        control_id="XSS",
        sending_application="LAB",
        sending_facility="CHU",
        message_type="ORU^R01",
        version="2.5",
        transport="mllp",
        received_by=lab,
        raw=f"MSH|^~\\&|LAB|CHU\rPID|1||X^^^demo-rheum^MR||{SCRIPT}\r",
        outcome="AE",
    )
    return UnmatchedResult.objects.create(
        message=message,
        clinic=clinic,
        reason="No patient with this MRN",
        mrn="X",
        family_name=SCRIPT,
        code="77348-1",
        code_system="LN",
        value="7.1",
        unit="ng/mL",
        result_status="F",
        observed_at=timezone.now(),
    )


def test_the_raw_lab_message_is_shown_as_text(client, nurse, clinic, lab):
    item = _unmatched(clinic, lab)
    client.force_login(nurse)

    assert_escaped(client.get(reverse("monitoring:unmatched_detail", args=[item.pk])))


def test_the_name_a_family_member_gives_is_shown_as_text_to_the_patient(client, patient_a):
    _invitation, token = services.invite_family_member(
        patient=patient_a, email="friend@example.org", invited_by=patient_a.user
    )
    client.post(
        reverse("monitoring:invitation_accept", args=[token]),
        {
            "username": "friend",
            "first_name": SCRIPT,
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    client.force_login(patient_a.user)

    assert_escaped(client.get(reverse("monitoring:sharing")))


def test_templates_mark_no_data_safe():
    """Autoescaping is never switched off in a template; chart data goes through json_script."""
    templates = Path(settings.BASE_DIR) / "templates"
    offending = [
        f"{path.relative_to(templates)}: {match}"
        for path in templates.rglob("*.html")
        for match in re.findall(r"\|safe\b|\{% autoescape off|\|safeseq", path.read_text())
    ]
    assert offending == []


def test_the_only_mark_safe_are_the_qr_code_and_the_escaped_figure_data():
    # monitoring/two_factor.qr_code_svg: segno draws the otpauth:// URL as modules (a path);
    # the username inside it is encoded in the picture, never written as markup.
    svg = qr_code_svg(f"otpauth://totp/tdm-tracker:{SCRIPT}?secret=JBSWY3DPEHPK3PXP")
    assert "<script" not in svg and "alert(1)" not in svg
    sources = Path(settings.BASE_DIR, "monitoring").rglob("*.py")
    uses = sorted(p.name for p in sources if "mark_safe(" in p.read_text())
    assert uses == ["chart_tags.py", "two_factor.py"]


def test_figure_data_cannot_close_its_script_element():
    # monitoring/templatetags/chart_tags.figure_json: compact json_script, same escapes.
    import json

    from monitoring.templatetags.chart_tags import figure_json

    figure = {"data": [{"text": [SCRIPT, "</script><script>alert(1)</script>", "a & b"]}]}
    html = str(figure_json(figure, "chart-x"))
    body = html.removeprefix('<script id="chart-x" type="application/json">')
    body = body.removesuffix("</script>")
    assert "<" not in body and ">" not in body
    assert json.loads(body) == figure


# --- Odd values ----------------------------------------------------------------------------------


def _trough_post(value="7.0", comment=""):
    at = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "value": value,
        "collected_at": at.strftime("%Y-%m-%dT%H:%M"),
        "last_dose_at": (at - dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        "comment": comment,
    }


@pytest.mark.parametrize(
    "value", ["NaN", "inf", "-Infinity", "1e309", "1e3", "7\x000", "7" * 10_000, "\u202e7.1"]
)
def test_an_unreadable_trough_value_is_refused_and_nothing_is_saved(
    client, nurse, patient_a, value
):
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:record_trough", args=[patient_a.pk]), _trough_post(value)
    )

    assert response.status_code == 200
    assert "is-invalid" in response.text
    assert LabResult.objects.count() == 0


@pytest.mark.parametrize(
    "comment", ["\x00", "x" * 10_000, "line one\nINFO forged log line"], ids=["nul", "long", "nl"]
)
def test_a_bad_comment_is_refused_or_kept_whole_never_a_server_error(
    client, nurse, patient_a, comment
):
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:record_trough", args=[patient_a.pk]), _trough_post(comment=comment)
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused with a message: nothing written
        assert "is-invalid" in response.text
        assert LabResult.objects.count() == 0
    else:  # saved exactly as typed (shown escaped; never written to a log)
        assert LabResult.objects.get().comment == comment


@pytest.mark.parametrize(
    "name", ["\x00aspirin", "a" * 10_000, "\u202eniripsa"], ids=["nul", "long", "rtl"]
)
def test_a_bad_medicine_name_never_breaks_the_form(client, nurse, patient_a, name):
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:record_entry", args=[patient_a.pk, "medication"]),
        {"name": name, "started_on": timezone.localdate().isoformat()},
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Medication.objects.count() == 0
    else:
        assert Medication.objects.get().name == name.strip()


@pytest.mark.parametrize(
    "username", ["alice\nINFO admin logged in", "alice\x00", "\u202ealice"], ids=str.encode
)
def test_a_username_with_control_characters_is_a_failed_login_not_an_error(
    client, patient_a, username
):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_symptom_with_a_nul_byte_is_refused(client, patient_a):
    client.force_login(patient_a.user)

    response = client.post(
        reverse("monitoring:report_symptom"),
        {
            "kind": "other",
            "other_text": "tremor\x00",
            "severity": "mild",
            "started_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 200
    assert Symptom.objects.count() == 0


# --- Oversized bodies ----------------------------------------------------------------------------


def test_an_oversized_ecg_tracing_is_a_form_error(client, nurse, patient_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(nurse)
    big = SimpleUploadedFile("ecg.pdf", b"%PDF" + b"0" * (6 * 1024 * 1024))

    response = client.post(
        reverse("monitoring:record_entry", args=[patient_a.pk, "ecg"]),
        {
            "recorded_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "qt_ms": "400",
            "heart_rate_bpm": "70",
            "rhythm": "sinus",
            "tracing": big,
        },
    )

    assert response.status_code == 200
    assert "the limit is 5 MB" in response.text
    assert not list(tmp_path.rglob("*.pdf"))


def test_an_oversized_csv_upload_is_a_form_error(client, nurse, clinic):
    client.force_login(nurse)
    big = SimpleUploadedFile("results.csv", b"mrn,loinc\n" + b"x,y\n" * (2 * 1024 * 1024))

    response = client.post(reverse("monitoring:results_import"), {"clinic": clinic.pk, "file": big})

    assert response.status_code == 200
    assert "The file is larger than 5 MB" in response.text
    assert LabResult.objects.count() == 0


def test_an_oversized_hl7_message_is_a_413(client, lab):
    token = services.create_api_token(user=lab, name="lab")

    response = client.post(
        reverse("monitoring:hl7_message"),
        b"MSH|" + b"x" * (1024 * 1024 + 1),
        content_type="application/hl7-v2",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 413
    assert LabResult.objects.count() == 0


# --- Host header and redirects -------------------------------------------------------------------


def test_a_host_that_is_not_allowed_is_a_400(client):
    assert client.get("/healthz", HTTP_HOST="evil.example").status_code == 400
    assert client.get(reverse("login"), HTTP_HOST="evil.example").status_code == 400


OFF_SITE = ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example"]


def _stays_on_site(response) -> None:
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil.example" not in location


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_leaves_the_site(client, nurse, target):
    response = client.post(
        reverse("login") + f"?next={target}",
        {"username": "nurse", "password": PASSWORD, "next": target},
    )

    _stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize(
    ("url_name", "body"),
    [
        ("monitoring:set_language", {"language": "fr"}),
        ("monitoring:set_unit_system", {"unit_system": "US"}),
    ],
)
def test_the_switches_never_leave_the_site(client, nurse, target, url_name, body):
    client.force_login(nurse)

    response = client.post(reverse(url_name), {**body, "next": target})

    _stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_code_step_never_leaves_the_site(client, patient_a, target):
    client.force_login(patient_a.user)  # no second factor: it sends on to the setup

    response = client.get(reverse("monitoring:two_factor_verify"), {"next": target})

    _stays_on_site(response)
    assert "evil.example" not in response["Location"]


def test_the_request_factory_host_check_is_on():
    # The tests' ALLOWED_HOSTS come from the environment, never "*".
    assert "*" not in settings.ALLOWED_HOSTS
    assert RequestFactory().get("/").get_host() in settings.ALLOWED_HOSTS

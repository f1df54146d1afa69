"""The access log: who signed in, who read which patient's data, what was refused."""

import re

import pytest
from django.urls import reverse

from monitoring.models import AccessAction, AccessEvent
from tests.factories import PASSWORD, PatientFactory

LOGIN_URL = reverse("login")


def detail_url(patient_id):
    return reverse("monitoring:patient_detail", args=[patient_id])


def only_event(**filters):
    (event,) = AccessEvent.objects.filter(**filters)
    return event


def page_text(response, path) -> str:
    # The CSRF token differs on every page (the sign-out form), and the language switch
    # names the page's own address; nothing else may differ.
    text = re.sub(r'value="[^"]{64}"', "", response.content.decode())
    return text.replace(path, "PATH")


def event_text(event) -> str:
    """Everything the row holds, as text, but its time (whose digits could read as a value)."""
    return " ".join(
        str(getattr(event, f.attname)) for f in AccessEvent._meta.concrete_fields if f.name != "at"
    )


# --- Signing in and out ----------------------------------------------------------------------


def test_signing_in_is_logged_with_the_address_and_path(client, nurse):
    client.post(LOGIN_URL, {"username": "nurse", "password": PASSWORD})

    event = only_event(action=AccessAction.LOGIN)
    assert (event.user, event.role) == (nurse, "nurse")
    assert event.ip_address == "127.0.0.1"
    assert event.path == "/accounts/login/"


def test_a_wrong_password_is_logged_against_the_account(client, nurse):
    client.post(LOGIN_URL, {"username": "nurse", "password": "not-the-password"})

    event = only_event(action=AccessAction.LOGIN_FAILED)
    assert event.user == nurse
    assert "not-the-password" not in event_text(event)
    assert not AccessEvent.objects.filter(action=AccessAction.LOGIN).exists()


def test_an_unknown_username_is_logged_without_keeping_it(client, db):
    client.post(LOGIN_URL, {"username": "S3cret-typed-in-the-wrong-box", "password": "x"})

    event = only_event(action=AccessAction.LOGIN_FAILED)
    assert event.user is None
    assert "S3cret" not in event_text(event)


def test_signing_out_is_logged(client, nurse):
    client.force_login(nurse)

    client.post(reverse("logout"))

    assert only_event(action=AccessAction.LOGOUT).user == nurse


@pytest.mark.parametrize("proxy", [False, True])
def test_a_forwarded_address_is_believed_only_behind_the_configured_proxy(
    client, nurse, settings, proxy
):
    if proxy:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.post(
        LOGIN_URL,
        {"username": "nurse", "password": PASSWORD},
        headers={"x-forwarded-for": "6.6.6.6, 198.51.100.7"},
    )

    expected = "198.51.100.7" if proxy else "127.0.0.1"
    assert only_event(action=AccessAction.LOGIN).ip_address == expected


# --- Reading patient data --------------------------------------------------------------------


def test_opening_a_patient_page_is_logged_without_the_query_string(client, nurse, patient_a):
    client.force_login(nurse)

    client.get(detail_url(patient_a.pk) + "?q=Durand")

    event = only_event(action=AccessAction.VIEW_RECORD)
    assert (event.user, event.patient, event.object_type) == (nurse, patient_a, "Patient")
    assert event.object_id == patient_a.pk
    assert event.path == detail_url(patient_a.pk)


def test_a_page_read_costs_one_insert(client, nurse, patient_a, django_assert_num_queries):
    client.force_login(nurse)
    client.get(detail_url(patient_a.pk))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(detail_url(patient_a.pk))

    assert sum(q["sql"].startswith("INSERT") for q in queries.captured_queries) == 1


def test_the_portal_chart_is_logged_as_a_chart_view_for_the_patient(client, patient_a):
    client.force_login(patient_a.user)

    client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    event = only_event(action=AccessAction.VIEW_CHART)
    assert (event.user, event.patient, event.role) == (patient_a.user, patient_a, "patient")


def test_a_family_read_is_logged_on_behalf_of_the_share(client, family, patient_a):
    client.force_login(family)

    client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    event = only_event(action=AccessAction.VIEW_CHART)
    assert event.share == family.shares_received.get()
    assert event.user == family


def test_a_csv_export_is_logged_as_an_export(client, nurse, patient_a, record_trough):
    record_trough(patient_a, "7.3")
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_results_csv", args=[patient_a.pk]))

    assert "7.3" in b"".join(response.streaming_content).decode()
    event = only_event(action=AccessAction.EXPORT)
    assert event.patient == patient_a
    # Names and values stay in the record: the log holds ids only.
    for secret in ["7.3", "Alice", "Durand", "DR-1001"]:
        assert secret not in event_text(event)


def test_acknowledging_an_alert_is_logged(client, doctor, patient_a, record_trough):
    record_trough(patient_a, "9.4")
    alert = patient_a.alerts.get()
    client.force_login(doctor)

    client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {"decision": "no-change", "comment": "Checked with the patient"},
    )

    alert.refresh_from_db()
    assert not alert.is_open
    event = only_event(action=AccessAction.ACKNOWLEDGE)
    assert (event.patient, event.object_type, event.object_id) == (patient_a, "Alert", alert.pk)
    assert "9.4" not in event_text(event)


def test_stopping_a_share_is_logged(client, family, patient_a):
    share = family.shares_received.get()
    client.force_login(patient_a.user)

    client.post(reverse("monitoring:share_revoke", args=[share.pk]))

    event = only_event(action=AccessAction.SHARE_REVOKE)
    assert (event.user, event.patient, event.share) == (patient_a.user, patient_a, share)


# --- Refusals --------------------------------------------------------------------------------


def test_another_clinics_patient_is_the_same_404_as_an_unknown_one_and_logged(
    client, nurse_other, patient_a
):
    client.force_login(nurse_other)
    unknown = PatientFactory().pk + 1000

    refused = client.get(detail_url(patient_a.pk))
    missing = client.get(detail_url(unknown))

    assert refused.status_code == missing.status_code == 404
    assert page_text(refused, detail_url(patient_a.pk)) == page_text(missing, detail_url(unknown))
    events = AccessEvent.objects.filter(action=AccessAction.DENIED).order_by("pk")
    assert [(e.user, e.object_type, e.object_id, e.patient) for e in events] == [
        (nurse_other, "Patient", patient_a.pk, None),
        (nurse_other, "Patient", unknown, None),
    ]
    assert not AccessEvent.objects.filter(action=AccessAction.VIEW_RECORD).exists()


def test_another_clinics_result_is_refused_and_logged(
    client, nurse_other, patient_a, record_trough
):
    result = record_trough(patient_a, "7.0")
    client.force_login(nurse_other)

    response = client.get(reverse("monitoring:result_history", args=[result.pk]))

    assert response.status_code == 404
    event = only_event(action=AccessAction.DENIED)
    assert (event.object_type, event.object_id) == ("LabResult", result.pk)


def test_a_wrong_role_is_still_forbidden_and_logged(client, patient_a):
    client.force_login(patient_a.user)

    response = client.get(reverse("monitoring:worklist"))

    assert response.status_code == 403
    event = only_event(action=AccessAction.DENIED)
    assert (event.user, event.path) == (patient_a.user, reverse("monitoring:worklist"))

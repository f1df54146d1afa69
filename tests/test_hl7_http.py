"""POST /api/hl7/ (issue #6): a bearer token, one message in, its ACK out."""

import pytest
from django.urls import reverse

from monitoring import services
from monitoring.models import InboundMessage, LabResult
from tests import hl7 as samples

URL = "/api/hl7/"


def post(client, body, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, body, content_type="application/hl7-v2", **headers, **extra)


def test_the_url_is_named():
    assert reverse("monitoring:hl7_message") == URL


def test_a_message_with_a_lab_token_is_stored_and_acknowledged(client, lab, patient_a):
    token = services.create_api_token(user=lab)

    response = post(client, samples.TROUGH_HIGH, token)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/hl7-v2; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("MSH|^~\\&|TDM|DEMO|LIS|CHU-LAB|")
    assert "\rMSA|AA|LAB-0001|" in body
    assert LabResult.objects.get().patient == patient_a
    assert InboundMessage.objects.get().transport == "http"


def test_an_error_is_in_the_ack_with_status_200(client, lab, patient_a):
    token = services.create_api_token(user=lab)

    response = post(client, "garbage", token)

    assert response.status_code == 200
    assert "\rMSA|AR|" in response.content.decode()


def test_without_a_token_it_is_401_and_nothing_is_logged(client, patient_a):
    response = post(client, samples.TROUGH_HIGH)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not InboundMessage.objects.exists()


def test_a_wrong_token_is_401(client, lab, patient_a):
    services.create_api_token(user=lab)

    assert post(client, samples.TROUGH_HIGH, "tdm_wrong").status_code == 401


def test_a_patient_token_is_403(client, patient_a):
    token = services.create_api_token(user=patient_a.user)

    response = post(client, samples.TROUGH_HIGH, token)

    assert response.status_code == 403
    assert not LabResult.objects.exists()


def test_a_nurse_of_another_clinic_gets_an_ar_and_nothing_is_stored(client, nurse_other, patient_a):
    token = services.create_api_token(user=nurse_other)

    response = post(client, samples.TROUGH_HIGH, token)

    assert "\rMSA|AR|" in response.content.decode()
    assert not LabResult.objects.exists()


def test_get_is_405(client, lab):
    token = services.create_api_token(user=lab)

    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405


def test_a_message_over_1_mb_is_413(client, lab):
    token = services.create_api_token(user=lab)

    response = post(client, "MSH" + "x" * (1024 * 1024), token)

    assert response.status_code == 413
    assert not InboundMessage.objects.exists()


def test_the_default_clinic_is_taken_from_the_query(client, lab, patient_a):
    token = services.create_api_token(user=lab)
    raw = samples.TROUGH_HIGH.replace("DR-1001^^^demo-rheum^MR", "DR-1001")

    response = client.post(
        URL + "?clinic=demo-rheum",
        raw,
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert "\rMSA|AA|" in response.content.decode()
    assert LabResult.objects.get().patient == patient_a


@pytest.mark.parametrize("code", ["lyon-lupus", "nowhere"])
def test_a_clinic_the_account_does_not_work_in_is_refused(client, lab, other_clinic, code):
    token = services.create_api_token(user=lab)

    response = post(client, samples.TROUGH_HIGH, token, QUERY_STRING=f"clinic={code}")

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()

"""Who may open what: every view in monitoring/urls.py, for every kind of visitor."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, Role
from tests.factories import UserFactory

# Each view, how it is reached, and the roles it serves.
VIEWS = {
    "home": ("get", {Role.NURSE, Role.DOCTOR, Role.PATIENT, Role.FAMILY}),
    "patient_list": ("get", {Role.NURSE, Role.DOCTOR}),
    "patient_detail": ("get", {Role.NURSE, Role.DOCTOR}),
    "record_trough": ("get", {Role.NURSE, Role.DOCTOR}),
    "trough_target_set": ("get", {Role.DOCTOR}),
    "result_edit": ("get", {Role.NURSE, Role.DOCTOR}),
    "result_entered_in_error": ("get", {Role.NURSE, Role.DOCTOR}),
    "result_history": ("get", {Role.NURSE, Role.DOCTOR}),
    "worklist": ("get", {Role.DOCTOR}),
    "alert_acknowledge": ("get", {Role.DOCTOR}),
    "alert_suppress": ("post", {Role.DOCTOR}),
    "alert_bulk_acknowledge": ("post", {Role.DOCTOR}),
    "dashboard": ("get", {Role.DOCTOR}),
    "my_chart": ("get", {Role.PATIENT, Role.FAMILY}),
    "patient_chart": ("get", {Role.PATIENT, Role.FAMILY}),
    "sharing": ("get", {Role.PATIENT}),
    "share_revoke": ("post", {Role.PATIENT}),
}
# The world's user of each role (fixture names).
USERS = {Role.NURSE: "nurse", Role.DOCTOR: "doctor", Role.PATIENT: "alice", Role.FAMILY: "family"}

WRONG_ROLES = [
    (name, role)
    for name, (_method, allowed) in VIEWS.items()
    for role in USERS
    if role not in allowed
]
# home and my_chart redirect; the other pages answer their roles directly.
GET_PAGES = [
    (name, role)
    for name, (method, allowed) in VIEWS.items()
    for role in sorted(allowed)
    if method == "get" and name not in {"home", "my_chart"}
]


@pytest.fixture
def alice(patient_a):
    return patient_a.user


@pytest.fixture
def alert(patient_a, record_trough):
    record_trough(patient_a, 5)
    return patient_a.alerts.get()


@pytest.fixture
def urls(patient_a, alert, share):
    patient, result = {"patient_id": patient_a.pk}, {"result_id": alert.result_id}
    kwargs = {
        "patient_detail": patient,
        "record_trough": patient,
        "trough_target_set": patient,
        "result_edit": result,
        "result_entered_in_error": result,
        "result_history": result,
        "alert_acknowledge": {"alert_id": alert.pk},
        "alert_suppress": {"alert_id": alert.pk},
        "patient_chart": patient,
        "share_revoke": {"share_id": share.pk},
    }
    return {name: reverse(f"monitoring:{name}", kwargs=kwargs.get(name)) for name in VIEWS}


def visit(client, name, url):
    method = VIEWS[name][0]
    if method == "post":
        return client.post(url, {"comment": "dose reduced"})
    return client.get(url)


@pytest.mark.parametrize("name", VIEWS)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, urls, name):
    response = visit(client, name, urls[name])

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(("name", "role"), GET_PAGES)
def test_the_right_role_can_open_the_page(client, request, urls, name, role):
    client.force_login(request.getfixturevalue(USERS[role]))

    response = client.get(urls[name])

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "role"), WRONG_ROLES)
def test_a_wrong_role_is_forbidden(client, request, urls, name, role):
    client.force_login(request.getfixturevalue(USERS[role]))

    response = visit(client, name, urls[name])

    assert response.status_code == 403
    assert "Alice" not in response.text


def test_an_administrator_without_admin_access_has_no_home(client, urls):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=False))

    assert client.get(urls["home"]).status_code == 403


def test_a_patient_cannot_see_another_patients_chart(client, patient_a, patient_b, record_trough):
    record_trough(patient_b, "6.66")
    client.force_login(patient_a.user)

    response = client.get(reverse("monitoring:patient_chart", args=[patient_b.pk]))

    assert response.status_code == 404
    for secret in ["Bruno", "Lefebvre", "DR-1002", "6.66"]:
        assert secret not in response.text


def test_a_family_member_sees_the_shared_chart(client, family, patient_a):
    client.force_login(family)

    response = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    assert response.status_code == 200
    assert "Alice Durand" in response.text


def test_a_family_member_loses_access_when_the_share_is_revoked(client, family, share, patient_a):
    services.revoke_share(share=share, user=patient_a.user)
    client.force_login(family)

    response = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    assert response.status_code == 404
    assert "Durand" not in response.text
    shared = client.get(reverse("monitoring:my_chart"))
    assert "Nobody is sharing their results with you" in shared.text


def test_a_family_member_loses_access_when_the_share_expires(client, family, share, patient_a):
    share.expires_at = timezone.now() + dt.timedelta(days=1)
    share.save()
    url = reverse("monitoring:patient_chart", args=[patient_a.pk])

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        client.force_login(family)
        response = client.get(url)

    assert response.status_code == 404
    assert "Durand" not in response.text


def test_a_patient_can_stop_sharing_from_the_sharing_page(client, family, share, patient_a):
    client.force_login(patient_a.user)

    response = client.post(reverse("monitoring:share_revoke", args=[share.pk]), follow=True)

    assert "can no longer see your results" in response.text
    client.force_login(family)
    chart = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))
    assert chart.status_code == 404


def test_a_patient_cannot_revoke_another_patients_share(client, share, patient_b):
    client.force_login(patient_b.user)

    response = client.post(reverse("monitoring:share_revoke", args=[share.pk]))

    assert response.status_code == 404
    share.refresh_from_db()
    assert share.is_active


@pytest.mark.parametrize(
    "name",
    ["patient_detail", "record_trough", "result_edit", "result_entered_in_error", "result_history"],
)
def test_a_nurse_of_another_clinic_gets_not_found(client, nurse_other, urls, name):
    client.force_login(nurse_other)

    response = client.get(urls[name])

    assert response.status_code == 404
    assert "Durand" not in response.text
    assert "DR-1001" not in response.text


@pytest.mark.parametrize(
    "name", ["patient_detail", "trough_target_set", "alert_acknowledge", "alert_suppress"]
)
def test_a_doctor_of_another_clinic_gets_not_found(client, doctor_other, urls, alert, name):
    client.force_login(doctor_other)

    response = visit(client, name, urls[name])

    assert response.status_code == 404
    assert "Durand" not in response.text
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_the_health_check_is_public(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}

"""Sessions end after the idle limit of the person's role, 12 hours after signing in, and on
every device at logout, deactivation or a password change (OWASP ASVS 5.0 V7)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from monitoring.models import Role
from tests.factories import PASSWORD, UserFactory

MINUTE = dt.timedelta(minutes=1)
LOGIN_PAGE = "/accounts/login/"


@pytest.fixture
def clock(time_machine):
    """The clock stands still at a known moment; clock.shift(timedelta) moves it on."""
    time_machine.move_to(timezone.now().replace(microsecond=0), tick=False)
    return time_machine


def signed_out(response) -> bool:
    return response.status_code == 302 and response.url.startswith(LOGIN_PAGE)


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="admin", role=Role.ADMIN, clinics=[clinic])


@pytest.mark.parametrize(
    ("person", "minutes"),
    [("nurse", 15), ("doctor", 15), ("admin_user", 15), ("patient_a", 30), ("family", 30)],
)
def test_each_role_is_signed_out_after_its_idle_limit(request, clock, client, person, minutes):
    user = request.getfixturevalue(person)
    client.force_login(getattr(user, "user", user))

    clock.shift((minutes - 1) * MINUTE)
    assert not signed_out(client.get("/"))

    clock.shift((minutes + 1) * MINUTE)
    assert signed_out(client.get("/"))


def test_the_login_page_says_why_and_keeps_the_page_asked_for(clock, client, nurse, patient_a):
    client.force_login(nurse)
    page = f"/patients/{patient_a.pk}/"

    clock.shift(16 * MINUTE)
    response = client.get(page)

    assert response.url == f"{LOGIN_PAGE}?next=/patients/{patient_a.pk}/"
    login_page = client.get(response.url)
    assert "You were signed out after 15 minutes without activity." in login_page.text
    assert "_auth_user_id" not in client.session


def test_a_patient_who_chose_french_reads_why_in_french(clock, client, patient_a):
    patient_a.user.language = "fr"
    patient_a.user.save()
    client.force_login(patient_a.user)

    clock.shift(31 * MINUTE)
    response = client.get("/chart/", follow=True)

    assert "Votre session a été fermée après 30 minutes sans activité." in response.text


def test_a_nurse_active_every_ten_minutes_stays_signed_in(clock, client, nurse):
    client.force_login(nurse)

    for _ in range(6):
        clock.shift(10 * MINUTE)
        assert client.get("/patients/").status_code == 200


def test_twelve_hours_after_signing_in_even_an_active_nurse_is_signed_out(clock, client, nurse):
    client.force_login(nurse)
    for _ in range(71):
        clock.shift(10 * MINUTE)
        assert client.get("/patients/").status_code == 200

    clock.shift(11 * MINUTE)  # 12 h 01 min after signing in, 11 min after the last page
    response = client.get("/patients/", follow=True)

    assert response.redirect_chain[0][0] == f"{LOGIN_PAGE}?next=/patients/"
    assert "You were signed out 12 hours after signing in. Please sign in again." in response.text


def test_the_login_time_is_the_real_login_not_the_first_page_after_it(clock, client, nurse):
    client.post(LOGIN_PAGE, {"username": "nurse", "password": PASSWORD})

    clock.shift(16 * MINUTE)

    assert signed_out(client.get("/patients/"))


def test_background_requests_do_not_keep_the_session_alive(clock, client, nurse):
    client.force_login(nurse)

    clock.shift(10 * MINUTE)
    assert client.get("/patients/", headers={"X-Background": "1"}).status_code == 200
    clock.shift(6 * MINUTE)

    assert signed_out(client.get("/patients/"))


def test_a_background_request_after_the_idle_limit_is_refused_too(clock, client, nurse):
    client.force_login(nurse)

    clock.shift(16 * MINUTE)

    assert signed_out(client.get("/patients/", headers={"X-Background": "1"}))
    assert signed_out(client.get("/patients/"))


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?skip_timeout_reset=1", {}),
        ("?skip_timeout=1&keepalive=1&timeout=0", {}),
        ("", {"X-Requested-With": "XMLHttpRequest"}),
        ("", {"X-Skip-Timeout": "1", "X-Keepalive": "1", "X-Background": "0"}),
    ],
)
def test_no_parameter_or_header_skips_the_idle_check(clock, client, nurse, query, headers):
    client.force_login(nurse)

    clock.shift(16 * MINUTE)

    assert signed_out(client.get(f"/patients/{query}", headers=headers))
    assert signed_out(client.post(f"/patients/{query}", {"skip_timeout_reset": "1"}))


def test_an_idle_session_on_one_device_does_not_sign_out_the_other(clock, nurse):
    ward_pc, phone = signed_in_client(nurse), signed_in_client(nurse)

    clock.shift(10 * MINUTE)
    phone.get("/patients/")
    clock.shift(6 * MINUTE)

    assert signed_out(ward_pc.get("/patients/"))
    assert phone.get("/patients/").status_code == 200


def test_logging_out_on_one_device_ends_the_session_on_the_others(nurse, doctor):
    ward_pc, phone = signed_in_client(nurse), signed_in_client(nurse)
    colleague = signed_in_client(doctor)

    ward_pc.post("/accounts/logout/")

    assert signed_out(phone.get("/patients/"))
    assert colleague.get("/patients/").status_code == 200


def test_a_password_change_ends_the_session_on_the_other_devices(nurse):
    ward_pc, phone = signed_in_client(nurse), signed_in_client(nurse)
    new_password = "a-new-and-long-passphrase-9"

    # The account page asks for the password again first (issue #7, re-authentication).
    ward_pc.post("/account/confirm/", {"password": PASSWORD})
    response = ward_pc.post(
        "/account/password/", {"new_password1": new_password, "new_password2": new_password}
    )

    assert response.url == "/account/security/"
    assert ward_pc.get("/patients/").status_code == 200
    assert signed_out(phone.get("/patients/"))


def test_a_deactivated_account_is_refused_on_its_next_request(client, nurse):
    client.force_login(nurse)
    assert client.get("/patients/").status_code == 200

    nurse.is_active = False
    nurse.save()

    assert signed_out(client.get("/patients/"))

"""Two-factor sign-in (issue #7): staff enter a code from an authenticator app before any
patient data; patients and family may turn it on; security changes need a fresh password."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from monitoring import two_factor
from monitoring.models import Role
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def _two_factor_required(_test_settings, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = True


def code_for(device) -> str:
    """The code the person's authenticator app shows now."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def log_in(client, username, **extra):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}, **extra)


def enrol(client, user):
    """Set up an authenticator on the setup page, as the person would with their phone."""
    client.get("/account/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post("/account/two-factor/setup/", {"code": code_for(device)}), device


def confirm_password(client, password=PASSWORD, **fields):
    return client.post("/account/confirm/", {"password": password, **fields})


# --- Staff: enrolment and the code step ------------------------------------------------------


def test_after_the_password_a_nurse_without_an_app_is_sent_to_set_one_up(client, nurse):
    response = log_in(client, "nurse")
    setup = client.get(response["Location"], follow=True)

    assert setup.redirect_chain[-1][0].startswith("/account/two-factor/setup/")
    assert "<svg" in setup.text  # the QR code, drawn on the server
    assert "<script" not in setup.text.split("<main")[1].split("</main>")[0]
    secret = re.search(r'<code class="fs-5" id="secret">([A-Z2-7 ]+)</code>', setup.text)
    assert secret is not None
    device = TOTPDevice.objects.get(user=nurse, confirmed=False)
    assert secret[1].replace(" ", "") in device.config_url


def test_a_nurse_who_enters_the_apps_code_gets_ten_backup_codes_and_the_patient_list(client, nurse):
    log_in(client, "nurse")

    response, device = enrol(client, nurse)

    device.refresh_from_db()
    assert device.confirmed
    codes = StaticToken.objects.filter(device__user=nurse).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in response.text for code in codes)
    assert client.get("/patients/").status_code == 200


def test_a_wrong_code_at_enrolment_is_refused_and_turns_nothing_on(client, nurse):
    log_in(client, "nurse")
    client.get("/account/two-factor/setup/")

    response = client.post("/account/two-factor/setup/", {"code": "000000"})

    assert "That code didn’t match" in response.text
    assert not two_factor.has_two_factor(nurse)
    assert not StaticToken.objects.filter(device__user=nurse).exists()
    assert client.get("/patients/").status_code == 302


def test_a_doctor_with_an_app_enters_a_code_and_lands_where_they_were_going(client, doctor):
    device = enrolled(doctor)
    response = client.post(
        "/accounts/login/", {"username": "doctor", "password": PASSWORD, "next": "/worklist/"}
    )
    worklist = client.get(response["Location"])
    assert worklist["Location"] == "/account/two-factor/verify/?next=%2Fworklist%2F"

    response = client.post(worklist["Location"], {"code": code_for(device)})

    assert response["Location"] == "/worklist/"
    assert client.get("/worklist/").status_code == 200


def test_a_wrong_code_keeps_the_doctor_out(client, doctor):
    enrolled(doctor)
    log_in(client, "doctor")

    response = client.post("/account/two-factor/verify/", {"code": "123456"})

    assert "That code didn’t work" in response.text
    assert client.get("/worklist/").status_code == 302


def test_a_backup_code_lets_the_doctor_in_once(client, doctor):
    enrolled(doctor)
    code = two_factor.replace_backup_codes(doctor)[0]
    log_in(client, "doctor")

    first = client.post("/account/two-factor/verify/", {"code": code.upper()})
    client.post("/accounts/logout/")
    log_in(client, "doctor")
    second = client.post("/account/two-factor/verify/", {"code": code})

    assert first.status_code == 302
    assert "That code didn’t work" in second.text
    assert StaticToken.objects.filter(device__user=doctor).count() == 9


def test_a_staff_session_without_a_code_cannot_enrol_a_new_app_over_the_old_one(client, doctor):
    enrolled(doctor)
    log_in(client, "doctor")

    response = client.get("/account/two-factor/setup/")

    assert response["Location"].startswith("/account/two-factor/verify/")
    assert not TOTPDevice.objects.filter(user=doctor, confirmed=False).exists()


@pytest.mark.parametrize("with_app", [False, True])
def test_a_password_only_staff_session_reaches_no_patient_data_nor_the_admin(
    client, nurse, doctor, patient_a, with_app
):
    admin = UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    pages = {
        nurse: [
            "/patients/",
            f"/patients/{patient_a.pk}/",
            f"/patients/{patient_a.pk}/results.csv",
        ],
        doctor: ["/worklist/", "/dashboard/", f"/patients/{patient_a.pk}/charts/"],
        admin: ["/admin/", "/admin/monitoring/patient/"],
    }
    for user, urls in pages.items():
        if with_app:
            enrolled(user)
        client.force_login(user)  # the password, and no code
        for url in urls:
            response = client.get(url)

            assert response.status_code == 302, url
            assert response["Location"].startswith("/account/two-factor/"), url
            assert "Durand" not in response.text


def test_the_demo_setting_lets_staff_in_with_the_password_only(client, nurse, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = False
    client.force_login(nurse)

    assert client.get("/patients/").status_code == 200


def test_two_factor_is_required_for_staff_with_the_production_settings():
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.TWO_FACTOR_REQUIRED_FOR_STAFF)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "tdm_tracker.settings",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "example.org",
    }

    process = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert process.returncode == 0, process.stderr
    assert process.stdout.strip().splitlines()[-1] == "True"


# --- Patients and family: optional -----------------------------------------------------------


def test_a_patient_signs_in_with_the_password_only_by_default(client, patient_a):
    response = log_in(client, "alice", follow=True)

    assert response.redirect_chain[-1][0] == f"/chart/{patient_a.pk}/"


def test_a_patient_who_turned_two_factor_on_must_enter_a_code_next_time(client, patient_a):
    log_in(client, "alice")
    enrol(client, patient_a.user)
    client.post("/accounts/logout/")

    log_in(client, "alice")
    response = client.get(f"/chart/{patient_a.pk}/")

    assert response["Location"].startswith("/account/two-factor/verify/")


def test_a_patient_can_turn_two_factor_off_after_confirming_it_is_them(client, patient_a):
    device = enrolled(patient_a.user)
    client.force_login(patient_a.user)

    refused = client.post("/account/two-factor/off/")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=60)):
        confirm_password(client, code=code_for(device))
        response = client.post("/account/two-factor/off/")

    assert refused["Location"].startswith("/account/confirm/")
    assert response["Location"] == "/account/security/"
    assert not two_factor.has_two_factor(patient_a.user)
    assert client.get(f"/chart/{patient_a.pk}/").status_code == 200


def test_a_nurse_cannot_turn_two_factor_off(client, nurse):
    log_in(client, "nurse")
    enrol(client, nurse)

    response = client.post("/account/two-factor/off/")

    assert response.status_code == 403
    assert two_factor.has_two_factor(nurse)


# --- Security changes need a fresh password (and code) ---------------------------------------


def test_changing_the_email_needs_the_password_again(client, family):
    client.force_login(family)

    asked = client.get("/account/email/")
    wrong = confirm_password(client, "not-my-password", next="/account/email/")
    confirm_password(client, next="/account/email/")
    response = client.post("/account/email/", {"email": "carol@example.org"})

    assert asked["Location"] == "/account/confirm/?next=%2Faccount%2Femail%2F"
    assert "That password is not right." in wrong.text
    assert response["Location"] == "/account/security/"
    family.refresh_from_db()
    assert family.email == "carol@example.org"


def test_changing_the_password_needs_the_password_again(client, patient_a):
    user = patient_a.user
    client.force_login(user)
    new = "violet kettle marches north"

    refused = client.post("/account/password/", {"new_password1": new, "new_password2": new})
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    confirm_password(client)
    client.post("/account/password/", {"new_password1": new, "new_password2": new})

    assert refused["Location"].startswith("/account/confirm/")
    user.refresh_from_db()
    assert user.check_password(new)


def test_the_confirmation_lasts_five_minutes(client, patient_a):
    client.force_login(patient_a.user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        confirm_password(client)
    with time_machine.travel(start + dt.timedelta(minutes=4), tick=False):
        fresh = client.get("/account/email/")
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        stale = client.get("/account/email/")

    assert fresh.status_code == 200
    assert stale["Location"].startswith("/account/confirm/")


def test_with_two_factor_on_the_confirmation_needs_a_code_too(client, doctor):
    device = enrolled(doctor)
    log_in(client, "doctor")
    client.post("/account/two-factor/verify/", {"code": code_for(device)})

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        without_code = confirm_password(client)
        stale = client.post("/account/two-factor/backup-codes/")
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=60)):
            confirm_password(client, code=code_for(device))
            response = client.post("/account/two-factor/backup-codes/")

    assert "This field is required." in without_code.text
    assert stale["Location"].startswith("/account/confirm/")
    codes = StaticToken.objects.filter(device__user=doctor).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in response.text for code in codes)


def test_a_nurse_can_move_to_a_new_phone_and_the_old_app_stops_working(client, nurse):
    old = enrolled(nurse)
    log_in(client, "nurse")
    client.post("/account/two-factor/verify/", {"code": code_for(old)})

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=60)):
        response, new = enrol(client, nurse)

    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=nurse)) == [new]


@pytest.mark.parametrize(
    "url",
    ["/account/security/", "/account/email/", "/account/two-factor/setup/", "/account/confirm/"],
)
def test_account_pages_send_an_anonymous_visitor_to_log_in(client, db, url):
    response = client.get(url)

    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_security_page_offers_turning_off_only_to_patients_and_family(client, nurse, family):
    client.force_login(family)
    enrolled(family)
    carol_page = client.get("/account/security/")
    client.force_login(nurse)
    enrolled(nurse)
    nurse_page = client.get("/account/security/")

    assert "Turn off two-factor sign-in" in carol_page.text
    assert nurse_page.status_code == 302  # a password-only staff session goes to the code

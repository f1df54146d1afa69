"""Login throttling (issue #7): 5 failures for one username from one IP address start a
15-minute cool-off that looks the same whether or not the username exists."""

import datetime as dt
import re

import time_machine
from django.utils import timezone

from tests.factories import PASSWORD

THROTTLED = "Too many failed attempts. Please wait 15 minutes and try again."


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail_five_times(client, username, ip="203.0.113.7"):
    return [attempt(client, username, "wrong-password-here", ip) for _ in range(5)]


def without_csrf_token(response) -> str:
    # The form's CSRF token is masked differently on every page.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)


def test_four_failures_still_let_the_right_password_in(client, nurse):
    for _ in range(4):
        attempt(client, "nurse", "wrong-password-here")

    response = attempt(client, "nurse", PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_after_five_failures_even_the_right_password_is_refused(client, nurse):
    failures = fail_five_times(client, "nurse")

    response = attempt(client, "nurse", PASSWORD)

    assert failures[-1].status_code == 429
    assert response.status_code == 429
    assert THROTTLED in response.text
    assert "_auth_user_id" not in client.session


def test_the_cool_off_looks_the_same_for_an_unknown_username(client, nurse):
    known = fail_five_times(client, "nurse")[-1]
    unknown = fail_five_times(client, "nobody-here")[-1]

    assert known.status_code == unknown.status_code == 429
    assert without_csrf_token(known) == without_csrf_token(unknown)
    assert "nurse" not in without_csrf_token(known).split("<main")[1]


def test_a_failed_login_looks_the_same_for_an_unknown_username(client, nurse):
    known = attempt(client, "nurse", "wrong-password-here")
    unknown = attempt(client, "nobody-here", "wrong-password-here")

    assert known.status_code == unknown.status_code == 200
    # The page keeps what was typed in the username box, and nothing else differs.
    assert without_csrf_token(known).replace('value="nurse"', "") == without_csrf_token(
        unknown
    ).replace('value="nobody-here"', "")


def test_the_same_username_from_another_ip_address_can_still_log_in(client, nurse):
    fail_five_times(client, "nurse", ip="203.0.113.7")

    response = attempt(client, "nurse", PASSWORD, ip="198.51.100.20")

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_another_username_from_the_same_ip_address_can_still_log_in(client, nurse, doctor):
    fail_five_times(client, "nurse")

    response = attempt(client, "doctor", PASSWORD)

    assert response.status_code == 302


def test_the_right_password_works_again_after_15_minutes(client, nurse):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_five_times(client, "nurse")
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        still_throttled = attempt(client, "nurse", PASSWORD)
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        response = attempt(client, "nurse", PASSWORD)

    assert still_throttled.status_code == 429
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_successful_login_clears_the_failures(client, nurse):
    for _ in range(4):
        attempt(client, "nurse", "wrong-password-here")
    attempt(client, "nurse", PASSWORD)
    client.post("/accounts/logout/")

    for _ in range(4):
        attempt(client, "nurse", "wrong-password-here")
    response = attempt(client, "nurse", PASSWORD)

    assert response.status_code == 302

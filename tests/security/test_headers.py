"""Every page carries the Content-Security-Policy and the other security headers, pages are
never stored by the browser or a proxy, the templates hold no inline script or style, and the
production settings keep the session limits `check --deploy` does not look at."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent.parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def test_a_patient_page_carries_the_security_headers(client, nurse, patient_a):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_login_page_carries_the_policy_too(client, db):
    response = client.get("/accounts/login/")

    assert response.headers["Content-Security-Policy"] == CSP


def test_the_policy_allows_no_inline_script_no_eval_and_nothing_from_elsewhere():
    policy = settings.CONTENT_SECURITY_POLICY

    assert "unsafe" not in policy
    assert "http" not in policy
    assert "*" not in policy


@pytest.mark.parametrize(
    "page",
    [
        "monitoring:patient_detail",
        "monitoring:patient_charts",
        "monitoring:patient_results_csv",
    ],
)
def test_staff_pages_with_health_data_are_never_stored(client, nurse, patient_a, page):
    client.force_login(nurse)

    response = client.get(reverse(page, args=[patient_a.pk]))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_patients_own_chart_is_never_stored(client, patient_a):
    client.force_login(patient_a.user)

    response = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk]))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_patient_list_is_never_stored(client, nurse, patient_a):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_list"))

    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # as with DEBUG on; WhiteNoise reads it at start

    response = client.get("/static/css/app.css")
    response.close()

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


# --- Templates --------------------------------------------------------------------------------

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
COMMENTS = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)
INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_holds_inline_script_or_style(template):
    text = COMMENTS.sub("", template.read_text())

    found = [what for what, pattern in INLINE.items() if pattern.search(text)]

    assert found == [], f"{template.relative_to(ROOT)} has {', '.join(found)}"


def test_our_plotly_css_matches_the_installed_plotly():
    """css/plotly.css replaces the <style> plotly.js would inject: copied for one version."""
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    with bundle.open() as file:
        version = re.search(r"plotly\.js (v[\d.]+)", file.read(300)).group(1)

    assert f"plotly.js {version} " in (ROOT / "static/css/plotly.css").read_text()


# --- Production settings ----------------------------------------------------------------------

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({name: getattr(s, name) for name in ["
    "'SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
    "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE',"
    "'SESSION_COOKIE_AGE', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'SESSION_IDLE_TIMEOUT_STAFF',"
    "'SESSION_IDLE_TIMEOUT_PATIENT', 'SESSION_ABSOLUTE_TIMEOUT', 'PASSWORD_RESET_TIMEOUT']}))"
)


def load_settings(**env) -> dict:
    process = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "tdm_tracker.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def test_production_settings_keep_the_session_limits_and_host_only_cookies():
    production = load_settings(SECRET_KEY="x" * 50, ALLOWED_HOSTS="tdm.example.org")

    assert production == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 12 * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_IDLE_TIMEOUT_STAFF": 15 * 60,
        "SESSION_IDLE_TIMEOUT_PATIENT": 30 * 60,
        "SESSION_ABSOLUTE_TIMEOUT": 12 * 3600,
        "PASSWORD_RESET_TIMEOUT": production["PASSWORD_RESET_TIMEOUT"],
    }
    assert production["PASSWORD_RESET_TIMEOUT"] <= 3600


def test_local_development_over_http_keeps_the_plain_cookie_names():
    development = load_settings(DEBUG="1")

    assert development["SESSION_COOKIE_NAME"] == "sessionid"
    assert development["CSRF_COOKIE_NAME"] == "csrftoken"
    assert development["SESSION_COOKIE_SECURE"] is False

"""Per-request settings that follow the signed-in person rather than the browser, the session
limits, and the security headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from monitoring.models import Role

from . import two_factor

# Session keys: when the person signed in and when they were last active (Unix seconds).
LOGIN_AT = "tdm_login_at"
LAST_SEEN_AT = "tdm_last_seen_at"
# Activity is written to the session at most once a minute: a database write on every request
# would cost more than the minute it could add (the idle limit errs on the short side).
ACTIVITY_RESOLUTION = 60
# Sent by scripts that poll in the background: such a request is checked like any other but
# is not activity, so a page left open does not keep the session alive.
BACKGROUND_HEADER = "X-Background"


class UserLanguageMiddleware:
    """Applies the language saved on the account, over the cookie and Accept-Language that
    LocaleMiddleware read: a nurse who chose French on the ward PC gets French on her phone
    too. Runs after AuthenticationMiddleware, which provides request.user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def idle_timeout(user) -> int:
    """Seconds without activity after which the session ends: shorter for staff, whose
    screens are shared on the ward, than for patients and family on their own devices."""
    if user.role in (Role.PATIENT, Role.FAMILY):
        return settings.SESSION_IDLE_TIMEOUT_PATIENT
    return settings.SESSION_IDLE_TIMEOUT_STAFF


class SessionTimeoutMiddleware:
    """Signs the person out after the idle limit of their role or 12 hours after signing in,
    whichever comes first, and says why on the login page (LoginRequiredMiddleware sends them
    there with `next`). Nothing in the request can skip the check; a background request
    (X-Background: 1) is checked but does not count as activity.

    Needs request.user (AuthenticationMiddleware) and request._messages (MessageMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self.check(request)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        session, user, now = request.session, request.user, time.time()
        # A session without the stamps predates this check: treat it as too old.
        login_at = session.get(LOGIN_AT, 0)
        last_seen_at = session.get(LAST_SEEN_AT, 0)
        idle = idle_timeout(user)
        if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            hours = settings.SESSION_ABSOLUTE_TIMEOUT // 3600
            message = ngettext(
                "You were signed out %(hours)s hour after signing in. Please sign in again.",
                "You were signed out %(hours)s hours after signing in. Please sign in again.",
                hours,
            ) % {"hours": hours}
        elif now - last_seen_at > idle:
            minutes = idle // 60
            message = ngettext(
                "You were signed out after %(minutes)s minute without activity.",
                "You were signed out after %(minutes)s minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
        else:
            if request.headers.get(BACKGROUND_HEADER) != "1" and (
                now - last_seen_at >= ACTIVITY_RESOLUTION
            ):
                session[LAST_SEEN_AT] = now
            return
        # Not logout(): its signal would end the person's sessions on their other devices
        # too (end_all_sessions), and a timeout on the ward PC should not sign out a phone.
        session.flush()
        request.user = AnonymousUser()
        messages.info(request, message)


def stamp_login(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_in: the session remembers when its person signed in."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN_AT] = now


def end_all_sessions(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_out: logging out on one device ends the person's sessions on all others.

    Sessions are signed, not indexed by user, so this decodes every unexpired one; a few
    hundred rows at a logout is acceptable. Needs a database session engine (db, cached_db)."""
    if user is None:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    unexpired = Session.objects.filter(expire_date__gt=timezone.now())
    for row in unexpired.iterator():
        if row.get_decoded().get(SESSION_KEY) == str(user.pk):
            store(row.session_key).delete()  # audit-exempt: sessions are not clinical data


class SecurityHeadersMiddleware:
    """Headers SecurityMiddleware does not send: the Content-Security-Policy and the
    Permissions-Policy from settings, and `Cache-Control: no-store` on every page, as pages are
    built per person and most show health data (static files never reach here: WhiteNoise
    answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers["Cache-Control"] = "no-store"
        return response


# The pages a session signed in with a password only may still reach: the second-factor pages
# themselves, the password confirmation before enrolment, logging out and the language switch.
TWO_FACTOR_OPEN_VIEWS = {
    "login",
    "logout",
    "admin:logout",
    "monitoring:two_factor_setup",
    "monitoring:two_factor_verify",
    "monitoring:reauthenticate",
    "monitoring:set_language",
}


class TwoFactorMiddleware:
    """Until this session has entered a code, a staff account (or an account that turned
    two-factor on) is sent to the code page, or to enrolment when it has no authenticator
    yet: no patient data, no /admin/, before the second factor (issue #7). Runs after
    django-otp's OTPMiddleware, which provides request.user.is_verified()."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in TWO_FACTOR_OPEN_VIEWS:
            return None
        needs_code = request.session.get(two_factor.CODE_REQUIRED)
        if not (needs_code or two_factor.staff_must_use_two_factor(user)):
            return None
        page = "two_factor_verify" if two_factor.has_two_factor(user) else "two_factor_setup"
        url = reverse(f"monitoring:{page}")
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")

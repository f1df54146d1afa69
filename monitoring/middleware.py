"""Per-request settings that follow the signed-in person rather than the browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from . import two_factor


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

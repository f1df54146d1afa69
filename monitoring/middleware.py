"""Per-request settings that follow the signed-in person rather than the browser."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


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

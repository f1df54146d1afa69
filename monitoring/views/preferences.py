"""The viewer's own choices: interface language (issue #5 §3)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..models import UnitSystem


def _safe_next(request: HttpRequest) -> str:
    """Where to go back to: `next` only when it stays on this site, else home."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("monitoring:home")


# Open to anonymous users so the login page can offer the switch.
@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("Unknown language.")
    user = request.user
    if user.is_authenticated and user.language != language:
        # Saved on the account so the choice follows the person to other devices
        # (monitoring.middleware); simple-history records the change.
        user.language = language
        user.save(update_fields=["language"])
    translation.activate(language)
    response = redirect(_safe_next(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_POST
def set_unit_system(request: HttpRequest) -> HttpResponse:
    """SI or US conventional units for results and charts, saved on the account (a blank
    choice means the clinic's, monitoring.display)."""
    system = request.POST.get("unit_system", "")
    if system not in UnitSystem.values:
        return HttpResponseBadRequest("Unknown unit system.")
    if request.user.unit_system != system:
        request.user.unit_system = system
        request.user.save(update_fields=["unit_system"])
    return redirect(_safe_next(request))

"""Signing in and account security (issue #7): the login page, login throttling, the second
factor (enrolment, the code step, backup codes) and the account security page, where changing
the password, the e-mail or the second factor needs a fresh password (and code)."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import two_factor
from ..forms import CodeForm, EmailChangeForm, ReauthenticateForm
from ..models import Role


def _next_url(request: HttpRequest) -> str:
    """Where to go afterwards: `next` only when it stays on this site, else home."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("monitoring:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def recent_authentication_required(view):
    """The view changes how the account signs in: ask for the password (and a code) again
    unless the session gave them within the last 5 minutes (ASVS V6.8)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not two_factor.recently_authenticated(request):
            back = (
                request.get_full_path()
                if request.method == "GET"
                else reverse("monitoring:account_security")
            )
            return redirect(_with_next("monitoring:reauthenticate", back))
        return view(request, *args, **kwargs)

    return wrapper


# --- Logging in ------------------------------------------------------------------------------


class Login(LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        two_factor.note_password(self.request)
        # Read once here so that pages of accounts without two-factor cost no device query.
        if two_factor.has_two_factor(form.get_user()):
            self.request.session[two_factor.CODE_REQUIRED] = True
        return response


login = Login.as_view()


def login_throttled(request: HttpRequest, original_response=None, credentials=None):
    """The answer to a login during a cool-off (django-axes): the login page with the same
    message whether or not the username exists."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = ngettext(
        "Too many failed attempts. Please wait %(minutes)s minute and try again.",
        "Too many failed attempts. Please wait %(minutes)s minutes and try again.",
        minutes,
    ) % {"minutes": minutes}
    context = {"form": AuthenticationForm(request), "throttled_message": message}
    return render(request, "registration/login.html", context, status=429)


# --- The second factor -----------------------------------------------------------------------


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code,
    then note the backup codes, shown this once. Replaces an earlier authenticator."""
    user = request.user
    next_url = _next_url(request)
    if two_factor.has_two_factor(user) and not user.is_verified():
        return redirect(_with_next("monitoring:two_factor_verify", next_url))
    if not two_factor.recently_authenticated(request):
        return redirect(_with_next("monitoring:reauthenticate", request.get_full_path()))
    device = two_factor.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        if device.verify_token("".join(form.cleaned_data["code"].split())):
            codes = two_factor.confirm_authenticator(device)
            two_factor.note_code(request, device)
            return render(
                request,
                "monitoring/two_factor_backup_codes.html",
                {"codes": codes, "next": next_url, "enrolled": True},
            )
        form.add_error(
            "code",
            _(
                "That code didn’t match. Enter the code your app shows now; if it still "
                "fails, check that your phone’s clock is set automatically."
            ),
        )
    if device is None or request.method == "GET":
        device = two_factor.new_authenticator(user) if device is None else device
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr_code": two_factor.qr_code_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": two_factor.staff_must_use_two_factor(user),
    }
    return render(request, "monitoring/two_factor_setup.html", context)


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password: an authenticator code or a backup code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not two_factor.has_two_factor(user):
        return redirect(_with_next("monitoring:two_factor_setup", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            two_factor.note_code(request, device)
            return redirect(next_url)
        form.add_error(
            "code",
            _("That code didn’t work. Enter the current code from your app, or a backup code."),
        )
    return render(request, "monitoring/two_factor_verify.html", {"form": form, "next": next_url})


def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Confirm the password (and a code, with two-factor on) before a security change."""
    user = request.user
    next_url = _next_url(request)
    needs_code = two_factor.has_two_factor(user)
    form = ReauthenticateForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        # authenticate() with the request: django-axes counts failures here too.
        if (
            authenticate(
                request, username=user.get_username(), password=form.cleaned_data["password"]
            )
            != user
        ):
            form.add_error("password", _("That password is not right."))
        elif (
            needs_code
            and (device := two_factor.verify_code(user, form.cleaned_data["code"])) is None
        ):
            form.add_error(
                "code",
                _("That code didn’t work. Enter the current code from your app, or a backup code."),
            )
        else:
            two_factor.note_password(request)
            if needs_code:
                two_factor.note_code(request, device)
            return redirect(next_url)
    return render(request, "monitoring/reauthenticate.html", {"form": form, "next": next_url})


# --- The account security page ---------------------------------------------------------------


def account_security(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "has_two_factor": two_factor.has_two_factor(user),
        "two_factor_required": two_factor.staff_must_use_two_factor(user),
        "may_turn_off": user.role in (Role.PATIENT, Role.FAMILY),
    }
    return render(request, "monitoring/account_security.html", context)


@recent_authentication_required
def password_change(request: HttpRequest) -> HttpResponse:
    # The password was just confirmed (recent_authentication_required): no old-password field.
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)  # stay signed in here
        messages.success(request, _("Your password has been changed."))
        return redirect("monitoring:account_security")
    return render(request, "registration/password_change_form.html", {"form": form})


@recent_authentication_required
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()  # simple-history keeps the previous address
        messages.success(request, _("Your e-mail address has been changed."))
        return redirect("monitoring:account_security")
    return render(request, "monitoring/email_change.html", {"form": form})


@require_POST
@recent_authentication_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Patients and family may turn two-factor off; staff may only enrol a new app."""
    if request.user.role not in (Role.PATIENT, Role.FAMILY):
        raise PermissionDenied
    two_factor.remove_two_factor(request.user)
    request.session.pop(two_factor.CODE_REQUIRED, None)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("monitoring:account_security")


@require_POST
@recent_authentication_required
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user):
        return redirect("monitoring:account_security")
    codes = two_factor.replace_backup_codes(request.user)
    context = {"codes": codes, "next": reverse("monitoring:account_security")}
    return render(request, "monitoring/two_factor_backup_codes.html", context)

"""Two-factor sign-in (issue #7, OWASP ASVS 5.0 level 2): who needs it, the TOTP device and
backup codes of an account, and how recently this session proved who it is.

Devices are django-otp's: one TOTPDevice (an authenticator app) and one StaticDevice holding
the single-use backup codes. django-otp's middleware marks a session verified once a code is
accepted (`request.user.is_verified()`).
"""

from __future__ import annotations

import datetime as dt
import logging

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import STAFF_ROLES

log = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
# Changing the password, the e-mail or the second factor needs a password (and a code, when
# two-factor is on) entered within this time (ASVS V6.8 re-authentication).
REAUTHENTICATION_AGE = dt.timedelta(minutes=5)

# Session keys: when this session last proved the password and a code, and whether its
# account had two-factor at login (so a patient's pages cost no device query).
PASSWORD_AT = "auth_password_at"
CODE_AT = "auth_code_at"
CODE_REQUIRED = "auth_code_required"


def staff_must_use_two_factor(user) -> bool:
    """Staff accounts (and anyone who can reach /admin/) need a second factor, unless the
    local demo turned the requirement off."""
    return settings.TWO_FACTOR_REQUIRED_FOR_STAFF and (
        user.role in STAFF_ROLES or user.is_staff or user.is_superuser
    )


def authenticator(user) -> TOTPDevice | None:
    """The account's confirmed authenticator app, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def verify_code(user, code: str):
    """The device that accepts `code` (an authenticator code or an unused backup code, which
    is then spent), else None. django-otp slows down repeated failures per device."""
    code = "".join(code.split()).lower()
    if not code:
        return None
    for device in [
        *TOTPDevice.objects.devices_for_user(user, confirmed=True),
        *StaticDevice.objects.devices_for_user(user, confirmed=True),
    ]:
        if django_otp.verify_token(user, device.persistent_id, code):
            return device
    return None


def new_authenticator(user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for enrolment; earlier unconfirmed ones go."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def confirm_authenticator(device: TOTPDevice) -> list[str]:
    """Makes `device` the account's only authenticator and returns fresh backup codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log.info("Two-factor: user %s enrolled an authenticator app", device.user_id)
    return replace_backup_codes(device.user)


@transaction.atomic
def replace_backup_codes(user) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    log.info("Two-factor: user %s has new backup codes", user.pk)
    return codes


@transaction.atomic
def remove_two_factor(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log.info("Two-factor: user %s turned two-factor off", user.pk)


def qr_code_svg(text: str) -> SafeString:
    """`text` as a QR code in inline SVG, drawn here: no script, no outside service."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    # Markup written by qrcode from our own otpauth:// URL, which it encodes as path data.
    return mark_safe(image.to_string(encoding="unicode"))


def note_password(request: HttpRequest) -> None:
    request.session[PASSWORD_AT] = timezone.now().timestamp()


def note_code(request: HttpRequest, device) -> None:
    """Marks the session verified by `device` (django-otp) and records when. A new session
    key, as at login: a key seen before the second factor is worth nothing after it."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[CODE_AT] = timezone.now().timestamp()
    request.session[CODE_REQUIRED] = True


def _recent(request: HttpRequest, key: str) -> bool:
    at = request.session.get(key)
    age = timezone.now().timestamp() - at if at is not None else None
    return age is not None and 0 <= age <= REAUTHENTICATION_AGE.total_seconds()


def recently_authenticated(request: HttpRequest) -> bool:
    """Password, and a code when the account has two-factor, both within 5 minutes."""
    if not _recent(request, PASSWORD_AT):
        return False
    return _recent(request, CODE_AT) or not has_two_factor(request.user)

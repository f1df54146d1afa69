"""API tokens for the FHIR API and the HL7 HTTP endpoint (issue #6)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ApiToken, Role, User, hash_token
from .base import _audit

# last_used_at is written at most this often per token: a feed posting every second must not
# turn each read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


@transaction.atomic
def create_api_token(*, user: User, name: str = "", created_by: User | None = None) -> str:
    """Create a token acting as `user` and return it; only its hash is kept."""
    if not user.is_active:
        raise ValidationError(_("%(user)s is not an active account.") % {"user": user.username})
    if user.role == Role.FAMILY:
        # Family members read through the pages, where each read is recorded on their share.
        raise ValidationError(_("Family member accounts cannot have API tokens."))
    key = ApiToken.new_key()
    token = ApiToken(user=user, name=name.strip()[:100], key_hash=hash_token(key))
    _audit(token, user=created_by)
    token.save()
    return key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, user: User, reason: str) -> ApiToken:
    token.revoked_at = timezone.now()
    _audit(token, user=user, reason=reason or "revoked")
    token.save()
    return token


def user_for_bearer_token(request: HttpRequest) -> User | None:
    """The active user of the `Authorization: Bearer <token>` header, or None (no header, an
    unknown, revoked or malformed token, or an inactive user)."""
    header = request.headers.get("Authorization", "")
    scheme, _space, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=hash_token(key.strip()))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        # A plain UPDATE: the token's use is not a change anyone reviews in its history.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # audit-exempt: last use
    return token.user

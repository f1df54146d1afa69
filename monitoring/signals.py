"""Sign-ins, sign-outs and failed sign-ins go to the access log (issue #7).

Infrastructure logging, not domain behaviour: Django announces these only by signals."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AccessAction
from .services import record_access


@receiver(user_logged_in, dispatch_uid="access_log_login")
def log_login(sender, request, user, **kwargs) -> None:
    record_access(request=request, user=user, action=AccessAction.LOGIN)


@receiver(user_logged_out, dispatch_uid="access_log_logout")
def log_logout(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out while signed out
        record_access(request=request, user=user, action=AccessAction.LOGOUT)


@receiver(user_login_failed, dispatch_uid="access_log_login_failed")
def log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The account tried, when it exists; an unknown username is not kept (it may be a
    # password typed in the wrong box).
    User = get_user_model()
    username = credentials.get(User.USERNAME_FIELD, "")
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    record_access(request=request, user=user, action=AccessAction.LOGIN_FAILED)

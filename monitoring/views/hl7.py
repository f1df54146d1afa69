"""POST /api/hl7/: one HL7 v2 message in, its ACK out (issue #6). Bearer token only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import services
from ..models import InboundMessage

MAX_BYTES = 1024 * 1024
ACK_CONTENT_TYPE = "application/hl7-v2; charset=utf-8"


@csrf_exempt  # a token, never a session cookie, authenticates this endpoint
@login_not_required
@require_POST
def hl7_message(request: HttpRequest) -> HttpResponse:
    user = services.user_for_bearer_token(request)
    if user is None:
        response = HttpResponse(_("A valid API token is needed."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="tdm-tracker"'
        return response
    if not user.can_import_results:
        return HttpResponse(_("This account may not send results."), status=403)
    if int(request.headers.get("Content-Length") or 0) > MAX_BYTES or len(request.body) > MAX_BYTES:
        return HttpResponse(_("The message is larger than 1 MB."), status=413)
    try:
        raw = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return HttpResponse(_("The message is not UTF-8 text."), status=400)
    default_clinic = None
    if code := request.GET.get("clinic"):
        default_clinic = user.clinics.filter(code=code).first()
        if default_clinic is None:
            # The same answer for a clinic that does not exist: nothing about others leaks.
            return HttpResponse(
                _("This account works in no clinic with code “%(code)s”.") % {"code": code},
                status=400,
            )
    outcome = services.receive_hl7_message(
        raw=raw, transport=InboundMessage.Transport.HTTP, user=user, default_clinic=default_clinic
    )
    return HttpResponse(outcome.ack, content_type=ACK_CONTENT_TYPE)

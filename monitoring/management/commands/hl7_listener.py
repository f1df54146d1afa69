"""Receive HL7 v2 messages over MLLP (issue #6), as the interface account given with --user.

    python manage.py hl7_listener --host 127.0.0.1 --port 2575 --user lab [--clinic demo-rheum]

Each message gets one ACK; a bad message is answered AR or AE and the listener goes on. Stop
with Ctrl-C (--once: after the first message).
"""

import asyncio
import contextlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from monitoring import services
from monitoring.hl7.mllp import Listener
from monitoring.models import Clinic, InboundMessage, User


class Command(BaseCommand):
    help = "Receive HL7 v2 messages over MLLP and answer each with an ACK."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2575)
        parser.add_argument("--user", required=True, help="Interface, nurse or doctor account")
        parser.add_argument("--clinic", help="Clinic code for messages without an authority")
        parser.add_argument("--once", action="store_true", help="Stop after one message")

    def handle(self, *args, host, port, user, clinic, once, **options):
        account, default_clinic = find_account(user, clinic)

        def receive(raw: str) -> str:
            outcome = services.receive_hl7_message(
                raw=raw,
                transport=InboundMessage.Transport.MLLP,
                user=account,
                default_clinic=default_clinic,
            )
            self.stdout.write(_describe(outcome))
            return outcome.ack

        listener = Listener(receive=receive, host=host, port=port, max_messages=1 if once else None)
        self.stdout.write(_("Listening on %(host)s:%(port)s.") % {"host": host, "port": port})
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a graceful stop
            asyncio.run(listener.serve())
        self.stdout.write(_("Stopped."))


def find_account(username: str, clinic_code: str | None) -> tuple[User, Clinic | None]:
    """The account messages are received as, and the default clinic; CommandError if wrong."""
    account = User.objects.filter(username=username, is_active=True).first()
    if account is None:
        raise CommandError(_("Unknown user “%(user)s”.") % {"user": username})
    if not account.can_import_results:
        raise CommandError(
            _("%(user)s is not an interface, nurse or doctor account.") % {"user": username}
        )
    default_clinic = None
    if clinic_code:
        default_clinic = account.clinics.filter(code=clinic_code).first()
        if default_clinic is None:
            raise CommandError(
                _("%(user)s does not work in a clinic with code “%(code)s”.")
                % {"user": username, "code": clinic_code}
            )
    return account, default_clinic


def _describe(outcome) -> str:
    """One line per message: control ID, ACK code, counts."""
    control_id = outcome.control_id or "-"
    line = _(
        "%(id)s %(code)s: %(results)s stored or updated, %(duplicates)s already received, "
        "%(unmatched)s unmatched"
    ) % {
        "id": control_id,
        "code": outcome.code,
        "results": len(outcome.results),
        "duplicates": outcome.duplicates,
        "unmatched": outcome.unmatched,
    }
    if outcome.duplicate:
        line += " " + _("(duplicate message)")
    return line

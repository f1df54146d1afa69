"""Import lab results from a CSV file, as the nurse given with --user (issue #6).

    python manage.py import_results results.csv --format csv --clinic demo-rheum --user nurse

A file with any bad row saves nothing; every bad row is listed with its line number.
--dry-run lists what would be saved and saves nothing.

    python manage.py import_results batch.hl7 --format hl7 --user lab [--clinic demo-rheum]

A file of HL7 v2 messages (FHS/BHS batch or consecutive MSH messages): each message is
received as the MLLP listener would, with one line per message; the exit code is not zero if
any message was answered AE or AR.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from monitoring import services
from monitoring.hl7.parse import split_messages
from monitoring.imports import csv_results
from monitoring.management.commands.hl7_listener import _describe, find_account
from monitoring.models import Clinic, InboundMessage, User

HL7_MAX_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = "Import lab results from a CSV file: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "hl7"], default="csv")
        parser.add_argument(
            "--clinic", help="Clinic code, e.g. demo-rheum (for hl7: when no authority is sent)"
        )
        parser.add_argument("--user", required=True, help="Username of the nurse entering them")
        parser.add_argument("--dry-run", action="store_true", help="Show, save nothing")

    def handle(self, *args, file: Path, clinic: str, user: str, dry_run: bool, **options):
        if options["format"] == "hl7":
            if dry_run:
                raise CommandError(_("--dry-run is for CSV files only."))
            return self._import_hl7(file, user, clinic)
        if not clinic:
            raise CommandError(_("--clinic is required for CSV files."))
        found_clinic = Clinic.objects.filter(code=clinic).first()
        if found_clinic is None:
            raise CommandError(_("Unknown clinic “%(code)s”.") % {"code": clinic})
        entered_by = User.objects.filter(username=user, is_active=True).first()
        if entered_by is None:
            raise CommandError(_("Unknown user “%(user)s”.") % {"user": user})
        if (
            not entered_by.can_import_results
            or not entered_by.clinics.filter(pk=found_clinic.pk).exists()
        ):
            raise CommandError(
                _("%(user)s is not a nurse or doctor of %(clinic)s.")
                % {"user": user, "clinic": found_clinic.name}
            )
        try:
            with file.open("rb") as stream:
                data = stream.read(csv_results.MAX_BYTES + 1)  # one byte more tells it is too large
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        try:
            rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=found_clinic)
        except csv_results.ImportFileError as error:
            self._refuse(error.errors)
        if dry_run:
            for row in rows:
                self.stdout.write(row.describe())
            self.stdout.write(
                _("Dry run: %(count)s results would be saved; nothing was saved.")
                % {"count": len(rows)}
            )
            return
        report = services.import_results(rows=rows, entered_by=entered_by)
        if not report.is_saved:
            self._refuse(report.errors)
        self.stdout.write(
            _("Saved %(results)s results; %(alerts)s alerts raised or updated.")
            % {"results": len(report.results), "alerts": len(report.alerts)}
        )
        for alert in report.alerts:
            self.stdout.write(f"  {alert}")

    def _refuse(self, errors: list[str]):
        for message in errors:
            self.stderr.write(message)
        raise CommandError(
            _("Nothing was saved: %(count)s problem(s) in the file.") % {"count": len(errors)}
        )

    def _import_hl7(self, file: Path, username: str, clinic_code: str | None):
        account, default_clinic = find_account(username, clinic_code)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        if len(data) > HL7_MAX_BYTES:
            raise CommandError(_("The file is larger than 50 MB: split it."))
        messages = split_messages(data.decode("utf-8-sig", errors="replace"))
        if not messages:
            raise CommandError(_("The file holds no HL7 message (no MSH segment)."))
        codes = []
        for raw in messages:
            outcome = services.receive_hl7_message(
                raw=raw,
                transport=InboundMessage.Transport.FILE,
                user=account,
                default_clinic=default_clinic,
            )
            codes.append(outcome.code)
            self.stdout.write(_describe(outcome))
            for error in outcome.errors:
                self.stdout.write(f"  {error}")
        summary = _(
            "%(count)s messages: %(accepted)s accepted, %(errors)s with errors, "
            "%(rejected)s rejected."
        ) % {
            "count": len(codes),
            "accepted": codes.count("AA"),
            "errors": codes.count("AE"),
            "rejected": codes.count("AR"),
        }
        if codes.count("AA") != len(codes):
            raise CommandError(summary)
        self.stdout.write(summary)

"""Import lab results from a CSV file, as the nurse given with --user (issue #6).

    python manage.py import_results results.csv --format csv --clinic demo-rheum --user nurse

A file with any bad row saves nothing; every bad row is listed with its line number.
--dry-run lists what would be saved and saves nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from monitoring import services
from monitoring.imports import csv_results
from monitoring.models import Clinic, User


class Command(BaseCommand):
    help = "Import lab results from a CSV file: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv"], default="csv")
        parser.add_argument("--clinic", required=True, help="Clinic code, e.g. demo-rheum")
        parser.add_argument("--user", required=True, help="Username of the nurse entering them")
        parser.add_argument("--dry-run", action="store_true", help="Show, save nothing")

    def handle(self, *args, file: Path, clinic: str, user: str, dry_run: bool, **options):
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

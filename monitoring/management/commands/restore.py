"""Replace the database's content with a backup made by `manage.py backup`:

    python manage.py restore /var/backups/tdm-2026-11-25.backup --yes

Everything entered since the backup is lost, so it says what it would overwrite and does
nothing without --yes. Stop the site (and cron jobs) while it runs.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from monitoring import backups


class Command(BaseCommand):
    help = "Replace the database's content with a backup file (needs --yes)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--yes", action="store_true", help="Overwrite the database: it cannot be undone"
        )

    def handle(self, *args, file: Path, database: str, yes: bool, **options):
        connection = connections[database]
        settings_dict = connection.settings_dict
        try:
            taken = backups.check(settings_dict, file)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        what = {"database": backups.describe(settings_dict), "file": file, "taken": taken}
        self.stdout.write(
            _(
                "This replaces everything in %(database)s with the backup %(file)s "
                "(written %(taken)s): whatever was entered since is lost."
            )
            % what
        )
        if not yes:
            raise CommandError(_("Nothing was changed. Run again with --yes to restore."))
        connection.close()  # the restore replaces what this connection may have cached
        try:
            backups.restore(settings_dict, file)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_("Restored %(database)s from %(file)s.") % what)

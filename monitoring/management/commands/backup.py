"""Copy the database to a file, consistently, while the site runs:

    python manage.py backup /var/backups/tdm-2026-11-25.backup

SQLite through its online backup API, PostgreSQL with pg_dump (custom format).
Put it back with `manage.py restore FILE --yes`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from monitoring import backups


class Command(BaseCommand):
    help = "Copy the database to a file (restore it with `manage.py restore FILE --yes`)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, file: Path, database: str, **options):
        settings_dict = connections[database].settings_dict
        try:
            backups.backup(settings_dict, file)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Saved %(database)s to %(file)s.")
            % {"database": backups.describe(settings_dict), "file": file}
        )

"""Create an API token for the FHIR API and the HL7 HTTP endpoint (issue #6).

    python manage.py create_api_token lab --name "Lab feed"

The token is printed once; only its hash is stored. It sees what its user sees.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from monitoring import services
from monitoring.models import User


class Command(BaseCommand):
    help = "Create an API token acting as USERNAME and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown user “{username}”.")
        try:
            key = services.create_api_token(user=user, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(f"Token for {user.username} ({user.get_role_display()}); keep it secret:")
        self.stdout.write(key)

"""Raise and escalate overdue-test alerts (and every other record rule) for all patients on
tacrolimus. Run it from cron, e.g. hourly: it is idempotent, so running it twice changes
nothing the second time."""

from django.core.management.base import BaseCommand
from django.db import transaction

from monitoring import services
from monitoring.models import Alert, Patient


class Command(BaseCommand):
    help = "Raise and escalate overdue monitoring alerts (idempotent; run it from cron)."

    def handle(self, *args, **options):
        opened = 0
        patients = (
            Patient.objects.filter(regimens__isnull=False).distinct().select_related("clinic")
        )
        for patient in patients.iterator():
            # One transaction per patient: a failure for one does not undo the others.
            with transaction.atomic():
                opened += len(services.evaluate_record(patient=patient, user=None))
        overdue = Alert.objects.open().filter(rule_code="test-overdue").count()
        self.stdout.write(f"{opened} new alerts; {overdue} open overdue-test alerts.")

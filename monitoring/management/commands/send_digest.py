"""Daily digest for doctors: how many urgent and critical alerts are open in their clinics.
Run it from cron once a day. Like every e-mail of the app, it carries no patient data."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from monitoring.models import Alert, Role, Severity, User
from monitoring.services.alerts import NO_PATIENT_DATA


class Command(BaseCommand):
    help = "E-mail each doctor the count of open urgent and critical alerts in their clinics."

    def handle(self, *args, **options):
        link = settings.SITE_URL.rstrip("/") + reverse("monitoring:worklist")
        messages = []
        doctors = User.objects.filter(role=Role.DOCTOR, is_active=True).exclude(email="")
        for doctor in doctors.prefetch_related("clinics"):
            open_alerts = Alert.objects.open().filter(patient__clinic__in=doctor.clinics.all())
            critical = open_alerts.filter(severity=Severity.CRITICAL).count()
            urgent = open_alerts.filter(severity=Severity.URGENT).count()
            if not critical and not urgent:
                continue
            # In the doctor's own language (issue #5).
            with translation.override(doctor.language or settings.LANGUAGE_CODE):
                body = [
                    gettext(
                        "Open in your clinics: %(critical)s critical and %(urgent)s urgent alerts."
                    )
                    % {"critical": critical, "urgent": urgent},
                    gettext("Open the worklist: %(link)s") % {"link": link},
                    gettext(NO_PATIENT_DATA),
                ]
                subject = gettext("tdm-tracker: open alerts to review")
            messages.append((subject, "\n\n".join(body), None, [doctor.email]))
        sent = send_mass_mail(messages) if messages else 0
        self.stdout.write(f"{sent} digest e-mails sent.")

"""Demo data for local use only: two clinics, their staff, patients and months of troughs.

Idempotent: running it again resets the demo passwords and adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from monitoring import services
from monitoring.models import (
    Alert,
    Analyte,
    Clinic,
    LabResult,
    Patient,
    Role,
    Sex,
    Share,
    User,
)

DEMO_CLINIC = "Demo Rheumatology"
SECOND_CLINIC = "Lyon Lupus Clinic"

# (username, first, last, role, clinic)
STAFF = [
    ("nurse", "Nadia", "Benali", Role.NURSE, DEMO_CLINIC),
    ("doctor", "Daniel", "Martin", Role.DOCTOR, DEMO_CLINIC),
    ("admin", "Agnès", "Roux", Role.ADMIN, DEMO_CLINIC),
    ("nurse2", "Nicolas", "Petit", Role.NURSE, SECOND_CLINIC),
    ("doctor2", "Delphine", "Moreau", Role.DOCTOR, SECOND_CLINIC),
]

# (username, first, last, sex, born, MRN, clinic, months of history, trough profile)
PATIENTS = [
    (
        "alice",
        "Alice",
        "Durand",
        Sex.FEMALE,
        dt.date(1991, 4, 12),
        "DR-1001",
        DEMO_CLINIC,
        11,
        [7.1, 5.2, 6.4, 7.8, 9.6, 8.4, 7.2, 6.9, 7.5, 6.2, 5.4, 4.9, 5.3, 6.8, 16.2],
    ),
    (
        "bob",
        "Bruno",
        "Lefèvre",
        Sex.MALE,
        dt.date(1984, 9, 3),
        "DR-1002",
        DEMO_CLINIC,
        8,
        [4.8, 5.6, 6.3, 7.4, 7.9, 6.6, 8.9, 7.1, 6.0, 5.1],
    ),
    (
        "dave",
        "David",
        "Garnier",
        Sex.MALE,
        dt.date(1978, 1, 22),
        "LY-2001",
        SECOND_CLINIC,
        7,
        [6.1, 7.0, 8.6, 7.7, 6.5, 7.2, 5.5, 7.3],
    ),
]
# A patient who has no portal account, so the clinic list is not only the demo logins.
UNLINKED = [
    (
        "Chloé",
        "Bernard",
        Sex.FEMALE,
        dt.date(1996, 11, 30),
        "DR-1003",
        DEMO_CLINIC,
        6,
        [5.8, 6.5, 7.2, 7.9, 8.3, 7.4, 6.6],
    ),
]


class Command(BaseCommand):
    help = "Create the local demo (clinics, users, patients, troughs). Never run in production."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Password for every demo login (default: $DEMO_PASSWORD)"
        )

    @transaction.atomic
    def handle(self, *args, password=None, **options):
        password = password or os.environ.get("DEMO_PASSWORD")
        if not password:
            raise CommandError("Give the demo password with --password or DEMO_PASSWORD.")
        clinics = {
            DEMO_CLINIC: self._clinic(DEMO_CLINIC, "demo-rheum"),
            SECOND_CLINIC: self._clinic(SECOND_CLINIC, "lyon-lupus"),
        }
        admins = self._admin_group()
        staff = {}
        for username, first, last, role, clinic in STAFF:
            user = self._user(username, first, last, role, password)
            user.clinics.add(clinics[clinic])
            if role == Role.ADMIN:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
                user.groups.add(admins)
            staff[username] = user
        patients = {}
        for username, first, last, sex, born, mrn, clinic, months, profile in PATIENTS:
            user = self._user(username, first, last, Role.PATIENT, password)
            patient = self._patient(clinics[clinic], mrn, first, last, sex, born, user)
            patients[username] = (patient, months, profile)
        for first, last, sex, born, mrn, clinic, months, profile in UNLINKED:
            patient = self._patient(clinics[clinic], mrn, first, last, sex, born, None)
            patients[mrn] = (patient, months, profile)

        carol = self._user("carol", "Carole", "Durand", Role.FAMILY, password)
        alice = patients["alice"][0]
        if not Share.objects.filter(patient=alice, grantee=carol).exists():
            Share.objects.create(patient=alice, grantee=carol)

        for _key, (patient, months, profile) in patients.items():
            if not LabResult.objects.filter(patient=patient).exists():
                doctor = staff["doctor2" if patient.clinic.name == SECOND_CLINIC else "doctor"]
                nurse = staff["nurse2" if patient.clinic.name == SECOND_CLINIC else "nurse"]
                self._history(patient, months, profile, nurse=nurse, doctor=doctor)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready: logins nurse, doctor, alice, bob, carol, nurse2, doctor2, dave, admin."
            )
        )

    def _clinic(self, name: str, code: str) -> Clinic:
        clinic, _ = Clinic.objects.get_or_create(name=name, defaults={"code": code})
        return clinic

    def _admin_group(self) -> Group:
        group, _ = Group.objects.get_or_create(name="Clinic administrators")
        group.permissions.set(Permission.objects.filter(content_type__app_label="monitoring"))
        return group

    def _user(self, username, first, last, role, password) -> User:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "role": role}
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        return user

    def _patient(self, clinic, mrn, first, last, sex, born, user) -> Patient:
        patient, _ = Patient.objects.get_or_create(
            clinic=clinic,
            mrn=mrn,
            defaults={
                "first_name": first,
                "last_name": last,
                "sex": sex,
                "date_of_birth": born,
                "user": user,
            },
        )
        return patient

    def _history(self, patient, months, profile, *, nurse, doctor) -> None:
        """Troughs every 2 weeks, then monthly (clinical-reference.md A4), from the profile."""
        analyte = Analyte.objects.get(code=Analyte.TACROLIMUS)
        rng = random.Random(patient.mrn)  # the same demo every time
        now = timezone.now()
        start = now - dt.timedelta(days=30 * months)
        count = len(profile)
        step = (now - dt.timedelta(days=2) - start) / max(count - 1, 1)
        if patient.mrn == "DR-1001":
            # Induction, then maintenance 4–6 ng/mL (§4.3): shows a stepped target band.
            services.set_trough_target(
                patient=patient,
                low=Decimal("4"),
                high=Decimal("6"),
                starts_at=start + step * 10 + dt.timedelta(days=1),
                reason="Maintenance phase after 6 months of induction",
                set_by=doctor,
            )
        for index, value in enumerate(profile):
            drawn = (start + step * index).replace(hour=7, minute=rng.choice([40, 50, 55]))
            drawn = drawn.replace(second=0, microsecond=0)
            last_dose = drawn - dt.timedelta(hours=12, minutes=rng.choice([-30, -10, 0, 15]))
            result, alerts = services.record_result(
                patient=patient,
                analyte=analyte,
                value=Decimal(str(value)),
                collected_at=drawn,
                last_dose_at=last_dose,
                entered_by=nurse,
            )
            raised = drawn + dt.timedelta(hours=3)
            for alert in alerts:
                # Demo only: date the alert when its result came back, not when seeded.
                Alert.objects.filter(pk=alert.pk, occurrences=1).update(first_raised_at=raised)
                Alert.objects.filter(pk=alert.pk).update(last_raised_at=raised)
                if now - drawn > dt.timedelta(days=45):
                    services.acknowledge_alert(
                        alert=Alert.objects.get(pk=alert.pk),
                        user=doctor,
                        comment=rng.choice(
                            [
                                "Dose adjusted by 0.5 mg/day, recheck in 1 week",
                                "Sample drawn late; repeat trough",
                                "Reviewed with patient; adherence reinforced",
                            ]
                        ),
                    )

"""Demo data for local use only: two clinics, their staff, patients and months of troughs.

Idempotent: running it again resets the demo passwords and adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from monitoring import demo_files, services
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


# Typical adult values in the canonical unit (F, M), around which each draw varies a little.
BASELINES = {
    "creatinine": ("68", "88"),
    "glucose-fasting": ("5.0", "5.2"),
    "hba1c": ("5.4", "5.5"),
    "haemoglobin": ("124", "141"),
    "haematocrit": ("37", "42"),
    "mcv": ("89", "90"),
    "wbc": ("6.1", "6.8"),
    "neutrophils": ("3.8", "4.2"),
    "lymphocytes": ("1.3", "1.5"),
    "eosinophils": ("0.2", "0.2"),
    "platelets": ("245", "230"),
    "alt": ("21", "27"),
    "ast": ("23", "25"),
    "alkaline-phosphatase": ("70", "78"),
    "ggt": ("22", "30"),
    "albumin": ("39", "41"),
    "uric-acid": ("290", "350"),
    "potassium": ("4.3", "4.4"),
    "magnesium": ("0.80", "0.82"),
    "upcr": ("45", "30"),
    "bp-systolic": ("124", "132"),
    "bp-diastolic": ("78", "82"),
}
# Out-of-range episodes: MRN → {draw number from the end (1 = latest): {analyte: value}}.
EPISODES = {
    "DR-1001": {
        1: {"creatinine": "97", "potassium": "5.4", "magnesium": "0.66"},
        5: {"glucose-fasting": "6.1"},
    },
    "DR-1002": {3: {"potassium": "5.7", "glucose-fasting": "7.4", "alt": "64"}},
    "LY-2001": {2: {"platelets": "132", "wbc": "3.3"}, 1: {"creatinine": "141"}},
    "DR-1003": {1: {"uric-acid": "372"}},
}
# Demo patients whose last visit was long ago (an overdue trough), and whose last
# creatinine follows a normal one 3 days earlier (a KDIGO acute kidney injury).
LAPSED = {"DR-1003"}
AKI_BEFORE_LAST = {"LY-2001": "86"}

# The rest of each demo record (issue #3): regimens, weights, ECG, medicines, allergies,
# vaccinations and symptoms. Doses follow §7.6 strengths; one medicine interacts per patient.
RECORDS = {
    "DR-1001": {
        "regimens": [
            ("Prograf", "0.5", "3.5", "3", 0, "Induction, 0.1 mg/kg/day"),
            ("Prograf", "0.5", "3", "2.5", 200, "Trough above target"),
        ],
        "weights": [("62.0", 0), ("61.0", 150)],
        "ecg": (400, 72, 2),
        "medications": [
            ("CellCept (mycophenolate mofetil)", "1 g twice daily", 0),
            ("Plaquenil 200 mg", "200 mg daily", 0),
        ],
        "allergies": [],
        "vaccinations": [("Shingrix", "given", 20)],
        "symptoms": [("tremor", "mild", 18, True)],
    },
    "DR-1002": {
        "xr": True,
        "regimens": [("Advagraf", "1", "8", None, 0, "Induction, once daily")],
        "weights": [("80.5", 0)],
        "ecg": None,
        "medications": [("Mopral 20 mg (oméprazole)", "20 mg daily", 60)],
        "allergies": [("Pénicilline", "rash")],
        "vaccinations": [("Stamaril", "planned", -30)],
        "symptoms": [("insomnia", "moderate", 25, False)],
    },
    "LY-2001": {
        "xr": True,
        "regimens": [("Envarsus", "0.75", "6", None, 0, "Induction")],
        "weights": [("70.0", 0), ("71.5", 190)],
        "ecg": (420, 65, 5),
        "medications": [("Triflucan 100 mg (fluconazole)", "100 mg daily", 175)],
        "allergies": [],
        "vaccinations": [],
        "symptoms": [],
    },
    "DR-1003": {
        "regimens": [("Prograf", "1", "3", "3", 0, "Induction")],
        "weights": [("58.0", 0)],
        "ecg": (440, 80, 3),  # QTc (Fridericia) 484 ms: prolonged for a woman (§2.4)
        "medications": [],
        "allergies": [("Clarithromycine", "urticaria")],
        "vaccinations": [],
        "symptoms": [],
    },
}


class Command(BaseCommand):
    help = "Create the local demo (clinics, users, patients, troughs). Never run in production."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Password for every demo login (default: $DEMO_PASSWORD)"
        )
        parser.add_argument(
            "--files-dir",
            type=Path,
            default=settings.BASE_DIR / "demo-files",
            help="Where to write the sample lab files (default: demo-files/)",
        )

    @transaction.atomic
    def handle(self, *args, password=None, files_dir: Path | None = None, **options):
        password = password or os.environ.get("DEMO_PASSWORD")
        if not password:
            raise CommandError("Give the demo password with --password or DEMO_PASSWORD.")
        clinics = {
            DEMO_CLINIC: self._clinic(DEMO_CLINIC, "demo-rheum"),
            SECOND_CLINIC: self._clinic(SECOND_CLINIC, "lyon-lupus"),
        }
        for clinic in clinics.values():
            services.ensure_rule_settings(clinic=clinic)
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
        # The laboratory feed's account: it sends results through the MLLP listener or an API
        # token, and never logs in to the pages (no usable password).
        lab, _ = User.objects.get_or_create(
            username="lab",
            defaults={"first_name": "Laboratory", "last_name": "feed", "role": Role.INTERFACE},
        )
        lab.set_unusable_password()
        lab.save(update_fields=["password"])
        lab.clinics.add(clinics[DEMO_CLINIC])
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
        if not alice.invitations.exists():
            # One invitation waiting for an answer, for the sharing page. The e-mail goes to
            # the console backend of `make run`, so its link can be tried locally.
            services.invite_family_member(
                patient=alice, email="marc.durand@example.org", invited_by=alice.user
            )

        for _key, (patient, months, profile) in patients.items():
            if not LabResult.objects.filter(patient=patient).exists():
                doctor = staff["doctor2" if patient.clinic.name == SECOND_CLINIC else "doctor"]
                nurse = staff["nurse2" if patient.clinic.name == SECOND_CLINIC else "nurse"]
                self._history(patient, months, profile, nurse=nurse, doctor=doctor)
            doctor = staff["doctor2" if patient.clinic.name == SECOND_CLINIC else "doctor"]
            nurse = staff["nurse2" if patient.clinic.name == SECOND_CLINIC else "nurse"]
            self._record(patient, nurse=nurse, doctor=doctor)
            self._date_lab_alerts(patient)
        if files_dir is not None:
            self._sample_files(files_dir)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready: logins nurse, doctor, alice, bob, carol, nurse2, doctor2, dave, admin."
            )
        )

    def _sample_files(self, folder: Path) -> None:
        """Sample lab files to try the imports on (README, "Lab interfaces")."""
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        (folder / demo_files.HL7_FILENAME).write_text(demo_files.hl7_batch(now), encoding="utf-8")
        (folder / demo_files.CSV_FILENAME).write_bytes(demo_files.french_csv(now))
        self.stdout.write(f"Sample lab files in {folder}/: an HL7 batch and a French CSV.")

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
        # Chloé's last visit is 40 days ago: her monthly trough is overdue (issue #4 demo).
        last_visit = now - dt.timedelta(days=40 if patient.mrn in LAPSED else 2)
        step = (last_visit - start) / max(count - 1, 1)
        # Extended-release products are taken once daily: the trough is 24 h after (A1).
        dose_interval = 24 if RECORDS.get(patient.mrn, {}).get("xr") else 12
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
            last_dose = drawn - dt.timedelta(
                hours=dose_interval, minutes=rng.choice([-30, -10, 0, 15])
            )
            from_end = count - index
            if from_end == 1 and patient.mrn in AKI_BEFORE_LAST:
                # A creatinine 3 days before the last draw, so the last one shows an AKI.
                self._creatinine(patient, drawn - dt.timedelta(days=3), nurse=nurse)
            if from_end % 2 == 1:  # a full panel every other visit (monthly, A4)
                self._panel(patient, drawn, from_end, rng, nurse=nurse)
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
                Alert.objects.filter(pk=alert.pk, occurrences=1).update(  # audit-exempt: demo
                    first_raised_at=raised
                )
                Alert.objects.filter(pk=alert.pk).update(  # audit-exempt: demo dates
                    last_raised_at=raised
                )
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
                    # Demo only: acknowledged within hours of the result, as a clinic would.
                    Alert.objects.filter(pk=alert.pk).update(  # audit-exempt: demo dates
                        acknowledged_at=raised + dt.timedelta(hours=rng.randint(2, 30))
                    )

    def _panel(self, patient, drawn, from_end, rng, *, nurse) -> None:
        """Every other analyte at this draw, in the canonical unit (Lyon types Hb in g/dL)."""
        analytes = {a.code: a for a in Analyte.objects.prefetch_related("units")}
        episode = EPISODES.get(patient.mrn, {}).get(from_end, {})
        values = []
        for code, (female, male) in BASELINES.items():
            if code == "hba1c" and from_end % 3 != 1:
                continue  # HbA1c every 3 months (A4)
            analyte = analytes[code]
            typical = Decimal(female if patient.sex == "F" else male)
            value = (
                Decimal(episode[code])
                if code in episode
                else typical * Decimal(str(round(rng.gauss(1, 0.05), 3)))
            )
            places = Decimal(1).scaleb(-analyte.decimal_places)
            units = {u.code: u for u in analyte.units.all()}
            unit = units[analyte.unit]
            if code == "haemoglobin" and patient.clinic.code == "lyon-lupus":
                unit, value = units["g/dL"], value / 10
            values.append(
                services.PanelValue(analyte=analyte, value=value.quantize(places), unit=unit)
            )
        services.record_panel(patient=patient, collected_at=drawn, values=values, entered_by=nurse)

    def _record(self, patient, *, nurse, doctor) -> None:
        """Regimens, weights, ECG, medicines, allergies, vaccinations, symptoms (issue #3)."""
        plan = RECORDS.get(patient.mrn)
        if plan is None or patient.regimens.exists():
            return
        first_draw = patient.results.order_by("collected_at").first()
        start = timezone.localtime(first_draw.collected_at).date() - dt.timedelta(days=3)
        today = timezone.localdate()
        for weight, days in plan["weights"]:
            services.record_weight(
                patient=patient,
                weight_kg=Decimal(weight),
                measured_on=start + dt.timedelta(days=days),
                entered_by=nurse,
            )
        for product, strength, morning, evening, days, reason in plan["regimens"]:
            services.start_regimen(
                patient=patient,
                product=product,
                strength_mg=Decimal(strength),
                morning_dose_mg=Decimal(morning),
                evening_dose_mg=Decimal(evening) if evening else None,
                started_on=start + dt.timedelta(days=days),
                reason=reason,
                prescriber=doctor,
                entered_by=doctor,
            )
        if plan["ecg"]:
            qt, rate, days = plan["ecg"]
            recorded = timezone.localtime(first_draw.collected_at) + dt.timedelta(days=days)
            services.record_ecg(
                patient=patient,
                recorded_at=recorded,
                qt_ms=qt,
                heart_rate_bpm=rate,
                comment="Baseline ECG",
                entered_by=nurse,
            )
        for name, dose, days in plan["medications"]:
            services.record_medication(
                patient=patient,
                name=name,
                dose=dose,
                started_on=start + dt.timedelta(days=days),
                entered_by=nurse,
            )
        for substance, reaction in plan["allergies"]:
            services.record_allergy(
                patient=patient, substance=substance, reaction=reaction, entered_by=nurse
            )
        for name, state, days_ago in plan["vaccinations"]:
            services.record_vaccination(
                patient=patient,
                name=name,
                state=state,
                date=today - dt.timedelta(days=days_ago),
                entered_by=nurse,
            )
        for kind, severity, days_ago, by_patient in plan["symptoms"]:
            services.record_symptom(
                patient=patient,
                kind=kind,
                severity=severity,
                started_on=today - dt.timedelta(days=days_ago),
                entered_by=patient.user if by_patient and patient.user else nurse,
            )

    def _creatinine(self, patient, drawn, *, nurse) -> None:
        analyte = Analyte.objects.get(code="creatinine")
        services.record_panel(
            patient=patient,
            collected_at=drawn,
            values=[
                services.PanelValue(
                    analyte=analyte,
                    value=Decimal(AKI_BEFORE_LAST[patient.mrn]),
                    unit=analyte.units.get(code=analyte.unit),
                )
            ],
            entered_by=nurse,
        )

    def _date_lab_alerts(self, patient) -> None:
        """Demo only: date each lab alert when its result came back, not when seeded."""
        for alert in Alert.objects.filter(patient=patient, result__isnull=False).select_related(
            "result"
        ):
            back = alert.result.collected_at + dt.timedelta(hours=3)
            if alert.first_raised_at > back + dt.timedelta(days=1):
                Alert.objects.filter(pk=alert.pk).update(  # audit-exempt: demo dates
                    first_raised_at=back, last_raised_at=back
                )

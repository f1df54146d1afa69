"""A synthetic cohort for the benchmark (issue #8). Never run on a database with real patients.

    python manage.py generate_load_data --patients 2000 --years 5

Patients, their regimens, weights, medicines and years of results are written with bulk
inserts, each with its history row (simple-history's `bulk_history_create`), so the audit
tables stay consistent with the data. Alerts come from the real rule engine, run on each
patient's latest results (running it on every result would take hours, and old alerts would
long be resolved). Deterministic for a given --seed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from monitoring import loadgen, services
from monitoring.models import (
    Analyte,
    Clinic,
    LabResult,
    Medication,
    Patient,
    Regimen,
    ResultStatus,
    Role,
    Sex,
    User,
    Weight,
)
from monitoring.models.dosing import Formulation

BATCH = 2000
# Concomitant medicines common in lupus nephritis (clinical-reference.md §4), none of which
# interacts with tacrolimus; a few patients also get an interacting one through the service.
MEDICINES = [
    ("Mycophenolate mofetil", "1 g twice daily"),
    ("Hydroxychloroquine", "200 mg twice daily"),
    ("Prednisone", "5 mg daily"),
    ("Ramipril", "5 mg daily"),
]
INTERACTING = ("Fluconazole", "200 mg daily")
FIRST_NAMES = ["Anne", "Claire", "Emma", "Inès", "Julie", "Léa", "Marie", "Nora", "Sarah", "Zoé"]
LAST_NAMES = ["Bernard", "Dubois", "Faure", "Girard", "Lambert", "Martin", "Morel", "Petit"]


class Command(BaseCommand):
    help = "Create a synthetic cohort for the benchmark (bulk inserts with history)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--years", type=float, default=5)
        parser.add_argument("--clinic", default="load-clinic", help="Clinic code to fill")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--no-alerts", action="store_true", help="Skip the rule engine (faster)"
        )

    def handle(self, *args, patients: int, years: float, clinic: str, seed: int, **options):
        if patients < 1 or years <= 0:
            raise CommandError("--patients and --years must be positive.")
        started = time.monotonic()
        rng = random.Random(seed)
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        clinic_obj, nurse, doctor = self._clinic(clinic)
        specs = self._specs()
        analytes = {a.code: a for a in Analyte.objects.all()}
        end = timezone.localdate() - dt.timedelta(days=1)
        start = end - dt.timedelta(days=round(365.25 * years))
        first = Patient.objects.filter(clinic=clinic_obj).count()
        total_results = 0
        for offset in range(0, patients, 100):
            count = min(100, patients - offset)
            with transaction.atomic():
                cohort = self._patients(clinic_obj, first + offset, count, rng, nurse)
                self._regimens(cohort, start, rng, doctor, nurse)
                total_results += self._results(cohort, specs, analytes, start, end, rng, tz, nurse)
            self.stdout.write(
                f"  {first + offset + count} patients, {total_results} results "
                f"({time.monotonic() - started:.0f} s)"
            )
        if not options["no_alerts"]:
            self._alerts(clinic_obj, nurse, rng)
        self.stdout.write(
            self.style.SUCCESS(
                f"{patients} patients and {total_results} results in {clinic_obj.name} "
                f"in {time.monotonic() - started:.0f} s."
            )
        )

    def _clinic(self, code: str) -> tuple[Clinic, User, User]:
        clinic, _ = Clinic.objects.get_or_create(
            code=code, defaults={"name": f"Load test clinic ({code})"}
        )
        services.ensure_rule_settings(clinic=clinic)
        users = []
        for role in (Role.NURSE, Role.DOCTOR):
            user, _ = User.objects.get_or_create(
                username=f"{code}-{role}", defaults={"role": role, "last_name": code}
            )
            user.clinics.add(clinic)
            users.append(user)
        return clinic, users[0], users[1]

    def _specs(self) -> dict[str, loadgen.AnalyteSpec]:
        return {
            a.code: loadgen.AnalyteSpec(
                code=a.code,
                unit=a.unit,
                decimal_places=a.decimal_places,
                low=a.reference_low_female,
                high=a.reference_high_female,
                plausible_low=a.plausible_low,
                plausible_high=a.plausible_high,
            )
            for a in Analyte.objects.all()
        }

    def _patients(self, clinic, first: int, count: int, rng, nurse) -> list[Patient]:
        cohort = [
            Patient(
                clinic=clinic,
                mrn=f"LOAD-{first + n + 1:06d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                # Lupus nephritis: mostly women, mostly 20–50 years old (§ source text).
                sex=Sex.FEMALE if rng.random() < 0.85 else Sex.MALE,
                date_of_birth=dt.date(rng.randrange(1960, 2004), rng.randrange(1, 13), 15),
            )
            for n in range(count)
        ]
        Patient.objects.bulk_create(cohort)  # audit-exempt: history rows written just below
        Patient.history.bulk_history_create(cohort, default_user=nurse)
        return cohort

    def _regimens(self, cohort, start: dt.date, rng, doctor, nurse) -> None:
        regimens, weights, medicines = [], [], []
        for patient in cohort:
            dose = Decimal(rng.choice(["1.5", "2", "2.5", "3"]))
            regimens.append(
                Regimen(
                    patient=patient,
                    product="Tacrolimus generic IR",
                    formulation=Formulation.IMMEDIATE_RELEASE,
                    strength_mg=Decimal("0.5"),
                    morning_dose_mg=dose,
                    evening_dose_mg=dose,
                    started_on=start,
                    prescriber=doctor,
                    reason="Lupus nephritis induction (synthetic)",
                    entered_by=doctor,
                )
            )
            weights.append(
                Weight(
                    patient=patient,
                    weight_kg=Decimal(rng.randrange(50, 95)),
                    measured_on=timezone.localdate() - dt.timedelta(days=rng.randrange(1, 80)),
                    entered_by=nurse,
                )
            )
            for name, dose_text in rng.sample(MEDICINES, k=rng.randrange(1, 4)):
                medicines.append(
                    Medication(
                        patient=patient,
                        name=name,
                        dose=dose_text,
                        started_on=start,
                        entered_by=doctor,
                    )
                )
        for model, rows in ((Regimen, regimens), (Weight, weights), (Medication, medicines)):
            model.objects.bulk_create(rows)  # audit-exempt: history rows written just below
            model.history.bulk_history_create(rows, default_user=nurse)

    def _results(self, cohort, specs, analytes, start, end, rng, tz, nurse) -> int:
        """Every patient's results and their history rows, through plain multi-row INSERTs:
        the ORM's bulk_create spends most of its time preparing each value of each row, and
        a cohort has millions of rows. Ids are given here so the history rows can name them
        (the sequence is reset afterwards on PostgreSQL)."""
        next_id = (LabResult.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        history_at = timezone.now()
        rows: list[dict] = []
        for patient in cohort:
            plan = loadgen.plan_patient(
                specs=specs,
                start=start,
                end=end,
                rng=rng,
                tz=tz,
                age_years=max(patient.age_on(start), 18),
                sex=patient.sex,
            )
            for planned in plan:
                analyte = analytes[planned.code]
                rows.append(
                    {
                        "id": next_id,
                        "patient_id": patient.pk,
                        "analyte_id": analyte.pk,
                        "value": planned.value,
                        "unit": analyte.unit,
                        "value_as_entered": planned.value,
                        "unit_as_entered": analyte.unit,
                        "derived_method": "",
                        "collected_at": planned.collected_at,
                        "last_dose_at": planned.last_dose_at,
                        "entered_by_id": nurse.pk,
                        "entered_at": planned.collected_at + dt.timedelta(hours=6),
                        "status": ResultStatus.FINAL,
                        "comment": "",
                        "comparator": "",
                    }
                )
                next_id += 1
        _insert(LabResult, rows)
        history = LabResult.history.model
        for row in rows:
            row["history_date"] = (
                row["entered_at"] if row["entered_at"] < history_at else history_at
            )
            row["history_type"] = "+"
            row["history_user_id"] = nurse.pk
        _insert(history, rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [LabResult]):
                    cursor.execute(sql)
        return len(rows)

    def _alerts(self, clinic, nurse, rng) -> None:
        """The real rule engine on each patient's latest trough and creatinine, then the
        record rules; a few patients start an interacting medicine through the service."""
        started = time.monotonic()
        patients = list(Patient.objects.filter(clinic=clinic))
        for n, patient in enumerate(patients, start=1):
            with transaction.atomic():
                latest = (
                    LabResult.objects.valid()
                    .filter(patient=patient, analyte__code__in=["tacrolimus", "creatinine"])
                    .select_related("analyte", "patient")
                    .order_by("-collected_at")[:2]
                )
                for result in latest:
                    services.evaluate_result(result=result, user=nurse)
                if rng.random() < 0.05:
                    services.record_medication(
                        patient=patient,
                        name=INTERACTING[0],
                        dose=INTERACTING[1],
                        started_on=timezone.localdate() - dt.timedelta(days=3),
                        entered_by=nurse,
                    )
                services.evaluate_record(patient=patient, user=nurse)
            if n % 500 == 0:
                self.stdout.write(f"  alerts: {n} patients ({time.monotonic() - started:.0f} s)")


def _insert(model, rows: list[dict], batch: int = 500) -> None:
    """INSERT `rows` (dicts by column attname, all with the same keys) in batches, each value
    adapted for the database as the ORM would (aware datetimes, decimals)."""
    if not rows:
        return
    fields = {field.attname: field for field in model._meta.concrete_fields}
    columns = list(rows[0])
    adapters = [_adapter(fields[name]) for name in columns]
    quoted = ", ".join(connection.ops.quote_name(fields[name].column) for name in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), batch):
            chunk = rows[first : first + batch]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params = [
                adapt(row[name])
                for row in chunk
                for name, adapt in zip(columns, adapters, strict=True)
            ]
            cursor.execute(f"INSERT INTO {table} ({quoted}) VALUES {placeholders}", params)


def _adapter(field):
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return lambda v: None if v is None else connection.ops.adapt_datetimefield_value(v)
    if kind == "DecimalField":
        return lambda v: (
            None
            if v is None
            else connection.ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        )
    return lambda v: v

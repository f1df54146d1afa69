"""The performance benchmark of issue #8. Never run on a database with real patients.

    python manage.py benchmark --patients 2000 --years 5 --requests 50

Fills the database with a synthetic cohort once (`generate_load_data`; skipped when the clinic
already has the patients), then measures through the Django test client, as a browser would
reach the pages but without the network: for each page, the median and 95th percentile of
the server time over --requests requests, its SQL queries, the figure payload, the time of
the same SQL replayed directly on the cursor, and the ratio page / SQL. Then the import
throughput of a CSV file and of an HL7 batch (rules included) against a plain bulk insert of
the same rows, and the memory peak of the CSV import for two file sizes. Every import runs in
a transaction that is rolled back, so the cohort stays as generated and a second run measures
the same data. Results are merged into bench/results.json under the database's name.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import re
import statistics
import time
import tracemalloc
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import services
from monitoring.imports import csv_results
from monitoring.models import (
    Alert,
    Clinic,
    LabResult,
    Patient,
    ResultStatus,
    Role,
    User,
)

# Budgets of issue #8, for the table's verdict column.
BUDGET_P95_MS = 150
BUDGET_QUERIES = 15
BUDGET_RATIO = 3
BUDGET_IMPORT_PER_S = 2000
BUDGET_IMPORT_SHARE = 0.25
# The tests a CSV or HL7 import of the benchmark carries, by LOINC, with a plausible value.
IMPORT_TESTS = [
    ("77348-1", "7.1", "ng/mL"),  # tacrolimus
    ("2160-0", "80", "umol/L"),  # creatinine
    ("2823-3", "4.2", "mmol/L"),  # potassium
    ("718-7", "125", "g/L"),  # haemoglobin
    ("777-3", "230", "10*9/L"),  # platelets
]
# Figures are emitted with json_script: <script id="..." type="application/json">{...}</script>.
FIGURE_JSON = re.compile(r'<script id="[^"]*" type="application/json">(.*?)</script>', re.S)
# The pages' own requests must pass the production settings' checks over plain HTTP.
BENCH_SETTINGS = {
    "TWO_FACTOR_REQUIRED_FOR_STAFF": False,
    "SECURE_SSL_REDIRECT": False,
    "ALLOWED_HOSTS": ["testserver", "localhost", "127.0.0.1"],
}


class Command(BaseCommand):
    help = "Measure page times, queries and import throughput on a synthetic cohort."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--years", type=float, default=5)
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--clinic", default="bench", help="Clinic code of the cohort")
        parser.add_argument("--output", default="bench/results.json")
        parser.add_argument(
            "--csv-rows",
            type=int,
            nargs=2,
            default=[1000, csv_results.MAX_ROWS],
            help="The two CSV file sizes (rows) whose import memory is compared",
        )
        parser.add_argument("--no-imports", action="store_true", help="Pages only")

    def handle(self, *args, patients, years, requests, clinic, output, csv_rows, **options):
        # django-axes logs every force_login at INFO: thousands of lines that say nothing here.
        logging.getLogger("axes").setLevel(logging.WARNING)
        with override_settings(**BENCH_SETTINGS):
            clinic_obj = self._cohort(clinic, patients, years)
            world = self._world(clinic_obj)
            pages = [self._page(name, requests, **spec) for name, spec in self._pages(world)]
            imports = {} if options["no_imports"] else self._imports(world, csv_rows)
        report = {
            "database": connection.vendor,
            "database_name": str(connection.settings_dict["NAME"]),
            "patients": Patient.objects.filter(clinic=clinic_obj).count(),
            "years": years,
            "results": LabResult.objects.count(),
            "alerts": Alert.objects.count(),
            "requests": requests,
            "measured_at": timezone.now().isoformat(timespec="seconds"),
            "pages": pages,
            "imports": imports,
        }
        self._write(Path(output), report)
        self.stdout.write(format_report(report))

    # --- data ------------------------------------------------------------------------------

    def _cohort(self, code: str, patients: int, years: float) -> Clinic:
        """The clinic with `patients` synthetic patients: generated once, then reused."""
        existing = Patient.objects.filter(clinic__code=code).count()
        if existing < patients:
            self.stdout.write(f"Generating {patients - existing} patients × {years} years…")
            call_command(
                "generate_load_data",
                patients=patients - existing,
                years=years,
                clinic=code,
                stdout=self.stdout,
            )
        else:
            self.stdout.write(f"Reusing the {existing} patients of clinic {code}.")
        return Clinic.objects.get(code=code)

    def _world(self, clinic: Clinic) -> dict:
        """The accounts the pages are read with, and a typical patient (the median by number
        of results, so neither an empty chart nor the longest one)."""
        nurse = User.objects.get(username=f"{clinic.code}-nurse")
        doctor = User.objects.get(username=f"{clinic.code}-doctor")
        lab, _ = User.objects.get_or_create(
            username=f"{clinic.code}-lab", defaults={"role": Role.INTERFACE}
        )
        lab.clinics.add(clinic)
        cohort = Patient.objects.filter(clinic=clinic).order_by("pk")
        patient = cohort[cohort.count() // 2]
        if patient.user is None:
            # Synthetic data only: the portal login of the benchmark's patient.
            patient.user = User.objects.create(
                username=f"{clinic.code}-patient-{patient.pk}", role=Role.PATIENT
            )
            patient.save(update_fields=["user"])
        return {
            "clinic": clinic,
            "nurse": nurse,
            "doctor": doctor,
            "lab": lab,
            "patient": patient,
            "token": services.create_api_token(user=nurse, name="benchmark"),
        }

    def _pages(self, world: dict) -> list[tuple[str, dict]]:
        patient = world["patient"].pk
        fhir = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
        return [
            ("patient list", {"user": world["nurse"], "url": "/patients/"}),
            ("patient page (staff)", {"user": world["nurse"], "url": f"/patients/{patient}/"}),
            (
                "charts: tacrolimus, toxicity, labs",
                {"user": world["nurse"], "url": f"/patients/{patient}/charts/"},
            ),
            ("worklist", {"user": world["doctor"], "url": "/worklist/"}),
            (
                "worklist, filtered",
                {"user": world["doctor"], "url": "/worklist/?severity=2&patient=martin"},
            ),
            ("worklist, page 5", {"user": world["doctor"], "url": "/worklist/?page=5"}),
            ("portal home (patient)", {"user": world["patient"].user, "url": f"/chart/{patient}/"}),
            (
                "FHIR Observation search",
                {"user": None, "url": f"/fhir/R4/Observation?patient={patient}", "headers": fhir},
            ),
            (
                "FHIR Observation, deep page",
                {
                    "user": None,
                    "url": f"/fhir/R4/Observation?patient={patient}&_offset=600",
                    "headers": fhir,
                },
            ),
            (
                "CSV export (one patient)",
                {"user": world["nurse"], "url": f"/patients/{patient}/results.csv"},
            ),
        ]

    # --- pages -----------------------------------------------------------------------------

    def _page(self, name: str, requests: int, *, user, url: str, headers=None) -> dict:
        client = Client()
        if user is not None:
            client.force_login(user)
        headers = headers or {}
        # One request to warm caches and capture the SQL, not timed.
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **headers)
            body = _content(response)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}")
        queries = [q["sql"] for q in captured.captured_queries]
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, **headers)
            _content(response)
            times.append(time.perf_counter() - started)
        sql_times = _replay(queries, rounds=max(5, requests // 5))
        median = statistics.median(times) * 1000
        sql = statistics.median(sql_times) * 1000
        figures = (
            FIGURE_JSON.findall(body.decode())
            if response["Content-Type"].startswith("text/html")
            else []
        )
        row = {
            "page": name,
            "url": url,
            "median_ms": round(median, 1),
            "p95_ms": round(percentile(times, 95) * 1000, 1),
            "queries": len(queries),
            "sql_ms": round(sql, 1),
            "ratio": round(median / sql, 1) if sql else None,
            "bytes": len(body),
            "figure_bytes": sum(len(f.encode()) for f in figures),
        }
        self.stdout.write(f"  {name}: {row['median_ms']} ms, {row['queries']} queries")
        return row

    # --- imports ---------------------------------------------------------------------------

    def _imports(self, world: dict, csv_sizes: list[int]) -> dict:
        clinic, nurse, lab = world["clinic"], world["nurse"], world["lab"]
        patients = list(Patient.objects.filter(clinic=clinic).order_by("-pk")[:100])
        small, large = csv_sizes
        data = csv_file(patients, large)
        results = {}
        results["csv"] = _rate(large, lambda: _csv_import(data, clinic, nurse))
        results["hl7"] = _rate(
            large, lambda: _hl7_import(hl7_batch(patients, large, clinic.code), lab, clinic)
        )
        results["bulk_insert"] = _rate(large, lambda: _bulk_insert(data, clinic, nurse))
        for kind in ("csv", "hl7"):
            results[kind]["share_of_bulk"] = round(
                results[kind]["per_second"] / results["bulk_insert"]["per_second"], 3
            )
        results["csv_memory"] = [
            {"rows": rows, "peak_mib": _peak_mib(csv_file(patients, rows), clinic, nurse)}
            for rows in (small, large)
        ]
        self.stdout.write(
            f"  imports: CSV {results['csv']['per_second']}/s, "
            f"HL7 {results['hl7']['per_second']}/s, bulk {results['bulk_insert']['per_second']}/s"
        )
        return results

    def _write(self, path: Path, report: dict) -> None:
        """Merge this run into the file, keyed by database and cohort size."""
        path.parent.mkdir(parents=True, exist_ok=True)
        runs = json.loads(path.read_text()) if path.exists() else {}
        runs[f"{report['database']}-{report['patients']}"] = report
        path.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
        self.stdout.write(f"Written to {path}.")


def _content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def percentile(values: list[float], pct: int) -> float:
    """The nearest-rank percentile: of 50 requests, p95 is the 48th fastest."""
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def _replay(queries: list[str], *, rounds: int) -> list[float]:
    """The time of the page's reads alone: each captured SELECT run again on the cursor as
    text (the parameters are inlined in the captured SQL) and its rows fetched."""
    reads = [q for q in queries if q.lstrip().upper().startswith(("SELECT", "WITH"))]
    times = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            started = time.perf_counter()
            for sql in reads:
                cursor.execute(sql)
                cursor.fetchall()
            times.append(time.perf_counter() - started)
    return times


def _rate(rows: int, run) -> dict:
    """Rows per second of `run`, inside a transaction that is rolled back."""
    gc.collect()
    with transaction.atomic():
        started = time.perf_counter()
        saved = run()
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "rows": rows,
        "saved": saved,
        "seconds": round(seconds, 2),
        "per_second": round(rows / seconds),
    }


def _sample_times(rows: int) -> list[dt.datetime]:
    """Afternoon sample times on past days: the generated cohort draws in the morning, so
    these never clash with a recorded result."""
    now = timezone.localtime()
    first = (now - dt.timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
    return [first - dt.timedelta(days=n // 100, minutes=n % 100) for n in range(rows)]


def csv_file(patients: list[Patient], rows: int) -> bytes:
    """A CSV file of `rows` results spread over the patients, one test per row."""
    lines = ["mrn,loinc,value,unit,collected_at"]
    for n, at in enumerate(_sample_times(rows)):
        patient = patients[n % len(patients)]
        loinc, value, unit = IMPORT_TESTS[n % len(IMPORT_TESTS)]
        lines.append(f"{patient.mrn},{loinc},{value},{unit},{at.isoformat(timespec='minutes')}")
    return ("\n".join(lines) + "\n").encode()


def hl7_batch(patients: list[Patient], rows: int, authority: str) -> list[str]:
    """ORU^R01 messages carrying `rows` results: one message per patient and sample time
    with all IMPORT_TESTS, as a laboratory sends a panel."""
    messages = []
    per_message = len(IMPORT_TESTS)
    for n, at in enumerate(_sample_times(rows // per_message)):
        patient = patients[n % len(patients)]
        stamp = at.strftime("%Y%m%d%H%M%S%z")
        segments = [
            f"MSH|^~\\&|LIS|BENCH|TDM|{authority}|{stamp}||ORU^R01^ORU_R01|BENCH-{n}|P|2.5.1",
            f"PID|1||{patient.mrn}^^^{authority}^MR||{patient.last_name}^{patient.first_name}"
            f"||{patient.date_of_birth:%Y%m%d}|{patient.sex}",
            f"OBR|1|ORD-{n}||PANEL^Panel^L|||{stamp}",
        ]
        for index, (loinc, value, unit) in enumerate(IMPORT_TESTS, start=1):
            segments.append(f"OBX|{index}|NM|{loinc}^Test^LN||{value}|{unit}|||||F|||{stamp}")
        messages.append("\r".join(segments))
    return messages


def _csv_import(data: bytes, clinic: Clinic, user: User) -> int:
    rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
    report = services.import_results(rows=rows, entered_by=user)
    if not report.is_saved:
        raise RuntimeError(f"CSV import refused: {report.errors[:3]}")
    return len(report.results)


def _hl7_import(messages: list[str], user: User, clinic: Clinic) -> int:
    saved = 0
    for raw in messages:
        outcome = services.receive_hl7_message(
            raw=raw, transport="file", user=user, default_clinic=clinic
        )
        if outcome.code != "AA":
            raise RuntimeError(f"HL7 message refused: {outcome.errors[:3]}")
        saved += outcome.message.results.count()
    return saved


def _bulk_insert(data: bytes, clinic: Clinic, user: User) -> int:
    """The floor: the same file parsed and checked, its rows written with one bulk_create,
    without rules, audit or derived values."""
    rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
    results = LabResult.objects.bulk_create(  # audit-exempt: the benchmark's floor, rolled back
        [
            LabResult(
                patient=row.patient,
                analyte=row.analyte,
                value=row.canonical_value,
                unit=row.analyte.unit,
                value_as_entered=row.value,
                unit_as_entered=row.unit.code,
                collected_at=row.collected_at,
                entered_by=user,
                status=ResultStatus.FINAL,
            )
            for row in rows
        ],
        batch_size=500,
    )
    return len(results)


def _peak_mib(data: bytes, clinic: Clinic, user: User) -> float:
    """The memory the CSV import allocates at its peak, beyond the file itself."""
    gc.collect()
    tracemalloc.start()
    try:
        with transaction.atomic():
            _csv_import(data, clinic, user)
            transaction.set_rollback(True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def format_report(report: dict) -> str:
    """The table printed after a run (and pasted in the README)."""
    lines = [
        f"{report['database']}: {report['patients']} patients × {report['years']} years, "
        f"{report['results']:,} results, {report['alerts']:,} alerts, "
        f"{report['requests']} requests per page",
        "",
        "| Page | median ms | p95 ms | queries | SQL ms | page/SQL | KiB | figures KiB | budget |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in report["pages"]:
        ok = (
            row["p95_ms"] <= BUDGET_P95_MS
            and row["queries"] <= BUDGET_QUERIES
            and (row["ratio"] or 0) <= BUDGET_RATIO
        )
        lines.append(
            f"| {row['page']} | {row['median_ms']} | {row['p95_ms']} | {row['queries']} "
            f"| {row['sql_ms']} | {row['ratio']} | {row['bytes'] / 1024:.0f} "
            f"| {row['figure_bytes'] / 1024:.0f} | " + ("ok" if ok else "**missed**")
        )
    imports = report["imports"]
    if imports:
        lines += ["", "| Import | rows | seconds | rows/s | share of bulk insert |"]
        lines.append("|---|---:|---:|---:|---:|")
        for kind in ("csv", "hl7", "bulk_insert"):
            run = imports[kind]
            share = run.get("share_of_bulk")
            lines.append(
                f"| {kind} | {run['rows']} | {run['seconds']} | {run['per_second']} "
                f"| {'' if share is None else f'{share:.0%}'} |"
            )
        memory = ", ".join(f"{m['rows']} rows: {m['peak_mib']} MiB" for m in imports["csv_memory"])
        lines += ["", f"CSV import memory peak (tracemalloc): {memory}"]
    return "\n".join(lines) + "\n"

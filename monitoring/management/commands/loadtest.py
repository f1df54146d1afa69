"""A load test against gunicorn on loopback (issue #8). Never run on a database with real
patients: it creates accounts in the benchmark's clinic.

    python manage.py benchmark --patients 2000        # the cohort, once
    python manage.py loadtest --users 50 --seconds 45

Starts `gunicorn tdm_tracker.wsgi` (gunicorn.conf.py: one worker per core plus one) on a free
port with the same database, signs in --users distinct accounts of the benchmark clinic
(nurses, doctors and patients; sessions are created as the test client's force_login does,
so the run measures pages, not password hashing or the login throttle), and has each user
read a mix of the benchmark's pages with a pause between requests, as people do, for
--seconds (at most 60). Reports requests per second, median and p95, and every error; the
summary is merged into bench/results.json. Exits with an error if any request failed.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from monitoring import services
from monitoring.models import Clinic, Patient, Role, User

from .benchmark import BENCH_SETTINGS, percentile

MAX_SECONDS = 60
# The settings gunicorn runs with for the test: production settings, served over plain HTTP
# on loopback, staff without the second factor (their sessions are created here).
SERVER_ENV = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "TWO_FACTOR_REQUIRED_FOR_STAFF": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "GUNICORN_ACCESS_LOG": "",
    "GUNICORN_LOG_LEVEL": "warning",
}


class Command(BaseCommand):
    help = "Load test: many signed-in users reading pages from gunicorn on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--seconds", type=float, default=45)
        parser.add_argument("--clinic", default="bench")
        parser.add_argument(
            "--think", type=float, default=10.0, help="Mean pause between pages (s)"
        )
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--output", default="bench/results.json")

    def handle(self, *args, users, seconds, clinic, think, workers, output, **options):
        seconds = min(seconds, MAX_SECONDS)
        try:
            clinic_obj = Clinic.objects.get(code=clinic)
        except Clinic.DoesNotExist:
            raise CommandError(f"No clinic {clinic}: run `manage.py benchmark` first.") from None
        with override_settings(**BENCH_SETTINGS):
            visitors = self._visitors(clinic_obj, users)
        port = _free_port()
        server = self._start(port, workers)
        try:
            samples, errors = _run(port, visitors, seconds=seconds, think=think)
        finally:
            server.terminate()
            server.wait(timeout=30)
        times = [t for _kind, t in samples]
        summary = {
            "database": connection.vendor,
            "users": users,
            "seconds": seconds,
            "think_seconds": think,
            "workers": workers or os.cpu_count() + 1,
            "requests": len(samples) + len(errors),
            "errors": len(errors),
            "error_samples": errors[:10],
            "per_second": round(len(samples) / seconds, 1),
            "median_ms": round(statistics.median(times) * 1000, 1) if times else None,
            "p95_ms": round(percentile(times, 95) * 1000, 1) if times else None,
            "by_page": {
                kind: {
                    "requests": len(kind_times),
                    "p95_ms": round(percentile(kind_times, 95) * 1000, 1),
                }
                for kind in sorted({k for k, _t in samples})
                if (kind_times := [t for k, t in samples if k == kind])
            },
            "measured_at": timezone.now().isoformat(timespec="seconds"),
        }
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        runs = json.loads(path.read_text()) if path.exists() else {}
        runs[f"loadtest-{connection.vendor}"] = summary
        path.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
        self.stdout.write(
            f"{summary['requests']} requests from {users} users in {seconds:.0f} s "
            f"({summary['per_second']}/s): median {summary['median_ms']} ms, "
            f"p95 {summary['p95_ms']} ms, {len(errors)} errors. Written to {path}."
        )
        for kind, row in summary["by_page"].items():
            self.stdout.write(f"  {kind}: {row['requests']} requests, p95 {row['p95_ms']} ms")
        if errors:
            raise CommandError(f"{len(errors)} requests failed, e.g. {errors[0]}")

    def _visitors(self, clinic: Clinic, count: int) -> list[dict]:
        """`count` accounts (2 nurses, 1 doctor, 2 patients in every 5), each with a session
        cookie and the pages that role reads."""
        patients = list(Patient.objects.filter(clinic=clinic).order_by("pk")[: count * 8])
        nurse_token = None
        visitors = []
        for n in range(count):
            role = (Role.NURSE, Role.NURSE, Role.DOCTOR, Role.PATIENT, Role.PATIENT)[n % 5]
            user, _ = User.objects.get_or_create(
                username=f"{clinic.code}-load-{n}", defaults={"role": role}
            )
            own = None
            if role == Role.PATIENT:
                own = Patient.objects.filter(user=user).first()
                if own is None:
                    # Synthetic data only: the portal login of a patient who has none.
                    own = Patient.objects.filter(clinic=clinic, user__isnull=True).first()
                    own.user = user
                    own.save(update_fields=["user"])
            else:
                user.clinics.add(clinic)
            client = Client()
            client.force_login(user)
            name = settings.SESSION_COOKIE_NAME
            cookie = f"{name}={client.cookies[name].value}"
            pk = patients[(n * 7) % len(patients)].pk
            if role == Role.NURSE:
                nurse_token = nurse_token or services.create_api_token(user=user, name="load")
                pages = [
                    ("patient list", "/patients/"),
                    ("patient page", f"/patients/{pk}/"),
                    ("charts", f"/patients/{pk}/charts/"),
                    ("CSV export", f"/patients/{pk}/results.csv"),
                    ("FHIR search", f"/fhir/R4/Observation?patient={pk}"),
                ]
            elif role == Role.DOCTOR:
                pages = [
                    ("worklist", "/worklist/"),
                    ("worklist filtered", "/worklist/?severity=2&patient=martin"),
                    ("patient page", f"/patients/{pk}/"),
                ]
            else:
                pages = [("portal home", f"/chart/{own.pk}/")]
            visitors.append({"cookie": cookie, "pages": pages})
        for visitor in visitors:
            visitor["token"] = nurse_token
        return visitors

    def _start(self, port: int, workers: int | None) -> subprocess.Popen:
        env = {**os.environ, **SERVER_ENV}
        command = [sys.executable, "-m", "gunicorn", "tdm_tracker.wsgi", "-b", f"127.0.0.1:{port}"]
        if workers:
            command += ["--workers", str(workers)]
        server = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _body = _get(port, "/healthz", {})
                if status == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.3)
        server.terminate()
        raise CommandError("gunicorn did not answer /healthz within 30 s.")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, url: str, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _run(port: int, visitors: list[dict], *, seconds: float, think: float):
    samples: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def visit(visitor: dict, rng: random.Random) -> None:
        time.sleep(rng.uniform(0, think))  # users do not all arrive at once
        while time.monotonic() < stop_at:
            kind, url = rng.choice(visitor["pages"])
            headers = {"Cookie": visitor["cookie"], "Host": "127.0.0.1"}
            if url.startswith("/fhir/"):
                headers = {"Authorization": f"Bearer {visitor['token']}", "Host": "127.0.0.1"}
            started = time.perf_counter()
            try:
                status, _body = _get(port, url, headers)
            except OSError as error:
                status, _body = None, str(error)
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    samples.append((kind, elapsed))
                else:
                    errors.append(f"{kind} {url}: {status}")
            time.sleep(rng.expovariate(1 / think) if think else 0)

    threads = [
        threading.Thread(target=visit, args=(visitor, random.Random(n)), daemon=True)
        for n, visitor in enumerate(visitors)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return samples, errors

"""The small named world every test draws from, and the settings tests need.

Demo Rheumatology: nurse, doctor, patients A (Alice Durand) and B (Bruno Lefebvre), and
carol, a family member with an active share on A. Lyon Lupus Clinic: nurse_other,
doctor_other and patient_other (David Garnier).
"""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from monitoring import services
from monitoring.models import Analyte, Role
from tests.factories import ClinicFactory, PatientFactory, ShareFactory, UserFactory

# The catalogues the data migrations load (analytes, code mappings, interactions, vaccines),
# as they were before any test ran.
_REFERENCE: dict[str, str] = {}
# The flush after a transactional test re-creates these through post_migrate.
REBUILT_BY_FLUSH = {"contenttypes.ContentType", "auth.Permission"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with DELETE allowed on the append-only audit tables, and a copy of
    the catalogues to put back after each transactional test.

    SQLite's flush after a transactional test (tests/reliability, tests/browser, the MLLP
    tests) empties tables with DELETE, which the append-only triggers would refuse: DELETE is
    allowed here, UPDATE stays refused (tests/audit/test_append_only.py turns DELETE off again
    to check the triggers; see monitoring/append_only.py). That flush also empties the
    catalogues: pytest_runtest_teardown below puts them back, so the next test (and the next
    run, with --reuse-db) has them."""
    from django.db import connection

    from monitoring.append_only import allow_delete

    with django_db_blocker.unblock():
        allow_delete(connection)
        _REFERENCE["data"] = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


def restore_reference_data() -> None:
    """Put the catalogues back if a flush emptied them, committed.

    (Django's serialized_rollback would do this, but its copy hangs on a connection object
    that the test thread no longer holds once Playwright has run in it.)"""
    from django.core import serializers
    from django.db import transaction

    if "data" not in _REFERENCE or Analyte.objects.exists():
        return
    rows = [
        row
        for row in serializers.deserialize(
            "json", _REFERENCE["data"], handle_forward_references=True
        )
        if row.object._meta.label not in REBUILT_BY_FLUSH
    ]
    with transaction.atomic():
        for row in rows:
            row.save()
        for row in rows:
            if row.deferred_fields:
                row.save_deferred_fields()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    ):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the test's own teardown, including the flush of a transactional test.
    result = yield
    if _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            restore_reference_data()
    return result


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory):
    # Production defaults (DEBUG off) redirect to HTTPS and need collectstatic's manifest.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # WhiteNoise warns (an error here) when STATIC_ROOT is missing: collectstatic never ran.
    settings.STATIC_ROOT = tmp_path_factory.getbasetemp() / "staticfiles"
    settings.STATIC_ROOT.mkdir(exist_ok=True)
    # A fast hasher: the real one costs a third of a second per login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Most tests sign staff in with force_login (a password-only session); the two-factor
    # tests (tests/security) turn the requirement back on.
    settings.TWO_FACTOR_REQUIRED_FOR_STAFF = False


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # A request activates its language in the thread and nothing resets it afterwards: without
    # this, a test that asks for French would leave the next tests (random order) in French.
    yield
    translation.deactivate()


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Demo Rheumatology", code="demo-rheum")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Lyon Lupus Clinic", code="lyon-lupus")


@pytest.fixture
def nurse(clinic):
    return UserFactory(
        username="nurse", first_name="Nadia", last_name="Benali", role=Role.NURSE, clinics=[clinic]
    )


@pytest.fixture
def doctor(clinic):
    return UserFactory(
        username="doctor",
        first_name="Daniel",
        last_name="Martin",
        role=Role.DOCTOR,
        clinics=[clinic],
    )


@pytest.fixture
def nurse_other(other_clinic):
    return UserFactory(username="nurse2", role=Role.NURSE, clinics=[other_clinic])


@pytest.fixture
def doctor_other(other_clinic):
    return UserFactory(username="doctor2", role=Role.DOCTOR, clinics=[other_clinic])


@pytest.fixture
def lab(clinic):
    """The laboratory interface account of Demo Rheumatology (HL7 and FHIR feeds)."""
    return UserFactory(username="lab", role=Role.INTERFACE, clinics=[clinic])


@pytest.fixture
def patient_a(clinic):
    return PatientFactory(
        clinic=clinic,
        mrn="DR-1001",
        first_name="Alice",
        last_name="Durand",
        user=UserFactory(username="alice", role=Role.PATIENT),
    )


@pytest.fixture
def patient_b(clinic):
    return PatientFactory(
        clinic=clinic,
        mrn="DR-1002",
        first_name="Bruno",
        last_name="Lefebvre",
        user=UserFactory(username="bob", role=Role.PATIENT),
    )


@pytest.fixture
def patient_other(other_clinic):
    return PatientFactory(
        clinic=other_clinic,
        mrn="LY-2001",
        first_name="David",
        last_name="Garnier",
        user=UserFactory(username="dave", role=Role.PATIENT),
    )


@pytest.fixture
def family(patient_a):
    """carol, who has an active share on patient A."""
    carol = UserFactory(username="carol", first_name="Carole", role=Role.FAMILY)
    ShareFactory(patient=patient_a, grantee=carol)
    return carol


@pytest.fixture
def share(family):
    return family.shares_received.get()


@pytest.fixture
def tacrolimus(db):
    # Seeded by the data migration 0002, not by a factory.
    return Analyte.objects.get(code="tacrolimus")


@pytest.fixture
def record_trough(tacrolimus, nurse):
    """Record a trough through the service, as the nurse would.

    Without `at`, each call samples one hour after the previous one, starting 10 days ago
    (whole minutes, as the entry form has them), so calls never collide.
    """
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=10)
    hours = itertools.count()

    def record(patient, value, *, at=None, last_dose_at=None, by=None):
        at = at or start + dt.timedelta(hours=next(hours))
        result, _alerts = services.record_result(
            patient=patient,
            analyte=tacrolimus,
            value=Decimal(str(value)),
            collected_at=at,
            last_dose_at=last_dose_at or at - dt.timedelta(hours=12),
            entered_by=by or nurse,
        )
        return result

    return record


@pytest.fixture
def start_regimen(doctor, nurse):
    """Start a Prograf (immediate release, 0.5 mg capsules) regimen, prescribed by the doctor:
    start_regimen(patient, on, morning_mg, evening_mg)."""

    def start(patient, on, morning="3", evening="3"):
        return services.start_regimen(
            patient=patient,
            product="Prograf",
            strength_mg=Decimal("0.5"),
            morning_dose_mg=Decimal(morning),
            evening_dose_mg=Decimal(evening),
            started_on=on,
            reason="Lupus nephritis",
            prescriber=doctor,
            entered_by=nurse,
        )

    return start

"""The local demo: `make run` seeds it every time, so running it twice must add nothing."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from monitoring.models import Alert, LabResult, Patient, Share, User

PASSWORD = "demo-password-for-tests"
LOGINS = ["nurse", "doctor", "admin", "nurse2", "doctor2", "alice", "bob", "dave", "carol"]


def counts():
    return {
        model.__name__: model.objects.count() for model in (User, Patient, LabResult, Alert, Share)
    }


@pytest.fixture
def files_dir(tmp_path):
    return tmp_path / "demo-files"


@pytest.fixture
def seeded(db, files_dir):
    call_command("seed_demo", password=PASSWORD, files_dir=files_dir, stdout=io.StringIO())


def test_seeding_twice_adds_nothing(seeded, files_dir):
    before = counts()

    call_command("seed_demo", password=PASSWORD, files_dir=files_dir, stdout=io.StringIO())

    assert counts() == before
    assert before["Patient"] == 4
    assert before["LabResult"] > 0


def test_the_demo_has_an_open_alert_for_the_doctor(client, seeded):
    assert Alert.objects.open().exists()
    client.force_login(User.objects.get(username="doctor"))

    assert "Acknowledge</button>" in client.get("/worklist/").text


def test_carol_can_see_alices_results(seeded):
    share = Share.objects.get(grantee__username="carol")

    assert share.patient.user.username == "alice"
    assert share.is_active


def test_every_demo_login_works_with_the_password(client, seeded):
    for username in LOGINS:
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})

        assert response.status_code == 302, username
        assert response["Location"] == "/"
        client.logout()


def test_the_sample_csv_imports_cleanly_as_the_demo_nurse(seeded, files_dir):
    from monitoring import services
    from monitoring.imports import csv_results
    from monitoring.models import Clinic

    data = (files_dir / "resultats-labo.csv").read_bytes()
    assert data.startswith("\ufeff".encode())  # as a French spreadsheet saves it
    rows = csv_results.validate_rows(
        csv_results.read_csv(data), clinic=Clinic.objects.get(code="demo-rheum")
    )
    report = services.import_results(rows=rows, entered_by=User.objects.get(username="nurse"))
    assert report.is_saved
    assert [r.value_display for r in report.results] == ["6.9 ng/mL", "4.3 mmol/L", "363 µmol/L"]


def test_the_lab_feed_account_cannot_log_in(client, seeded):
    lab = User.objects.get(username="lab")
    assert not lab.has_usable_password()
    # django-axes needs the request that authenticate() gets from a real login.
    assert not client.login(request=HttpRequest(), username="lab", password=PASSWORD)


def test_the_sample_hl7_batch_stores_two_messages_and_queues_the_unknown_patient(seeded, files_dir):
    from django.core.management import CommandError

    from monitoring.models import InboundMessage, UnmatchedResult

    out = io.StringIO()
    # The third message names a patient the demo does not know: AE, so the command fails.
    with pytest.raises(CommandError, match="3 messages: 2 accepted, 1 with errors"):
        call_command(
            "import_results", str(files_dir / "lab-results.hl7"), "--format", "hl7",
            "--user", "lab", stdout=out,
        )  # fmt: skip
    assert InboundMessage.objects.count() == 3
    bruno = Patient.objects.get(mrn="DR-1002")
    creatinine = LabResult.objects.get(
        patient=bruno, analyte__code="creatinine", source_message__isnull=False
    )
    assert (creatinine.value_as_entered, creatinine.unit_as_entered) == (Decimal("1.3"), "mg/dL")
    assert creatinine.value_display == "115 µmol/L"  # 1.3 mg/dL × 88.4 (§1.1)
    assert LabResult.objects.filter(derived_from=creatinine, analyte__code="egfr").exists()
    [queued] = UnmatchedResult.objects.pending()
    assert (queued.mrn, queued.value, queued.unit) == ("DR-1099", "<2.0", "ng/mL")

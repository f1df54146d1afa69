"""The nurse's CSV upload page (issue #6): file → preview → save all or nothing."""

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from monitoring import formulas
from monitoring.imports import csv_results
from monitoring.models import Alert, LabResult
from tests.factories import ClinicFactory

URL = reverse("monitoring:results_import")
CONFIRM_URL = reverse("monitoring:results_import_confirm")
YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
HEADER = "mrn,loinc,value,unit,collected_at,last_dose_at,comment\n"


def trough_row(mrn="DR-1001", value="7.1", at="08:00", comment=""):
    """A tacrolimus trough sampled yesterday at `at`, 12 hours after the last dose."""
    sampled = dt.datetime.fromisoformat(f"{YESTERDAY}T{at}")
    dose = (sampled - dt.timedelta(hours=12)).isoformat(timespec="minutes")
    return f"{mrn},77348-1,{value},ng/mL,{sampled.isoformat(timespec='minutes')},{dose},{comment}\n"


def preview_rows(page: str) -> list[str]:
    """The preview table's rows as text, one string per row."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]
    ]


def upload(client, text, *, clinic=None, encoding="utf-8", name="results.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    post = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if clinic is not None:
        post["clinic"] = clinic.pk
    return client.post(URL, post)


def pending_key(response) -> str:
    """The key of the file waiting for confirmation, from the redirect to its preview."""
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"pending=([\w-]+)", response["Location"]).group(1)


def confirm_form(client, key) -> dict:
    """The confirm form of the preview, as the nurse's browser would post it."""
    preview = client.get(URL, {"pending": key})
    sha256 = re.search(r'name="sha256" value="([0-9a-f]+)"', preview.text).group(1)
    return {"key": key, "sha256": sha256, "action": "save"}


def confirm(client, response_or_key, action="save"):
    key = response_or_key if isinstance(response_or_key, str) else pending_key(response_or_key)
    return client.post(CONFIRM_URL, {**confirm_form(client, key), "action": action})


def test_the_preview_shows_exactly_the_rows_with_converted_values(
    client, nurse, patient_a, patient_b
):
    client.force_login(nurse)
    text = (
        HEADER
        + trough_row(value="12", comment="lab Lyon")
        + f"DR-1002,14682-9,1.2,mg/dL,{YESTERDAY}T09:30,,\n"
    )

    response = upload(client, text)
    preview = client.get(response["Location"])

    page = preview.text
    trough, creatinine = preview_rows(page)
    sampled = f"{timezone.localdate() - dt.timedelta(days=1):%d %b %Y}"
    assert trough == (
        f"2 DR-1001 Alice Durand Tacrolimus trough (C0) 12 ng/mL 12 ng/mL in range "
        f"{sampled} 08:00 {timezone.localdate() - dt.timedelta(days=2):%d %b %Y} 20:00 lab Lyon"
    )
    # Sent in mg/dL, saved in µmol/L, flagged against a woman's range.
    assert creatinine == (
        f"3 DR-1002 Bruno Lefebvre Creatinine 1.2 mg/dL 106 µmol/L (converted) ▲ H "
        f"{sampled} 09:30 —"
    )
    assert "Save these 2 results" in page
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    assert sha256 in page
    assert not LabResult.objects.exists()


def test_a_bad_file_lists_every_bad_line_and_saves_nothing(client, nurse, patient_a):
    client.force_login(nurse)
    text = (
        HEADER
        + trough_row()
        + trough_row(mrn="NOPE", at="09:00")
        + f"DR-1001,99999-9,7.1,ng/mL,{YESTERDAY}T10:00,,\n"
        + trough_row(value="7.1.2", at="11:00")
    )

    response = upload(client, text)

    assert response.status_code == 200
    page = response.text
    assert "Nothing was saved: 3 problems in the file." in page
    assert "Line 3: no patient with MRN “NOPE” in Demo Rheumatology." in page
    assert "Line 4: unknown LOINC or analyte code “99999-9”." in page
    assert "Line 5: “7.1.2” cannot be read as a number" in page
    assert "Line 2" not in page
    assert not LabResult.objects.exists()
    assert not client.session.get("results_import_pending")


def test_confirming_saves_every_row_and_raises_the_alerts(client, nurse, patient_a, patient_b):
    client.force_login(nurse)
    # A trough of 12 ng/mL, 12 hours after the dose: above the default target band.
    text = HEADER + trough_row(value="12") + f"DR-1002,14682-9,1.2,mg/dL,{YESTERDAY}T09:30,,\n"

    response = confirm(client, upload(client, text))

    assert response.status_code == 302
    page = client.get(response["Location"]).text
    saved = LabResult.objects.order_by("collected_at", "analyte__sort_order")
    expected_egfr = formulas.egfr_ckd_epi_2021(
        creatinine_umol_l=Decimal("106.08"),
        age_years=patient_b.age_on(timezone.localdate()),
        sex=patient_b.sex,
    )
    # eGFR is derived from the creatinine, as in the entry form.
    assert [(r.patient.mrn, r.analyte.code, r.value) for r in saved] == [
        ("DR-1001", "tacrolimus", Decimal("12")),
        ("DR-1002", "creatinine", Decimal("106.08")),
        ("DR-1002", "egfr", expected_egfr),
    ]
    assert all(r.entered_by == nurse and r.history.count() == 1 for r in saved)
    alert = Alert.objects.get(patient=patient_a, rule_code="trough-above-target")
    count = Alert.objects.count()
    assert f"Saved 3 results; {count} alerts raised or updated." in page
    assert reverse("monitoring:patient_detail", args=[patient_b.pk]) in page
    assert alert.text in page
    assert not client.session.get("results_import_pending")


def test_the_confirm_step_checks_the_file_again(client, nurse, patient_a, record_trough):
    client.force_login(nurse)
    response = upload(client, HEADER + trough_row(at="08:00") + trough_row(at="09:00"))
    post = confirm_form(client, pending_key(response))
    # Another nurse enters the 09:00 result while the preview is open.
    at = timezone.make_aware(dt.datetime.fromisoformat(f"{YESTERDAY}T09:00"))
    record_trough(patient_a, "7.0", at=at)

    page = client.post(CONFIRM_URL, post).text

    assert "Nothing was saved: 1 problem in the file." in page
    assert "Line 3: Tacrolimus trough (C0) at this sample time is already recorded" in page
    assert LabResult.objects.count() == 1


def test_a_file_uploaded_twice_is_saved_once(client, nurse, patient_a):
    client.force_login(nurse)
    text = HEADER + trough_row()
    # Two tabs: the same file uploaded twice, both previews open.
    first = confirm_form(client, pending_key(upload(client, text)))
    second = confirm_form(client, pending_key(upload(client, text)))

    client.post(CONFIRM_URL, first)
    page = client.post(CONFIRM_URL, second).text

    assert "Nothing was saved: 1 problem in the file." in page
    assert "Line 2: Tacrolimus trough (C0) at this sample time is already recorded" in page
    assert LabResult.objects.count() == 1


def test_a_confirm_posted_again_saves_nothing_more(client, nurse, patient_a):
    client.force_login(nurse)
    post = confirm_form(client, pending_key(upload(client, HEADER + trough_row())))

    client.post(CONFIRM_URL, post)
    response = client.post(CONFIRM_URL, post, follow=True)

    assert "This file is no longer waiting for confirmation" in response.text
    assert LabResult.objects.count() == 1


def test_cancel_saves_nothing_and_forgets_the_file(client, nurse, patient_a):
    client.force_login(nurse)

    response = confirm(client, upload(client, HEADER + trough_row()), action="cancel")

    assert "Import cancelled: nothing was saved." in client.get(response["Location"]).text
    assert not LabResult.objects.exists()
    assert not client.session.get("results_import_pending")


def test_a_bom_semicolons_and_comma_decimals_work_through_the_page(client, nurse, patient_a):
    client.force_login(nurse)
    text = (
        "MRN;Code;Value;Unit;Collected_At;Comment\n"
        f"DR-1001;tacrolimus;7,4;µg/L;{YESTERDAY} 08:00;x\n"
    )

    confirm(client, upload(client, text, encoding="utf-8-sig"))

    result = LabResult.objects.get()
    assert (result.value, result.comment) == (Decimal("7.4"), "x")


def test_a_file_past_the_size_limit_is_refused_with_a_clear_message(client, nurse, patient_a):
    client.force_login(nurse)
    big = (HEADER + trough_row()).encode() + b"x" * csv_results.MAX_BYTES

    response = upload(client, big)

    assert response.status_code == 200
    assert "The file is larger than 5 MB: split it into smaller files." in response.text
    assert not client.session.get("results_import_pending")
    assert not LabResult.objects.exists()


def test_a_nurse_of_several_clinics_chooses_among_hers_only(
    client, nurse, clinic, patient_a, other_clinic
):
    third = ClinicFactory(name="Paris Lupus", code="paris-lupus")
    nurse.clinics.add(third)
    client.force_login(nurse)

    page = client.get(URL).text
    response = upload(client, HEADER + trough_row(), clinic=other_clinic)

    assert "Paris Lupus" in page and "Lyon Lupus Clinic" not in page
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not LabResult.objects.exists()


def test_rows_of_another_clinics_patient_are_refused(client, nurse, patient_a, patient_other):
    client.force_login(nurse)

    response = upload(client, HEADER + trough_row(mrn="LY-2001"))

    assert "Line 2: no patient with MRN “LY-2001” in Demo Rheumatology." in response.text
    assert not LabResult.objects.exists()


def test_only_staff_reach_the_upload_page(client, patient_a, family, nurse_other, doctor):
    for url in (URL, reverse("monitoring:results_import_example")):
        assert client.get(url).status_code == 302  # anonymous → login
    assert client.post(CONFIRM_URL).status_code == 302
    for user in (patient_a.user, family):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert upload(client, HEADER + trough_row()).status_code == 403
        assert client.post(CONFIRM_URL, {"key": "x"}).status_code == 403
    client.force_login(doctor)
    assert client.get(URL).status_code == 200
    assert not LabResult.objects.exists()


def test_another_users_pending_file_cannot_be_confirmed(client, nurse, doctor, patient_a):
    client.force_login(nurse)
    post = confirm_form(client, pending_key(upload(client, HEADER + trough_row())))

    client.force_login(doctor)  # a new session
    response = client.post(CONFIRM_URL, post)

    assert response.status_code == 302
    assert not LabResult.objects.exists()


def test_the_example_file_has_the_expected_columns(client, nurse):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:results_import_example"))

    lines = response.getvalue().decode().splitlines()
    assert lines[0] == "mrn,loinc,value,unit,collected_at,last_dose_at,comment"
    assert response["Content-Disposition"].startswith('attachment; filename="results-example-')
    assert len(lines) == 3


def test_the_example_file_is_refused_as_it_names_no_patient(client, nurse, patient_a):
    client.force_login(nurse)
    example = client.get(reverse("monitoring:results_import_example")).getvalue()

    response = upload(client, example)

    # Its only problem: the made-up MRN (codes, units and times are right).
    assert "Nothing was saved: 2 problems in the file." in response.text
    assert response.text.count("no patient with MRN “EXAMPLE-1”") == 2


@pytest.mark.parametrize("role", ["nurse", "doctor"])
def test_the_staff_menu_links_to_the_upload_page(client, request, role):
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("monitoring:patient_list")).text

    assert f'href="{URL}"' in page

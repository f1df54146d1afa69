"""The entry forms of the clinical record, as the nurse uses them, and the patient's own
symptom report."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import (
    Allergy,
    ClinicalEntry,
    Ecg,
    Formulation,
    Medication,
    Regimen,
    ReproductiveStatus,
    Sex,
    Symptom,
    Vaccination,
    Weight,
)
from tests.factories import PatientFactory
from tests.pages import beside

TODAY = timezone.localdate
RECORDED = "2025-11-24T08:00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # ECG tracings are written here, never in the project's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


def shown(response) -> list[str]:
    """The messages the next page shows the user."""
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def post_entry(client, nurse, patient_a):
    """Submit the entry form of `kind` for a patient as the nurse (patient A by default)."""
    client.force_login(nurse)

    def post(kind, /, *, patient=None, **data):
        url = reverse("monitoring:record_entry", args=[(patient or patient_a).pk, kind])
        return client.post(url, data)

    return post


def test_each_entry_form_opens_with_its_title(client, nurse, patient_a):
    client.force_login(nurse)
    titles = {
        "regimen": "Tacrolimus regimen",
        "weight": "Weight",
        "ecg": "ECG",
        "medication": "Medicine",
        "allergy": "Allergy",
        "vaccination": "Vaccination",
        "pregnancy": "Pregnancy or breastfeeding",
        "symptom": "Symptom",
    }

    for kind, title in titles.items():
        response = client.get(reverse("monitoring:record_entry", args=[patient_a.pk, kind]))
        assert response.status_code == 200
        assert re.search(rf"<h1[^>]*>{title}</h1>", response.text)
        assert "Alice Durand · MRN DR-1001" in response.text


def test_an_unknown_kind_of_entry_is_not_found(client, nurse, patient_a):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:record_entry", args=[patient_a.pk, "tattoo"]))

    assert response.status_code == 404


# --- Regimen ----------------------------------------------------------------------------------


def regimen(doctor, **fields):
    data = {
        "product": "Prograf",
        "strength_mg": "0.5",
        "morning_dose_mg": "2",
        "evening_dose_mg": "1.5",
        "started_on": "2025-11-24",
        "prescriber": doctor.pk,
        "reason": "induction",
    }
    return {**data, **fields}


def test_a_nurse_records_a_regimen_and_returns_to_the_patient_page(
    post_entry, patient_a, doctor, nurse
):
    response = post_entry("regimen", **regimen(doctor))

    assert response["Location"] == patient_a.get_absolute_url()
    assert shown(response) == ["Tacrolimus regimen saved: Prograf 3.5 mg/day."]
    saved = Regimen.objects.get()
    assert saved.formulation == Formulation.IMMEDIATE_RELEASE
    assert (saved.morning_dose_mg, saved.evening_dose_mg) == (Decimal("2"), Decimal("1.5"))
    assert (saved.prescriber, saved.entered_by) == (doctor, nurse)


def test_a_twice_daily_product_without_an_evening_dose_is_refused(post_entry, doctor):
    response = post_entry("regimen", **regimen(doctor, evening_dose_mg=""))

    assert response.status_code == 200
    assert "Prograf is taken twice daily: enter the evening dose." in beside(
        response.text, "evening_dose_mg"
    )
    assert Regimen.objects.count() == 0


def test_a_once_daily_product_with_an_evening_dose_is_refused(post_entry, doctor):
    response = post_entry(
        "regimen", **regimen(doctor, product="Advagraf", strength_mg="1", morning_dose_mg="3")
    )

    assert "Advagraf is taken once daily: leave the evening dose empty." in beside(
        response.text, "evening_dose_mg"
    )
    assert Regimen.objects.count() == 0


def test_a_strength_the_product_does_not_come_in_is_refused_beside_it(post_entry, doctor):
    response = post_entry("regimen", **regimen(doctor, strength_mg="2"))

    assert "Prograf comes in 0.5 mg, 1 mg, 5 mg." in beside(response.text, "strength_mg")
    assert Regimen.objects.count() == 0


def test_a_dose_the_capsules_cannot_make_is_refused_beside_it(post_entry, doctor):
    response = post_entry("regimen", **regimen(doctor, morning_dose_mg="0.3"))

    assert "0.3 mg cannot be made from Prograf 0.5, 1, 5 mg units." in beside(
        response.text, "morning_dose_mg"
    )
    assert Regimen.objects.count() == 0


def test_switching_to_a_once_daily_product_ends_the_old_regimen_and_marks_the_switch(
    post_entry, doctor
):
    post_entry("regimen", **regimen(doctor, started_on="2025-10-01"))

    post_entry(
        "regimen",
        **regimen(
            doctor,
            product="Advagraf",
            strength_mg="1",
            morning_dose_mg="3",
            evening_dose_mg="",
            started_on="2025-11-24",
        ),
    )

    old, new = Regimen.objects.order_by("started_on")
    assert old.ended_on == dt.date(2025, 11, 24)
    assert new.is_formulation_switch is True
    assert new.ended_on is None


def test_only_doctors_of_the_patients_clinic_can_be_named_prescriber(post_entry, doctor_other):
    response = post_entry("regimen", **regimen(doctor_other))

    assert "Select a valid choice." in beside(response.text, "prescriber")
    assert Regimen.objects.count() == 0


# --- Weight -----------------------------------------------------------------------------------


def test_a_nurse_records_a_weight(post_entry, patient_a, nurse):
    response = post_entry("weight", weight_kg="72,5", measured_on=f"{TODAY():%Y-%m-%d}")

    assert response["Location"] == patient_a.get_absolute_url()
    weight = Weight.objects.get()
    assert (weight.patient, weight.weight_kg, weight.entered_by) == (
        patient_a,
        Decimal("72.5"),
        nurse,
    )
    assert shown(response) == [f"Weight saved: 72.5 kg on {TODAY()}."]


@pytest.mark.parametrize("kg", ["24", "251"])
def test_an_implausible_weight_is_refused_beside_the_field(post_entry, kg):
    response = post_entry("weight", weight_kg=kg, measured_on=f"{TODAY():%Y-%m-%d}")

    assert f"{kg} kg is not a plausible adult weight (25–250 kg)." in beside(
        response.text, "weight_kg"
    )
    assert Weight.objects.count() == 0


def test_a_weight_dated_tomorrow_is_refused(post_entry):
    tomorrow = TODAY() + dt.timedelta(days=1)

    response = post_entry("weight", weight_kg="70", measured_on=f"{tomorrow:%Y-%m-%d}")

    assert "The date is in the future." in beside(response.text, "measured_on")
    assert Weight.objects.count() == 0


# --- ECG --------------------------------------------------------------------------------------


def ecg(**fields):
    data = {"recorded_at": RECORDED, "qt_ms": "400", "rhythm": "sinus", "comment": ""}
    return {**data, **fields}


def test_an_ecg_with_a_heart_rate_stores_qtc_by_fridericia_and_bazett(post_entry, patient_a):
    response = post_entry("ecg", **ecg(heart_rate_bpm="90"))

    assert shown(response) == ["ECG saved: QTc 458 ms (Fridericia)."]
    saved = Ecg.objects.get()
    assert (saved.qtc_ms, saved.qtc_bazett_ms) == (458, 490)
    assert not saved.tracing


def test_an_ecg_with_an_rr_interval_instead_of_a_heart_rate_is_stored(post_entry):
    post_entry("ecg", **ecg(rr_ms="800"))

    saved = Ecg.objects.get()
    assert (saved.rr_ms, saved.heart_rate_bpm) == (800, None)
    assert (saved.qtc_ms, saved.qtc_bazett_ms) == (431, 447)


def test_an_ecg_without_heart_rate_or_rr_is_refused(post_entry):
    response = post_entry("ecg", **ecg())

    assert "Enter the heart rate or the RR interval." in beside(response.text, "heart_rate_bpm")
    assert Ecg.objects.count() == 0


def test_an_ecg_with_both_heart_rate_and_rr_is_refused(post_entry):
    response = post_entry("ecg", **ecg(heart_rate_bpm="90", rr_ms="800"))

    assert "Enter the heart rate or the RR interval, not both." in beside(response.text, "rr_ms")
    assert Ecg.objects.count() == 0


def test_an_implausible_qt_is_refused_with_a_message(post_entry):
    response = post_entry("ecg", **ecg(qt_ms="40", heart_rate_bpm="90"))

    assert response.status_code == 200
    assert "QT 40 ms is outside the plausible 200–700 ms" in response.text
    assert Ecg.objects.count() == 0


def tracing_url(ecg_row) -> str:
    return reverse("monitoring:ecg_tracing", args=[ecg_row.patient_id, ecg_row.pk])


def test_a_pdf_tracing_is_kept_and_can_be_downloaded_by_the_clinic(post_entry, client):
    post_entry(
        "ecg",
        **ecg(heart_rate_bpm="70"),
        tracing=SimpleUploadedFile("ecg.pdf", PDF, content_type="application/pdf"),
    )

    saved = Ecg.objects.get()
    response = client.get(tracing_url(saved))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_a_png_tracing_is_accepted(post_entry):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    post_entry("ecg", **ecg(heart_rate_bpm="70"), tracing=SimpleUploadedFile("ecg.png", png))

    assert Ecg.objects.get().tracing.name.endswith(".png")


def test_a_file_named_pdf_that_is_not_one_is_refused(post_entry):
    fake = SimpleUploadedFile("ecg.pdf", b"MZ\x90\x00 this is a program", "application/pdf")

    response = post_entry("ecg", **ecg(heart_rate_bpm="70"), tracing=fake)

    assert "The tracing must be a PDF, PNG or JPEG file." in beside(response.text, "tracing")
    assert Ecg.objects.count() == 0


def test_a_tracing_over_5_mb_is_refused(post_entry):
    big = PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF))

    response = post_entry(
        "ecg", **ecg(heart_rate_bpm="70"), tracing=SimpleUploadedFile("big.pdf", big)
    )

    assert "the limit is 5 MB." in beside(response.text, "tracing")
    assert Ecg.objects.count() == 0


def test_an_ecg_without_a_tracing_has_nothing_to_download(client, nurse, patient_a):
    saved = services.record_ecg(
        patient=patient_a,
        recorded_at=timezone.now() - dt.timedelta(hours=1),
        qt_ms=400,
        heart_rate_bpm=70,
        entered_by=nurse,
    )
    client.force_login(nurse)

    assert client.get(tracing_url(saved)).status_code == 404


# --- Medicines --------------------------------------------------------------------------------


def test_a_medicine_that_interacts_is_saved_with_its_finding(post_entry, patient_a):
    response = post_entry(
        "medication",
        name="Vfend 200 mg",
        dose="1 tablet twice daily",
        started_on=f"{TODAY():%Y-%m-%d}",
    )

    assert response["Location"] == patient_a.get_absolute_url()
    medication = Medication.objects.get()
    assert [f.ingredient.code for f in medication.findings.all()] == ["voriconazole"]


def test_a_medicine_stopped_before_it_started_is_refused(post_entry):
    response = post_entry(
        "medication", name="Vfend", started_on="2025-11-24", stopped_on="2025-11-20"
    )

    assert "The end date is before the start date." in beside(response.text, "stopped_on")
    assert Medication.objects.count() == 0


def test_stopping_a_medicine_from_the_patient_page_ends_it_today(client, nurse, patient_a):
    medication = services.record_medication(
        patient=patient_a,
        name="Vfend 200 mg",
        started_on=TODAY() - dt.timedelta(days=10),
        entered_by=nurse,
    )
    client.force_login(nurse)

    response = client.post(
        reverse("monitoring:medication_stop", args=[patient_a.pk, medication.pk])
    )

    assert response["Location"] == patient_a.get_absolute_url()
    assert shown(response) == ["Vfend 200 mg stopped today."]
    medication.refresh_from_db()
    assert medication.stopped_on == TODAY()


def test_a_medicine_cannot_be_stopped_with_a_get(client, nurse, patient_a):
    medication = services.record_medication(
        patient=patient_a, name="Vfend", started_on=TODAY(), entered_by=nurse
    )
    client.force_login(nurse)

    response = client.get(reverse("monitoring:medication_stop", args=[patient_a.pk, medication.pk]))

    assert response.status_code == 405
    medication.refresh_from_db()
    assert medication.stopped_on is None


def test_the_interaction_check_answers_while_the_nurse_types(client, nurse):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:interaction_match"), {"q": "Vfend"})

    assert response.status_code == 200
    matches = response.json()["matches"]
    assert [m["ingredient"] for m in matches] == ["voriconazole"]
    assert "Reduce tacrolimus to one third" in matches[0]["action"]


@pytest.mark.parametrize("text", ["paracetamol", "Vf", ""])
def test_the_interaction_check_finds_nothing_for_a_harmless_or_short_name(client, nurse, text):
    client.force_login(nurse)

    response = client.get(reverse("monitoring:interaction_match"), {"q": text})

    assert response.json() == {"matches": []}


# --- Allergies, vaccinations, pregnancy, symptoms --------------------------------------------


def test_a_macrolide_allergy_entered_in_french_is_a_contraindication(post_entry):
    post_entry("allergy", substance="clarithromycine", reaction="urticaire")

    allergy = Allergy.objects.get()
    assert (allergy.allergy_class, allergy.is_contraindication) == ("macrolide", True)


def test_a_penicillin_allergy_is_not_a_contraindication(post_entry):
    post_entry("allergy", substance="penicillin", reaction="rash")

    assert Allergy.objects.get().is_contraindication is False


@pytest.mark.parametrize(
    ("name", "is_live"),
    [("Stamaril", True), ("Shingrix", False), ("grippe intranasale", True)],
)
def test_a_vaccination_is_recorded_as_live_or_not(post_entry, name, is_live):
    post_entry("vaccination", name=name, state="planned", date=f"{TODAY():%Y-%m-%d}")

    assert Vaccination.objects.get().is_live is is_live


def test_a_vaccination_given_in_the_future_is_refused_beside_the_date(post_entry):
    later = TODAY() + dt.timedelta(days=5)

    response = post_entry("vaccination", name="Shingrix", state="given", date=f"{later:%Y-%m-%d}")

    assert "A vaccination given cannot be in the future." in beside(response.text, "date")
    assert Vaccination.objects.count() == 0


def test_a_pregnancy_is_recorded_for_a_female_patient(post_entry, patient_a):
    response = post_entry("pregnancy", kind="pregnant", started_on="2025-10-01")

    assert response["Location"] == patient_a.get_absolute_url()
    assert ReproductiveStatus.objects.get().patient == patient_a


def test_a_pregnancy_is_refused_for_a_male_patient_with_a_message(post_entry, clinic):
    man = PatientFactory(clinic=clinic, sex=Sex.MALE)

    response = post_entry("pregnancy", patient=man, kind="pregnant", started_on="2025-10-01")

    assert response.status_code == 200
    assert "Pregnancy and breastfeeding apply to female patients only." in response.text
    assert ReproductiveStatus.objects.count() == 0


def test_a_nurse_records_a_symptom(post_entry, nurse):
    post_entry("symptom", kind="tremor", severity="mild", started_on=f"{TODAY():%Y-%m-%d}")

    symptom = Symptom.objects.get()
    assert (symptom.kind, symptom.entered_by) == ("tremor", nurse)


def test_an_other_symptom_without_a_description_is_refused(post_entry):
    response = post_entry(
        "symptom", kind="other", severity="mild", started_on=f"{TODAY():%Y-%m-%d}"
    )

    assert "Describe the symptom." in beside(response.text, "other_text")
    assert Symptom.objects.count() == 0


def test_a_patient_reports_their_own_symptom(client, patient_a):
    client.force_login(patient_a.user)

    response = client.post(
        reverse("monitoring:report_symptom"),
        {"kind": "tremor", "severity": "moderate", "started_on": f"{TODAY():%Y-%m-%d}"},
    )

    assert response["Location"] == reverse("monitoring:patient_chart", args=[patient_a.pk])
    assert shown(response) == ["Thank you: your care team will see this symptom."]
    symptom = Symptom.objects.get()
    assert (symptom.patient, symptom.entered_by) == (patient_a, patient_a.user)


def test_a_patients_symptom_starting_tomorrow_is_refused(client, patient_a):
    client.force_login(patient_a.user)
    tomorrow = TODAY() + dt.timedelta(days=1)

    response = client.post(
        reverse("monitoring:report_symptom"),
        {"kind": "headache", "severity": "mild", "started_on": f"{tomorrow:%Y-%m-%d}"},
    )

    assert "The start date is in the future." in beside(response.text, "started_on")
    assert Symptom.objects.count() == 0


# --- Entered in error -------------------------------------------------------------------------


@pytest.fixture
def weight(patient_a, nurse):
    return services.record_weight(
        patient=patient_a, weight_kg=Decimal("72"), measured_on=TODAY(), entered_by=nurse
    )


def entered_in_error_url(entry, kind="weight"):
    return reverse(
        "monitoring:record_entry_entered_in_error", args=[entry.patient_id, kind, entry.pk]
    )


def test_the_entered_in_error_page_names_the_entry(client, doctor, weight):
    client.force_login(doctor)

    response = client.get(entered_in_error_url(weight))

    assert f"Mark “72 kg on {TODAY()}” entered in error" in response.text


def test_a_weight_marked_entered_in_error_is_kept_with_the_reason(client, doctor, weight):
    client.force_login(doctor)

    response = client.post(entered_in_error_url(weight), {"reason": "weighed in a coat"})

    assert response["Location"] == weight.patient.get_absolute_url()
    weight.refresh_from_db()
    assert weight.status == ClinicalEntry.Status.ENTERED_IN_ERROR
    assert Weight.objects.count() == 1
    last = weight.history.first()
    assert last.history_change_reason == "Entered in error: weighed in a coat"
    assert last.history_user == doctor


def test_entered_in_error_without_a_reason_changes_nothing(client, doctor, weight):
    client.force_login(doctor)

    response = client.post(entered_in_error_url(weight), {"reason": ""})

    assert response.status_code == 200
    assert "This field is required." in beside(response.text, "reason")
    weight.refresh_from_db()
    assert weight.status == ClinicalEntry.Status.ACTIVE
    assert weight.history.count() == 1


def test_an_entry_already_entered_in_error_cannot_be_marked_again(client, doctor, weight):
    services.mark_entry_entered_in_error(entry=weight, user=doctor, reason="typo")
    client.force_login(doctor)

    response = client.post(entered_in_error_url(weight), {"reason": "again"})

    assert "This entry is already marked entered in error." in response.text
    assert weight.history.count() == 2


def test_any_kind_of_entry_can_be_marked_entered_in_error(client, nurse, patient_a):
    allergy = services.record_allergy(patient=patient_a, substance="penicillin", entered_by=nurse)
    client.force_login(nurse)

    client.post(entered_in_error_url(allergy, "allergy"), {"reason": "another patient's"})

    allergy.refresh_from_db()
    assert allergy.status == ClinicalEntry.Status.ENTERED_IN_ERROR


def test_an_entry_of_another_kind_is_not_found_under_the_wrong_kind(client, nurse, weight):
    client.force_login(nurse)

    response = client.post(entered_in_error_url(weight, "allergy"), {"reason": "x"})

    assert response.status_code == 404
    weight.refresh_from_db()
    assert weight.status == ClinicalEntry.Status.ACTIVE


def test_a_patient_finds_the_symptom_report_from_their_chart(client, patient_a):
    client.force_login(patient_a.user)

    page = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])).text

    assert reverse("monitoring:report_symptom") in page


def test_a_family_member_is_not_offered_the_symptom_report(client, family, patient_a):
    client.force_login(family)

    page = client.get(reverse("monitoring:patient_chart", args=[patient_a.pk])).text

    assert reverse("monitoring:report_symptom") not in page

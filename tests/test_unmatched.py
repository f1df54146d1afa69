"""The unmatched-results queue (issue #6): lab results a message sent for an unknown patient,
code or unit, and what a nurse does with each (import, create the patient, dismiss)."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.context_processors import unmatched_count
from monitoring.imports.codes import AnalyteIndex
from monitoring.models import (
    Analyte,
    CodeMapping,
    InboundMessage,
    LabResult,
    Patient,
    ResultStatus,
    Severity,
    UnmatchedResult,
)
from tests.factories import PatientFactory

SAMPLED = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
RAW = (
    "MSH|^~\\&|LAB|CHU|TDM|DEMO|20260105083000||ORU^R01|{control_id}|P|2.5\r"
    "PID|1||{mrn}^^^demo-rheum^MR||Durand^Alice||19900517|F\r"
    "OBX|1|NM|{code}^{text}^LN||{value}|{unit}|||||F|||20260105080000\r"
)
_control_ids = itertools.count(1)


@pytest.fixture
def make_item(clinic, lab):
    """A queue item as the HL7 receiver writes it: one observation of a message for patient
    A's identity, by default a final tacrolimus trough of 7.1 ng/mL sampled yesterday."""

    def make(**fields):
        values = {
            "clinic": clinic,
            "reason": "No patient with this MRN",
            "mrn": "DR-1001",
            "assigning_authority": "demo-rheum",
            "family_name": "Durand",
            "given_name": "Alice",
            "date_of_birth": dt.date(1990, 5, 17),
            "sex": "F",
            "code": "77348-1",
            "code_system": "LN",
            "code_text": "Tacrolimus",
            "value": "7.1",
            "unit": "ng/mL",
            "result_status": "F",
            "observed_at": SAMPLED,
            **fields,
        }
        control_id = f"MSG{next(_control_ids)}"
        message = InboundMessage.objects.create(
            control_id=control_id,
            sending_application="LAB",
            sending_facility="CHU",
            message_type="ORU^R01",
            version="2.5",
            transport="mllp",
            received_by=lab,
            raw=RAW.format(
                control_id=control_id,
                mrn=values["mrn"],
                code=values["code"],
                text=values["code_text"],
                value=values["value"],
                unit=values["unit"],
            ),
            outcome="AE",
        )
        return UnmatchedResult.objects.create(message=message, **values)

    return make


def reloaded(item: UnmatchedResult) -> UnmatchedResult:
    return UnmatchedResult.objects.get(pk=item.pk)


# --- Importing for an existing patient --------------------------------------------------------


def test_importing_stores_the_converted_value_and_marks_the_item_imported_by_the_nurse(
    make_item, patient_a, nurse
):
    item = make_item(code="14682-9", code_text="Creatinine", value="1.2", unit="mg/dL")

    imported = services.import_unmatched_result(item=item, patient=patient_a, user=nurse)

    result = LabResult.objects.get(analyte__code="creatinine")
    assert imported.result == result
    # eGFR is derived from it, as from the entry form (CKD-EPI 2021).
    assert LabResult.objects.get(analyte__code="egfr").derived_from == result
    assert (result.patient, result.analyte.code) == (patient_a, "creatinine")
    assert result.value == Decimal("106.08")  # 1.2 mg/dL × 88.4
    assert (result.value_as_entered, result.unit_as_entered) == (Decimal("1.2"), "mg/dL")
    assert result.collected_at == SAMPLED
    assert result.status == ResultStatus.FINAL
    assert result.source_message == item.message
    assert result.entered_by == nurse
    item = reloaded(item)
    assert item.status == UnmatchedResult.Status.IMPORTED
    assert (item.patient, item.result, item.resolved_by) == (patient_a, result, nurse)
    assert item.resolved_at is not None
    assert "106 µmol/L" in item.resolution
    latest = item.history.latest()
    assert latest.history_user == nurse
    assert latest.history_change_reason == "Imported from the unmatched-results queue"


def test_a_censored_value_keeps_its_comparator(make_item, patient_a, nurse):
    item = make_item(value="<2.0")

    services.import_unmatched_result(item=item, patient=patient_a, user=nurse)

    result = LabResult.objects.get()
    assert (result.comparator, result.value) == ("<", Decimal("2.0"))
    assert result.value_display == "<2 ng/mL"


def test_the_labs_range_and_a_preliminary_status_are_kept(make_item, patient_a, nurse):
    item = make_item(
        code="14682-9", value="1.0", unit="mg/dL", reference_range="0.6-1.2", result_status="P"
    )

    services.import_unmatched_result(item=item, patient=patient_a, user=nurse)

    result = LabResult.objects.get(analyte__code="creatinine")
    assert (result.reference_low, result.reference_high) == (Decimal("53.04"), Decimal("106.08"))
    assert result.status == ResultStatus.PRELIMINARY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5-5.1", (Decimal("3.5"), Decimal("5.1"))),
        ("3,5 – 5,1", (Decimal("3.5"), Decimal("5.1"))),
        ("<5.0", (None, Decimal("5.0"))),
        ("> 60", (Decimal("60"), None)),
        ("see comment", (None, None)),
        ("5-3", (None, None)),
    ],
)
def test_the_labs_reference_range_is_read_when_readable(text, expected):
    assert services.parse_reference_range(text) == expected


def test_an_imported_value_raises_the_same_alert_as_the_form(
    make_item, patient_a, patient_b, nurse
):
    potassium = Analyte.objects.get(code="potassium")
    item = make_item(code="2823-3", code_text="Potassium", value="5.8", unit="mmol/L")

    imported = services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    services.record_result(
        patient=patient_b, analyte=potassium, value=Decimal("5.8"), collected_at=SAMPLED,
        entered_by=nurse,
    )  # fmt: skip

    def alerts(patient):
        return {(a.rule_code, a.severity) for a in patient.alerts.filter(status="open")}

    assert alerts(patient_a) == alerts(patient_b) == {("potassium-high", Severity.WARNING)}
    assert [a.rule_code for a in imported.alerts] == ["potassium-high"]


def test_an_implausible_value_needs_a_confirmation_which_is_recorded(make_item, patient_a, nurse):
    item = make_item(value="55")

    with pytest.raises(services.ImplausibleValueError):
        services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    assert not LabResult.objects.exists()
    assert reloaded(item).status == UnmatchedResult.Status.PENDING

    services.import_unmatched_result(
        item=item, patient=patient_a, user=nurse, confirmed_implausible=True
    )
    assert LabResult.objects.get().plausibility_confirmed_by == nurse


def test_an_impossible_trough_is_refused_even_when_confirmed(make_item, patient_a, nurse):
    item = make_item(value="700")

    with pytest.raises(ValidationError, match="above the plausible maximum"):
        services.import_unmatched_result(
            item=item, patient=patient_a, user=nurse, confirmed_implausible=True
        )
    assert not LabResult.objects.exists()


def test_an_unreadable_value_is_refused_with_the_readers_message(make_item, patient_a, nurse):
    item = make_item(value="haemolysed")

    with pytest.raises(ValidationError, match="cannot be read as a number"):
        services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    assert reloaded(item).status == UnmatchedResult.Status.PENDING


def test_an_imported_item_cannot_be_imported_twice(make_item, patient_a, nurse):
    item = make_item()
    services.import_unmatched_result(item=item, patient=patient_a, user=nurse)

    with pytest.raises(ValidationError, match="already handled"):
        services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    assert LabResult.objects.count() == 1


def test_a_duplicate_of_a_stored_result_is_refused_and_the_item_stays_waiting(
    make_item, patient_a, nurse, record_trough
):
    record_trough(patient_a, "7.1", at=SAMPLED)
    item = make_item()

    with pytest.raises(services.DuplicateResultError):
        services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    assert LabResult.objects.count() == 1
    assert reloaded(item).status == UnmatchedResult.Status.PENDING


def test_a_patient_of_another_clinic_is_refused(make_item, patient_other, nurse, nurse_other):
    item = make_item()

    with pytest.raises(ValidationError, match="Choose a patient of Demo Rheumatology"):
        services.import_unmatched_result(item=item, patient=patient_other, user=nurse)
    with pytest.raises(ValidationError, match="not in the queue of your clinics"):
        services.import_unmatched_result(item=item, patient=patient_other, user=nurse_other)
    assert not LabResult.objects.exists()


# --- Unmapped codes ----------------------------------------------------------------------------


def test_an_unmapped_code_needs_the_nurse_to_choose_the_test(make_item, patient_a, nurse):
    item = make_item(code="KAL", code_system="L", code_text="Kaliémie", value="4.1", unit="mmol/L")

    with pytest.raises(ValidationError) as refused:
        services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    assert "“KAL” is not known here" in refused.value.message_dict["analyte"][0]
    assert not LabResult.objects.exists()


def test_a_remembered_code_maps_the_next_message_automatically(make_item, patient_a, nurse):
    potassium = Analyte.objects.get(code="potassium")
    item = make_item(code="KAL", code_system="L", code_text="Kaliémie", value="4.1", unit="mmol/L")

    imported = services.import_unmatched_result(
        item=item, patient=patient_a, user=nurse, analyte=potassium, remember_code=True
    )

    mapping = CodeMapping.objects.get(code="KAL")
    assert imported.mapping == mapping
    assert (mapping.code, mapping.system, mapping.analyte) == ("KAL", "L", potassium)
    assert mapping.history.get().history_user == nurse
    assert AnalyteIndex().find("KAL", "L") == potassium
    assert LabResult.objects.get().analyte == potassium


def test_a_known_code_is_never_remapped_from_the_queue(make_item, patient_a, nurse):
    potassium = Analyte.objects.get(code="potassium")
    item = make_item(code="2823-3", value="4.1", unit="mmol/L")

    services.import_unmatched_result(
        item=item, patient=patient_a, user=nurse, analyte=potassium, remember_code=True
    )

    assert not CodeMapping.objects.filter(code="2823-3").exists()


def test_a_unit_of_another_test_is_refused(make_item, patient_a, nurse):
    item = make_item(unit="ng/ml?")
    creatinine_unit = Analyte.objects.get(code="creatinine").units.get(code="mg/dL")

    with pytest.raises(ValidationError, match="not a unit of"):
        services.import_unmatched_result(
            item=item, patient=patient_a, user=nurse, unit=creatinine_unit
        )
    assert not LabResult.objects.exists()


# --- Creating the patient from the lab's data ----------------------------------------------------


def test_the_patient_is_created_from_the_labs_details_and_audited(make_item, clinic, nurse):
    item = make_item(mrn="DR-3001", family_name="Roux", given_name="Eva", sex="F")

    patient = services.create_patient_from_unmatched(item=item, user=nurse)
    services.import_unmatched_result(item=item, patient=patient, user=nurse)

    patient = Patient.objects.get(mrn="DR-3001")
    assert (patient.clinic, patient.first_name, patient.last_name) == (clinic, "Eva", "Roux")
    assert (patient.date_of_birth, patient.sex) == (dt.date(1990, 5, 17), "F")
    record = patient.history.get()
    assert record.history_user == nurse
    assert record.history_change_reason == f"From unmatched lab result {item.pk}"
    assert LabResult.objects.get().patient == patient


def test_without_a_date_of_birth_no_patient_is_created(make_item, nurse):
    item = make_item(mrn="DR-3001", date_of_birth=None)

    with pytest.raises(ValidationError, match="did not send the date of birth"):
        services.create_patient_from_unmatched(item=item, user=nurse)
    assert not Patient.objects.filter(mrn="DR-3001").exists()


def test_a_patient_is_not_created_twice_for_the_same_mrn(make_item, patient_a, nurse):
    item = make_item(reason="Unmapped unit")

    with pytest.raises(ValidationError, match="already exists"):
        services.create_patient_from_unmatched(item=item, user=nurse)
    assert Patient.objects.get(pk=patient_a.pk).history.count() == 1


# --- Dismissing -----------------------------------------------------------------------------------


def test_dismissing_needs_a_reason(make_item, nurse):
    item = make_item()

    with pytest.raises(ValidationError, match="Give the reason"):
        services.dismiss_unmatched_result(item=item, user=nurse, reason="  ")
    assert reloaded(item).status == UnmatchedResult.Status.PENDING

    services.dismiss_unmatched_result(item=item, user=nurse, reason="Sent twice")
    item = reloaded(item)
    assert (item.status, item.resolution, item.resolved_by) == ("dismissed", "Sent twice", nurse)
    assert item.history.latest().history_change_reason == "Dismissed: Sent twice"


# --- The other results for the same MRN -----------------------------------------------------------


def test_the_other_results_for_the_mrn_are_imported_with_it(make_item, patient_a, nurse):
    item = make_item()
    creatinine = make_item(code="14682-9", value="1.2", unit="mg/dL")
    make_item(mrn="DR-1001", assigning_authority="other-lab")  # another authority: not the same
    make_item(mrn="DR-9999")

    imported = services.import_unmatched_results_for_mrn(item=item, patient=patient_a, user=nurse)

    assert {i.item.pk for i in imported} == {item.pk, creatinine.pk}
    sent = LabResult.objects.filter(patient=patient_a).exclude(analyte__code="egfr")
    assert sent.count() == 2
    assert UnmatchedResult.objects.pending().count() == 2


def test_one_refused_result_for_the_mrn_stores_none_and_every_refusal_is_reported(
    make_item, patient_a, nurse
):
    item = make_item()
    make_item(code="14682-9", code_text="Creatinine", value="1.2", unit="mg/dL")
    make_item(code="2823-3", code_text="Potassium", value="lost", unit="mmol/L")
    make_item(code="XYZ", code_text="Mystery", value="1", unit="g/L")

    with pytest.raises(ValidationError) as refused:
        services.import_unmatched_results_for_mrn(item=item, patient=patient_a, user=nurse)

    messages = refused.value.messages
    assert len(messages) == 2
    assert any(m.startswith("Potassium lost mmol/L") for m in messages)
    assert any(m.startswith("Mystery 1 g/L") and "“XYZ” is not known" in m for m in messages)
    assert not LabResult.objects.exists()
    assert UnmatchedResult.objects.pending().count() == 4


# --- The list page ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, make_item):
    item = make_item()
    for url in (
        reverse("monitoring:unmatched_list"),
        reverse("monitoring:unmatched_detail", args=[item.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["patient", "family", "lab"])
def test_patients_family_and_interface_accounts_are_forbidden(
    client, make_item, patient_a, family, lab, who
):
    item = make_item()
    client.force_login({"patient": patient_a.user, "family": family, "lab": lab}[who])

    assert client.get(reverse("monitoring:unmatched_list")).status_code == 403
    assert client.get(reverse("monitoring:unmatched_detail", args=[item.pk])).status_code == 403


def test_the_list_shows_only_the_waiting_results_of_the_nurses_clinics(
    client, make_item, other_clinic, nurse
):
    make_item(family_name="Durand", value="7.1")
    make_item(clinic=other_clinic, family_name="Garnier", value="9.9")
    make_item(family_name="Dismissed", status="dismissed")
    client.force_login(nurse)

    page = client.get(reverse("monitoring:unmatched_list")).text

    assert "DURAND" in page
    assert "7.1" in page and "ng/mL" in page
    assert "GARNIER" not in page
    assert "DISMISSED" not in page
    assert "No patient with this MRN" in page


def test_the_status_filter_is_allow_listed(client, make_item, nurse):
    make_item(family_name="Waiting")
    make_item(family_name="Dismissed", status="dismissed", resolution="Sent twice")
    client.force_login(nurse)

    dismissed = client.get(reverse("monitoring:unmatched_list"), {"status": "dismissed"}).text
    bogus = client.get(reverse("monitoring:unmatched_list"), {"status": "clinic__name"}).text

    assert "DISMISSED" in dismissed and "Sent twice" in dismissed
    assert "WAITING" not in dismissed
    assert "WAITING" in bogus and "DISMISSED" not in bogus


def test_the_list_costs_the_same_queries_for_2_or_20_results(
    client, make_item, nurse, django_assert_num_queries
):
    for _ in range(2):
        make_item()
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("monitoring:unmatched_list"))
    for _ in range(18):
        make_item()

    with django_assert_num_queries(len(few)):
        response = client.get(reverse("monitoring:unmatched_list"))

    assert response.text.count("File or dismiss") == 20


def test_the_navigation_counts_the_waiting_results_in_one_query(
    rf, make_item, nurse, other_clinic, django_assert_num_queries
):
    make_item()
    make_item()
    make_item(status="imported")
    make_item(clinic=other_clinic)
    request = rf.get("/")
    request.user = nurse

    with django_assert_num_queries(1):
        assert unmatched_count(request) == {"nav_unmatched_count": 2}


def test_the_navigation_shows_the_queue_with_its_count(client, make_item, nurse):
    make_item()
    client.force_login(nurse)

    page = client.get(reverse("monitoring:patient_list")).text

    assert reverse("monitoring:unmatched_list") in page
    assert "1 lab result waiting to be filed" in page


# --- The detail page ----------------------------------------------------------------------------


def detail_url(item) -> str:
    return reverse("monitoring:unmatched_detail", args=[item.pk])


def test_a_nurse_of_another_clinic_gets_a_404_and_changes_nothing(client, make_item, nurse_other):
    item = make_item()
    client.force_login(nurse_other)

    assert client.get(detail_url(item)).status_code == 404
    response = client.post(detail_url(item), {"action": "dismiss", "reason": "not ours"})

    assert response.status_code == 404
    assert reloaded(item).status == UnmatchedResult.Status.PENDING


def test_the_page_shows_the_labs_message_escaped_and_the_candidate_patients(
    client, make_item, clinic, patient_a, nurse
):
    zeros = PatientFactory(clinic=clinic, mrn="001234", first_name="Zoé", last_name="Zéro")
    namesake = PatientFactory(
        clinic=clinic, mrn="DR-7777", last_name="durand", date_of_birth=dt.date(1990, 5, 17)
    )
    PatientFactory(  # another birth date
        clinic=clinic, mrn="DR-8888", last_name="Durand", date_of_birth=dt.date(1985, 1, 1)
    )
    item = make_item(mrn=" 1234", code_text="<script>alert(1)</script>")
    client.force_login(nurse)

    page = client.get(detail_url(item)).text

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<pre" in page and "ORU^R01" in page
    candidates = page.split("may be this person")[1].split("</ul>")[0]
    assert zeros.mrn in candidates and "same MRN" in candidates
    assert namesake.mrn in candidates and "same date of birth and family name" in candidates
    assert patient_a.mrn in candidates  # Durand, born the same day
    assert "DR-8888" not in candidates


def test_importing_from_the_page_names_what_was_stored(client, make_item, patient_a, nurse):
    item = make_item()
    client.force_login(nurse)

    response = client.post(
        detail_url(item), {"action": "import", "patient": patient_a.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("monitoring:unmatched_list")
    assert "Tacrolimus trough (C0) 7.1 ng/mL stored for Alice Durand" in response.text
    assert reloaded(item).result.patient == patient_a


def test_the_mrn_can_be_typed_instead_of_chosen(client, make_item, patient_a, nurse):
    item = make_item(mrn="1001")
    client.force_login(nurse)

    client.post(detail_url(item), {"action": "import", "mrn": "DR-1001"})

    assert reloaded(item).patient == patient_a


def test_a_patient_of_another_clinic_posted_in_the_form_is_refused(
    client, make_item, patient_other, nurse
):
    item = make_item()
    client.force_login(nurse)

    response = client.post(detail_url(item), {"action": "import", "patient": patient_other.pk})

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not LabResult.objects.exists()
    assert reloaded(item).status == UnmatchedResult.Status.PENDING


def test_import_without_a_patient_asks_for_one(client, make_item, nurse):
    item = make_item(mrn="")
    client.force_login(nurse)

    response = client.post(detail_url(item), {"action": "import"})

    assert "Choose the patient, or type their MRN." in response.text
    assert not LabResult.objects.exists()


def test_an_implausible_value_shows_the_confirmation_then_is_stored(
    client, make_item, patient_a, nurse
):
    item = make_item(value="55")
    client.force_login(nurse)

    page = client.get(detail_url(item)).text
    assert "I checked with the lab: this value is right" in page
    refused = client.post(detail_url(item), {"action": "import", "patient": patient_a.pk})
    assert "not a plausible" in refused.text
    assert not LabResult.objects.exists()

    client.post(detail_url(item), {"action": "import", "patient": patient_a.pk, "confirm": "on"})
    assert LabResult.objects.get().plausibility_confirmed_by == nurse


def test_an_unmapped_code_is_chosen_and_remembered_on_the_page(client, make_item, patient_a, nurse):
    potassium = Analyte.objects.get(code="potassium")
    item = make_item(code="KAL", code_system="L", code_text="Kaliémie", value="4.1", unit="mmol/L")
    client.force_login(nurse)

    page = client.get(detail_url(item)).text
    assert "Remember this code" in page
    response = client.post(
        detail_url(item),
        {
            "action": "import",
            "patient": patient_a.pk,
            "analyte": potassium.pk,
            "remember_code": "on",
        },
        follow=True,
    )

    assert "Potassium 4.1 mmol/L stored for Alice Durand" in response.text
    assert "The code KAL will be read as Potassium from now on." in response.text
    assert CodeMapping.objects.get(code="KAL").analyte == potassium


def test_creating_the_patient_from_the_page_imports_the_result(client, make_item, nurse):
    item = make_item(mrn="DR-3001", family_name="Roux", given_name="Eva")
    client.force_login(nurse)

    response = client.post(detail_url(item), {"action": "create"}, follow=True)

    assert "Tacrolimus trough (C0) 7.1 ng/mL stored for Eva Roux" in response.text
    assert reloaded(item).patient.mrn == "DR-3001"


def test_a_refused_import_leaves_no_created_patient_behind(client, make_item, nurse):
    item = make_item(mrn="DR-3001", value="haemolysed")
    client.force_login(nurse)

    response = client.post(detail_url(item), {"action": "create"})

    assert "cannot be read as a number" in response.text
    assert not Patient.objects.filter(mrn="DR-3001").exists()


def test_creating_without_a_birth_date_says_what_to_do(client, make_item, nurse):
    item = make_item(mrn="DR-3001", date_of_birth=None)
    client.force_login(nurse)

    response = client.post(detail_url(item), {"action": "create"})

    assert "create the patient in the administration" in response.text
    assert not Patient.objects.filter(mrn="DR-3001").exists()


def test_the_other_results_for_the_mrn_are_offered_and_imported_together(
    client, make_item, patient_a, nurse
):
    item = make_item()
    make_item(code="14682-9", code_text="Creatinine", value="1.2", unit="mg/dL")
    client.force_login(nurse)

    page = client.get(detail_url(item)).text
    assert "Also import the 1 other waiting result for this MRN" in page
    response = client.post(
        detail_url(item),
        {"action": "import", "patient": patient_a.pk, "with_same_mrn": "on"},
        follow=True,
    )

    assert "Creatinine 106 µmol/L stored for Alice Durand" in response.text
    assert not UnmatchedResult.objects.pending().exists()


def test_dismissing_from_the_page_needs_a_reason(client, make_item, nurse):
    item = make_item()
    client.force_login(nurse)

    refused = client.post(detail_url(item), {"action": "dismiss", "reason": " "})
    assert refused.status_code == 200
    assert reloaded(item).status == UnmatchedResult.Status.PENDING

    response = client.post(detail_url(item), {"action": "dismiss", "reason": "Sent twice"})
    assert response.status_code == 302
    assert reloaded(item).status == UnmatchedResult.Status.DISMISSED


def test_a_handled_result_shows_who_handled_it_and_no_form(client, make_item, patient_a, nurse):
    item = make_item()
    services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    client.force_login(nurse)

    page = client.get(detail_url(item)).text

    assert "Imported" in page and "Nadia Benali" in page
    assert 'value="import"' not in page


def test_posting_to_a_handled_result_says_so_and_changes_nothing(
    client, make_item, patient_a, patient_b, nurse
):
    item = make_item()
    services.import_unmatched_result(item=item, patient=patient_a, user=nurse)
    client.force_login(nurse)

    response = client.post(
        detail_url(item), {"action": "import", "patient": patient_b.pk}, follow=True
    )

    assert "already handled (imported); nothing was stored" in response.text
    assert LabResult.objects.get().patient == patient_a

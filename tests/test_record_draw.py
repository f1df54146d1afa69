"""Recording a blood draw on one form, and the page that shows the draw back."""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import formulas, services
from monitoring.models import Analyte, LabResult, Role, Sex, UnitSystem
from tests.factories import PatientFactory, UserFactory
from tests.pages import beside

# A past morning far from any DST change; patient A (born 1990) is 35 on that day.
DRAWN = "2025-11-24T08:00"
LAST_DOSE = "2025-11-23T20:00"
FORMAT = "%Y-%m-%dT%H:%M"


class FormReader(HTMLParser):
    """What a browser submits from a page: text inputs, ticked boxes, the selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._chosen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            # A select with no option marked selected submits its first option.
            if "selected" in attrs or self._select not in self.fields:
                self.fields[self._select] = attrs.get("value") or ""
            if "selected" in attrs:
                self._chosen.add(self._select)
        elif tag == "input" and name and attrs.get("type") != "file":
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "on"
            else:
                self.fields[name] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def selected(self, name: str) -> str | None:
        """The option the page marks selected in the select `name` (None: none marked)."""
        return self.fields.get(name) if name in self._chosen else None


def read_form(page: str) -> FormReader:
    reader = FormReader()
    reader.feed(page)
    return reader


class TableReader(HTMLParser):
    """The body rows of the page's table, each as the text of its cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


FLAG = re.compile(r"\b(HH|LL|H|L)\b")


def flag_of(cell: str) -> str:
    """The flag code a flag cell shows ('▲▲ HH critical' → 'HH'); '' when not flagged."""
    found = FLAG.search(cell)
    return found.group(1) if found else ""


def draw_rows(page: str) -> dict[str, dict[str, str]]:
    """The draw page's results by test name: result, flag code, entered-as and note."""
    reader = TableReader()
    reader.feed(page)
    return {
        test: {"result": result, "flag": flag_of(flag), "entered": entered, "note": note}
        for test, result, flag, entered, note in reader.rows
    }


def draw_url(patient, drawn: str = DRAWN) -> str:
    at = timezone.make_aware(dt.datetime.strptime(drawn, FORMAT))
    return reverse("monitoring:draw_detail", args=[patient.pk, int(at.timestamp())])


def collected(drawn: str = DRAWN) -> dt.datetime:
    return timezone.make_aware(dt.datetime.strptime(drawn, FORMAT))


@pytest.fixture
def post_draw(client, nurse, patient_a):
    """Open the draw form as the nurse, fill in `fields` over what it shows, and submit."""
    client.force_login(nurse)
    url = reverse("monitoring:record_draw")

    def post(patient=None, **fields):
        data = read_form(client.get(url).text).fields
        data.update(patient=str((patient or patient_a).pk), collected_at=DRAWN)
        data.update(fields)
        return client.post(url, data)

    return post


# --- Saving a draw ---------------------------------------------------------------------------


def test_a_draw_saves_each_value_in_the_canonical_unit_and_keeps_what_was_typed(
    post_draw, patient_a
):
    response = post_draw(
        value_creatinine="106",
        value_potassium="4.2",
        value_haemoglobin="11.5",
        unit_haemoglobin="g/dL",
    )

    assert response.status_code == 302
    saved = {r.analyte.code: r for r in patient_a.results.select_related("analyte")}
    assert (saved["creatinine"].value, saved["creatinine"].unit) == (Decimal("106"), "umol/L")
    assert (saved["potassium"].value, saved["potassium"].unit) == (Decimal("4.2"), "mmol/L")
    haemoglobin = saved["haemoglobin"]
    assert (haemoglobin.value, haemoglobin.unit) == (Decimal("115"), "g/L")
    assert (haemoglobin.value_as_entered, haemoglobin.unit_as_entered) == (Decimal("11.5"), "g/dL")
    assert {r.collected_at for r in saved.values()} == {collected()}


def test_after_saving_the_nurse_lands_on_the_draw_page(post_draw, patient_a, client):
    response = post_draw(value_potassium="4.2")

    assert response["Location"] == draw_url(patient_a)
    page = client.get(response["Location"])
    assert "Saved 1 result for Alice Durand." in page.text
    assert "Blood draw of 24 Nov 2025 08:00" in page.text


def test_the_draw_page_lists_each_value_with_its_unit_and_flag(post_draw, patient_a, client):
    post_draw(
        value_creatinine="106",
        value_potassium="6.2",
        value_haemoglobin="11.5",
        unit_haemoglobin="g/dL",
        value_platelets="250",
    )

    rows = draw_rows(client.get(draw_url(patient_a)).text)

    # Alice is a woman: creatinine above 92 µmol/L is high, haemoglobin below 120 g/L low.
    assert rows["Creatinine"]["result"] == "106 µmol/L"
    assert rows["Creatinine"]["flag"] == "H"
    assert rows["Potassium"]["result"] == "6.2 mmol/L"
    assert rows["Potassium"]["flag"] == "HH"
    assert rows["Haemoglobin"]["result"] == "115 g/L"
    assert rows["Haemoglobin"]["flag"] == "L"
    assert rows["Haemoglobin"]["entered"] == "11.5 g/dL"
    assert rows["Platelets"]["result"] == "250 ×10⁹/L"
    assert rows["Platelets"]["flag"] == ""


def test_a_critically_low_potassium_is_flagged_ll(post_draw, patient_a, client):
    post_draw(value_potassium="2.5")

    rows = draw_rows(client.get(draw_url(patient_a)).text)

    assert rows["Potassium"]["flag"] == "LL"


def test_a_value_typed_in_us_units_is_shown_converted_and_as_typed(post_draw, patient_a, client):
    post_draw(value_creatinine="1.2", unit_creatinine="mg/dL")

    creatinine = patient_a.results.get(analyte__code="creatinine")
    assert creatinine.value == Decimal("106.08")
    assert (creatinine.value_as_entered, creatinine.unit_as_entered) == (Decimal("1.2"), "mg/dL")
    rows = draw_rows(client.get(draw_url(patient_a)).text)
    assert rows["Creatinine"]["result"] == "106 µmol/L"
    assert rows["Creatinine"]["entered"] == "1.2 mg/dL"


@pytest.mark.parametrize(
    ("fasting", "test_name", "flag"),
    [
        # 6.5 mmol/L is above the fasting range (< 5.6) but normal for a random glucose (≤ 7.8).
        ({"glucose_fasting": "on"}, "Glucose, fasting", "H"),
        ({}, "Glucose, random", ""),
    ],
)
def test_the_fasting_box_decides_which_glucose_is_recorded_and_its_range(
    post_draw, patient_a, client, fasting, test_name, flag
):
    post_draw(value_glucose="6.5", **fasting)

    assert patient_a.results.get().analyte.name == test_name
    rows = draw_rows(client.get(draw_url(patient_a)).text)
    assert rows[test_name] == {"result": "6.5 mmol/L", "flag": flag, "entered": "", "note": ""}


def test_every_value_on_the_draw_page_carries_its_unit(post_draw, patient_a, client):
    post_draw(
        value_tacrolimus="7.1",
        last_dose_at=LAST_DOSE,
        value_creatinine="70",
        value_glucose="5",
        value_haemoglobin="130",
        value_potassium="4.2",
        value_alt="20",
    )

    rows = draw_rows(client.get(draw_url(patient_a)).text)

    assert {test: row["result"] for test, row in rows.items()} == {
        "Tacrolimus trough (C0)": "7.1 ng/mL",
        "Creatinine": "70 µmol/L",
        "eGFR (CKD-EPI 2021)": "100 mL/min/1.73 m²",
        "Glucose, random": "5 mmol/L",
        "Haemoglobin": "130 g/L",
        "ALT": "20 U/L",
        "Potassium": "4.2 mmol/L",
    }


def test_a_trough_of_16_in_the_draw_raises_an_urgent_alert_listed_on_the_draw_page(
    post_draw, patient_a, client
):
    post_draw(value_tacrolimus="16", last_dose_at=LAST_DOSE, value_potassium="4.2")

    trough = patient_a.results.get(analyte__code="tacrolimus")
    assert trough.last_dose_at == collected(LAST_DOSE)
    page = client.get(draw_url(patient_a)).text
    assert "Alerts raised" in page
    assert "Urgent" in page
    assert "Tacrolimus trough 16 ng/mL is above 15 ng/mL: risk of toxicity" in page
    assert patient_a.alerts.get().result == trough


def test_a_draw_without_alerts_shows_no_alert_section(post_draw, patient_a, client):
    post_draw(value_tacrolimus="7", last_dose_at=LAST_DOSE)

    assert "Alerts raised" not in client.get(draw_url(patient_a)).text


# --- Units offered -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "creatinine", "haemoglobin", "glucose"),
    [
        (UnitSystem.SI, "umol/L", "g/L", "mmol/L"),
        (UnitSystem.US, "mg/dL", "g/dL", "mg/dL"),
    ],
)
def test_the_form_offers_the_units_of_the_clinics_system_first(
    client, nurse, clinic, system, creatinine, haemoglobin, glucose
):
    clinic.unit_system = system
    clinic.save()
    client.force_login(nurse)

    form = read_form(client.get(reverse("monitoring:record_draw")).text)

    assert form.selected("unit_creatinine") == creatinine
    assert form.selected("unit_haemoglobin") == haemoglobin
    assert form.selected("unit_glucose") == glucose
    assert form.selected("unit_tacrolimus") == "ng/mL"


def test_the_units_follow_the_clinic_of_the_patient_chosen(client, patient_a, other_clinic):
    # A nurse working in two clinics opens the form from a patient of the US-unit clinic.
    other_clinic.unit_system = UnitSystem.US
    other_clinic.save()
    us_patient = PatientFactory(clinic=other_clinic)
    both = UserFactory(role=Role.NURSE, clinics=[patient_a.clinic, other_clinic])
    client.force_login(both)

    form = read_form(client.get(reverse("monitoring:record_draw"), {"patient": us_patient.pk}).text)

    assert form.selected("patient") == str(us_patient.pk)
    assert form.selected("unit_creatinine") == "mg/dL"


def test_a_value_entered_in_the_us_default_unit_is_converted(client, nurse, clinic, patient_a):
    clinic.unit_system = UnitSystem.US
    clinic.save()
    client.force_login(nurse)
    url = reverse("monitoring:record_draw")
    data = read_form(client.get(url).text).fields
    data.update(patient=str(patient_a.pk), collected_at=DRAWN, value_glucose="126")
    data["glucose_fasting"] = "on"

    client.post(url, data)

    glucose = patient_a.results.get()
    assert (glucose.value, glucose.unit) == (Decimal("7"), "mmol/L")
    assert (glucose.value_as_entered, glucose.unit_as_entered) == (Decimal("126"), "mg/dL")


# --- Bad input: a message beside the field, and nothing saved ----------------------------------


def test_an_implausible_creatinine_asks_for_a_confirmation_and_saves_nothing(post_draw, db):
    response = post_draw(value_creatinine="8000", value_potassium="4.2")

    assert response.status_code == 200
    row = beside(response.text, "value_creatinine")
    assert "8000 µmol/L is not a plausible Creatinine value" in row
    assert "up to 2500 µmol/L" in row
    assert 'name="confirm_creatinine"' in row
    assert "I have checked: this value is right" in row
    assert LabResult.objects.count() == 0


def test_a_confirmed_implausible_value_is_saved_with_who_confirmed_it(
    post_draw, patient_a, nurse, client
):
    post_draw(value_creatinine="8000", value_potassium="4.2")

    response = post_draw(value_creatinine="8000", value_potassium="4.2", confirm_creatinine="on")

    assert response.status_code == 302
    creatinine = patient_a.results.get(analyte__code="creatinine")
    assert creatinine.value == Decimal("8000")
    assert creatinine.plausibility_confirmed_by == nurse
    assert creatinine.plausibility_confirmed_at is not None
    assert patient_a.results.get(analyte__code="potassium").plausibility_confirmed_by is None
    rows = draw_rows(client.get(response["Location"]).text)
    assert "Unusual value confirmed by Nadia Benali" in rows["Creatinine"]["note"]


def test_an_implausible_trough_in_the_draw_needs_a_confirmation_too(post_draw, db):
    response = post_draw(value_tacrolimus="70", last_dose_at=LAST_DOSE)

    row = beside(response.text, "value_tacrolimus")
    assert "70 ng/mL is not a plausible" in row
    assert "up to 40 ng/mL" in row
    assert 'name="confirm_tacrolimus"' in row
    assert LabResult.objects.count() == 0


def test_a_unit_that_is_not_one_of_the_analytes_is_refused_naming_the_allowed_units(post_draw, db):
    response = post_draw(value_creatinine="106", unit_creatinine="ng/mL")

    assert response.status_code == 200
    assert "ng/mL is not a unit for creatinine; use µmol/L, mg/dL." in beside(
        response.text, "value_creatinine"
    )
    assert LabResult.objects.count() == 0


def test_an_impossible_date_is_refused(post_draw, db):
    response = post_draw(collected_at="2026-02-30T08:00", value_potassium="4.2")

    assert "Enter a real date and time." in beside(response.text, "collected_at")
    assert LabResult.objects.count() == 0


def test_a_draw_time_in_the_future_is_refused(post_draw, db):
    tomorrow = timezone.localdate() + dt.timedelta(days=2)

    response = post_draw(collected_at=f"{tomorrow:%Y-%m-%d}T08:00", value_potassium="4.2")

    assert "The draw time is in the future." in beside(response.text, "collected_at")
    assert LabResult.objects.count() == 0


def test_a_draw_time_before_the_patients_birth_is_refused(post_draw, db):
    response = post_draw(collected_at="1989-01-10T08:00", value_potassium="4.2")

    assert "The draw time is before the patient's birth." in beside(response.text, "collected_at")
    assert LabResult.objects.count() == 0


def test_a_tacrolimus_level_without_the_last_dose_time_is_refused(post_draw, db):
    response = post_draw(value_tacrolimus="7.1", value_potassium="4.2")

    assert "Enter when the last tacrolimus dose before the draw was taken." in beside(
        response.text, "last_dose_at"
    )
    assert LabResult.objects.count() == 0


def test_a_last_dose_after_the_draw_is_refused(post_draw, db):
    response = post_draw(value_tacrolimus="7.1", last_dose_at="2025-11-24T09:00")

    assert "The last dose is after the draw time." in beside(response.text, "last_dose_at")
    assert LabResult.objects.count() == 0


def test_a_duplicate_is_refused_with_a_link_to_the_result_already_recorded(
    post_draw, patient_a, nurse
):
    existing, _ = services.record_result(
        patient=patient_a,
        analyte=Analyte.objects.get(code="creatinine"),
        value=Decimal("106"),
        collected_at=collected(),
        entered_by=nurse,
    )

    response = post_draw(value_creatinine="110", value_potassium="4.2")

    row = beside(response.text, "value_creatinine")
    assert "Creatinine at this sample time is already recorded (106 µmol/L" in row
    history = reverse("monitoring:result_history", args=[existing.pk])
    assert f'<a href="{history}">See the result already recorded</a>' in row
    assert list(LabResult.objects.all()) == [existing]


def test_a_draw_with_no_value_asks_for_one(post_draw, db):
    response = post_draw()

    assert response.status_code == 200
    assert "Enter at least one value." in response.text
    assert LabResult.objects.count() == 0


def test_an_unreadable_value_is_refused_beside_its_field(post_draw, db):
    response = post_draw(value_potassium="4,2,1", value_creatinine="106")

    assert "“4,2,1” cannot be read as a number." in beside(response.text, "value_potassium")
    assert LabResult.objects.count() == 0


def test_the_values_typed_are_kept_when_the_form_comes_back_with_an_error(post_draw, db):
    response = post_draw(value_creatinine="8000", value_potassium="4.2", unit_haemoglobin="g/dL")

    form = read_form(response.text)
    assert form.fields["value_creatinine"] == "8000"
    assert form.fields["value_potassium"] == "4.2"
    assert form.selected("unit_haemoglobin") == "g/dL"


# --- Derived values --------------------------------------------------------------------------


def test_creatinine_without_egfr_gives_a_calculated_egfr_shown_as_calculated(
    post_draw, clinic, client
):
    # Born 1970-05-01: 55 on the day of the draw. 106.08 µmol/L is 1.2 mg/dL.
    patient = PatientFactory(clinic=clinic, sex=Sex.MALE, date_of_birth=dt.date(1970, 5, 1))

    post_draw(patient=patient, value_creatinine="106.08")

    creatinine = patient.results.get(analyte__code="creatinine")
    egfr = patient.results.get(analyte__code="egfr")
    assert egfr.value == Decimal("71")
    assert egfr.value == formulas.egfr_ckd_epi_2021(
        creatinine_umol_l=Decimal("106.08"), age_years=55, sex=Sex.MALE
    )
    assert egfr.derived_method == "CKD-EPI 2021 (creatinine)"
    assert egfr.derived_from == creatinine
    assert egfr.collected_at == creatinine.collected_at
    row = draw_rows(client.get(draw_url(patient)).text)["eGFR (CKD-EPI 2021)"]
    assert row["result"] == "71 mL/min/1.73 m²"
    assert row["note"] == "Calculated: CKD-EPI 2021 (creatinine)"


def test_egfr_is_not_typed_on_the_draw_form(client, nurse):
    client.force_login(nurse)

    form = read_form(client.get(reverse("monitoring:record_draw")).text)

    assert "value_creatinine" in form.fields
    assert "value_egfr" not in form.fields


# --- The draw page -----------------------------------------------------------------------------


def test_a_draw_page_with_no_results_at_that_time_is_not_found(client, nurse, patient_a):
    client.force_login(nurse)

    assert client.get(draw_url(patient_a)).status_code == 404


def test_a_result_entered_in_error_leaves_the_draw_page(post_draw, patient_a, nurse, client):
    post_draw(value_potassium="6.2", value_haemoglobin="130")
    potassium = patient_a.results.get(analyte__code="potassium")
    services.mark_result_entered_in_error(result=potassium, user=nurse, reason="haemolysed")

    rows = draw_rows(client.get(draw_url(patient_a)).text)

    assert set(rows) == {"Haemoglobin"}


# --- The single-trough form: confirmable and impossible values --------------------------------


@pytest.fixture
def post_trough(client, nurse, patient_a):
    client.force_login(nurse)
    url = reverse("monitoring:record_trough", args=[patient_a.pk])

    def post(value, **fields):
        data = {"value": value, "collected_at": DRAWN, "last_dose_at": LAST_DOSE}
        return client.post(url, {**data, **fields})

    return post


def test_a_trough_of_70_needs_a_confirmation_before_it_is_saved(post_trough, db):
    response = post_trough("70")

    assert response.status_code == 200
    field = beside(response.text, "value")
    assert "70 ng/mL is not a plausible" in field
    assert "up to 40 ng/mL" in field
    assert 'name="confirm"' in response.text
    assert LabResult.objects.count() == 0


def test_a_confirmed_trough_of_70_is_saved_with_who_confirmed_it(post_trough, patient_a, nurse):
    response = post_trough("70", confirm="on")

    assert response.status_code == 302
    trough = patient_a.results.get()
    assert trough.value == Decimal("70")
    assert trough.plausibility_confirmed_by == nurse


def test_a_trough_of_150_is_refused_even_when_confirmed(post_trough, db):
    response = post_trough("150", confirm="on")

    assert response.status_code == 200
    assert "150 ng/mL is above the plausible maximum of 100 ng/mL." in beside(
        response.text, "value"
    )
    assert LabResult.objects.count() == 0

"""The services that write the clinical record: what they store, refuse and audit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from monitoring import formulas, services
from monitoring.models import (
    Analyte,
    AnalyteUnit,
    ClinicalEntry,
    Formulation,
    LabResult,
    Medication,
    Regimen,
    ReproductiveStatus,
    Sex,
    Symptom,
    Vaccination,
    Weight,
)
from tests.factories import PatientFactory

DRAWN = timezone.make_aware(dt.datetime(2025, 11, 24, 8, 0))
TODAY = dt.date(2025, 11, 24)


def analyte(code: str) -> Analyte:
    return Analyte.objects.get(code=code)


def unit(code: str, unit_code: str) -> AnalyteUnit:
    return AnalyteUnit.objects.get(analyte__code=code, code=unit_code)


def value(code: str, number: str, unit_code: str | None = None, **extra) -> services.PanelValue:
    found = analyte(code)
    return services.PanelValue(
        analyte=found,
        value=Decimal(number),
        unit=unit(code, unit_code or found.unit),
        **extra,
    )


@pytest.fixture
def record_panel(nurse, patient_a):
    def record(*values, patient=None, **kwargs):
        return services.record_panel(
            patient=patient or patient_a,
            collected_at=DRAWN,
            values=list(values),
            entered_by=nurse,
            **kwargs,
        )

    return record


@pytest.fixture
def man_of_55(clinic):
    """Born 1970-05-01: 55 years old on the draw day."""
    return PatientFactory(clinic=clinic, sex=Sex.MALE, date_of_birth=dt.date(1970, 5, 1))


# --- A blood draw -----------------------------------------------------------------------------


def test_a_panel_stores_every_value_in_its_canonical_unit_and_as_entered(record_panel):
    results, _alerts = record_panel(
        value("haemoglobin", "11.5", "g/dL"), value("glucose-fasting", "126", "mg/dL")
    )

    stored = {r.analyte.code: r for r in results}
    assert (stored["haemoglobin"].value, stored["haemoglobin"].unit) == (Decimal("115"), "g/L")
    assert stored["haemoglobin"].entered_display == "11.5 g/dL"
    assert (stored["glucose-fasting"].value, stored["glucose-fasting"].unit) == (
        Decimal("7"),
        "mmol/L",
    )
    assert stored["glucose-fasting"].value_display == "7.0 mmol/L"


def test_a_panel_is_saved_whole_or_not_at_all(record_panel, patient_a, nurse):
    services.record_result(
        patient=patient_a,
        analyte=analyte("potassium"),
        value=Decimal("4.0"),
        collected_at=DRAWN,
        entered_by=nurse,
    )

    with pytest.raises(services.PanelError) as error:
        record_panel(value("creatinine", "70"), value("potassium", "4.2"), value("alt", "20"))

    assert set(error.value.message_dict) == {"potassium"}
    assert error.value.duplicates["potassium"].value == Decimal("4.0")
    assert LabResult.objects.count() == 1


def test_an_implausible_value_in_a_panel_is_named_and_nothing_is_saved(record_panel):
    with pytest.raises(services.PanelError) as error:
        record_panel(value("creatinine", "8000"), value("potassium", "4.2"))

    assert error.value.implausible == {"creatinine"}
    message = error.value.message_dict["creatinine"][0]
    assert "8000 µmol/L is not a plausible Creatinine value" in message
    assert LabResult.objects.count() == 0


def test_a_confirmed_implausible_value_records_who_confirmed_it(record_panel, nurse):
    results, _ = record_panel(value("creatinine", "8000", confirmed_implausible=True))

    creatinine = next(r for r in results if r.analyte.code == "creatinine")
    assert creatinine.plausibility_confirmed_by == nurse


def test_the_egfr_derived_from_a_confirmed_value_is_not_marked_as_confirmed(record_panel):
    results, _ = record_panel(value("creatinine", "8000", confirmed_implausible=True))

    egfr = next(r for r in results if r.analyte.code == "egfr")
    assert egfr.derived_method == "CKD-EPI 2021 (creatinine)"
    assert egfr.plausibility_confirmed_by is None


def test_an_empty_panel_is_refused(record_panel):
    with pytest.raises(ValidationError) as error:
        record_panel()

    assert error.value.messages == ["Enter at least one value."]


def test_the_labs_own_reference_range_decides_the_flag(patient_a, nurse):
    def creatinine_100(at, **lab_range):
        results, _ = services.record_panel(
            patient=patient_a,
            collected_at=at,
            values=[value("creatinine", "100", **lab_range)],
            entered_by=nurse,
        )
        return results[0]

    # 100 µmol/L is high for a woman by the default range (52–92), not by this lab's 45–110.
    assert creatinine_100(DRAWN).flag == "H"
    lab = creatinine_100(
        DRAWN + dt.timedelta(days=1), reference_low=Decimal("45"), reference_high=Decimal("110")
    )
    assert lab.flag == ""


def test_a_labs_range_in_us_units_is_stored_converted(record_panel):
    results, _ = record_panel(
        value(
            "creatinine",
            "1.2",
            "mg/dL",
            reference_low=Decimal("0.5"),
            reference_high=Decimal("1.0"),
        )
    )

    creatinine = results[0]
    assert (creatinine.reference_low, creatinine.reference_high) == (
        Decimal("44.2"),
        Decimal("88.4"),
    )
    assert creatinine.flag == "H"


def test_a_trough_in_a_panel_keeps_its_last_dose_and_raises_its_alert(record_panel, patient_a):
    last_dose = DRAWN - dt.timedelta(hours=12)

    results, alerts = record_panel(
        value("tacrolimus", "16"), value("potassium", "4.2"), last_dose_at=last_dose
    )

    stored = {r.analyte.code: r for r in results}
    assert stored["tacrolimus"].last_dose_at == last_dose
    assert stored["potassium"].last_dose_at is None
    assert [a.rule_code for a in alerts] == ["trough-urgent-high"]


# --- Derived eGFR -----------------------------------------------------------------------------


def test_creatinine_without_egfr_derives_egfr_by_ckd_epi_2021(record_panel, man_of_55):
    results, _ = record_panel(value("creatinine", "106.08"), patient=man_of_55)

    stored = {r.analyte.code: r for r in results}
    egfr = stored["egfr"]
    assert egfr.value == Decimal("71")
    assert egfr.value == formulas.egfr_ckd_epi_2021(
        creatinine_umol_l=Decimal("106.08"), age_years=55, sex="M"
    )
    assert egfr.derived_method == "CKD-EPI 2021 (creatinine)"
    assert egfr.derived_from == stored["creatinine"]
    assert egfr.unit == "mL/min/{1.73_m2}"


def test_egfr_is_derived_from_creatinine_typed_in_mg_dl(record_panel, man_of_55):
    results, _ = record_panel(value("creatinine", "1.2", "mg/dL"), patient=man_of_55)

    assert next(r for r in results if r.analyte.code == "egfr").value == Decimal("71")


def test_an_egfr_from_the_lab_is_kept_and_none_is_derived(record_panel, man_of_55):
    record_panel(value("creatinine", "106.08"), value("egfr", "68"), patient=man_of_55)

    egfr = man_of_55.results.get(analyte__code="egfr")
    assert egfr.value == Decimal("68")
    assert egfr.derived_method == ""
    assert egfr.derived_from is None


def test_no_egfr_is_derived_for_a_patient_under_18(record_panel, clinic):
    teenager = PatientFactory(clinic=clinic, date_of_birth=dt.date(2010, 1, 1))

    record_panel(value("creatinine", "60"), patient=teenager)

    assert not teenager.results.filter(analyte__code="egfr").exists()


def test_no_egfr_is_derived_without_creatinine(record_panel, patient_a):
    record_panel(value("potassium", "4.2"))

    assert not patient_a.results.filter(analyte__code="egfr").exists()


# --- Regimens ---------------------------------------------------------------------------------


@pytest.fixture
def start(patient_a, doctor, nurse):
    def start_regimen(product="Prograf", strength="0.5", morning="2", evening="2", **kwargs):
        return services.start_regimen(
            patient=patient_a,
            product=product,
            strength_mg=Decimal(strength),
            morning_dose_mg=Decimal(morning),
            evening_dose_mg=Decimal(evening) if evening else None,
            started_on=kwargs.pop("started_on", TODAY),
            reason=kwargs.pop("reason", "induction"),
            prescriber=doctor,
            entered_by=nurse,
        )

    return start_regimen


def test_an_immediate_release_regimen_is_twice_daily(start):
    regimen = start(product="Prograf", morning="2", evening="1.5")

    assert regimen.formulation == Formulation.IMMEDIATE_RELEASE
    assert regimen.daily_dose_mg == Decimal("3.5")
    assert regimen.schedule_display == "2 mg morning + 1.5 mg evening"


def test_an_immediate_release_regimen_without_an_evening_dose_is_refused(start):
    with pytest.raises(ValidationError) as error:
        start(product="Prograf", evening=None)

    assert error.value.message_dict["evening_dose_mg"] == [
        "Prograf is taken twice daily: enter the evening dose."
    ]
    assert Regimen.objects.count() == 0


def test_an_extended_release_regimen_with_an_evening_dose_is_refused(start):
    with pytest.raises(ValidationError) as error:
        start(product="Advagraf", morning="3", evening="1")

    assert error.value.message_dict["evening_dose_mg"] == [
        "Advagraf is taken once daily: leave the evening dose empty."
    ]
    assert Regimen.objects.count() == 0


def test_an_extended_release_regimen_is_once_daily(start):
    regimen = start(product="Advagraf", strength="1", morning="4", evening=None)

    assert regimen.formulation == Formulation.EXTENDED_RELEASE
    assert regimen.schedule_display == "4 mg once daily"


def test_a_strength_the_product_does_not_come_in_is_refused(start):
    with pytest.raises(ValidationError) as error:
        start(product="Prograf", strength="2")

    assert error.value.message_dict["strength_mg"] == ["Prograf comes in 0.5 mg, 1 mg, 5 mg."]


def test_a_dose_the_capsules_cannot_make_is_refused(start):
    with pytest.raises(ValidationError) as error:
        start(product="Prograf", strength="0.5", morning="0.3", evening="0.5")

    assert error.value.message_dict["morning_dose_mg"] == [
        "0.3 mg cannot be made from Prograf 0.5, 1, 5 mg units."
    ]
    assert Regimen.objects.count() == 0


@pytest.mark.parametrize("dose", ["0.75", "1", "1.75", "4", "5"])
def test_an_envarsus_dose_made_of_its_tablets_is_accepted(start, dose):
    # Envarsus comes in 0.75, 1 and 4 mg: 1.75 mg is 0.75 + 1, 5 mg is 4 + 1.
    regimen = start(product="Envarsus", strength="1", morning=dose, evening=None)

    assert regimen.morning_dose_mg == Decimal(dose)


@pytest.mark.parametrize("dose", ["0.5", "1.25"])
def test_an_envarsus_dose_no_tablets_add_up_to_is_refused(start, dose):
    with pytest.raises(ValidationError) as error:
        start(product="Envarsus", strength="1", morning=dose, evening=None)

    assert "cannot be made from Envarsus 0.75, 1, 4 mg units" in error.value.messages[0]


def test_a_new_regimen_ends_the_current_one_on_its_start_day(start):
    first = start(started_on=TODAY - dt.timedelta(days=30))

    second = start(morning="1.5", evening="1.5", started_on=TODAY, reason="trough 9.2 ng/mL")

    first.refresh_from_db()
    assert first.ended_on == TODAY
    assert list(Regimen.objects.current(TODAY)) == [second]
    assert second.is_formulation_switch is False
    assert first.history.first().history_change_reason == "Replaced: trough 9.2 ng/mL"


def test_a_switch_from_immediate_to_extended_release_is_marked(start):
    start(product="Prograf", started_on=TODAY - dt.timedelta(days=30))

    switched = start(product="Advagraf", strength="1", morning="3", evening=None)

    assert switched.is_formulation_switch is True


def test_an_unknown_product_is_refused(start):
    with pytest.raises(ValidationError) as error:
        start(product="Tacrolimus 2000")

    assert error.value.message_dict["product"] == ["Choose a product from the list."]


# --- Weights ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kg", ["24.9", "250.1", "700"])
def test_a_weight_outside_25_to_250_kg_is_refused(patient_a, nurse, kg):
    with pytest.raises(ValidationError) as error:
        services.record_weight(
            patient=patient_a, weight_kg=Decimal(kg), measured_on=TODAY, entered_by=nurse
        )

    assert "is not a plausible adult weight (25–250 kg)" in error.value.message_dict["weight_kg"][0]
    assert Weight.objects.count() == 0


@pytest.mark.parametrize("kg", ["25", "72.5", "250"])
def test_a_weight_from_25_to_250_kg_is_recorded(patient_a, nurse, kg):
    weight = services.record_weight(
        patient=patient_a, weight_kg=Decimal(kg), measured_on=TODAY, entered_by=nurse
    )

    assert weight.weight_kg == Decimal(kg)
    assert weight.history.get().history_user == nurse


def test_a_weight_in_the_future_is_refused(patient_a, nurse):
    with pytest.raises(ValidationError) as error:
        services.record_weight(
            patient=patient_a,
            weight_kg=Decimal("70"),
            measured_on=timezone.localdate() + dt.timedelta(days=1),
            entered_by=nurse,
        )

    assert error.value.message_dict["measured_on"] == ["The date is in the future."]
    assert Weight.objects.count() == 0


# --- ECGs -------------------------------------------------------------------------------------


def record_ecg(patient, user, **rate):
    return services.record_ecg(
        patient=patient, recorded_at=DRAWN, qt_ms=400, entered_by=user, **rate
    )


def test_qtc_is_fridericia_and_bazett_is_kept_beside_it(patient_a, nurse):
    ecg = record_ecg(patient_a, nurse, heart_rate_bpm=90)

    assert (ecg.qtc_ms, ecg.qtc_bazett_ms) == (458, 490)
    assert ecg.qtc_method == "fridericia"
    assert str(ecg) == "QTc 458 ms (Fridericia)"


def test_qtc_can_be_computed_from_the_rr_interval(patient_a, nurse):
    ecg = record_ecg(patient_a, nurse, rr_ms=800)

    assert (ecg.qtc_ms, ecg.qtc_bazett_ms) == (431, 447)


@pytest.mark.parametrize("rate", [{}, {"heart_rate_bpm": 90, "rr_ms": 800}])
def test_an_ecg_needs_exactly_one_of_heart_rate_or_rr(patient_a, nurse, rate):
    with pytest.raises(ValidationError):
        record_ecg(patient_a, nurse, **rate)

    assert not patient_a.ecgs.exists()


def test_an_ecg_in_the_future_is_refused(patient_a, nurse):
    with pytest.raises(ValidationError) as error:
        services.record_ecg(
            patient=patient_a,
            recorded_at=timezone.now() + dt.timedelta(days=1),
            qt_ms=400,
            heart_rate_bpm=70,
            entered_by=nurse,
        )

    assert error.value.message_dict["recorded_at"] == ["The ECG time is in the future."]


# --- Medicines --------------------------------------------------------------------------------


def record_medication(patient, user, name):
    return services.record_medication(patient=patient, name=name, started_on=TODAY, entered_by=user)


def test_a_medicine_named_by_its_brand_is_matched_to_its_interacting_ingredient(patient_a, nurse):
    medication = record_medication(patient_a, nurse, "Vfend 200 mg")

    assert [f.ingredient.code for f in medication.findings.all()] == ["voriconazole"]
    assert medication.findings.get().history.get().history_user == nurse


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("rifampicine", "rifampicin"),
        ("millepertuis", "st-johns-wort"),
        ("St John's wort", "st-johns-wort"),
    ],
)
def test_french_and_english_names_find_their_interaction(patient_a, nurse, name, code):
    medication = record_medication(patient_a, nurse, name)

    assert [i.code for i in medication.interacting_ingredients.all()] == [code]


def test_a_medicine_without_interaction_has_no_finding(patient_a, nurse):
    medication = record_medication(patient_a, nurse, "paracetamol 1 g")

    assert not medication.findings.exists()


def test_stopping_a_medicine_sets_its_stop_date(patient_a, nurse):
    medication = record_medication(patient_a, nurse, "Vfend 200 mg")

    services.stop_medication(medication=medication, stopped_on=TODAY + dt.timedelta(1), user=nurse)

    medication.refresh_from_db()
    assert medication.stopped_on == TODAY + dt.timedelta(1)
    assert not medication.is_current(on=TODAY + dt.timedelta(1))
    assert medication.history.first().history_change_reason == "Stopped"


def test_a_medicine_cannot_stop_before_it_started(patient_a, nurse):
    medication = record_medication(patient_a, nurse, "Vfend 200 mg")

    with pytest.raises(ValidationError):
        services.stop_medication(
            medication=medication, stopped_on=TODAY - dt.timedelta(1), user=nurse
        )

    assert Medication.objects.get().stopped_on is None


# --- Allergies, vaccinations, pregnancy, symptoms --------------------------------------------


def test_a_macrolide_allergy_is_a_contraindication_to_tacrolimus(patient_a, nurse):
    allergy = services.record_allergy(
        patient=patient_a, substance="clarithromycine", entered_by=nurse
    )

    assert allergy.allergy_class == "macrolide"
    assert allergy.is_contraindication is True


def test_a_penicillin_allergy_is_not_a_contraindication(patient_a, nurse):
    allergy = services.record_allergy(patient=patient_a, substance="penicillin", entered_by=nurse)

    assert allergy.is_contraindication is False


@pytest.mark.parametrize(
    ("name", "is_live"),
    [("Stamaril", True), ("Shingrix", False), ("grippe intranasale", True), ("grippe", False)],
)
def test_a_vaccination_knows_whether_the_vaccine_is_live(patient_a, nurse, name, is_live):
    vaccination = services.record_vaccination(
        patient=patient_a, name=name, state=Vaccination.State.PLANNED, date=TODAY, entered_by=nurse
    )

    assert vaccination.is_live is is_live
    assert vaccination.vaccine is not None


def test_a_vaccine_not_in_the_catalogue_is_recorded_as_typed_and_not_live(patient_a, nurse):
    vaccination = services.record_vaccination(
        patient=patient_a,
        name="Vaccin X",
        state=Vaccination.State.GIVEN,
        date=TODAY,
        entered_by=nurse,
    )

    assert (vaccination.vaccine, vaccination.name, vaccination.is_live) == (None, "Vaccin X", False)


def test_a_vaccination_given_in_the_future_is_refused(patient_a, nurse):
    with pytest.raises(ValidationError) as error:
        services.record_vaccination(
            patient=patient_a,
            name="Shingrix",
            state=Vaccination.State.GIVEN,
            date=timezone.localdate() + dt.timedelta(days=3),
            entered_by=nurse,
        )

    assert error.value.message_dict["date"] == ["A vaccination given cannot be in the future."]


def test_a_pregnancy_is_recorded_for_a_female_patient(patient_a, nurse):
    status = services.record_reproductive_status(
        patient=patient_a, kind="pregnant", started_on=TODAY, entered_by=nurse
    )

    assert str(status) == f"Pregnant from {TODAY}"


def test_a_pregnancy_is_refused_for_a_male_patient(clinic, nurse):
    man = PatientFactory(clinic=clinic, sex=Sex.MALE)

    with pytest.raises(ValidationError) as error:
        services.record_reproductive_status(
            patient=man, kind="pregnant", started_on=TODAY, entered_by=nurse
        )

    assert error.value.messages == ["Pregnancy and breastfeeding apply to female patients only."]
    assert ReproductiveStatus.objects.count() == 0


def test_an_other_symptom_needs_a_description(patient_a, nurse):
    with pytest.raises(ValidationError) as error:
        services.record_symptom(
            patient=patient_a, kind="other", severity="mild", started_on=TODAY, entered_by=nurse
        )

    assert error.value.message_dict["other_text"] == ["Describe the symptom."]
    assert Symptom.objects.count() == 0


def test_a_described_other_symptom_is_shown_by_its_description(patient_a, nurse):
    symptom = services.record_symptom(
        patient=patient_a,
        kind="other",
        other_text="hair loss",
        severity="mild",
        started_on=TODAY,
        entered_by=nurse,
    )

    assert str(symptom) == "hair loss"


def test_a_tremor_counts_as_neurotoxicity(patient_a):
    symptom = services.record_symptom(
        patient=patient_a,
        kind="tremor",
        severity="moderate",
        started_on=TODAY,
        entered_by=patient_a.user,
    )

    assert symptom.is_neurotoxicity
    assert symptom.entered_by == patient_a.user


# --- Entered in error -------------------------------------------------------------------------


@pytest.fixture
def weight(patient_a, nurse):
    return services.record_weight(
        patient=patient_a, weight_kg=Decimal("72"), measured_on=TODAY, entered_by=nurse
    )


def test_an_entry_marked_entered_in_error_is_kept_with_the_reason_and_who(weight, doctor):
    services.mark_entry_entered_in_error(entry=weight, user=doctor, reason=" wrong patient ")

    weight.refresh_from_db()
    assert weight.status == ClinicalEntry.Status.ENTERED_IN_ERROR
    assert list(Weight.objects.valid()) == []
    last = weight.history.first()
    assert last.history_change_reason == "Entered in error: wrong patient"
    assert last.history_user == doctor


def test_an_entry_needs_a_reason_to_be_marked_entered_in_error(weight, nurse):
    with pytest.raises(ValidationError) as error:
        services.mark_entry_entered_in_error(entry=weight, user=nurse, reason="  ")

    assert error.value.message_dict["reason"] == ["Give the reason the entry is wrong."]
    weight.refresh_from_db()
    assert weight.status == ClinicalEntry.Status.ACTIVE


def test_an_entry_cannot_be_marked_entered_in_error_twice(weight, nurse):
    services.mark_entry_entered_in_error(entry=weight, user=nurse, reason="typo")

    with pytest.raises(ValidationError) as error:
        services.mark_entry_entered_in_error(entry=weight, user=nurse, reason="again")

    assert error.value.messages == ["This entry is already marked entered in error."]
    assert weight.history.count() == 2

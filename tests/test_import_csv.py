"""CSV import of lab results (issue #6): `manage.py import_results FILE --format csv`."""

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from monitoring import services
from monitoring.imports import csv_results
from monitoring.models import Alert, LabResult, Severity

YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
HEADER = "mrn,loinc,value,unit,collected_at,last_dose_at,comment\n"


@pytest.fixture
def run_import(tmp_path, clinic, nurse):
    """Import `text` as a file; returns (stdout, stderr). Raises CommandError on refusal."""

    def run(text, *extra, encoding="utf-8", clinic_code=clinic.code, user=nurse.username):
        path = tmp_path / "results.csv"
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        out, err = StringIO(), StringIO()
        try:
            call_command(
                "import_results",
                str(path),
                "--format=csv",
                f"--clinic={clinic_code}",
                f"--user={user}",
                *extra,
                stdout=out,
                stderr=err,
            )
        finally:
            run.stderr = err.getvalue()
        return out.getvalue(), err.getvalue()

    return run


def trough_row(mrn="DR-1001", value="7.1", at="08:00", unit="ng/mL"):
    return f"{mrn},77348-1,{value},{unit},{YESTERDAY}T{at},{YESTERDAY}T{at[:1]}0:00,\n"


def test_a_file_with_a_bom_is_imported(run_import, patient_a, nurse):
    out, _err = run_import(HEADER + trough_row(), encoding="utf-8-sig")

    [result] = LabResult.objects.all()
    assert (result.patient, result.analyte.code, result.value) == (
        patient_a,
        "tacrolimus",
        Decimal("7.1"),
    )
    assert result.entered_by == nurse
    assert result.history.count() == 1  # audited as the nurse's form audits
    assert "Saved 1 results" in out


def test_semicolons_and_comma_decimals_are_read(run_import, patient_a):
    text = (
        "MRN;Code;Value;Unit;Collected_At;Comment\n"
        f"DR-1001;tacrolimus;7,4;µg/L;{YESTERDAY} 08:00;lab Lyon\n"
        f"DR-1001;4544-3;0,38;L/L;{YESTERDAY} 08:00;\n"
    )
    run_import(text)

    saved = {r.analyte.code: r for r in LabResult.objects.all()}
    assert saved["tacrolimus"].value == Decimal("7.4")
    assert saved["tacrolimus"].comment == "lab Lyon"
    assert "haematocrit" in saved


def test_naive_times_are_in_the_clinic_time_zone(run_import, patient_a):
    run_import(HEADER + trough_row(at="08:00"))

    result = LabResult.objects.get()
    assert timezone.localtime(result.collected_at).hour == 8


def test_us_units_are_converted_to_the_canonical_unit(run_import, patient_a):
    run_import(HEADER + f"DR-1001,14682-9,1.2,MG/DL,{YESTERDAY}T08:00,,\n")

    result = LabResult.objects.get(analyte__code="creatinine")
    assert (result.value, result.unit) == (Decimal("106.08"), "umol/L")
    assert (result.value_as_entered, result.unit_as_entered) == (Decimal("1.2"), "mg/dL")


def test_the_mass_loinc_of_creatinine_is_read_and_egfr_is_derived_as_in_the_form(
    run_import, patient_a, nurse
):
    # 2160-0 is creatinine in mg/dL (clinical-reference.md §1.1), mapped to our analyte.
    out, _err = run_import(HEADER + f"DR-1001,2160-0,1.2,mg/dL,{YESTERDAY}T08:00,,\n")

    creatinine = LabResult.objects.get(analyte__code="creatinine")
    assert creatinine.value == Decimal("106.08")
    egfr = LabResult.objects.get(analyte__code="egfr")
    assert egfr.derived_from == creatinine
    assert egfr.collected_at == creatinine.collected_at
    assert egfr.derived_method
    assert "Saved 2 results" in out


def test_egfr_is_not_derived_when_the_lab_sent_its_own(run_import, patient_a):
    run_import(
        HEADER
        + f"DR-1001,14682-9,106,umol/L,{YESTERDAY}T08:00,,\n"
        + f"DR-1001,egfr,58,mL/min/{{1.73_m2}},{YESTERDAY}T08:00,,\n"
    )

    [egfr] = LabResult.objects.filter(analyte__code="egfr")
    assert egfr.value == Decimal("58")
    assert not egfr.derived_method


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_saved(run_import, patient_a):
    text = (
        HEADER
        + trough_row()  # line 2 is fine
        + trough_row(mrn="NOPE", at="09:00")
        + f"DR-1001,99999-9,7.1,ng/mL,{YESTERDAY}T10:00,,\n"
        + trough_row(value="7.1.2", at="11:00")
        + trough_row(unit="mg/dL", at="12:00")
        + "DR-1001,77348-1,7.1,ng/mL,24/11/2026 08:00,,\n"
        + "DR-1001,77348-1,7.1,ng/mL,2999-01-01T08:00,,\n"
        + f"DR-1001,77348-1,7.1,ng/mL,{YESTERDAY}T13:00,{YESTERDAY}T14:00,\n"
        + trough_row(value="70", at="15:00")
    )
    with pytest.raises(CommandError, match="Nothing was saved: 8 problem"):
        run_import(text)

    errors = run_import.stderr
    assert "Line 3: no patient with MRN “NOPE” in Demo Rheumatology." in errors
    assert "Line 4: unknown LOINC or analyte code “99999-9”." in errors
    assert "Line 5: “7.1.2” cannot be read as a number" in errors
    assert "Line 6: the unit “mg/dL” is not accepted for Tacrolimus trough (C0); use one of: " in (
        errors
    )
    assert all(label in errors for label in ("ng/mL", "µg/L", "nmol/L"))
    assert "Line 7: the sample time “24/11/2026 08:00” is not an ISO 8601 date" in errors
    assert "Line 8: the sample time is in the future." in errors
    assert "Line 9: the last dose is after the sample time." in errors
    assert "Line 10: 70 ng/mL is not a plausible Tacrolimus trough (C0) value" in errors
    assert "Line 2" not in errors
    assert not LabResult.objects.exists()


def test_a_result_already_recorded_is_refused(run_import, patient_a, record_trough):
    at = timezone.make_aware(dt.datetime.fromisoformat(f"{YESTERDAY}T08:00"))
    record_trough(patient_a, "7.0", at=at)

    with pytest.raises(CommandError):
        run_import(HEADER + trough_row(at="08:00") + trough_row(at="09:00"))

    assert "Line 2: Tacrolimus trough (C0) at this sample time is already recorded (7" in (
        run_import.stderr
    )
    assert LabResult.objects.count() == 1


def test_the_same_result_twice_in_a_file_is_refused(run_import, patient_a):
    with pytest.raises(CommandError):
        run_import(HEADER + trough_row() + trough_row(value="7.5"))

    assert "Line 3: the same result as line 2" in run_import.stderr
    assert not LabResult.objects.exists()


def test_a_dry_run_lists_what_would_be_saved_and_saves_nothing(run_import, patient_a, patient_b):
    text = HEADER + trough_row() + f"DR-1002,creatinine,1.2,mg/dL,{YESTERDAY}T09:30,,\n"

    out, _err = run_import(text, "--dry-run")

    assert f"DR-1001  Tacrolimus trough (C0)  7.1 ng/mL  {YESTERDAY} 08:00" in out
    assert f"DR-1002  Creatinine  106 µmol/L (1.2 mg/dL)  {YESTERDAY} 09:30" in out
    assert "Dry run: 2 results would be saved; nothing was saved." in out
    assert not LabResult.objects.exists()
    assert not Alert.objects.exists()


def test_alerts_are_raised_exactly_as_from_the_form(run_import, patient_a, patient_b, tacrolimus):
    at = timezone.make_aware(dt.datetime.fromisoformat(f"{YESTERDAY}T08:00"))
    services.record_result(
        patient=patient_b,
        analyte=tacrolimus,
        value=Decimal("16"),
        collected_at=at,
        last_dose_at=at - dt.timedelta(hours=12),
        entered_by=patient_a.clinic.staff.get(username="nurse"),
    )

    run_import(HEADER + trough_row(value="16"))

    def raised(patient):
        return sorted((a.rule_code, a.severity) for a in patient.alerts.all())

    assert ("trough-urgent-high", Severity.URGENT) in raised(patient_a)
    assert raised(patient_a) == raised(patient_b)


def test_an_unknown_clinic_is_refused(run_import, patient_a):
    with pytest.raises(CommandError, match="Unknown clinic “nowhere”"):
        run_import(HEADER + trough_row(), clinic_code="nowhere")


def test_an_unknown_user_is_refused(run_import, patient_a):
    with pytest.raises(CommandError, match="Unknown user “ghost”"):
        run_import(HEADER + trough_row(), user="ghost")


def test_a_nurse_of_another_clinic_is_refused(run_import, patient_a, nurse_other):
    with pytest.raises(CommandError, match="nurse2 is not a nurse or doctor of Demo Rheumatology"):
        run_import(HEADER + trough_row(), user=nurse_other.username)

    assert not LabResult.objects.exists()


def test_a_patient_is_refused_as_importer(run_import, patient_a):
    with pytest.raises(CommandError, match="alice is not a nurse or doctor"):
        run_import(HEADER + trough_row(), user="alice")


def test_a_patient_of_another_clinic_is_unknown(run_import, patient_a, patient_other):
    with pytest.raises(CommandError):
        run_import(HEADER + trough_row(mrn="LY-2001"))

    assert "no patient with MRN “LY-2001”" in run_import.stderr


def test_the_service_refuses_a_nurse_of_another_clinic(patient_a, nurse, nurse_other):
    rows = csv_results.validate_rows(
        csv_results.read_csv((HEADER + trough_row()).encode()), clinic=patient_a.clinic
    )

    report = services.import_results(rows=rows, entered_by=nurse_other)

    assert not report.is_saved
    assert "Line 2: nurse2 does not work in the clinic of patient DR-1001." in report.errors
    assert not LabResult.objects.exists()


def test_the_service_rolls_back_every_row_when_one_fails(patient_a, nurse, record_trough):
    rows = csv_results.validate_rows(
        csv_results.read_csv((HEADER + trough_row(at="08:00") + trough_row(at="09:00")).encode()),
        clinic=patient_a.clinic,
    )
    # Recorded between the check and the write (another nurse, at the same moment).
    record_trough(patient_a, "7.0", at=rows[1].collected_at)

    report = services.import_results(rows=rows, entered_by=nurse)

    [error] = report.errors
    assert error.startswith("Line 3: Tacrolimus trough (C0) at this sample time is already")
    assert LabResult.objects.count() == 1


def test_a_file_too_large_is_refused(run_import, patient_a):
    padding = "x" * 490  # a comment long enough for 5 MB in about 10,700 rows
    rows = "".join(trough_row().replace("\n", f"{padding}\n") for _ in range(10_700))

    with pytest.raises(CommandError, match="Nothing was saved"):
        run_import(HEADER + rows)

    assert "The file is larger than 5 MB: split it into smaller files." in run_import.stderr


def test_a_file_with_too_many_rows_is_refused(run_import, patient_a, monkeypatch):
    monkeypatch.setattr(csv_results, "MAX_ROWS", 2)

    with pytest.raises(CommandError):
        run_import(HEADER + "".join(trough_row(at=f"0{h}:00") for h in range(3, 6)))

    assert "The file has more than 2 rows" in run_import.stderr


def test_a_missing_column_is_named(run_import, patient_a):
    with pytest.raises(CommandError):
        run_import("mrn,loinc,value,collected_at\nDR-1001,77348-1,7.1,2026-01-01T08:00\n")

    assert "The header row lacks the column(s) unit." in run_import.stderr


def test_a_file_that_is_not_utf8_is_refused(run_import, patient_a):
    with pytest.raises(CommandError):
        run_import((HEADER + trough_row().replace("\n", "Lyon é\n")).encode("latin-1"))

    assert "not UTF-8" in run_import.stderr


def test_a_dry_run_shows_a_converted_value_at_the_precision_it_will_be_shown(run_import, patient_a):
    # 6.1 mg/dL × 59.48 = 362.828 µmol/L, shown as 363 µmol/L once saved (whole µmol/L).
    out, _err = run_import(HEADER + f"DR-1001,3084-1,6.1,mg/dL,{YESTERDAY}T08:00,,\n", "--dry-run")

    assert "363 µmol/L (6.1 mg/dL)" in out
    assert "362.828" not in out


def test_an_import_leaves_the_same_results_alerts_and_history_as_entering_each_row(
    patient_a, nurse
):
    # Rows out of time order, whose rules read each other: a creatinine rise over a baseline
    # (KDIGO), a trough above target answered by a later normal one, then a low one.
    def day(n, hour):
        return (timezone.localdate() - dt.timedelta(days=n)).isoformat() + f"T{hour}"

    text = HEADER + "".join(
        f"DR-1001,{code},{value},{unit},{at},,\n"
        for code, value, unit, at in [
            ("2160-0", "70", "umol/L", day(6, "08:00")),
            ("77348-1", "16", "ng/mL", day(5, "08:00")),
            ("2160-0", "120", "umol/L", day(3, "08:00")),
            ("2160-0", "75", "umol/L", day(8, "08:00")),
            ("77348-1", "7.1", "ng/mL", day(2, "08:00")),
            ("2823-3", "6.8", "mmol/L", day(2, "08:00")),
            ("77348-1", "3", "ng/mL", day(1, "08:00")),
            ("2160-0", "200", "umol/L", day(1, "08:00")),
        ]
    )

    def rows():
        return csv_results.validate_rows(
            csv_results.read_csv(text.encode()), clinic=patient_a.clinic
        )

    def saved():
        results = sorted(
            (
                r.analyte.code,
                r.value,
                r.collected_at,
                r.derived_method,
                r.history.get().history_user,
            )
            for r in LabResult.objects.all()
        )
        alerts = sorted(
            (
                a.rule_code,
                # "trough:<pk>": PostgreSQL does not give back the ids of a rolled-back run.
                re.sub(r":\d+$", ":<pk>", a.subject),
                a.status,
                a.severity,
                a.occurrences,
                a.message,
                a.first_value_display,
                a.value_display,
                a.resolution,
                a.result.collected_at if a.result else None,
                a.history.count(),
            )
            for a in Alert.objects.all()
        )
        return results, alerts

    with transaction.atomic():
        report = services.import_results(rows=rows(), entered_by=nurse)
        imported = saved()
        transaction.set_rollback(True)
    # The import as it was first written: every row through record_result, in file order.
    entered = []
    for row in rows():
        result, _alerts = services.record_result(
            patient=row.patient,
            analyte=row.analyte,
            value=row.value,
            unit=row.unit,
            collected_at=row.collected_at,
            entered_by=nurse,
            run_record_rules=False,
        )
        entered.append(result)
    services.derive_egfr_for_samples(results=entered, entered_by=nurse)
    services.evaluate_record(patient=patient_a, user=nurse)

    assert report.is_saved
    assert len(imported[0]) == 8 + 4  # and an eGFR from each creatinine
    assert {alert[0] for alert in imported[1]} >= {"kdigo-aki", "trough-urgent-high"}
    assert any(alert[8].startswith("Resolved by a later result") for alert in imported[1])
    assert imported == saved()

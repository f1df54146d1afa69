"""Whatever is typed or sent, the entry forms and the CSV importer either save exactly what was
meant or refuse it with a message and write nothing: never a server error (hypothesis)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitoring import services
from monitoring.imports import csv_results
from monitoring.models import LabResult, Medication, Weight

# Few examples, no deadline: the suite stays fast on a small machine. The fixtures (clinic,
# nurse, patient) do not change between examples: each example rolls its own writes back.
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What people and spreadsheets really send.
NASTY = [
    "NaN", "nan", "-NaN", "sNaN", "inf", "-inf", "Infinity", "1e309", "1E3", "5e-1",
    "5,3", "5,3,1", "5.3.1", "1 000", "1,000.5", "1_000", "0x1F", "-0", "+5", "-5", ".5", "5.",
    "\x00", "7\x00", "7" * 5000, "\u202e7.1", "7.1\u202e", "7.1\n", "\n", "\r\n7", "", "  ",
    "٣", "٣.٥", "½", "⁵", "7.1 ng/mL", "<2.0", "７,５",
]  # fmt: skip
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


def rolled_back(check):
    """Run `check` in a transaction that is rolled back: every example starts from the same
    database (the requests of the test client run in this thread, inside it)."""
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def typed(value: Decimal, mark: str) -> str:
    return f"{value:f}".replace(".", mark)


def local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


SAMPLE_AT = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)


# --- The trough form, through the test client ------------------------------------------------


def post_trough(client, patient, **data):
    form = {
        "value": "6.0",
        "collected_at": local(SAMPLE_AT),
        "last_dose_at": local(SAMPLE_AT - dt.timedelta(hours=12)),
        "comment": "",
        **data,
    }
    return client.post(reverse("monitoring:record_trough", args=[patient.pk]), form)


@PROPERTY
@given(value=TEXT, comment=TEXT, collected_at=TEXT)
@example(value="1e309", comment="", collected_at=local(SAMPLE_AT))
@example(value="5,3", comment="\x00", collected_at=local(SAMPLE_AT))
@example(value="6.1", comment="\u202eevil\nline", collected_at="2026-02-30T08:00")
def test_the_trough_form_saves_or_explains_whatever_is_typed(
    client, nurse, patient_a, tacrolimus, value, comment, collected_at
):
    def check():
        client.force_login(nurse)
        response = post_trough(
            client, patient_a, value=value, comment=comment, collected_at=collected_at
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert not LabResult.objects.exists()
        else:
            result = LabResult.objects.get()
            assert Decimal("0") < result.value <= Decimal("100")
            assert result.history.count() == 1

    rolled_back(check)


@PROPERTY
@given(
    value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
    mark=st.sampled_from([".", ","]),
    comment=st.text(max_size=100).filter(lambda t: "\x00" not in t),
)
def test_a_trough_typed_in_range_is_saved_as_typed(
    client, nurse, patient_a, tacrolimus, value, mark, comment
):
    def check():
        client.force_login(nurse)
        # Confirmed, so values outside the plausible range are saved too.
        response = post_trough(
            client, patient_a, value=typed(value, mark), comment=comment, confirm="on"
        )
        assert response.status_code == 302, response.context["form"].errors
        result = LabResult.objects.get()
        assert (result.value, result.value_as_entered, result.unit) == (value, value, "ng/mL")
        assert result.comment == comment.strip()
        assert result.collected_at == SAMPLE_AT

    rolled_back(check)


# --- The record entry forms, through the test client -----------------------------------------


def post_entry(client, patient, kind, data):
    return client.post(reverse("monitoring:record_entry", args=[patient.pk, kind]), data)


@PROPERTY
@given(weight=TEXT, measured_on=st.one_of(TEXT, st.dates().map(str)))
def test_the_weight_form_saves_or_explains_whatever_is_typed(
    client, nurse, patient_a, weight, measured_on
):
    def check():
        client.force_login(nurse)
        response = post_entry(
            client, patient_a, "weight", {"weight_kg": weight, "measured_on": measured_on}
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert not Weight.objects.exists()
        else:
            saved = Weight.objects.get()
            assert Decimal("25") <= saved.weight_kg <= Decimal("250")

    rolled_back(check)


@PROPERTY
@given(
    weight=st.decimals(min_value=Decimal("25"), max_value=Decimal("250"), places=1),
    mark=st.sampled_from([".", ","]),
    days_ago=st.integers(min_value=0, max_value=3650),
)
def test_a_plausible_weight_is_saved_as_typed(client, nurse, patient_a, weight, mark, days_ago):
    measured_on = timezone.localdate() - dt.timedelta(days=days_ago)

    def check():
        client.force_login(nurse)
        response = post_entry(
            client,
            patient_a,
            "weight",
            {"weight_kg": typed(weight, mark), "measured_on": measured_on.isoformat()},
        )
        assert response.status_code == 302, response.context["form"].errors
        saved = Weight.objects.get()
        assert (saved.weight_kg, saved.measured_on) == (weight, measured_on)

    rolled_back(check)


@PROPERTY
@given(name=TEXT, dose=TEXT, started_on=st.one_of(TEXT, st.dates().map(str)))
@example(name="Vfend 200 mg", dose="200 mg x2\x00", started_on="2026-01-01")
@example(name="\u202eclarithromycin", dose="", started_on="2026-01-01")
def test_the_medicine_form_saves_or_explains_whatever_is_typed(
    client, nurse, patient_a, name, dose, started_on
):
    def check():
        client.force_login(nurse)
        response = post_entry(
            client, patient_a, "medication", {"name": name, "dose": dose, "started_on": started_on}
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert not Medication.objects.exists()
        else:
            saved = Medication.objects.get()
            assert (saved.name, saved.dose) == (name.strip(), dose.strip())

    rolled_back(check)


# --- The blood-draw panel, through the test client -------------------------------------------


@PROPERTY
@given(trough=TEXT, creatinine=TEXT, unit=st.sampled_from(["umol/L", "mg/dL", "mmol/L", "x"]))
# A number too long for exact unit conversion once raised decimal.InvalidOperation (a 500).
@example(trough="NaN", creatinine="7" * 5000, unit="umol/L")
def test_the_draw_form_saves_or_explains_whatever_is_typed(
    client, nurse, patient_a, trough, creatinine, unit
):
    def check():
        client.force_login(nurse)
        response = client.post(
            reverse("monitoring:record_draw"),
            {
                "patient": patient_a.pk,
                "collected_at": local(SAMPLE_AT),
                "last_dose_at": local(SAMPLE_AT - dt.timedelta(hours=12)),
                "value_tacrolimus": trough,
                "unit_tacrolimus": "ng/mL",
                "value_creatinine": creatinine,
                "unit_creatinine": unit,
            },
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert not LabResult.objects.exists()
        else:
            assert LabResult.objects.exists()

    rolled_back(check)


# --- The CSV importer ------------------------------------------------------------------------


def csv_bytes(rows, delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["mrn", "loinc", "value", "unit", "collected_at", "last_dose_at", "comment"])
    writer.writerows(rows)
    return out.getvalue().encode()


def import_file(data, clinic, nurse):
    """The command's three steps. Returns the report, or the ImportFileError."""
    try:
        rows = csv_results.validate_rows(csv_results.read_csv(data), clinic=clinic)
    except csv_results.ImportFileError as error:
        return error
    return services.import_results(rows=rows, entered_by=nurse)


@PROPERTY
@given(data=st.binary(max_size=400))
# A NUL byte once reached PostgreSQL, which refuses it in any text (a crash, not a message).
@example(data=b"mrn,loinc,value,unit,collected_at\nDR-1001\x00,77348-1,7,ng/mL,2026-01-01T08:00\n")
@example(data=b"\xef\xbb\xbfmrn;loinc;value;unit;collected_at\n\n\n")
def test_any_bytes_are_imported_or_refused_with_reasons(clinic, nurse, patient_a, data):
    def check():
        outcome = import_file(data, clinic, nurse)
        if isinstance(outcome, csv_results.ImportFileError):
            assert outcome.errors and all(isinstance(e, str) and e for e in outcome.errors)
            assert not LabResult.objects.exists()

    rolled_back(check)


CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=20))


@PROPERTY
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.just("DR-1001"), CELL),
            st.one_of(st.sampled_from(["77348-1", "tacrolimus", "2160-0"]), CELL),
            CELL,
            st.one_of(st.sampled_from(["ng/mL", "µg/L", "umol/L", "mg/dL"]), CELL),
            st.one_of(st.just(local(SAMPLE_AT)), CELL),
            st.one_of(st.just(""), st.just(local(SAMPLE_AT - dt.timedelta(hours=12))), CELL),
            CELL,
        ),
        min_size=1,
        max_size=4,
    ),
    delimiter=st.sampled_from([",", ";"]),
)
def test_any_cells_are_imported_or_refused_with_reasons(clinic, nurse, patient_a, rows, delimiter):
    def check():
        outcome = import_file(csv_bytes(rows, delimiter), clinic, nurse)
        if isinstance(outcome, csv_results.ImportFileError):
            assert outcome.errors
            assert not LabResult.objects.exists()
        else:
            assert outcome.is_saved
            assert LabResult.objects.count() == len(rows)

    rolled_back(check)


@PROPERTY
@given(
    values=st.lists(
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal("40"), places=2),
        min_size=1,
        max_size=6,
    ),
    french=st.booleans(),
    comment=st.text(max_size=60).filter(lambda t: "\x00" not in t),
)
def test_valid_troughs_in_a_file_are_saved_as_written(
    clinic, nurse, patient_a, values, french, comment
):
    rows = [
        [
            "DR-1001",
            "77348-1",
            typed(value, "," if french else "."),
            "ng/mL",
            local(SAMPLE_AT - dt.timedelta(hours=hour)),
            local(SAMPLE_AT - dt.timedelta(hours=hour + 12)),
            comment,
        ]
        for hour, value in enumerate(values)
    ]

    def check():
        report = import_file(csv_bytes(rows, ";" if french else ","), clinic, nurse)
        assert not isinstance(report, csv_results.ImportFileError), report.errors
        saved = LabResult.objects.order_by("-collected_at")
        assert [r.value for r in saved] == values
        assert {r.comment for r in saved} == {comment.strip()}

    rolled_back(check)


pytestmark = pytest.mark.django_db

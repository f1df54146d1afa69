"""Reading HL7 v2 messages with python-hl7 (issue #6): fields, escapes, times, batches."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from monitoring.hl7.parse import Hl7ReadError, parse_hl7_time, parse_message, split_messages
from monitoring.models import InboundMessage, LabResult
from monitoring.services.hl7 import reference_range
from tests import hl7 as samples


def test_the_header_patient_and_orders_are_read():
    message = parse_message(samples.PANEL_V23)

    assert message.header.control_id == "LAB-0002"
    assert message.header.message_type == "ORU^R01"
    assert message.header.version == "2.3"
    assert message.patient.identifiers[0].mrn == "DR-1001"
    assert message.patient.identifiers[0].authority == "demo-rheum"
    assert [len(order.observations) for order in message.orders] == [2, 2]
    censored = message.orders[1].observations[0]
    assert (censored.value_type, censored.value, censored.units) == ("SN", "<2.0", "ug/L")


def test_escape_sequences_are_decoded_including_utf8_hex():
    raw = (
        samples.trough("E-1", "7.1", "F")
        + "\rNTE|1||A \\T\\ B \\F\\ C \\S\\ D \\R\\ E \\E\\ F\\.br\\caf\\XC3A9\\"
    )

    observation = parse_message(raw).orders[0].observations[0]

    assert observation.comments == ["A & B | C ^ D ~ E \\ F\ncafé"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20261120083000+0100", dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC)),
        ("202611200830", dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC)),  # Paris, winter
    ],
)
def test_hl7_times_are_read_with_their_offset_or_in_the_local_zone(text, expected):
    assert parse_hl7_time(text) == expected


def test_a_date_without_time_is_not_a_sample_time():
    with pytest.raises(ValueError):
        parse_hl7_time("20261120")


def test_an_unsupported_message_type_is_refused_with_msh_9():
    with pytest.raises(Hl7ReadError) as error:
        parse_message(samples.TROUGH_HIGH.replace("ORU^R01^ORU_R01", "ORM^O01"))

    assert (error.value.problem.location.field, error.value.problem.code) == (9, "200")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5-5.1", (Decimal("3.5"), Decimal("5.1"))),
        ("<5.0", (None, Decimal("5.0"))),
        (">60", (Decimal("60"), None)),
        ("negative", (None, None)),
    ],
)
def test_reference_ranges_are_read(text, expected):
    assert reference_range(text) == expected


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_a_batch_file_is_split_into_messages_whatever_its_line_ends(newline):
    batch = "FHS|^~\\&|LIS\rBHS|^~\\&|LIS\r" + samples.TROUGH_HIGH + "\r" + samples.PANEL_V23
    batch += "\rBTS|2\rFTS|1"

    messages = split_messages(batch.replace("\r", newline))

    assert [parse_message(m).header.control_id for m in messages] == ["LAB-0001", "LAB-0002"]


def test_import_results_reads_a_batch_file_and_fails_when_a_message_has_errors(
    lab, patient_a, tmp_path
):
    path = tmp_path / "batch.hl7"
    path.write_text(samples.TROUGH_HIGH + "\n" + samples.PANEL_V23 + "\n")
    out = io.StringIO()

    with pytest.raises(CommandError, match="2 messages: 1 accepted, 1 with errors"):
        call_command("import_results", str(path), "--format", "hl7", "--user", "lab", stdout=out)

    assert "LAB-0001 AA: 1 stored or updated" in out.getvalue()
    assert "LAB-0002 AE: 3 stored or updated" in out.getvalue()
    # Four results sent, and the eGFR derived from the creatinine of the panel.
    assert LabResult.objects.exclude(analyte__code="egfr").count() == 4
    assert LabResult.objects.filter(analyte__code="egfr", derived_method__gt="").count() == 1
    assert set(InboundMessage.objects.values_list("transport", flat=True)) == {"file"}


def test_import_results_of_accepted_messages_succeeds(lab, patient_a, tmp_path):
    path = tmp_path / "one.hl7"
    path.write_text(samples.TROUGH_HIGH)
    out = io.StringIO()

    call_command("import_results", str(path), "--format", "hl7", "--user", "lab", stdout=out)

    assert "1 messages: 1 accepted" in out.getvalue()


def test_csv_imports_still_need_a_clinic(lab, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("mrn,loinc,value,unit,collected_at\n")

    with pytest.raises(CommandError, match="--clinic is required"):
        call_command("import_results", str(path), "--format", "csv", "--user", "lab")

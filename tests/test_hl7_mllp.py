"""The MLLP listener over a real socket (issue #6): one ACK per message, several connections."""

import asyncio
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hl7.mllp import open_hl7_connection

from monitoring import services
from monitoring.hl7.mllp import Listener, run_in_thread
from monitoring.models import Analyte, InboundMessage, LabResult
from tests import hl7 as samples

# Committed data, so the listener's threads see it; serialized_rollback puts back the
# catalogues the data migrations loaded (analytes, code mappings), which a flush empties.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module", autouse=True)
def _catalogue_back_after_the_last_flush(django_db_setup, django_db_blocker):
    """Each transactional test ends with a flush, which also empties the catalogues; the
    tests run after these (and the next run, with --reuse-db) need them back."""
    yield
    with django_db_blocker.unblock():
        if not Analyte.objects.exists():
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.fixture
def listener(lab):
    def receive(raw):
        return services.receive_hl7_message(raw=raw, transport="mllp", user=lab).ack

    server = Listener(receive=receive, port=0)
    thread = run_in_thread(server)
    yield server
    server.stop()
    thread.join(10)


async def _exchange(port, blocks: list[bytes]) -> list[str]:
    """Send raw MLLP frames on one connection; return the MSA line of each ACK."""
    reader, writer = await open_hl7_connection("127.0.0.1", port, encoding="utf-8")
    answers = []
    try:
        for block in blocks:
            writer.write(block)
            await writer.drain()
            if block.startswith(b"\x0b"):
                ack = await asyncio.wait_for(reader.readmessage(), 10)
                answers.append(str(ack.segment("MSA")))
    finally:
        writer.close()
        await writer.wait_closed()
    return answers


def frame(text: str) -> bytes:
    return b"\x0b" + text.encode() + b"\x1c\x0d"


def test_a_good_a_bad_and_a_duplicate_message_each_get_their_ack(listener, patient_a):
    answers = asyncio.run(
        _exchange(
            listener.port,
            [frame(samples.TROUGH_HIGH), frame("garbage"), frame(samples.TROUGH_HIGH)],
        )
    )

    assert answers[0].startswith("MSA|AA|LAB-0001|")
    assert answers[1].startswith("MSA|AR||")
    assert answers[2].startswith("MSA|AA|LAB-0001|Duplicate of message received at")
    assert LabResult.objects.count() == 1
    assert InboundMessage.objects.count() == 2


def test_bad_framing_does_not_stop_the_listener(listener, patient_a):
    answers = asyncio.run(
        _exchange(listener.port, [b"no start byte\x1c\x0d", frame(samples.TROUGH_HIGH)])
    )

    assert [a[:7] for a in answers] == ["MSA|AA|"]


def test_two_connections_at_once_are_both_answered(listener, patient_a):
    async def both():
        return await asyncio.gather(
            _exchange(listener.port, [frame(samples.trough("C-1", "7.1", "F"))]),
            _exchange(
                listener.port, [frame(samples.trough("C-2", "6.5", "F", at="20250117083000"))]
            ),
        )

    first, second = asyncio.run(both())

    assert first[0].startswith("MSA|AA|C-1|")
    assert second[0].startswith("MSA|AA|C-2|")
    assert LabResult.objects.count() == 2


def test_the_command_refuses_an_account_that_cannot_send_results(patient_a):
    with pytest.raises(CommandError, match="not an interface, nurse or doctor"):
        call_command("hl7_listener", "--user", "alice", "--port", "0", stdout=io.StringIO())

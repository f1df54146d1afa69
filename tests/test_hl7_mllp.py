"""The MLLP listener over a real socket (issue #6): one ACK per message, several connections."""

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import CommandError, call_command
from hl7.mllp import open_hl7_connection

from monitoring import services
from monitoring.hl7.mllp import Listener, run_in_thread
from monitoring.models import InboundMessage, LabResult
from tests import hl7 as samples

# Committed data, so the listener's threads see it (tests/conftest.py puts the catalogues
# back after the flush that ends each transactional test).
pytestmark = pytest.mark.django_db(transaction=True)


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


def run(coroutine):
    """Run the client in a thread of its own: a test thread may already have an event loop
    running (Playwright's, when the browser tests ran first in it)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=60)


def frame(text: str) -> bytes:
    return b"\x0b" + text.encode() + b"\x1c\x0d"


def test_a_good_a_bad_and_a_duplicate_message_each_get_their_ack(listener, patient_a):
    answers = run(
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
    answers = run(_exchange(listener.port, [b"no start byte\x1c\x0d", frame(samples.TROUGH_HIGH)]))

    assert [a[:7] for a in answers] == ["MSA|AA|"]


def test_two_connections_at_once_are_both_answered(listener, patient_a):
    async def both():
        return await asyncio.gather(
            _exchange(listener.port, [frame(samples.trough("C-1", "7.1", "F"))]),
            _exchange(
                listener.port, [frame(samples.trough("C-2", "6.5", "F", at="20250117083000"))]
            ),
        )

    first, second = run(both())

    assert first[0].startswith("MSA|AA|C-1|")
    assert second[0].startswith("MSA|AA|C-2|")
    assert LabResult.objects.count() == 2


def test_the_command_refuses_an_account_that_cannot_send_results(patient_a):
    with pytest.raises(CommandError, match="not an interface, nurse or doctor"):
        call_command("hl7_listener", "--user", "alice", "--port", "0", stdout=io.StringIO())

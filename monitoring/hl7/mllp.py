"""The MLLP listener (HL7 v2 over TCP, framed \\x0b ... \\x1c\\x0d) on python-hl7's asyncio
server: one ACK per message, many connections at once, each message stored in a worker
thread (asyncio.to_thread) so the event loop never waits on the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from django.db import connection, connections
from hl7.mllp import InvalidBlockError, start_hl7_server

logger = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024


class Listener:
    """Serve until `stop()` (or after `max_messages` answered). `receive(raw) -> ack` runs in
    a worker thread for each message."""

    def __init__(
        self,
        *,
        receive: Callable[[str], str],
        host: str = "127.0.0.1",
        port: int = 2575,
        max_messages: int | None = None,
    ):
        self.receive = receive
        self.host = host
        self.port = port
        self.max_messages = max_messages
        self.answered = 0
        self.ready = threading.Event()
        # SQLite has one writer at a time, and its in-memory test database fails at once
        # ("table is locked") rather than waiting: messages are stored one by one there.
        self._one_at_a_time = (
            threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    async def serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await start_hl7_server(self._connection, self.host, self.port, limit=MAX_BYTES)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await self._stop.wait()

    def stop(self) -> None:
        """Stop serving; safe to call from another thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _connection(self, reader, writer) -> None:
        peer = writer.get_extra_info("peername")
        try:
            while not self._stop.is_set():
                try:
                    block = await reader.readblock()
                except InvalidBlockError:
                    # Data without the start byte: skipped up to its end; the next block
                    # may be fine.
                    logger.warning("MLLP from %s: a block without the start byte", peer)
                    continue
                except ValueError:
                    logger.warning("MLLP from %s: a message over %s bytes", peer, MAX_BYTES)
                    continue
                except (asyncio.IncompleteReadError, ConnectionError):
                    break  # the sender closed the connection
                raw = block.decode("utf-8", errors="replace")
                ack = await asyncio.to_thread(self._receive, raw)
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
                self.answered += 1
                if self.max_messages and self.answered >= self.max_messages:
                    self._stop.set()
        finally:
            writer.close()

    def _receive(self, raw: str) -> str:
        try:
            with self._one_at_a_time:
                return self.receive(raw)
        finally:
            # Worker threads outlive the listener: a connection kept open in one would leak
            # when it stops. Opening one per message costs a few milliseconds.
            connections.close_all()


def run_in_thread(listener: Listener) -> threading.Thread:
    """Start the listener in a background thread and wait until it accepts connections."""
    thread = threading.Thread(target=asyncio.run, args=(listener.serve(),), daemon=True)
    thread.start()
    listener.ready.wait(10)
    return thread

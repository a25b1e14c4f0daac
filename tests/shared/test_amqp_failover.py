"""A broker that stops answering (a node half dead, a quorum queue without a leader): a
confirmed publish gives up after its timeout instead of waiting for ever, and the connection
leaves that broker for the next of its URLs, where the same message goes through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from shared import amqp, names
from tests.services import unique

QUORUM = amqp.QueueOptions("quorum", 2)


class Freezable:
    """Forwards a local port to the machine's broker; `freeze()` stops passing the broker's
    bytes back (the socket stays open: no reset, no close), as a hung node would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.frozen = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for task in (self._copy(reader, up_writer, False), self._copy(up_reader, writer, True)):
            t = asyncio.create_task(task)
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)

    async def _copy(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, down: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                while down and self.frozen:
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def freezable(amqp_url: str) -> AsyncIterator[Freezable]:
    proxy = Freezable(5672)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.mark.integration
async def test_an_unanswered_publish_times_out_and_fails_over(
    amqp_url: str, freezable: Freezable
) -> None:
    via_proxy = amqp_url.replace("127.0.0.1:5672", f"127.0.0.1:{freezable.port}")
    connection = await amqp.connect(f"{via_proxy},{amqp_url}", QUORUM, timeout=5)
    cell = unique("failover")
    try:
        assert connection.url.port == freezable.port
        channel = await connection.channel(publisher_confirms=True)
        queue = await amqp.results_queue(channel, cell)
        exchange = await channel.get_exchange(names.RESULTS_EXCHANGE)
        await amqp.publish_confirmed(exchange, amqp.persistent(b"a", message_id="a"), cell)

        freezable.frozen = True
        with pytest.raises(TimeoutError):
            await amqp.publish_confirmed(
                exchange, amqp.persistent(b"b", message_id="b"), cell, timeout=2
            )
        for _ in range(100):  # the robust connection moves to the next URL and restores
            if connection.url.port == 5672 and not channel.is_closed:
                try:
                    await amqp.publish_confirmed(
                        exchange, amqp.persistent(b"b", message_id="b"), cell, timeout=5
                    )
                    break
                except Exception:  # noqa: BLE001 - still restoring: try again
                    pass
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"still on port {connection.url.port} after 10 s")
        got = []
        for _ in range(100):
            message = await queue.get(fail=False, no_ack=True)
            if message is not None:
                got.append(message.message_id)
            elif "b" in got:
                break
            else:
                await asyncio.sleep(0.1)
        assert got[0] == "a" and "b" in got  # "b" once, or twice if the frozen one landed
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()

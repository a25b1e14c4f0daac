"""A TCP relay that counts the bytes it carries: how a region's shovels reach a centre broker
that listens on loopback only (tests, `vigil bench wire`), and how we measure bytes on the wire."""

from __future__ import annotations

import asyncio
import contextlib


class Relay:
    """Listens on (host, port) and relays each connection to (target_host, target_port)."""

    def __init__(self, host: str, port: int, target_host: str, target_port: int) -> None:
        self.host, self.port = host, port
        self.target = (target_host, target_port)
        self.bytes_in = 0  # client -> target
        self.bytes_out = 0  # target -> client
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> Relay:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def total(self) -> int:
        return self.bytes_in + self.bytes_out

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, inbound=True),
                self._pipe(up_reader, writer, inbound=False),
            )
        except asyncio.CancelledError:
            pass  # the relay is closing: end quietly (asyncio would log a cancelled handler)
        finally:
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inbound: bool
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                if inbound:
                    self.bytes_in += len(data)
                else:
                    self.bytes_out += len(data)
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()

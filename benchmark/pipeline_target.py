"""The targets of `vigil bench pipeline`: one asyncio process serving plain HTTP and HTTPS
(a trustme certificate the executors verify fully), counting every request per test.

    python -m benchmark.pipeline_target CERT_DIR HTTP_PORT HTTPS_PORT MIX

A request for /t/{id} is one check of test `id`. What it answers is a function of the id
(benchmark.pipeline.behaviour), so the bench knows each test's expected result without
asking. GET /__counts answers {"counts": {id: n}, "first": {id: unix seconds}}.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time

from benchmark.pipeline import behaviour

counts: dict[int, int] = {}
first: dict[int, float] = {}


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, mix: str) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    path = head.split(b" ", 2)[1].decode("ascii", "replace")
    if path == "/__counts":
        body = json.dumps({"counts": counts, "first": first}).encode()
        await _reply(writer, 200, body)
        return
    test_id = int(path.rsplit("/", 1)[1]) if path.startswith("/t/") else -1
    counts[test_id] = counts.get(test_id, 0) + 1
    first.setdefault(test_id, time.time())
    status, delay = behaviour(test_id, mix)
    if status == 0:  # never answers: the check times out
        await asyncio.sleep(3600)
    await asyncio.sleep(delay)
    await _reply(writer, status, b"ok")


async def _reply(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    try:
        writer.write(head + body)
        await writer.drain()
        writer.close()
    except ConnectionError:
        pass


async def main(cert_dir: str, http_port: int, https_port: int, mix: str) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(f"{cert_dir}/server.pem")

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await _answer(r, w, mix)

    plain = await asyncio.start_server(handle, "127.0.0.1", http_port, backlog=4096)
    secure = await asyncio.start_server(handle, "127.0.0.1", https_port, ssl=tls, backlog=4096)
    async with plain, secure:
        await asyncio.gather(plain.serve_forever(), secure.serve_forever())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))

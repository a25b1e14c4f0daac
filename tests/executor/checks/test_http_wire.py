"""The HTTP check's own client on the wire: framings, encodings, limits and broken servers.

Each server here is a raw TCP listener that reads the request head and answers bytes written
by hand, so the check meets exactly the response the test names.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from executor.checks import http
from executor.checks.base import CheckContext
from executor.httpclient import Client
from shared.messages import Status, TestSpec
from tests.executor.checks.peers import tcp_listener
from tests.selfsigned import self_signed

Part = bytes | float  # bytes to send, or seconds to wait before the next part


@asynccontextmanager
async def canned(
    parts: Sequence[Part],
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A port that reads a request head, answers `parts` and closes; yields the port and the
    request heads it read."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            for part in parts:
                if isinstance(part, float):
                    await asyncio.sleep(part)
                else:
                    writer.write(part)
                    await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the check hung up first: that is its business
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1], heads


async def _check(url: str, limit: int = 65536, timeout: float = 2.0, **config: object):
    spec = TestSpec(1, "a", "local", "http", 60, timeout, {"url": url, "retries": 0, **config}, 1)
    async with Client(True) as client:
        return await http.run(spec, CheckContext(client, limit, True))


def _response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_chunked_body_is_read_whole() -> None:
    body = b"4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n"
    head = _response(b"", "Transfer-Encoding: chunked")
    async with canned([head, 0.01, body[:9], 0.01, body[9:]]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", contains="pedia in \r\n\r\nchunks.")
    assert outcome.status is Status.UP, outcome


async def test_transfer_encoding_header_alone_is_chunked() -> None:
    body = b"5\r\nhello\r\n0\r\n\r\n"
    async with canned([_response(body, "Transfer-Encoding: chunked")]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", regex="^hello$")
    assert outcome.status is Status.UP, outcome


async def test_body_without_length_ends_when_the_server_closes() -> None:
    async with canned([_response(b"first part, "), 0.05, b"and the rest"]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", contains="and the rest")
    assert outcome.status is Status.UP, outcome


async def test_an_oversized_body_is_cut_at_the_limit() -> None:
    body = b"a" * 5000 + b"NEEDLE" + b"b" * 100_000
    reply = _response(body, f"Content-Length: {len(body)}")
    async with canned([reply]) as (port, _):
        inside = await _check(f"http://127.0.0.1:{port}/", limit=6000, contains="NEEDLE")
        beyond = await _check(f"http://127.0.0.1:{port}/", limit=5003, contains="NEEDLE")
        tail = await _check(f"http://127.0.0.1:{port}/", limit=5003, regex="^a{5000}NEE$")
    assert inside.status is Status.UP, inside
    assert (beyond.status, beyond.error_kind) == (Status.DOWN, "content")
    assert tail.status is Status.UP, tail  # exactly the limit was read


async def test_gzip_and_deflate_bodies_are_decoded_before_the_assertions() -> None:
    text = b"all systems nominal " * 50
    raw_deflate = zlib.compressobj(wbits=-15)
    for coding, data in (
        ("gzip", gzip.compress(text)),
        ("deflate", zlib.compress(text)),
        ("deflate", raw_deflate.compress(text) + raw_deflate.flush()),
    ):
        reply = _response(data, f"Content-Encoding: {coding}", f"Content-Length: {len(data)}")
        async with canned([reply]) as (port, _):
            outcome = await _check(f"http://127.0.0.1:{port}/", regex="^(all systems nominal )+$")
        assert outcome.status is Status.UP, (coding, outcome)


async def test_a_compressed_body_is_cut_at_the_limit_once_decoded() -> None:
    data = gzip.compress(b"x" * 1_000_000)  # a small answer that inflates a thousandfold
    reply = _response(data, "Content-Encoding: gzip", f"Content-Length: {len(data)}")
    async with canned([reply]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", limit=1000, regex="^x{1000}$")
    assert outcome.status is Status.UP, outcome


async def test_a_body_that_does_not_decode_is_a_protocol_error() -> None:
    reply = _response(b"this is not gzip", "Content-Encoding: gzip", "Content-Length: 16")
    async with canned([reply]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/")
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "protocol"), outcome


async def test_interim_answers_are_skipped() -> None:
    reply = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        + _response(b"done", "Content-Length: 4")
    )
    async with canned([reply]) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", contains="done")
    assert (outcome.status, outcome.http_status) == (Status.UP, 200), outcome


async def test_head_and_no_content_answers_end_at_their_head() -> None:
    # A HEAD answer announces a length it does not send; the server then keeps quiet.
    async with canned([_response(b"", "Content-Length: 5000"), 5.0]) as (port, heads):
        head = await _check(f"http://127.0.0.1:{port}/", method="HEAD", timeout=1.0)
    assert head.status is Status.UP and head.latency_ms < 900, head
    assert heads[0].startswith(b"HEAD / HTTP/1.1\r\n")
    async with canned([_response(b"", status="204 No Content"), 5.0]) as (port, _):
        empty = await _check(f"http://127.0.0.1:{port}/", expected_status=[204], timeout=1.0)
    assert empty.status is Status.UP and empty.latency_ms < 900, empty


async def test_garbage_status_line_is_a_protocol_error() -> None:
    for junk in (b"SSH-2.0-OpenSSH_9.2\r\n", b"HTTP/1.1 OK 200\r\n\r\n", b"\x00\x01\x02\r\n\r\n"):
        async with canned([junk]) as (port, _):
            outcome = await _check(f"http://127.0.0.1:{port}/")
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "protocol"), junk


async def test_a_server_that_closes_mid_head_or_mid_body_is_a_protocol_error() -> None:
    cases = [
        b"HTTP/1.1 200 OK\r\nContent-Le",  # mid headers
        b"",  # closes without a word
        _response(b"only half", "Content-Length: 100"),  # mid body
        _response(b"5\r\nhello\r\n", "Transfer-Encoding: chunked"),
    ]  # no last chunk
    for reply in cases:
        async with canned([reply]) as (port, _):
            outcome = await _check(f"http://127.0.0.1:{port}/")
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "protocol"), (reply, outcome)
        assert "closed the connection" in outcome.error


async def test_a_slowloris_server_times_out_while_waiting() -> None:
    drip: list[Part] = [b"HTTP/1.1 200 OK\r\n"]
    for i in range(100):
        drip += [0.05, f"X-Drip-{i}: .\r\n".encode()]
    async with canned(drip) as (port, _):
        outcome = await _check(f"http://127.0.0.1:{port}/", timeout=0.5)
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "timeout"), outcome
    assert 500 <= outcome.latency_ms < 1500 and "while wait" in outcome.error


async def test_too_many_or_too_long_headers_are_a_protocol_error() -> None:
    many = _response(b"", *(f"X-{i}: y" for i in range(200)), "Content-Length: 0")
    long = _response(b"", "X-Long: " + "y" * 10_000, "Content-Length: 0")
    for reply in (many, long):
        async with canned([reply]) as (port, _):
            outcome = await _check(f"http://127.0.0.1:{port}/")
        assert (outcome.error_kind, outcome.error) == ("protocol", "the response head is too large")


async def test_the_request_says_who_we_are_and_that_we_close() -> None:
    async with canned([_response(b"", "Content-Length: 0")]) as (port, heads):
        await _check(
            f"http://127.0.0.1:{port}/a%20b?q=1#frag",
            method="POST",
            body="hé",
            headers={"X-Probe": "1", "user-agent": "custom"},
        )
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "POST /a%20b?q=1 HTTP/1.1"
    fields = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:] if line)}
    assert fields["host"] == f"127.0.0.1:{port}" and fields["connection"] == "close"
    assert fields["user-agent"] == "custom" and fields["x-probe"] == "1"
    assert fields["accept-encoding"] == "gzip, deflate"
    assert fields["content-length"] == "3"  # UTF-8 bytes, not characters
    assert fields["content-type"] == "text/plain; charset=utf-8"


def _self_signed(folder: Path) -> ssl.SSLContext:
    """A server context whose certificate (for 127.0.0.1) is signed by its own key."""
    cert, key, _ = self_signed(folder, "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_a_self_signed_certificate_is_a_tls_failure_unless_trust_is_off(
    tmp_path: Path,
) -> None:
    reply = _response(b"secret", "Content-Length: 6")
    async with canned([reply], tls=_self_signed(tmp_path)) as (port, _):
        refused = await _check(f"https://127.0.0.1:{port}/")
        insecure = await _check(f"https://127.0.0.1:{port}/", verify_tls=False, contains="secret")
    assert (refused.status, refused.error_kind) == (Status.DOWN, "tls"), refused
    assert "self-signed" in refused.error or "self signed" in refused.error
    assert insecure.status is Status.UP, insecure
    assert {"connect_ms", "tls_ms", "ttfb_ms"} <= set(insecure.extras)


async def test_a_peer_that_hangs_up_in_the_tls_handshake_is_a_tls_failure() -> None:
    async with tcp_listener() as port:  # accepts, then closes without a word
        outcome = await _check(f"https://127.0.0.1:{port}/")
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "tls"), outcome


async def test_a_redirect_off_the_web_or_to_garbage_is_a_protocol_error() -> None:
    for location in ("ftp://example.com/file", "http://[::1"):
        reply = _response(b"", f"Location: {location}", "Content-Length: 0", status="302 Found")
        async with canned([reply]) as (port, _):
            outcome = await _check(f"http://127.0.0.1:{port}/")
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "protocol"), outcome

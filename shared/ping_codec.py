"""The wire form of ping batches: zstd(msgpack), pings as positional arrays, as results are.

They travel on the cell's result queue beside result batches, told apart by the message type
(`shared.names.PING_BATCH_TYPE`). The decoder validates every field; a bad ping is set aside
with its reason and never sinks the batch.
"""

from __future__ import annotations

from typing import Any

import msgpack
import zstandard

from shared.codec import EARLIEST_MS, LATEST_MS, MAX_NAME, DecodeError
from shared.heartbeat import BODY_LIMIT, PING_KINDS
from shared.messages import Ping, PingBatch

FORMAT_VERSION = 1
MAX_DECOMPRESSED = 64 << 20
MAX_TEXT = 256  # rid, method, source and user agent are cut to this
_compressor = zstandard.ZstdCompressor(level=1)
_decompressor = zstandard.ZstdDecompressor()


def encode_pings(batch: PingBatch) -> bytes:
    rows = [
        [p.test_id, p.at_ms, p.kind, p.exit_status, p.rid, p.method, p.source, p.user_agent, p.body]
        for p in batch.pings
    ]
    body = {
        "v": FORMAT_VERSION,
        "id": batch.batch_id,
        "cell": batch.cell,
        "node": batch.node,
        "pings": rows,
    }
    return _compressor.compress(msgpack.packb(body, use_bin_type=True))


def decode_pings(data: bytes) -> tuple[PingBatch, list[tuple[Any, str]]]:
    """The batch with its good pings, and the bad ones with reasons; DecodeError for a bad
    envelope."""
    try:
        body = msgpack.unpackb(
            _decompressor.decompress(data, max_output_size=MAX_DECOMPRESSED), raw=False
        )
    except Exception as exc:  # zstd and msgpack raise several unrelated types
        raise DecodeError(f"not a ping batch: {exc}") from None
    if not isinstance(body, dict) or body.get("v") != FORMAT_VERSION:
        raise DecodeError("not a ping batch of a known format")
    batch_id, cell, node, rows = (body.get(k) for k in ("id", "cell", "node", "pings"))
    if not isinstance(batch_id, bytes) or len(batch_id) != 16:
        raise DecodeError("field 'id': expected 16 bytes")
    if not all(isinstance(n, str) and 0 < len(n) <= MAX_NAME for n in (cell, node)):
        raise DecodeError(f"cell and node must be 1-{MAX_NAME} characters")
    if not isinstance(rows, list):
        raise DecodeError("field 'pings': expected an array")
    good, bad = [], []
    for row in rows:
        try:
            good.append(_ping(row))
        except ValueError as exc:
            bad.append((row, str(exc)))
    return PingBatch(batch_id, str(cell), str(node), good), bad  # both checked str above


def _ping(row: Any) -> Ping:
    if not isinstance(row, list) or len(row) != 9:
        raise ValueError("ping: expected an array of 9 fields")
    test_id, at_ms, kind, exit_status, rid, method, source, agent, body = row
    if type(test_id) is not int or not 0 < test_id < 2**63:
        raise ValueError("test_id: expected a positive integer")
    if type(at_ms) is not int or not EARLIEST_MS <= at_ms <= LATEST_MS:
        raise ValueError("at_ms: expected epoch milliseconds between 2000 and 2100")
    if kind not in PING_KINDS:
        raise ValueError(f"kind: unknown {kind!r:.40}")
    if exit_status is not None and (type(exit_status) is not int or not 0 <= exit_status <= 255):
        raise ValueError("exit_status: expected 0-255 or nil")
    texts = [rid, method, source, agent]
    if not all(t is None or isinstance(t, str) for t in texts) or rid == "":
        raise ValueError("rid, method, source, user_agent: expected strings")
    if not isinstance(body, bytes):
        raise ValueError("body: expected bytes")
    rid, method, source, agent = (None if t is None else t[:MAX_TEXT] for t in texts)
    return Ping(
        test_id,
        at_ms,
        kind,
        exit_status,
        rid,
        method or "GET",
        source or "",
        agent or "",
        body[:BODY_LIMIT],
    )

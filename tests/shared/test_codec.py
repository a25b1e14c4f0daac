import msgpack
import pytest
import zstandard

from shared import codec
from shared.messages import (
    Assignment,
    Heartbeat,
    Result,
    ResultBatch,
    ResyncRequest,
    Status,
    TestSpec,
)

NOW_MS = 1_790_000_000_000


def _batch(results: list[Result]) -> ResultBatch:
    return ResultBatch(b"\x01" * 16, "a", "eu", "node-1", results)


def test_batch_round_trip_keeps_every_field() -> None:
    results = [
        Result(1, NOW_MS, Status.UP, 12.5, 200),
        Result(2, NOW_MS + 1, Status.DOWN, None, None, "refused", "connection refused"),
    ]
    decoded, rejected = codec.decode_batch(codec.encode_batch(_batch(results)))
    assert decoded == _batch(results)
    assert rejected == []


def test_compressed_batch_is_far_smaller_than_json_per_result() -> None:
    results = [Result(i, NOW_MS + i, Status.UP, 40.0 + i % 7, 200) for i in range(3000)]
    size = len(codec.encode_batch(_batch(results))) / len(results)
    assert size < 20, f"{size:.1f} bytes a result"


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"not zstd at all",
        zstandard.ZstdCompressor().compress(b"\xc1\xc1"),
        zstandard.ZstdCompressor().compress(msgpack.packb([1, 2, 3])),
        zstandard.ZstdCompressor().compress(msgpack.packb({"v": 99})),
        zstandard.ZstdCompressor().compress(msgpack.packb({"v": 1, "id": b"short", "rows": []})),
        zstandard.ZstdCompressor().compress(
            msgpack.packb(
                {"v": 1, "id": b"x" * 16, "rows": [], "cell": "a", "region": "", "node": "n"}
            )
        ),
        zstandard.ZstdCompressor().compress(
            msgpack.packb(
                {"v": 1, "id": b"x" * 16, "rows": "nope", "cell": "a", "region": "r", "node": "n"}
            )
        ),
    ],
)
def test_garbage_batches_raise_decode_error(garbage: bytes) -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode_batch(garbage)


def test_bad_rows_are_set_aside_and_good_rows_kept() -> None:
    good = [1, NOW_MS, 1, 3.0, 200, None, None]
    bad_rows = [
        [0, NOW_MS, 1, 3.0, 200, None, None],  # test id
        [1, 5, 1, 3.0, 200, None, None],  # time
        [1, NOW_MS, 7, 3.0, 200, None, None],  # status
        [1, NOW_MS, 1, -1, 200, None, None],  # latency
        [1, NOW_MS, 1, 3.0, 5000, None, None],  # http status
        [1, NOW_MS, 0, 3.0, None, "x" * 40, None],  # error kind
        [1, NOW_MS, 0, 3.0, None, None, 42],  # error
        "not a row",
        [1, 2],
    ]
    body = {
        "v": 1,
        "id": b"\x02" * 16,
        "cell": "a",
        "region": "eu",
        "node": "n",
        "rows": [good, *bad_rows],
    }
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    assert [r.test_id for r in batch.results] == [1]
    assert [row for row, _ in rejected] == bad_rows
    assert all(reason for _, reason in rejected)


def test_long_error_texts_are_truncated_not_refused() -> None:
    body = {
        "v": 1,
        "id": b"\x03" * 16,
        "cell": "a",
        "region": "eu",
        "node": "n",
        "rows": [[1, NOW_MS, 0, None, None, "timeout", "e" * 10_000]],
    }
    batch, rejected = codec.decode_batch(zstandard.ZstdCompressor().compress(msgpack.packb(body)))
    assert len(batch.results[0].error or "") == codec.MAX_ERROR and not rejected


def test_assignment_round_trip() -> None:
    spec = TestSpec(7, "a", "eu", "http", 60, 10.0, {"url": "https://example.com/"}, 3)
    msg = Assignment("a", "eu", "gen", 4, False, [spec], [8, 9])
    assert codec.decode_assignment(codec.encode_assignment(msg)) == msg


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xc1",
        msgpack.packb("string"),
        msgpack.packb({"v": 1}),
        msgpack.packb(
            {
                "v": 1,
                "cell": "a",
                "region": "eu",
                "generation": "g",
                "seq": 1,
                "full": True,
                "upserts": [{"id": "x"}],
                "removals": [],
            }
        ),
        msgpack.packb(
            {
                "v": 1,
                "cell": "a",
                "region": "eu",
                "generation": "g",
                "seq": 1,
                "full": True,
                "upserts": [],
                "removals": ["x"],
            }
        ),
    ],
)
def test_garbage_assignments_raise_decode_error(garbage: bytes) -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode_assignment(garbage)


def test_resync_round_trip_and_garbage() -> None:
    req = ResyncRequest("a", "eu", "node-1", "gap")
    assert codec.decode_resync(codec.encode_resync(req)) == req
    with pytest.raises(codec.DecodeError):
        codec.decode_resync(msgpack.packb({"cell": 1}))


# --- heartbeats ---------------------------------------------------------------------------


def _beat(**over) -> dict:
    base = {
        "v": 1,
        "region": "eu",
        "node": "n1",
        "version": "0.1.0",
        "sent": 1_790_000_000_000,
        "interval": 5.0,
        "load": 0.5,
        "held": 3,
        "backlog": 0,
        "offset": -12,
    }
    return {**base, **over}


def test_heartbeat_round_trip() -> None:
    beat = Heartbeat("eu", "n1", "0.1.0", 1_790_000_000_000, 5.0, 0.5, 3, 0, -12)
    assert codec.decode_heartbeat(codec.encode_heartbeat(beat)) == beat
    assert codec.decode_heartbeat(msgpack.packb(_beat(offset=None))).clock_offset_ms is None
    counted = Heartbeat(
        "eu", "n1", "0.1.0", 1_790_000_000_000, 5.0, 0.5, 3, 0, -12, checks=40, network_failures=40
    )
    assert codec.decode_heartbeat(codec.encode_heartbeat(counted)) == counted
    older = codec.decode_heartbeat(msgpack.packb(_beat()))  # from a node that does not count
    assert (older.checks, older.network_failures) == (None, None)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xc1garbage",
        msgpack.packb([1, 2]),
        msgpack.packb(_beat(v=2)),
        msgpack.packb(_beat(region="")),
        msgpack.packb(_beat(node=7)),
        msgpack.packb(_beat(sent=5)),
        msgpack.packb(_beat(interval=0)),
        msgpack.packb(_beat(load=-1)),
        msgpack.packb(_beat(held=-3)),
        msgpack.packb(_beat(backlog="many")),
        msgpack.packb(_beat(offset=2**50)),
        msgpack.packb(_beat(version="x" * 65)),
        msgpack.packb(_beat(held=True)),
        msgpack.packb(_beat(checks=-1)),
        msgpack.packb(_beat(checks="10")),
        msgpack.packb(_beat(checks=3, netfail=4)),
        msgpack.packb(_beat(netfail=1.5)),
    ],
)
def test_heartbeat_garbage_is_refused(body: bytes) -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode_heartbeat(body)


def test_incident_events_round_trip() -> None:
    from shared.codec import decode_event, encode_incident_event
    from shared.messages import IncidentEvent

    event = IncidentEvent(
        "opened",
        "a",
        7,
        42,
        None,
        "down",
        "failing in 2 region(s)",
        1_790_000_000_000,
        1_790_000_060_000,
        None,
    )
    assert decode_event(encode_incident_event(event)) == event


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xc1",
        msgpack.packb([1, 2]),
        msgpack.packb({"v": 99}),
        msgpack.packb({"v": 1, "kind": "exploded", "state": "down"}),
        msgpack.packb({"v": 1, "kind": "opened", "state": "down", "cell": "a", "id": "7"}),
    ],
)
def test_garbage_incident_events_raise_decode_error(body: bytes) -> None:
    from shared.codec import DecodeError, decode_event

    with pytest.raises(DecodeError):
        decode_event(body)


def test_the_regions_of_a_test_round_trip_and_are_left_out_when_single() -> None:
    spec = TestSpec(
        7, "a", "eu", "http", 60, 10.0, {"url": "https://example.com/"}, 3, regions=("eu", "us")
    )
    single = TestSpec(8, "a", "eu", "http", 60, 10.0, {"url": "https://example.com/"}, 3)
    msg = Assignment("a", "eu", "gen", 4, True, [spec, single], [])
    assert codec.decode_assignment(codec.encode_assignment(msg)) == msg
    upserts = msgpack.unpackb(codec.encode_assignment(msg))["upserts"]
    assert upserts[0]["regions"] == ["eu", "us"] and "regions" not in upserts[1]


@pytest.mark.parametrize(
    "regions", ["eu", [1], [""], ["x" * 65], [f"r{i}" for i in range(11)], {"eu": 1}]
)
def test_garbage_regions_of_a_test_are_refused(regions) -> None:
    test = {
        "id": 1,
        "kind": "http",
        "interval": 60,
        "timeout": 5,
        "config": {},
        "version": 1,
        "regions": regions,
    }
    body = msgpack.packb(
        {
            "v": 1,
            "cell": "a",
            "region": "eu",
            "generation": "g",
            "seq": 1,
            "full": True,
            "upserts": [test],
            "removals": [],
        }
    )
    with pytest.raises(codec.DecodeError):
        codec.decode_assignment(body)


def test_check_now_round_trip() -> None:
    request = codec.CheckNow("a", 7, "eu", "node-1", NOW_MS)
    assert codec.decode_check_now(codec.encode_check_now(request)) == request


@pytest.mark.parametrize(
    "body",
    [
        b"\xc1",
        msgpack.packb([1]),
        msgpack.packb({"v": 2}),
        msgpack.packb({"v": 1, "cell": "a", "test": 0, "region": "eu", "node": "n", "at": NOW_MS}),
        msgpack.packb(
            {"v": 1, "cell": "a", "test": "7", "region": "eu", "node": "n", "at": NOW_MS}
        ),
        msgpack.packb({"v": 1, "cell": "", "test": 7, "region": "eu", "node": "n", "at": NOW_MS}),
        msgpack.packb(
            {"v": 1, "cell": "a", "test": 7, "region": "eu", "node": "n" * 65, "at": NOW_MS}
        ),
        msgpack.packb({"v": 1, "cell": "a", "test": 7, "region": "eu", "node": "n", "at": 5}),
    ],
)
def test_garbage_check_now_is_refused(body: bytes) -> None:
    with pytest.raises(codec.DecodeError):
        codec.decode_check_now(body)


@pytest.mark.unit
def test_page_events_round_trip_and_garbage_is_refused() -> None:
    from dataclasses import replace

    from shared.codec import encode_page_event
    from shared.messages import PAGE_EVENT_KINDS, PageEvent

    for kind in PAGE_EVENT_KINDS:
        e = PageEvent(
            kind,
            "a",
            7,
            9 if kind.startswith("manual") else None,
            1_800_000_000_000,
            1_800_003_600_000,
        )
        assert codec.decode_event(encode_page_event(e)) == e
    good = PageEvent("manual_opened", "a", 7, 9)
    for bad in (replace(good, ref_id="7"), replace(good, starts_at_ms=1), replace(good, cell="")):
        with pytest.raises(codec.DecodeError):
            codec.decode_event(encode_page_event(bad))

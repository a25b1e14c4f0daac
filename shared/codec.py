"""Wire formats: msgpack, and zstandard around result batches.

Result batches are the hot path (thousands a second), so a result travels as a positional
array, not a map: field names would cost more than the values. Every decoder validates what
it reads and raises `DecodeError` with the reason, so a consumer can dead-letter garbage.
"""

from __future__ import annotations

import math
from typing import Any

import msgpack
import zstandard

from shared.messages import (
    CERT_DAYS,
    MAX_CERT_DAYS,
    MAX_TIMING_MS,
    PAGE_EVENT_KINDS,
    TIMING_EXTRAS,
    Assignment,
    CertEvent,
    CheckNow,
    Heartbeat,
    IncidentEvent,
    PageEvent,
    Result,
    ResultBatch,
    ResyncRequest,
    Status,
    TestSpec,
)

FORMAT_VERSION = 1
MAX_DECOMPRESSED = 64 << 20  # a batch that inflates past this is refused, not swallowed
MAX_ERROR_KIND = 32
MAX_ERROR = 2000  # error texts are truncated, not refused: the verdict still counts
MAX_NAME = 64  # region and node names
MAX_EXTRAS = 24
MAX_EXTRA_KEY = 32
MAX_EXTRA_TEXT = 200
EARLIEST_MS = 946_684_800_000  # 2000-01-01
LATEST_MS = 4_102_444_800_000  # 2100-01-01
_ZSTD_LEVEL = 3
_compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
_decompressor = zstandard.ZstdDecompressor()


class DecodeError(ValueError):
    """A message could not be decoded; the text says why."""


class RowError(ValueError):
    """One result row of an otherwise good batch is invalid."""


class ExtrasError(RowError):
    """A row's extras hold something out of range or of a wrong type; `kept` is what is
    left of them without it, so the check's result can still be stored."""

    def __init__(self, reason: str, kept: dict[str, Any] | None) -> None:
        super().__init__(reason)
        self.kept = kept


def _pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def _unpack(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise DecodeError(f"not msgpack: {exc}") from None


def _map(obj: Any, what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DecodeError(f"{what}: expected a map, got {type(obj).__name__}")
    return obj


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise DecodeError(f"field {key!r}: expected {getattr(kind, '__name__', kind)}")
    return value


# --- result batches -----------------------------------------------------------------------


def result_row(r: Result) -> list[Any]:
    row: list[Any] = [
        r.test_id,
        r.checked_at_ms,
        int(r.status),
        r.latency_ms,
        r.http_status,
        r.error_kind,
        r.error,
    ]
    if r.extras:  # an optional 8th field, so rows without extras stay as they were
        row.append(r.extras)
    return row


def encode_batch(batch: ResultBatch) -> bytes:
    body = {
        "v": FORMAT_VERSION,
        "id": batch.batch_id,
        "cell": batch.cell,
        "region": batch.region,
        "node": batch.node,
        "rows": [result_row(r) for r in batch.results],
    }
    return _compressor.compress(_pack(body))


_STATUSES = {int(s): s for s in Status}


_tuple_new = tuple.__new__  # a Result made in C: no Python frame per result


def decode_row(row: Any) -> Result:
    """Validate one positional result row; raise RowError naming what is wrong.

    The hot path: a plain row (the vast majority: an UP result, with or without extras) is
    checked with exact type tests in one expression; anything else takes the careful path
    that says what is wrong.
    """
    if type(row) is list:
        if len(row) == 8:
            test_id, checked_at, status, latency, http_status, error_kind, error, extras = row
        elif len(row) == 7:
            test_id, checked_at, status, latency, http_status, error_kind, error = row
            extras = None
        else:
            return _decode_row_carefully(row)
        verdict = _STATUSES.get(status) if type(status) is int else None
        if (
            type(test_id) is int
            and 0 < test_id < 2**63
            and type(checked_at) is int
            and EARLIEST_MS <= checked_at <= LATEST_MS
            and verdict is not None
            and (latency is None or type(latency) is float and latency >= 0.0)
            and (http_status is None or type(http_status) is int and 0 <= http_status < 1000)
            and error_kind is None
            and error is None
        ):
            return _tuple_new(
                Result,
                (
                    test_id,
                    checked_at,
                    verdict,
                    latency,
                    http_status,
                    None,
                    None,
                    None if extras is None else _extras(extras),
                ),
            )
    return _decode_row_carefully(row)


def _decode_row_carefully(row: Any) -> Result:
    if not isinstance(row, list) or len(row) not in (7, 8):
        raise RowError("row: expected an array of 7 fields (8 with extras)")
    test_id, checked_at, status, latency, http_status, error_kind, error = row[:7]
    extras = _extras(row[7]) if len(row) == 8 else None
    if not isinstance(test_id, int) or isinstance(test_id, bool) or not 0 < test_id < 2**63:
        raise RowError("test_id: expected a positive integer")
    if not isinstance(checked_at, int) or not EARLIEST_MS <= checked_at <= LATEST_MS:
        raise RowError("checked_at: expected epoch milliseconds between 2000 and 2100")
    try:
        verdict = Status(status)
    except ValueError:
        raise RowError(f"status: unknown value {status!r}") from None
    if latency is not None and (not isinstance(latency, int | float) or latency < 0):
        raise RowError("latency_ms: expected a non-negative number or nil")
    if http_status is not None and (
        not isinstance(http_status, int) or not 0 <= http_status < 1000
    ):
        raise RowError("http_status: expected 0-999 or nil")
    for name, text in (("error_kind", error_kind), ("error", error)):
        if text is not None and not isinstance(text, str):
            raise RowError(f"{name}: expected a string or nil")
    if error_kind is not None and len(error_kind) > MAX_ERROR_KIND:
        raise RowError(f"error_kind: longer than {MAX_ERROR_KIND} characters")
    return Result(
        test_id,
        checked_at,
        verdict,
        None if latency is None else float(latency),
        http_status,
        error_kind,
        None if error is None else error[:MAX_ERROR],
        extras,
    )


def _extras(extras: Any) -> dict[str, Any] | None:
    """A flat map of a few named figures; anything else raises ExtrasError with what is
    left of the map without it (the result itself is good: a bad figure must not lose it).

    The timings and certificate days are stored as columns of their own, so they must be
    numbers in range (checked first: nearly every HTTPS result carries exactly these). The
    rest is stored as JSON, so what JSON or PostgreSQL cannot hold (NaN and infinities,
    NUL characters) is refused here rather than failing a whole COPY.
    """
    if extras is None:
        return None
    if type(extras) is not dict or len(extras) > MAX_EXTRAS:
        raise ExtrasError(f"extras: expected a map of at most {MAX_EXTRAS} entries", None)
    get = extras.get
    dns, connect, tls, ttfb = get("dns_ms"), get("connect_ms"), get("tls_ms"), get("ttfb_ms")
    cert = get(CERT_DAYS)
    # Floats in range, in one expression (the hot path); anything else, an int among them,
    # is looked at one by one, which names what is wrong.
    if not (
        (dns is None or type(dns) is float and 0.0 <= dns <= MAX_TIMING_MS)
        and (connect is None or type(connect) is float and 0.0 <= connect <= MAX_TIMING_MS)
        and (tls is None or type(tls) is float and 0.0 <= tls <= MAX_TIMING_MS)
        and (ttfb is None or type(ttfb) is float and 0.0 <= ttfb <= MAX_TIMING_MS)
        and (cert is None or type(cert) is float and -MAX_CERT_DAYS <= cert <= MAX_CERT_DAYS)
    ):
        return _sift(extras)
    known = 5 - (dns, connect, tls, ttfb, cert).count(None)
    if len(extras) > known and not _others_fine(extras):
        return _sift(extras)
    return extras


def _others_fine(extras: dict[Any, Any]) -> bool:
    """The second fastest path (a retried check's attempts, a ping's loss): one loop, no
    call per entry; `_sift` says what is wrong when something is."""
    for key, value in extras.items():
        if type(key) is not str or not 0 < len(key) <= MAX_EXTRA_KEY or "\0" in key:
            return False
        kind = type(value)
        if value is None or kind is int or kind is bool:
            continue
        if kind is float and math.isfinite(value):
            continue
        if kind is str and len(value) <= MAX_EXTRA_TEXT and "\0" not in value:
            continue
        return False
    return True


_FIGURES = {
    **{key: (0, MAX_TIMING_MS, "milliseconds") for key in TIMING_EXTRAS},
    CERT_DAYS: (-MAX_CERT_DAYS, MAX_CERT_DAYS, "days"),
}


def _sift(extras: dict[Any, Any]) -> dict[str, Any]:
    """The careful path: every entry looked at; raise ExtrasError naming the first bad one,
    with the good ones kept. Returns the map itself when nothing is wrong."""
    kept: dict[str, Any] = {}
    reasons: list[str] = []
    for key, value in extras.items():
        reason = _entry_error(key, value)
        if reason is None:
            kept[key] = value
        else:
            reasons.append(reason)
    if reasons:
        raise ExtrasError("; ".join(reasons[:3]), kept or None)
    return extras


def _entry_error(key: Any, value: Any) -> str | None:
    if type(key) is not str or not 0 < len(key) <= MAX_EXTRA_KEY or "\0" in key:
        return f"extras: keys must be 1-{MAX_EXTRA_KEY} characters"
    kind = type(value)  # exact types: a bool is no number here
    if key in _FIGURES:
        low, high, unit = _FIGURES[key]
        if value is None or (kind is float or kind is int) and low <= value <= high:
            return None  # NaN fails the range test too
        return f"extras: {key!r} must be {unit} from {low} to {high}, got {value!r:.40}"
    if value is None or kind is int or kind is bool:
        return None
    if kind is float and math.isfinite(value):
        return None
    if kind is str and len(value) <= MAX_EXTRA_TEXT and "\0" not in value:
        return None
    return f"extras: {key!r} must be a finite number, a short string, a bool or nil"


def decode_batch(data: bytes) -> tuple[ResultBatch, list[tuple[Any, str]]]:
    """Decode a batch. Returns it with its valid rows, and the invalid rows with reasons.

    A bad row never sinks the good rows beside it; a bad envelope raises DecodeError.
    """
    try:
        raw = _decompressor.decompress(data, max_output_size=MAX_DECOMPRESSED)
    except zstandard.ZstdError as exc:
        raise DecodeError(f"not zstandard: {exc}") from None
    body = _map(_unpack(raw), "batch")
    if body.get("v") != FORMAT_VERSION:
        raise DecodeError(f"unsupported batch format {body.get('v')!r}")
    batch_id = _field(body, "id", bytes)
    if len(batch_id) != 16:
        raise DecodeError("field 'id': expected 16 bytes")
    rows = _field(body, "rows", list)
    good: list[Result] = []
    bad: list[tuple[Any, str]] = []
    trimmed: list[tuple[int, str]] = []
    for row in rows:
        try:
            good.append(decode_row(row))
        except ExtrasError as exc:
            _keep_without_bad_extras(row, exc, good, bad, trimmed)
        except RowError as exc:
            bad.append((row, str(exc)))
    names = [_field(body, key, str) for key in ("cell", "region", "node")]
    if any(not 0 < len(name) <= MAX_NAME for name in names):
        raise DecodeError(f"cell, region and node must be 1-{MAX_NAME} characters")
    batch = ResultBatch(batch_id, names[0], names[1], names[2], good, tuple(trimmed))
    return batch, bad


def _keep_without_bad_extras(
    row: list[Any],
    exc: ExtrasError,
    good: list[Result],
    bad: list[tuple[Any, str]],
    trimmed: list[tuple[int, str]],
) -> None:
    """A row whose extras are bad is decoded again with what is left of them: a bad figure
    loses that figure, not the check's result. The row is bad only if the rest is."""
    try:
        result = decode_row([*row[:7], exc.kept] if exc.kept else row[:7])
    except RowError as again:
        bad.append((row, str(again)))
        return
    good.append(result)
    trimmed.append((result.test_id, str(exc)))


# --- assignments --------------------------------------------------------------------------

MAX_REGIONS = 10  # regions one test runs in


def _spec_to_wire(s: TestSpec) -> dict[str, Any]:
    wire = {
        "id": s.id,
        "kind": s.kind,
        "interval": s.interval_s,
        "timeout": s.timeout_s,
        "config": s.config,
        "version": s.version,
    }
    if s.regions:  # optional: older executors and single-region tests go without
        wire["regions"] = list(s.regions)
    return wire


def _regions(m: dict[str, Any]) -> tuple[str, ...]:
    if m.get("regions") is None:
        return ()
    regions = _field(m, "regions", list)
    if len(regions) > MAX_REGIONS or not all(
        isinstance(r, str) and 0 < len(r) <= MAX_NAME for r in regions
    ):
        raise DecodeError(f"field 'regions': expected at most {MAX_REGIONS} region names")
    return tuple(regions)


def _spec_from_wire(obj: Any, cell: str, region: str) -> TestSpec:
    m = _map(obj, "test")
    timeout = _field(m, "timeout", (int, float))
    return TestSpec(
        id=_field(m, "id", int),
        cell=cell,
        region=region,
        kind=_field(m, "kind", str),
        interval_s=_field(m, "interval", int),
        timeout_s=float(timeout),
        config=_field(m, "config", dict),
        version=_field(m, "version", int),
        regions=_regions(m),
    )


def encode_assignment(a: Assignment) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "cell": a.cell,
            "region": a.region,
            "generation": a.generation,
            "seq": a.seq,
            "full": a.full,
            "upserts": [_spec_to_wire(s) for s in a.upserts],
            "removals": a.removals,
            "node": a.node,
        }
    )


def decode_assignment(data: bytes) -> Assignment:
    m = _map(_unpack(data), "assignment")
    if m.get("v") != FORMAT_VERSION:
        raise DecodeError(f"unsupported assignment format {m.get('v')!r}")
    cell, region = _field(m, "cell", str), _field(m, "region", str)
    removals = _field(m, "removals", list)
    if not all(isinstance(i, int) for i in removals):
        raise DecodeError("field 'removals': expected test ids")
    return Assignment(
        cell=cell,
        region=region,
        generation=_field(m, "generation", str),
        seq=_field(m, "seq", int),
        full=_field(m, "full", bool),
        upserts=[_spec_from_wire(s, cell, region) for s in _field(m, "upserts", list)],
        removals=removals,
        node=_optional_str(m, "node", ""),
    )


def _optional_str(m: dict[str, Any], key: str, default: str) -> str:
    return default if m.get(key) is None else _field(m, key, str)


def encode_resync(r: ResyncRequest) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "cell": r.cell,
            "region": r.region,
            "node": r.node,
            "reason": r.reason,
        }
    )


def decode_resync(data: bytes) -> ResyncRequest:
    m = _map(_unpack(data), "resync")
    return ResyncRequest(
        _field(m, "cell", str),
        _field(m, "region", str),
        _field(m, "node", str),
        _field(m, "reason", str),
    )


# --- check now ------------------------------------------------------------------------------


def encode_check_now(c: CheckNow) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "cell": c.cell,
            "test": c.test_id,
            "region": c.region,
            "node": c.node,
            "at": c.at_ms,
        }
    )


def decode_check_now(data: bytes) -> CheckNow:
    m = _map(_unpack(data), "check now")
    if m.get("v") != FORMAT_VERSION:
        raise DecodeError(f"unsupported check-now format {m.get('v')!r}")
    cell, region, node = (_field(m, k, str) for k in ("cell", "region", "node"))
    if any(not 0 < len(name) <= MAX_NAME for name in (cell, region, node)):
        raise DecodeError(f"cell, region and node must be 1-{MAX_NAME} characters")
    return CheckNow(
        cell=cell,
        test_id=_bounded(m, "test", int, 1, 2**63 - 1),
        region=region,
        node=node,
        at_ms=_bounded(m, "at", int, EARLIEST_MS, LATEST_MS),
    )


# --- heartbeats ---------------------------------------------------------------------------


def encode_heartbeat(h: Heartbeat) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "region": h.region,
            "node": h.node,
            "version": h.version,
            "sent": h.sent_at_ms,
            "interval": h.interval_s,
            "load": h.load,
            "held": h.tests_held,
            "backlog": h.backlog,
            "offset": h.clock_offset_ms,
            "checks": h.checks,
            "netfail": h.network_failures,
        }
    )


def _bounded(
    m: dict[str, Any], key: str, kind: type | tuple[type, ...], low: float, high: float
) -> Any:
    value = _field(m, key, kind)
    if not low <= value <= high:
        raise DecodeError(f"field {key!r}: {value} is out of range")
    return value


def decode_heartbeat(data: bytes) -> Heartbeat:
    m = _map(_unpack(data), "heartbeat")
    if m.get("v") != FORMAT_VERSION:
        raise DecodeError(f"unsupported heartbeat format {m.get('v')!r}")
    region, node, version = (_field(m, k, str) for k in ("region", "node", "version"))
    if any(not 0 < len(name) <= MAX_NAME for name in (region, node, version)):
        raise DecodeError(f"region, node and version must be 1-{MAX_NAME} characters")
    offset = m.get("offset")
    if offset is not None:
        offset = _bounded(m, "offset", int, -(2**40), 2**40)
    checks, netfail = (
        None if m.get(k) is None else _bounded(m, k, int, 0, 2**40) for k in ("checks", "netfail")
    )
    if checks is not None and netfail is not None and netfail > checks:
        raise DecodeError("field 'netfail': more network failures than checks")
    return Heartbeat(
        region=region,
        node=node,
        version=version,
        sent_at_ms=_bounded(m, "sent", int, EARLIEST_MS, LATEST_MS),
        interval_s=float(_bounded(m, "interval", (int, float), 0.01, 3600)),
        load=float(_bounded(m, "load", (int, float), 0, 1e6)),
        tests_held=_bounded(m, "held", int, 0, 2**31),
        backlog=_bounded(m, "backlog", int, 0, 2**40),
        clock_offset_ms=offset,
        checks=checks,
        network_failures=netfail,
    )


# --- incident events -----------------------------------------------------------------------

_EVENT_KINDS = ("opened", "changed", "resolved")
_EVENT_STATES = ("down", "degraded", "resolved")


def encode_incident_event(e: IncidentEvent) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "kind": e.kind,
            "cell": e.cell,
            "id": e.incident_id,
            "test": e.test_id,
            "monitor": e.monitor_id,
            "state": e.state,
            "cause": e.cause,
            "started": e.started_at_ms,
            "confirmed": e.confirmed_at_ms,
            "resolved": e.resolved_at_ms,
        }
    )


def _optional_int(m: dict[str, Any], key: str) -> int | None:
    return None if m.get(key) is None else _field(m, key, int)


def _event_map(data: bytes) -> dict[str, Any]:
    m = _map(_unpack(data), "event")
    if m.get("v") != FORMAT_VERSION:
        raise DecodeError(f"unsupported event format {m.get('v')!r}")
    return m


def _incident_event(m: dict[str, Any]) -> IncidentEvent:
    kind, state = _field(m, "kind", str), _field(m, "state", str)
    if kind not in _EVENT_KINDS or state not in _EVENT_STATES:
        raise DecodeError(f"unknown incident event kind or state {kind!r}/{state!r}")
    return IncidentEvent(
        kind=kind,
        cell=_field(m, "cell", str),
        incident_id=_field(m, "id", int),
        test_id=_field(m, "test", int),
        monitor_id=_optional_int(m, "monitor"),
        state=state,
        cause=_field(m, "cause", str),
        started_at_ms=_field(m, "started", int),
        confirmed_at_ms=_optional_int(m, "confirmed"),
        resolved_at_ms=_optional_int(m, "resolved"),
    )


CERT_EXPIRING = "cert_expiring"


def encode_cert_event(e: CertEvent) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "kind": CERT_EXPIRING,
            "cell": e.cell,
            "test": e.test_id,
            "monitor": e.monitor_id,
            "expires": e.expires_at_ms,
            "checked": e.checked_at_ms,
            "days": e.days,
            "region": e.region,
        }
    )


def _cert_event(m: dict[str, Any]) -> CertEvent:
    return CertEvent(
        cell=_field(m, "cell", str),
        test_id=_field(m, "test", int),
        monitor_id=_optional_int(m, "monitor"),
        expires_at_ms=_bounded(m, "expires", int, EARLIEST_MS, LATEST_MS),
        checked_at_ms=_bounded(m, "checked", int, EARLIEST_MS, LATEST_MS),
        days=float(_bounded(m, "days", (int, float), 0, 36_500)),
        region=_bounded_text(m, "region", MAX_NAME),
    )


def _bounded_text(m: dict[str, Any], key: str, limit: int) -> str:
    value: str = _field(m, key, str)
    if not 0 < len(value) <= limit:
        raise DecodeError(f"field {key!r}: expected 1-{limit} characters")
    return value


def encode_page_event(e: PageEvent) -> bytes:
    return _pack(
        {
            "v": FORMAT_VERSION,
            "kind": e.kind,
            "cell": e.cell,
            "ref": e.ref_id,
            "update": e.update_id,
            "starts": e.starts_at_ms,
            "ends": e.ends_at_ms,
        }
    )


def _optional_ms(m: dict[str, Any], key: str) -> int | None:
    return None if m.get(key) is None else _bounded(m, key, int, EARLIEST_MS, LATEST_MS)


def _page_event(m: dict[str, Any]) -> PageEvent:
    return PageEvent(
        kind=m["kind"],
        cell=_bounded_text(m, "cell", MAX_NAME),
        ref_id=_field(m, "ref", int),
        update_id=_optional_int(m, "update"),
        starts_at_ms=_optional_ms(m, "starts"),
        ends_at_ms=_optional_ms(m, "ends"),
    )


def decode_event(data: bytes) -> IncidentEvent | CertEvent | PageEvent:
    """Whatever the cell's notifications queue carries: an incident, a certificate or a
    status page event."""
    m = _event_map(data)
    if m.get("kind") == CERT_EXPIRING:
        return _cert_event(m)
    return _page_event(m) if m.get("kind") in PAGE_EVENT_KINDS else _incident_event(m)

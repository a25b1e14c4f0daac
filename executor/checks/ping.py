"""ICMP ping (IPv4): packet loss and round-trip time.

Unprivileged where the kernel allows ping sockets (`net.ipv4.ping_group_range` holds the
executor's group), else a raw socket where the process may open one (CAP_NET_RAW); where
neither is allowed the check fails with `ping_not_permitted`, which names the fix. Every
ping lost is DOWN, some lost is DEGRADED.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec

MODES = ("dgram", "raw")
SPACING_S = 0.05  # between the pings of one check
_ECHO_REQUEST, _ECHO_REPLY = 8, 0


@dataclass
class Stats:
    sent: int
    rtts_ms: list[float]
    mode: str

    @property
    def loss_pct(self) -> float:
        return round(100 * (1 - len(self.rtts_ms) / self.sent), 1)


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        addresses = [a for a in await net.resolve(target.host, ctx) if ":" not in a]
        if not addresses:
            raise Failure("dns", f"{target.host} has no IPv4 address to ping")
        clock.enter("ping")
        # Leave a little of the timeout for the verdict, so loss is counted, not timed out.
        stats = await probe(
            addresses[0], cfg["count"], max(0.05, spec.timeout_s - clock.ms() / 1000 - 0.05)
        )
        return verdict(stats, clock)

    return await net.attempt(spec, body)


def verdict(stats: Stats, clock: net.Clock) -> Outcome:
    rtts = stats.rtts_ms
    extras = {
        **clock.marks,
        "sent": stats.sent,
        "received": len(rtts),
        "loss_pct": stats.loss_pct,
        "mode": stats.mode,
    }
    if not rtts:
        return Outcome.failed(
            "packet_loss", f"no reply to {stats.sent} pings", clock.ms(), extras=extras
        )
    extras.update(rtt_min_ms=min(rtts), rtt_max_ms=max(rtts))
    outcome = Outcome(Status.UP, round(sum(rtts) / len(rtts), 3), extras=extras)
    if len(rtts) < stats.sent:
        return Outcome(
            Status.DEGRADED,
            outcome.latency_ms,
            None,
            "packet_loss_partial",
            f"{stats.loss_pct} % of pings lost",
            extras,
        )
    return outcome


def open_socket(modes: tuple[str, ...] = MODES) -> tuple[socket.socket, str]:
    """A ping socket if the kernel allows one, else a raw socket, else ping_not_permitted."""
    kinds = {"dgram": socket.SOCK_DGRAM, "raw": socket.SOCK_RAW}
    for mode in modes:
        try:
            sock = socket.socket(socket.AF_INET, kinds[mode], socket.IPPROTO_ICMP)
        except PermissionError:
            continue
        sock.setblocking(False)
        return sock, mode
    raise Failure(
        "ping_not_permitted",
        "ping not permitted: allow this executor's group in "
        "net.ipv4.ping_group_range, or give it CAP_NET_RAW",
    )


async def probe(address: str, count: int, wait_s: float, modes: tuple[str, ...] = MODES) -> Stats:
    """Send `count` echo requests; collect replies for at most `wait_s` seconds."""
    sock, mode = open_socket(modes)
    # A ping socket replaces the id with its own; a raw socket sees every reply of the
    # host, so concurrent checks tell theirs apart by a random id.
    ident = random.randrange(1, 0xFFFF)
    sent_at: dict[int, float] = {}
    rtts: list[float] = []
    done = asyncio.get_running_loop().create_future()

    def on_readable() -> None:
        while True:
            try:
                packet = sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            seq = _reply_seq(packet, mode, ident)
            if seq in sent_at:
                rtts.append(round((time.perf_counter() - sent_at.pop(seq)) * 1000, 3))
                if len(rtts) == count and not done.done():
                    done.set_result(None)

    loop = asyncio.get_running_loop()
    loop.add_reader(sock.fileno(), on_readable)
    try:
        deadline = time.monotonic() + wait_s
        for seq in range(1, count + 1):
            sent_at[seq] = time.perf_counter()
            sock.sendto(_echo_request(ident, seq), (address, 0))
            if seq < count:
                await asyncio.sleep(SPACING_S)
        try:
            await asyncio.wait_for(done, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            pass  # what did not come back is lost
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()
    return Stats(count, rtts, mode)


def _echo_request(ident: int, seq: int) -> bytes:
    payload = b"vigil-ping-" + seq.to_bytes(2, "big")
    header = struct.pack("!BBHHH", _ECHO_REQUEST, 0, 0, ident, seq)
    checksum = _checksum(header + payload)
    return struct.pack("!BBHHH", _ECHO_REQUEST, 0, checksum, ident, seq) + payload


def _reply_seq(packet: bytes, mode: str, ident: int) -> int | None:
    """The sequence number of an echo reply meant for us, else None."""
    if mode == "raw":  # a raw socket sees the IP header, and every ICMP packet of the host
        packet = packet[(packet[0] & 0x0F) * 4 :] if packet else packet
    if len(packet) < 8:
        return None
    kind, _, _, reply_ident, seq = struct.unpack("!BBHHH", packet[:8])
    if kind != _ECHO_REPLY or mode == "raw" and reply_ident != ident:
        return None
    return int(seq)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF

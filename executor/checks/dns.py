"""DNS check: ask a resolver for a record type and compare the answers with what is expected.

The resolver is the URL's host (`dns://9.9.9.9`), guarded like any target. Answers are
compared as sets of their text form, case-insensitive, without trailing dots or the quotes
of TXT strings. With no expected answers, any answer is UP; none (NODATA) is a content
failure; an error rcode (NXDOMAIN, SERVFAIL, REFUSED) is a `dns` failure.
"""

from __future__ import annotations

from typing import Any

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype

from executor.checks import net
from executor.checks.base import CheckContext, Failure, Outcome
from shared.checkspec import Target
from shared.messages import Status, TestSpec


async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
    async def body(cfg: dict[str, Any], target: Target, clock: net.Clock) -> Outcome:
        resolver = (await net.resolve(target.host, ctx, target.port))[0]
        clock.enter("query", mark="resolve_ms")
        query = dns.message.make_query(cfg["name"], cfg["record_type"])
        if cfg["tcp"]:
            answer = await dns.asyncquery.tcp(query, resolver, port=target.port)
        else:
            answer, _ = await dns.asyncquery.udp_with_fallback(query, resolver, port=target.port)
        latency = clock.ms()
        if answer.rcode() != dns.rcode.NOERROR:
            raise Failure(
                "dns", f"{cfg['name']} {cfg['record_type']}: {dns.rcode.to_text(answer.rcode())}"
            )
        got = records(answer, cfg["record_type"])
        extras = {**clock.marks, "answers": len(got)}
        expected = cfg["expected"]
        if expected is None and not got:
            return Outcome.failed(
                "content",
                f"no {cfg['record_type']} records for {cfg['name']}",
                latency,
                extras=extras,
            )
        if expected is not None and got != {normal(e) for e in expected}:
            return Outcome.failed(
                "content",
                f"answers {sorted(got)}, expected {sorted(normal(e) for e in expected)}",
                latency,
                extras=extras,
            )
        return Outcome(Status.UP, latency, extras=extras)

    return await net.attempt(spec, body)


def records(answer: dns.message.Message, record_type: str) -> set[str]:
    wanted = dns.rdatatype.from_text(record_type)
    return {
        normal(rdata.to_text())
        for rrset in answer.answer
        if rrset.rdtype == wanted
        for rdata in rrset
    }


def normal(text: str) -> str:
    return " ".join(part.strip('"').rstrip(".") for part in text.lower().split())

"""Bodies of the read models (stats, series, bars) and of incidents."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from api.schemas import Input, text_pattern

Range = Literal["24h", "7d", "30d", "90d"]
DayStatus = Literal["up", "degraded", "down", "none"]
IncidentState = Literal["open", "resolved"]
MAX_MESSAGE = 5000


def _message_text(value: str) -> str:
    # Line breaks and tabs are fine in an update; NUL and other control characters are not.
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\r\t" for ch in value):
        raise ValueError("must not contain control characters other than line breaks")
    return value


Message = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE),
    AfterValidator(_message_text),
    Field(json_schema_extra={"pattern": text_pattern("\n\r\t")}),
]


class CountsOut(BaseModel):
    window: Range
    checks: int
    successes: int  # UP and DEGRADED: the site answered
    failures: int  # DOWN
    degraded: int
    uptime: float | None  # successes / checks; null without checks


class LatencyOut(BaseModel):
    window: Literal["24h", "7d"]
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class StatsOut(BaseModel):
    test_ids: list[int]
    windows: list[CountsOut]
    latency: list[LatencyOut]


class PointOut(BaseModel):
    at: datetime  # start of the bucket
    checks: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class SeriesOut(BaseModel):
    region: str | None  # null: all regions together
    points: list[PointOut]


class SeriesPageOut(BaseModel):
    test_id: int
    range: Range
    bucket_s: int
    series: list[SeriesOut]


class BarOut(BaseModel):
    day: date
    checks: int
    failures: int
    degraded: int
    uptime: float | None
    status: DayStatus  # the worst incident of the day; "none" without checks
    incident_ids: list[int]


class BarsOut(BaseModel):
    monitor_id: int
    days: list[BarOut]


class UpdateIn(Input):
    message: Message


class PublicWordsIn(Input):
    """What the status pages call a detected incident; null clears a field."""

    public_title: (
        Annotated[
            str,
            StringConstraints(
                strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
            ),
        ]
        | None
    ) = None
    public_message: Message | None = None


class UpdateOut(BaseModel):
    id: int
    message: str
    author_id: int | None
    created_at: datetime


class IncidentOut(BaseModel):
    id: int
    test_id: int
    monitor_id: int | None
    state: str  # down | degraded | resolved
    cause: str
    started_at: datetime
    confirmed_at: datetime | None
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: int | None  # the log-in that acknowledged it
    public_title: str | None = None  # what the status pages call it, if the team named it
    public_message: str | None = None


class EvidenceOut(BaseModel):
    at: datetime
    status: str
    http_status: int | None
    error_kind: str | None
    error: str | None


class IncidentDetailOut(IncidentOut):
    evidence: dict[str, list[EvidenceOut]]  # failing results by region, newest last
    updates: list[UpdateOut]


def evidence_out(raw: Any) -> dict[str, list[EvidenceOut]]:
    """The processor's evidence JSON ({region: [{at_ms, ...}]}) as the API shows it."""
    out: dict[str, list[EvidenceOut]] = {}
    for region, items in (raw or {}).items():
        out[region] = [
            EvidenceOut(
                at=datetime.fromtimestamp(i["at_ms"] / 1000, UTC),
                status=i.get("status", "down"),
                http_status=i.get("http_status"),
                error_kind=i.get("error_kind"),
                error=i.get("error"),
            )
            for i in items
            if isinstance(i, dict) and "at_ms" in i
        ]
    return out

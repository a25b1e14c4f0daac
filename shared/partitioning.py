"""Which time partitions the result tables should have at a given moment: pure, time injected.

`results` (the full history) is range-partitioned by month and `results_week` by day, both
on `checked_at`, in UTC. Each also has a DEFAULT partition, so a row never fails to insert
for want of a partition (a region cut off for days, a clock far off): maintenance later moves
such rows into a proper partition, or drops them when they are past retention.

The migration, the processor's maintenance and the benchmarks all name and bound partitions
through this module, so keep it free of I/O and stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Unit = Literal["month", "day"]


@dataclass(frozen=True)
class Scheme:
    """How one table is partitioned and how far ahead and back its partitions reach."""

    table: str
    unit: Unit
    ahead: int  # whole periods created beyond the current one
    retention: timedelta | None  # rows older than this go, whole partitions at a time

    @property
    def default(self) -> str:
        return f"{self.table}_default"


@dataclass(frozen=True, order=True)
class Partition:
    start: datetime
    end: datetime
    name: str


def results_scheme(retention_days: int = 0) -> Scheme:
    """The full history: monthly; kept forever unless a retention is configured."""
    keep = timedelta(days=retention_days) if retention_days else None
    return Scheme("results", "month", ahead=2, retention=keep)


WEEK = Scheme("results_week", "day", ahead=3, retention=timedelta(days=7))


def period_start(unit: Unit, t: datetime) -> datetime:
    t = t.astimezone(UTC)
    if unit == "month":
        return datetime(t.year, t.month, 1, tzinfo=UTC)
    return datetime(t.year, t.month, t.day, tzinfo=UTC)


def next_start(unit: Unit, start: datetime) -> datetime:
    if unit == "day":
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def partition_at(scheme: Scheme, t: datetime) -> Partition:
    """The partition that holds time `t`."""
    start = period_start(scheme.unit, t)
    suffix = start.strftime("%Y_%m" if scheme.unit == "month" else "%Y_%m_%d")
    return Partition(start, next_start(scheme.unit, start), f"{scheme.table}_p{suffix}")


def parse_name(scheme: Scheme, name: str) -> Partition | None:
    """The partition a table name stands for, or None if it is not one of ours."""
    digits = r"(\d{4})_(\d{2})" if scheme.unit == "month" else r"(\d{4})_(\d{2})_(\d{2})"
    match = re.fullmatch(rf"{re.escape(scheme.table)}_p{digits}", name)
    if not match:
        return None
    parts = [int(g) for g in match.groups()]
    try:
        start = datetime(parts[0], parts[1], parts[2] if len(parts) > 2 else 1, tzinfo=UTC)
    except ValueError:
        return None
    return partition_at(scheme, start)


def keep_from(scheme: Scheme, now: datetime) -> datetime | None:
    """Rows before this instant are past retention (None: keep everything)."""
    return None if scheme.retention is None else now - scheme.retention


def wanted(scheme: Scheme, now: datetime) -> list[Partition]:
    """The current period's partition and `ahead` more, so inserts never wait for one."""
    out = [partition_at(scheme, now)]
    for _ in range(scheme.ahead):
        out.append(partition_at(scheme, out[-1].end))
    return out


def expired(scheme: Scheme, existing: list[Partition], now: datetime) -> list[Partition]:
    """Partitions wholly older than the retention: dropped whole, never DELETEd from."""
    cutoff = keep_from(scheme, now)
    if cutoff is None:
        return []
    return sorted(p for p in existing if p.end <= cutoff)


@dataclass(frozen=True)
class Plan:
    create: list[Partition]
    drop: list[Partition]


def plan(
    scheme: Scheme,
    existing_names: Iterable[str],
    now: datetime,
    stray_times: Iterable[datetime] = (),
) -> Plan:
    """What to create and drop. `stray_times` are the periods of rows sitting in the default
    partition: each gets its own partition unless it is past retention."""
    existing = [p for p in (parse_name(scheme, n) for n in existing_names) if p]
    have = {p.name for p in existing}
    cutoff = keep_from(scheme, now)
    needed = set(wanted(scheme, now))
    needed |= {partition_at(scheme, t) for t in stray_times}
    create = sorted(p for p in needed if p.name not in have and (cutoff is None or p.end > cutoff))
    return Plan(create=create, drop=expired(scheme, existing, now))

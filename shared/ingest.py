"""The ingest rate of a cell, as its result processors report it in `processor_stats`.

Each processor counts what it stores in memory and writes its own row once a second
(`result_processor/stats.py`); readers sum the rows still fresh. No reader counts rows of
the results tables, which at 100k rows a second would cost more than the answer is worth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.tables import processor_stats

TICK_S = 1.0  # a processor writes its row this often
WINDOW_S = 10  # its rate is over this many seconds
STALE_S = 5.0  # a row older than this is a processor that stopped: its rate no longer counts


@dataclass(frozen=True)
class Ingest:
    results_per_second: float
    window_seconds: int
    last_result_at: datetime | None
    processors: int  # running now (their rows fresh)


async def read(conn: AsyncConnection, cell: str) -> Ingest:
    ps = processor_stats
    live = ps.c.updated_at > func.now() - func.make_interval(0, 0, 0, 0, 0, 0, STALE_S)
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(ps.c.results_per_second).filter(live), 0.0),
                func.max(ps.c.window_s).filter(live),
                func.max(ps.c.last_result_at),
                func.count().filter(live),
            ).where(ps.c.cell == cell)
        )
    ).one()
    rate, window, last, processors = row
    return Ingest(float(rate), window or WINDOW_S, last, processors)

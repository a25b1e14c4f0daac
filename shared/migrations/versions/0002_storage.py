"""storage: partitioned result tables, rollups, incidents, alert state

`results` becomes range-partitioned by month and `results_week` by day, each with a DEFAULT
partition; existing rows are carried over into partitions made for them. Then the tables
of daily rollups, monitor state, alert state, incidents, the event outbox and the broken-node
hook, and the optional alert rule on tests.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import partitioning as parts

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_INDEXES = {
    "results": "CREATE INDEX results_test_time ON results (test_id, checked_at DESC)",
    # INCLUDE (status, latency_ms): counts and latency percentiles are index-only scans.
    "results_week": "CREATE INDEX results_week_test_time ON results_week "
    "(test_id, checked_at DESC) INCLUDE (status, latency_ms)",
}


def _partition(scheme: parts.Scheme) -> None:
    """Swap the plain table for a partitioned one with the same columns, rows included."""
    table, old = scheme.table, f"{scheme.table}_unpartitioned"
    bind = op.get_bind()
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"DROP INDEX {table}_test_time")
    # LIKE keeps whatever columns the table has by now, whoever added them.
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        f"PARTITION BY RANGE (checked_at)"
    )
    op.execute(f"CREATE TABLE {scheme.default} PARTITION OF {table} DEFAULT")
    op.execute(_INDEXES[table])
    now = datetime.now(UTC)
    unit = scheme.unit
    present = (
        bind.execute(
            sa.text(
                f"SELECT DISTINCT date_trunc('{unit}', checked_at AT TIME ZONE 'UTC') FROM {old}"
            )
        )
        .scalars()
        .all()
    )
    plan = parts.plan(scheme, [], now, [t.replace(tzinfo=UTC) for t in present])
    for p in plan.create:
        op.execute(
            f"CREATE TABLE {p.name} PARTITION OF {table} "
            f"FOR VALUES FROM ('{p.start.isoformat()}') TO ('{p.end.isoformat()}')"
        )
    # Week rows past retention land in the default partition; maintenance purges them.
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")


def _unpartition(table: str) -> None:
    old = f"{table}_partitioned"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER INDEX {table}_test_time RENAME TO {old}_test_time")
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")
    op.execute(f"CREATE INDEX {table}_test_time ON {table} (test_id, checked_at DESC)")


def upgrade() -> None:
    _partition(parts.results_scheme())
    _partition(parts.WEEK)
    _new_tables()


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _now(name: str) -> sa.Column[Any]:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def _new_tables() -> None:
    op.add_column("tests", sa.Column("alert_rule", postgresql.JSONB(), nullable=True))
    op.create_table(
        "daily_rollups",
        sa.Column("test_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("degraded", sa.Integer(), nullable=False),
        sa.Column("latency_count", sa.Integer(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("p50_ms", sa.Float(), nullable=True),
        sa.Column("p95_ms", sa.Float(), nullable=True),
        sa.Column("p99_ms", sa.Float(), nullable=True),
        sa.Column("sealed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("test_id", "day"),
    )
    op.create_index(
        "daily_rollups_unsealed", "daily_rollups", ["day"], postgresql_where=sa.text("NOT sealed")
    )
    op.create_table(
        "monitor_state",
        sa.Column("monitor_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        _ts("since"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("monitor_id"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("test_id", sa.BigInteger(), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        _ts("started_at"),
        _ts("confirmed_at", True),
        _ts("resolved_at", True),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("incidents_test_started", "incidents", ["test_id", "started_at"])
    op.create_index("incidents_monitor_started", "incidents", ["monitor_id", "started_at"])
    op.create_index(
        "incidents_open",
        "incidents",
        ["test_id"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_table(
        "alert_state",
        sa.Column("test_id", sa.BigInteger(), nullable=False),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("test_id"),
    )
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("routing_key", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "broken_nodes",
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _now("since"),
        sa.PrimaryKeyConstraint("node"),
    )
    op.create_index("processed_batches_time", "processed_batches", ["processed_at"])
    # Rows updated in place all day long: room in each page keeps the updates HOT (no index
    # entry per update), about twice as fast.
    for table in ("test_state", "monitor_state", "daily_rollups", "alert_state"):
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    op.drop_index("processed_batches_time", table_name="processed_batches")
    for table in (
        "broken_nodes",
        "event_outbox",
        "alert_state",
        "incidents",
        "monitor_state",
        "daily_rollups",
    ):
        op.drop_table(table)
    op.drop_column("tests", "alert_rule")
    _unpartition("results_week")
    _unpartition("results")

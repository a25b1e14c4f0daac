"""results: timings and certificate days as columns; test_state: today's rollup counters

Revision ID: 0011_timings_day_counts
Revises: 0010_stats_domains
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_timings_day_counts"
down_revision = "0010_stats_domains"
branch_labels = None
depends_on = None

COLUMNS = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "cert_days")


COUNTERS = ("checks", "failures", "degraded", "latency_count", "latency_sum")

# When a test's counted day changes, its old day's counts go to daily_rollups (added: the
# row may already hold late results of that day). Fires once per test per day, not per
# group: the WHEN clause is all the other updates pay.
_FILE_DAY = """
CREATE FUNCTION test_state_file_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_rollups AS r
        (test_id, day, checks, failures, degraded, latency_count, latency_sum)
    VALUES (OLD.test_id, OLD.day, OLD.day_checks, OLD.day_failures, OLD.day_degraded,
            OLD.day_latency_count, OLD.day_latency_sum)
    ON CONFLICT (test_id, day) DO UPDATE SET
        checks = r.checks + excluded.checks, failures = r.failures + excluded.failures,
        degraded = r.degraded + excluded.degraded,
        latency_count = r.latency_count + excluded.latency_count,
        latency_sum = r.latency_sum + excluded.latency_sum;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    # On a partitioned parent, ADD COLUMN reaches every partition; nullable without a
    # default, it is a change of the catalogue only. Nothing is carried over from `extras`:
    # no deployment holds results with timings yet, and the API reads both places.
    for table in ("results", "results_week"):
        for name in COLUMNS:
            op.add_column(table, sa.Column(name, postgresql.REAL(), nullable=True))
    op.add_column("test_state", sa.Column("day", sa.Date(), nullable=True))
    for name in COUNTERS:
        kind = sa.Float() if name == "latency_sum" else sa.Integer()
        op.add_column(
            "test_state",
            sa.Column(f"day_{name}", kind, nullable=False, server_default=sa.text("0")),
        )
    op.execute(_FILE_DAY)
    op.execute(
        "CREATE TRIGGER test_state_file_day AFTER UPDATE ON test_state FOR EACH ROW "
        "WHEN (OLD.day IS DISTINCT FROM NEW.day AND OLD.day_checks > 0) "
        "EXECUTE FUNCTION test_state_file_day()"
    )


def downgrade() -> None:
    op.execute("UPDATE test_state SET day = NULL")  # files every day still counted here
    op.execute("DROP TRIGGER test_state_file_day ON test_state")
    op.execute("DROP FUNCTION test_state_file_day()")
    for name in ("day", *(f"day_{c}" for c in COUNTERS)):
        op.drop_column("test_state", name)
    for table in ("results", "results_week"):
        for name in COLUMNS:
            op.drop_column(table, name)

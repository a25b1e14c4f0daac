"""results: timings and certificate days as columns; test_state: today's rollup counters

Revision ID: 0009_result_timings
Revises: 0008_account_language
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_result_timings"
down_revision = "0008_account_language"
branch_labels = None
depends_on = None

COLUMNS = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "cert_days")


def upgrade() -> None:
    # On a partitioned parent, ADD COLUMN reaches every partition; nullable without a
    # default, it is a change of the catalogue only. Nothing is carried over from `extras`:
    # no deployment holds results with timings yet, and the API reads both places.
    for table in ("results", "results_week"):
        for name in COLUMNS:
            op.add_column(table, sa.Column(name, postgresql.REAL(), nullable=True))


def downgrade() -> None:
    for table in ("results", "results_week"):
        for name in COLUMNS:
            op.drop_column(table, name)

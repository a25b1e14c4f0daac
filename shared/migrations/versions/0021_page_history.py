"""a year of history on status pages: how many days of bars, and SLA targets

Revision ID: 0021_page_history
Revises: 0020_private_pages

`history_days` is how many daily bars a page shows (30, 90 or 365; the API refuses any
other). `sla_target` is an uptime percentage (e.g. 99.9) the page's figures are compared
with: on the page for all its monitors, on a page's monitor for that one (it wins).
NULL: no SLA shown.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_page_history"
down_revision = "0020_private_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "status_pages",
        sa.Column("history_days", sa.SmallInteger, nullable=False, server_default=sa.text("90")),
    )
    op.create_check_constraint(
        "status_pages_history_days", "status_pages", "history_days IN (30, 90, 365)"
    )
    for table in ("status_pages", "status_page_monitors"):
        op.add_column(table, sa.Column("sla_target", sa.Numeric(6, 3)))
        op.create_check_constraint(
            f"{table}_sla_target", table, "sla_target > 0 AND sla_target < 100"
        )


def downgrade() -> None:
    for table in ("status_pages", "status_page_monitors"):
        op.drop_constraint(f"{table}_sla_target", table)
        op.drop_column(table, "sla_target")
    op.drop_constraint("status_pages_history_days", "status_pages")
    op.drop_column("status_pages", "history_days")

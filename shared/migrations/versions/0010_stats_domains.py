"""processor_stats (the ingest rate of the operator's view) and status_pages.custom_domain

Revision ID: 0010_stats_domains
Revises: 0009_cert_notices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_stats_domains"
down_revision = "0009_cert_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processor_stats",
        sa.Column("processor", sa.String(length=128), nullable=False),
        sa.Column("cell", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results_total", sa.BigInteger(), nullable=False),
        sa.Column("results_per_second", sa.Float(), nullable=False),
        sa.Column("window_s", sa.Integer(), nullable=False),
        sa.Column("last_result_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("processor"),
    )
    op.add_column("status_pages", sa.Column("custom_domain", sa.String(length=253)))
    op.create_unique_constraint("status_pages_custom_domain_key", "status_pages", ["custom_domain"])


def downgrade() -> None:
    op.drop_constraint("status_pages_custom_domain_key", "status_pages", type_="unique")
    op.drop_column("status_pages", "custom_domain")
    op.drop_table("processor_stats")

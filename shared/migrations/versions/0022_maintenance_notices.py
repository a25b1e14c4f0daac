"""maintenance notices: which phase of which maintenance occurrence subscribers were told of

Revision ID: 0022_maintenance_notices
Revises: 0021_page_history

A maintenance window's phases are computed from its times, never stored; what must be
stored is that a phase was noticed, so a processor that restarts, or two processors of a
cell, tell each phase of each occurrence once (`result_processor.maintenance_notices`). A
row is written with its outbox event in one transaction; `told` is false for a phase seen
too late to tell (a window made while already on is never "scheduled").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_maintenance_notices"
down_revision = "0021_page_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_notices",
        sa.Column(
            "window_id",
            sa.BigInteger,
            sa.ForeignKey("maintenance_windows.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("told", sa.Boolean, nullable=False),
        sa.Column(
            "noticed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("window_id", "occurrence_start", "phase"),
        sa.CheckConstraint(
            "phase IN ('scheduled', 'started', 'ended')", name="maintenance_notices_phase"
        ),
    )


def downgrade() -> None:
    op.drop_table("maintenance_notices")

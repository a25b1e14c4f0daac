"""heartbeat (push) tests: their ping tokens and state, and the last pings of each

Revision ID: 0014_heartbeats
Revises: 0013_attempts_page

`heartbeats.due_at` is indexed where set: the processor finds the missed deadlines of the
moment with one index range scan, however many heartbeat tests the cell has.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014_heartbeats"
down_revision = "0013_attempts_page"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column(
            "test_id",
            sa.BigInteger,
            sa.ForeignKey("tests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(8), nullable=False, server_default=sa.text("'new'")),
        sa.Column("last_ping_at", sa.DateTime(timezone=True)),
        sa.Column("last_success_at", sa.DateTime(timezone=True)),
        sa.Column("late_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("starts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("pings", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        postgresql_with={"fillfactor": 50},  # updated at every ping: keep updates HOT
    )
    op.create_index(
        "heartbeats_due", "heartbeats", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL")
    )
    op.create_table(
        "heartbeat_pings",
        sa.Column(
            "test_id", sa.BigInteger, sa.ForeignKey("tests.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("slot", sa.SmallInteger, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("exit_status", sa.SmallInteger),
        sa.Column("duration_ms", sa.Float),
        sa.Column("rid", sa.Text),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("test_id", "slot"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat_pings")
    op.drop_table("heartbeats")

"""the directory: heartbeat tests' ping tokens (hashed) and each cell's public ping URL

Revision ID: d0004
Revises: d0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0004"
down_revision = "d0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cells", sa.Column("ping_url", sa.Text, nullable=True))
    op.create_table(
        "ping_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account",
            sa.String(320),
            sa.ForeignKey("accounts.email", ondelete="CASCADE", onupdate="CASCADE"),
            nullable=False,
            index=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("ping_tokens")
    op.drop_column("cells", "ping_url")

"""accounts.time_zone (kept on the account, not only in a session) and api_keys.last_used_at

Revision ID: 0016_account_prefs
Revises: 0014_heartbeats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_account_prefs"
down_revision = "0014_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column(
            "time_zone", sa.String(length=64), nullable=False, server_default=sa.text("'UTC'")
        ),
    )
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("api_keys", "last_used_at")
    op.drop_column("accounts", "time_zone")

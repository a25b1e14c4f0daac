"""accounts.language: the language an account's notifications are written in

Revision ID: 0008_account_language
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_account_language"
down_revision = "0007_regions_extras"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("language", sa.String(length=8), nullable=False, server_default=sa.text("'en'")),
    )


def downgrade() -> None:
    op.drop_column("accounts", "language")

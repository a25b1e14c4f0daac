"""the directory: proof that an account owns its custom domain (a DNS TXT token)

Claims made before this revision get a token and start their grace period now: they are
not served until verified, and lapse like any new unverified claim.

Revision ID: d0003
Revises: d0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0003"
down_revision = "d0002"
branch_labels = None
depends_on = None

# 32 hex digits from PostgreSQL's own random UUID (core since 13): no extension needed.
TOKEN_DEFAULT = sa.text("replace(gen_random_uuid()::text, '-', '')")


def upgrade() -> None:
    op.add_column(
        "domains",
        sa.Column("token", sa.String(length=64), nullable=False, server_default=TOKEN_DEFAULT),
    )
    op.add_column(
        "domains",
        sa.Column(
            "claimed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.add_column("domains", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("domains", "verified_at")
    op.drop_column("domains", "claimed_at")
    op.drop_column("domains", "token")

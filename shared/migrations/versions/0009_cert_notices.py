"""cert_notices: the certificates a cert_expiring event was emitted for, one per test and expiry

Revision ID: 0009_cert_notices
Revises: 0008_account_language
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_cert_notices"
down_revision = "0008_account_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cert_notices",
        sa.Column(
            "test_id", sa.BigInteger, sa.ForeignKey("tests.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("days", sa.Float, nullable=False),
        sa.Column(
            "noticed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("test_id", "expires_on"),
    )


def downgrade() -> None:
    op.drop_table("cert_notices")

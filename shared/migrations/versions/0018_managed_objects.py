"""managed_objects: which objects `vigil apply` created, under the user's key

Revision ID: 0018_managed_objects
Revises: 0015_monitor_tags
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_managed_objects"
down_revision = "0015_monitor_tags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "managed_objects",
        sa.Column(
            "account_id",
            sa.BigInteger,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("object_id", sa.BigInteger, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("account_id", "kind", "key"),
        sa.UniqueConstraint("account_id", "kind", "object_id", name="managed_objects_one_key"),
    )


def downgrade() -> None:
    op.drop_table("managed_objects")

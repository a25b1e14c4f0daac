"""the directory: custom domains of status pages

Revision ID: d0002
Revises: d0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0002"
down_revision = "d0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.email"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("domain"),
    )
    op.create_index(op.f("ix_domains_account"), "domains", ["account"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_domains_account"), table_name="domains")
    op.drop_table("domains")

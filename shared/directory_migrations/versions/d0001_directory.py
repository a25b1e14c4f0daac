"""the directory: cells, accounts, log-ins and status page slugs

Revision ID: d0001
Revises:
Create Date: 2026-11-26 04:19:21.395137
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cells",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("api_url", sa.Text(), nullable=False),
        sa.Column("database_url", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "accounts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("cell", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cell"],
            ["cells.name"],
        ),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_index(op.f("ix_accounts_cell"), "accounts", ["cell"], unique=False)
    op.create_table(
        "logins",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.email"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_index(op.f("ix_logins_account"), "logins", ["account"], unique=False)
    op.create_table(
        "slugs",
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"], ["accounts.email"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_index(op.f("ix_slugs_account"), "slugs", ["account"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_slugs_account"), table_name="slugs")
    op.drop_table("slugs")
    op.drop_index(op.f("ix_logins_account"), table_name="logins")
    op.drop_table("logins")
    op.drop_index(op.f("ix_accounts_cell"), table_name="accounts")
    op.drop_table("accounts")
    op.drop_table("cells")

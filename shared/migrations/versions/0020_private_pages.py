"""private status pages: a visibility, a password (argon2 hash), allowed email domains,
a feed token, and the one-time sign-in links of visitors

Revision ID: 0020_private_pages
Revises: 0019_manual_incidents

`visibility` is `public` (as every page was), `password` or `email_domain`. A
password-protected page keeps only the argon2 hash of its password; an `email_domain` page
lets in visitors who follow a one-time link mailed to an address at one of
`allowed_domains` (`status_page_sign_ins` keeps each link's SHA-256, expiry and use).
`feed_token` is the random secret that a private page's feed and badge URLs carry (a feed
reader can neither type a password nor read mail).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020_private_pages"
down_revision = "0019_manual_incidents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "status_pages",
        sa.Column("visibility", sa.String(16), nullable=False, server_default="public"),
    )
    op.add_column("status_pages", sa.Column("password_hash", sa.Text))
    op.add_column("status_pages", sa.Column("feed_token", sa.String(64)))
    op.add_column(
        "status_pages",
        sa.Column(
            "allowed_domains",
            postgresql.JSONB,
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.create_table(
        "status_page_sign_ins",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "page_id",
            sa.BigInteger,
            sa.ForeignKey("status_pages.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("status_page_sign_ins")
    for column in ("allowed_domains", "feed_token", "password_hash", "visibility"):
        op.drop_column("status_pages", column)

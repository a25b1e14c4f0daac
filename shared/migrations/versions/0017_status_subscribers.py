"""status page subscribers: email (double opt-in) and webhook, to a page or part of it;
announcements (a banner until its end time)

Revision ID: 0017_status_subscribers
Revises: 0016_account_prefs

`confirmed_at` is NULL until the confirmation link is followed: nothing but that link is
sent to an unconfirmed address. `monitor_ids` and `groups` narrow what a subscriber hears
of (both NULL: the whole page). The partial index serves the fan-out, which reads only the
confirmed subscribers of the pages that show a monitor. A delivery to a subscriber names it
in `notification_deliveries.subscriber_id` (its `channel_id` is NULL): how the fan-out knows
which subscribers were told an incident opened, and so must hear that it ended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017_status_subscribers"
down_revision = "0016_account_prefs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "page_id",
            sa.BigInteger,
            sa.ForeignKey("status_pages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.BigInteger,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.String(2048), nullable=False),
        sa.Column("secrets", sa.Text),
        sa.Column("monitor_ids", JSONB),
        sa.Column("groups", JSONB),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("page_id", "kind", "address", name="status_subscribers_page_address"),
    )
    op.create_index(
        "status_subscribers_confirmed",
        "status_subscribers",
        ["page_id"],
        postgresql_where=sa.text("confirmed_at IS NOT NULL"),
    )
    op.add_column("notification_deliveries", sa.Column("subscriber_id", sa.BigInteger))
    op.create_table(
        "status_announcements",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "page_id",
            sa.BigInteger,
            sa.ForeignKey("status_pages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.BigInteger,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("status_announcements_page_end", "status_announcements", ["page_id", "ends_at"])
    # What a detected incident is called on the status pages, if the team names it.
    op.add_column("incidents", sa.Column("public_title", sa.String(200)))
    op.add_column("incidents", sa.Column("public_message", sa.Text))


def downgrade() -> None:
    op.drop_column("incidents", "public_message")
    op.drop_column("incidents", "public_title")
    op.drop_table("status_announcements")
    op.drop_column("notification_deliveries", "subscriber_id")
    op.drop_table("status_subscribers")

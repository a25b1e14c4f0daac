"""monitor tags, status-page groups that select monitors by tag, and the list's indexes

Revision ID: 0015_monitor_tags
Revises: 0017_status_subscribers

`monitors.tags` is a text array with a GIN index, so `tags @> '{web}'` is one index scan
however many monitors the account has. `monitors (account_id, updated_at)` lets the list's
ETag read the account's latest change from the index alone (api/monitor_list.py).
`status_pages.group_tags` maps a group name to a tag: the group then shows every monitor of
the page's account with that tag, beside those placed in it one by one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0015_monitor_tags"
down_revision = "0017_status_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "monitors",
        sa.Column("tags", ARRAY(sa.String(50)), nullable=False, server_default=sa.text("'{}'")),
    )
    op.create_index("monitors_tags", "monitors", ["tags"], postgresql_using="gin")
    op.create_index("monitors_account_updated", "monitors", ["account_id", "updated_at"])
    op.add_column(
        "status_pages",
        sa.Column("group_tags", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("status_pages", "group_tags")
    op.drop_index("monitors_account_updated", table_name="monitors")
    op.drop_index("monitors_tags", table_name="monitors")
    op.drop_column("monitors", "tags")

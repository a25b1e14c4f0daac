"""notification_attempts: an index on (channel_id, id) for a channel's attempts pages

Revision ID: 0013_attempts_page
Revises: 0012_test_changes

The API pages a channel's attempts by id, oldest or newest first. With only the (channel,
time) index a channel with few attempts among millions sorted its rows at each page
(3-6 ms); along (channel_id, id) a page in either order reads just its rows.
"""

from __future__ import annotations

from alembic import op

revision = "0013_attempts_page"
down_revision = "0012_test_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "notification_attempts_channel_id", "notification_attempts", ["channel_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("notification_attempts_channel_id", "notification_attempts")

"""status page branding: an accent colour, footer links and a favicon

Revision ID: 0023_page_branding
Revises: 0022_maintenance_notices

`accent_color` is a #rrggbb colour, stored lower-case (NULL: the default look);
`footer_links` a JSON list of {"label", "url"} (http or https URLs, at most
`shared.names.MAX_FOOTER_LINKS`, checked by the API); `favicon_url` an https URL or NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0023_page_branding"
down_revision = "0022_maintenance_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("status_pages", sa.Column("accent_color", sa.String(7)))
    op.create_check_constraint(
        "status_pages_accent_color", "status_pages", "accent_color ~ '^#[0-9a-f]{6}$'"
    )
    op.add_column(
        "status_pages",
        sa.Column("footer_links", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column("status_pages", sa.Column("favicon_url", sa.String(2048)))


def downgrade() -> None:
    op.drop_column("status_pages", "favicon_url")
    op.drop_column("status_pages", "footer_links")
    op.drop_constraint("status_pages_accent_color", "status_pages")
    op.drop_column("status_pages", "accent_color")

"""result extras; tests run in several regions

Revision ID: 0007_regions_extras
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_regions_extras"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On a partitioned parent, ADD COLUMN reaches every partition; nullable without a
    # default, it is a change of the catalogue only (no rewrite of a billion rows).
    for table in ("results", "results_week"):
        op.add_column(table, sa.Column("extras", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    for table in ("results", "results_week"):
        op.drop_column(table, "extras")

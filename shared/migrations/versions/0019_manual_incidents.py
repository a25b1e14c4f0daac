"""manual incidents (posted by the owner on a status page) and recurring maintenance

Revision ID: 0019_manual_incidents
Revises: 0018_managed_objects

A manual incident belongs to one status page and names the page's monitors it touches with
their impact; its updates carry the status it moved to. `resolved_at` is set once, by the
update that resolves it (the API's conditional UPDATE). A maintenance window may recur:
`recurrence` is the RRULE subset of shared/recurrence.py, expanded in `timezone` from
`starts_at`, each occurrence lasting `ends_at - starts_at`; NULL: a single window.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019_manual_incidents"
down_revision = "0018_managed_objects"
branch_labels = None
depends_on = None


def _account() -> sa.Column[Any]:
    return sa.Column(
        "account_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "manual_incidents",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "page_id",
            sa.BigInteger,
            sa.ForeignKey("status_pages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _account(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
            name="manual_incidents_status",
        ),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolved_at IS NOT NULL)", name="manual_incidents_resolved"
        ),
    )
    op.create_index("manual_incidents_page_started", "manual_incidents", ["page_id", "started_at"])
    op.create_table(
        "manual_incident_monitors",
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("manual_incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "monitor_id",
            sa.BigInteger,
            sa.ForeignKey("monitors.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("impact", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "monitor_id"),
        sa.CheckConstraint(
            "impact IN ('degraded', 'partial_outage', 'major_outage')",
            name="manual_incident_monitors_impact",
        ),
    )
    op.create_table(
        "manual_incident_updates",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "incident_id",
            sa.BigInteger,
            sa.ForeignKey("manual_incidents.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.add_column("maintenance_windows", sa.Column("recurrence", sa.String(200)))
    op.add_column("maintenance_windows", sa.Column("timezone", sa.String(64)))
    op.create_check_constraint(
        "maintenance_recurrence_zone",
        "maintenance_windows",
        "(recurrence IS NULL) = (timezone IS NULL)",
    )


def downgrade() -> None:
    op.drop_constraint("maintenance_recurrence_zone", "maintenance_windows")
    op.drop_column("maintenance_windows", "timezone")
    op.drop_column("maintenance_windows", "recurrence")
    op.drop_table("manual_incident_updates")
    op.drop_table("manual_incident_monitors")
    op.drop_table("manual_incidents")

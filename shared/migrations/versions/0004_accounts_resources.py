"""accounts, team members, tokens, API keys; status pages, channels, maintenance windows

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 03:59:47.006348
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("login_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["login_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(op.f("ix_api_keys_account_id"), "api_keys", ["account_id"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_invitations_account_id"), "invitations", ["account_id"], unique=False)
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_notification_channels_account_id"),
        "notification_channels",
        ["account_id"],
        unique=False,
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("login_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["login_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_refresh_tokens_login_id"), "refresh_tokens", ["login_id"], unique=False
    )
    op.create_table(
        "status_pages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("logo_url", sa.String(length=2048), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column(
            "groups",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(
        op.f("ix_status_pages_account_id"), "status_pages", ["account_id"], unique=False
    )
    op.create_table(
        "channel_monitors",
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["channel_id"], ["notification_channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("channel_id", "monitor_id"),
    )
    op.create_index(
        op.f("ix_channel_monitors_account_id"), "channel_monitors", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_channel_monitors_monitor_id"), "channel_monitors", ["monitor_id"], unique=False
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=True),
        sa.Column("status_page_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(monitor_id IS NULL) <> (status_page_id IS NULL)", name="maintenance_one_target"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="maintenance_ends_after_start"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["status_page_id"], ["status_pages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_maintenance_windows_account_id"),
        "maintenance_windows",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_maintenance_windows_monitor_id"),
        "maintenance_windows",
        ["monitor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_maintenance_windows_status_page_id"),
        "maintenance_windows",
        ["status_page_id"],
        unique=False,
    )
    op.create_table(
        "status_page_monitors",
        sa.Column("page_id", sa.BigInteger(), nullable=False),
        sa.Column("monitor_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["page_id"], ["status_pages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("page_id", "monitor_id"),
    )
    op.create_index(
        op.f("ix_status_page_monitors_account_id"),
        "status_page_monitors",
        ["account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_status_page_monitors_monitor_id"),
        "status_page_monitors",
        ["monitor_id"],
        unique=False,
    )
    op.add_column("accounts", sa.Column("owner_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("role", sa.String(length=16), server_default=sa.text("'owner'"), nullable=False),
    )
    op.add_column("accounts", sa.Column("tokens_after", sa.DateTime(timezone=True), nullable=True))
    op.add_column("accounts", sa.Column("max_tests", sa.Integer(), nullable=True))
    op.add_column("accounts", sa.Column("min_interval_s", sa.Integer(), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("frozen", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index(op.f("ix_accounts_owner_id"), "accounts", ["owner_id"], unique=False)
    op.create_foreign_key(
        "accounts_owner_id_fkey", "accounts", "accounts", ["owner_id"], ["id"], ondelete="CASCADE"
    )
    op.add_column(
        "monitors",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("monitors", "updated_at")
    op.drop_constraint("accounts_owner_id_fkey", "accounts", type_="foreignkey")
    op.drop_index(op.f("ix_accounts_owner_id"), table_name="accounts")
    op.drop_column("accounts", "frozen")
    op.drop_column("accounts", "min_interval_s")
    op.drop_column("accounts", "max_tests")
    op.drop_column("accounts", "tokens_after")
    op.drop_column("accounts", "role")
    op.drop_column("accounts", "owner_id")
    op.drop_index(op.f("ix_status_page_monitors_monitor_id"), table_name="status_page_monitors")
    op.drop_index(op.f("ix_status_page_monitors_account_id"), table_name="status_page_monitors")
    op.drop_table("status_page_monitors")
    op.drop_index(op.f("ix_maintenance_windows_status_page_id"), table_name="maintenance_windows")
    op.drop_index(op.f("ix_maintenance_windows_monitor_id"), table_name="maintenance_windows")
    op.drop_index(op.f("ix_maintenance_windows_account_id"), table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index(op.f("ix_channel_monitors_monitor_id"), table_name="channel_monitors")
    op.drop_index(op.f("ix_channel_monitors_account_id"), table_name="channel_monitors")
    op.drop_table("channel_monitors")
    op.drop_index(op.f("ix_status_pages_account_id"), table_name="status_pages")
    op.drop_table("status_pages")
    op.drop_index(op.f("ix_refresh_tokens_login_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_notification_channels_account_id"), table_name="notification_channels")
    op.drop_table("notification_channels")
    op.drop_index(op.f("ix_invitations_account_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_api_keys_account_id"), table_name="api_keys")
    op.drop_table("api_keys")

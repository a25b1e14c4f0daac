"""The cell database, defined once with SQLAlchemy Core. Alembic alone changes the schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# A row is one log-in. An owner's row (owner_id NULL) is also the account its team shares:
# resources carry that row's id as their account_id. A member's row points at its owner.
accounts = Table(
    "accounts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("owner_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    Column("role", String(16), nullable=False, server_default=text("'owner'")),
    # Access tokens issued before this instant are refused (password change, log-out).
    Column("tokens_after", DateTime(timezone=True)),
    # The operator's quotas for this account; NULL means the cell's default.
    Column("max_tests", Integer),
    Column("min_interval_s", Integer),
    # Set while the account moves to another cell: writes are refused.
    Column("frozen", Boolean, nullable=False, server_default=text("false")),
)

monitors = Table(
    "monitors",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tests = Table(
    "tests",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("monitor_id", BigInteger, ForeignKey("monitors.id", ondelete="CASCADE"),
           nullable=False, index=True),
    # Denormalised so every query can be scoped to the account without a join.
    Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("config", JSONB, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _result_columns() -> list[Column]:
    """Columns shared by the full history and the week table.

    No primary key and no foreign key: both tables are to be range-partitioned on
    checked_at, and results outlive the tests they belong to.
    """
    return [
        Column("test_id", BigInteger, nullable=False),
        Column("checked_at", DateTime(timezone=True), nullable=False),
        Column("region", String(32), nullable=False),
        Column("node", String(64), nullable=False),
        Column("status", SmallInteger, nullable=False),
        Column("latency_ms", Float),
        Column("http_status", SmallInteger),
        Column("error_kind", String(32)),
        Column("error", Text),
    ]


results = Table("results", metadata, *_result_columns())
Index("results_test_time", results.c.test_id, results.c.checked_at.desc())

results_week = Table("results_week", metadata, *_result_columns())
Index("results_week_test_time", results_week.c.test_id, results_week.c.checked_at.desc())

# The newest known state of each test, kept by the result processor.
test_state = Table(
    "test_state",
    metadata,
    Column("test_id", BigInteger, primary_key=True),
    Column("status", SmallInteger, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("latency_ms", Float),
    Column("http_status", SmallInteger),
    Column("error_kind", String(32)),
    Column("error", Text),
    Column("region", String(32), nullable=False),
)

# Batch ids already stored, so a redelivered batch is recognised and skipped.
processed_batches = Table(
    "processed_batches",
    metadata,
    Column("batch_id", LargeBinary(16), primary_key=True),
    Column("node", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Rows that failed validation, set aside with the reason instead of sinking their batch.
rejected_results = Table(
    "rejected_results",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("batch_id", LargeBinary(16)),
    Column("row", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _account_id() -> Column:
    return Column("account_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False, index=True)


def _timestamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


# An owner's invitation to a team member; the token is shown once and stored as a SHA-256.
invitations = Table(
    "invitations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Opaque refresh tokens (SHA-256 stored), each usable once: a refresh replaces it.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("login_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Keys for scripts, usable as Bearer tokens; shown once, stored as a SHA-256.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("login_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists, to tell keys apart
    Column("key_hash", LargeBinary(32), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

status_pages = Table(
    "status_pages",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("slug", String(63), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("logo_url", String(2048)),
    Column("language", String(16), nullable=False),
    Column("groups", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    *_timestamps(),
)

status_page_monitors = Table(
    "status_page_monitors",
    metadata,
    Column("page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"),
           nullable=False),
    Column("monitor_id", BigInteger, ForeignKey("monitors.id", ondelete="CASCADE"),
           nullable=False, index=True),
    _account_id(),
    Column("group_name", String(100)),
    Column("position", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("page_id", "monitor_id"),
)

# Secret parts of a channel's config (passwords, webhook URLs, tokens) live in `secrets`,
# Fernet-encrypted; `config` holds the rest in clear.
notification_channels = Table(
    "notification_channels",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("config", JSONB, nullable=False),
    Column("secrets", Text),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
)

channel_monitors = Table(
    "channel_monitors",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("notification_channels.id", ondelete="CASCADE"),
           nullable=False),
    Column("monitor_id", BigInteger, ForeignKey("monitors.id", ondelete="CASCADE"),
           nullable=False, index=True),
    _account_id(),
    PrimaryKeyConstraint("channel_id", "monitor_id"),
)

# Planned downtime of one monitor or of every monitor on one status page.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("title", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("monitor_id", BigInteger, ForeignKey("monitors.id", ondelete="CASCADE"), index=True),
    Column("status_page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"),
           index=True),
    *_timestamps(),
    CheckConstraint("ends_at > starts_at", name="maintenance_ends_after_start"),
    CheckConstraint("(monitor_id IS NULL) <> (status_page_id IS NULL)",
                    name="maintenance_one_target"),
)

"""The cell database, defined once with SQLAlchemy Core. Alembic alone changes the schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, REAL

from shared.messages import CERT_DAYS, TIMING_EXTRAS

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
    # The language of this log-in's notifications (the owner's row speaks for the account).
    Column("language", String(8), nullable=False, server_default=text("'en'")),
    # The zone its times are shown and entered in, whichever browser it logs in from.
    Column("time_zone", String(64), nullable=False, server_default=text("'UTC'")),
)

monitors = Table(
    "monitors",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "account_id",
        BigInteger,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Free labels to find and select monitors by (migration 0015, GIN-indexed).
    Column("tags", ARRAY(String(50)), nullable=False, server_default=text("'{}'")),
    Index("monitors_tags", "tags", postgresql_using="gin"),
    Index("monitors_account_updated", "account_id", "updated_at"),
)

tests = Table(
    "tests",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "monitor_id",
        BigInteger,
        ForeignKey("monitors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # Denormalised so every query can be scoped to the account without a join.
    Column(
        "account_id",
        BigInteger,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(32), nullable=False),
    # The primary region: always the first of `regions` (a trigger keeps them so, and fills
    # `regions` from it for writers that know only this column; migration 0007).
    Column("region", String(32), nullable=False),
    # Every region the test runs in, 1-10; each runs it on one of its live nodes.
    Column("regions", ARRAY(String(32)), nullable=False),
    Column("interval_s", Integer, nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("config", JSONB, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The incident rule (shared.alert_rules.Rule as JSON); NULL means the defaults.
    Column("alert_rule", JSONB),
    # The transaction that last wrote the row, set by a trigger on every insert and update
    # (migration 0012): the scheduler reads only what changed since its last look.
    Column("change_xid", BigInteger, nullable=False),
    CheckConstraint("cardinality(regions) BETWEEN 1 AND 10", name="tests_regions_count"),
    Index("tests_change_xid", "change_xid"),
)

# A deleted test, kept until the scheduler has read it (a trigger writes it; migration 0012).
# test_id NULL: the whole table was truncated.
test_deletions = Table(
    "test_deletions",
    metadata,
    Column("test_id", BigInteger),
    Column("change_xid", BigInteger, nullable=False),
    Index("test_deletions_change_xid", "change_xid"),
)


def _result_columns() -> list[Column[Any]]:
    """Columns shared by the full history and the week table.

    No primary key and no foreign key: both tables are range-partitioned on checked_at
    (shared.partitioning: `results` by month, `results_week` by day, each with a DEFAULT
    partition), and results outlive the tests they belong to.
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
        # What nearly every HTTPS result carries, as columns of their own (migration 0011):
        # each phase's end in milliseconds from the start of the check, and the
        # certificate's days left. real: 4 bytes, written by COPY as the executor's float
        # with no conversion, and its 24 bits keep the executor's precision (0.001 ms below
        # 16 s, 0.01 day); the API reads them back rounded to it. NULL when not reported.
        *(Column(name, REAL) for name in (*TIMING_EXTRAS, CERT_DAYS)),
        # The other, rarer figures of the check (attempts, first error, packet loss, whether
        # it was a confirmation asked by another region), as the executor sent them; NULL
        # when there are none. json, not jsonb: written as text, twice as fast to COPY.
        Column("extras", JSON),
    ]


# The columns a result row is written with (COPY), in order.
RESULT_COLUMNS = tuple(c.name for c in _result_columns())

results = Table(
    "results", metadata, *_result_columns(), postgresql_partition_by="RANGE (checked_at)"
)
Index("results_test_time", results.c.test_id, results.c.checked_at.desc())

results_week = Table(
    "results_week", metadata, *_result_columns(), postgresql_partition_by="RANGE (checked_at)"
)
Index(
    "results_week_test_time",
    results_week.c.test_id,
    results_week.c.checked_at.desc(),
    postgresql_include=["status", "latency_ms"],
)

# The newest known state of each test, kept by the result processor. This table and the
# other rows updated in place (monitor_state, daily_rollups, alert_state) have fillfactor 50
# (migration 0002), so updates stay HOT.
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
    # Today's counts for the daily rollups, kept here so that storing a group costs one
    # upsert per test, not two (migration 0011). `day` is the UTC day they count; when it
    # changes, a trigger adds the old day's counts to daily_rollups. Readers of daily
    # counts read both (api.queries).
    Column("day", Date),
    *(
        Column(f"day_{name}", Integer, nullable=False, server_default=text("0"))
        for name in ("checks", "failures", "degraded", "latency_count")
    ),
    Column("day_latency_sum", Float, nullable=False, server_default=text("0")),
)

# A heartbeat (push) test's ping token and what its pings said (migration 0014). The API
# creates the row with the test and finds tests by token; the result processor keeps the
# rest. `late_at` is when the next ping is expected (past it the test is late), `due_at`
# when it goes down without one: indexed where set, so the processor finds missed
# deadlines without reading every test, and claims each with a conditional UPDATE.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("test_id", BigInteger, ForeignKey("tests.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("state", String(8), nullable=False, server_default=text("'new'")),  # new, up, down
    Column("last_ping_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("late_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    # Runs started and not ended yet: {rid or "": start epoch ms}.
    Column("starts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("pings", BigInteger, nullable=False, server_default=text("0")),  # pings seen
    Index("heartbeats_due", "due_at", postgresql_where=text("due_at IS NOT NULL")),
)

PING_LOG_SIZE = 100  # pings kept per heartbeat test, in a ring: slot = ping number % size

# The last pings of each heartbeat test, whatever they said (start and log too), with the
# body cut at 10,000 bytes; the results tables hold the successes and failures as results.
heartbeat_pings = Table(
    "heartbeat_pings",
    metadata,
    Column("test_id", BigInteger, ForeignKey("tests.id", ondelete="CASCADE"), nullable=False),
    Column("slot", SmallInteger, nullable=False),
    Column("n", BigInteger, nullable=False),  # the ping's number, 1 for the first
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("exit_status", SmallInteger),
    Column("duration_ms", Float),
    Column("rid", Text),
    Column("method", String(8), nullable=False),
    Column("source", Text, nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("test_id", "slot"),
)

# Batch ids already stored, so a redelivered batch is recognised and skipped.
processed_batches = Table(
    "processed_batches",
    metadata,
    Column("batch_id", LargeBinary(16), primary_key=True),
    Column("node", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("processed_batches_time", "processed_at"),  # pruning old ids
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

# One row per notification to one channel, keyed by its idempotency key: the notifier claims
# the row (a conditional UPDATE) before sending, so a redelivered message is sent once.
# Channel and account ids carry no foreign key: the row must outlive a deleted channel.
notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("account_id", BigInteger, index=True),
    Column("channel_id", BigInteger),
    Column("channel_kind", String(32), nullable=False),
    Column("event_kind", String(32), nullable=False),
    Column("incident_id", BigInteger),
    Column("subscriber_id", BigInteger),  # a status page subscriber's delivery (migration 0017)
    Column("state", String(16), nullable=False),  # waiting | sending | sent | failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("claimed_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
)

# Every attempt at a delivery, whatever its outcome: what the API shows as the channel's log.
notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("idempotency_key", String(200), nullable=False, index=True),
    Column("account_id", BigInteger),
    Column("channel_id", BigInteger),
    Column("channel_kind", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("duration_ms", Float, nullable=False),
    Column("outcome", String(16), nullable=False),  # sent | retry | failed
    Column("permanent", Boolean, nullable=False, server_default=text("false")),
    Column("error", Text),
    Column("detail", Text),  # the channel's note: an HTTP status, a hook's exit code and output
)
Index(
    "notification_attempts_channel_time",
    notification_attempts.c.channel_id,
    notification_attempts.c.attempted_at.desc(),
)

# A channel's attempts paged by id, either way (migration 0013).
Index(
    "notification_attempts_channel_id",
    notification_attempts.c.channel_id,
    notification_attempts.c.id,
)

# The executor fleet as this cell's scheduler hears it: one row per node, from its heartbeats.
nodes = Table(
    "nodes",
    metadata,
    Column("region", String(32), primary_key=True),
    Column("node", String(64), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_heartbeat", DateTime(timezone=True), nullable=False),  # centre's clock
    Column("sent_at", DateTime(timezone=True), nullable=False),  # the node's clock
    Column("interval_s", Float, nullable=False),
    Column("load", Float, nullable=False),
    Column("tests_held", Integer, nullable=False),
    Column("backlog", BigInteger, nullable=False),
    Column("clock_offset_ms", BigInteger),
)

# One row per test per UTC day: 90-day bars and long-range charts never touch raw rows.
# Counts are kept by the processor in the transaction that stores the results: a day's counts
# in test_state while it is the test's current day, moved here when the next day begins (or
# by the processor's maintenance); exact latency percentiles are computed once the day has
# closed, and the row is then `sealed`.
daily_rollups = Table(
    "daily_rollups",
    metadata,
    Column("test_id", BigInteger, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("checks", Integer, nullable=False),
    Column("failures", Integer, nullable=False),  # DOWN results
    Column("degraded", Integer, nullable=False),  # DEGRADED results
    Column("latency_count", Integer, nullable=False),  # results with a latency
    Column("latency_sum", Float, nullable=False),
    Column("p50_ms", Float),
    Column("p95_ms", Float),
    Column("p99_ms", Float),
    Column("sealed", Boolean, nullable=False, server_default=text("false")),
    Index("daily_rollups_unsealed", "day", postgresql_where=text("NOT sealed")),
)

# The worst state of a monitor's tests, and since when, kept by the processor.
monitor_state = Table(
    "monitor_state",
    metadata,
    Column("monitor_id", BigInteger, primary_key=True),
    Column("status", SmallInteger, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# An outage of a test, from its first failing result to the result that ended it.
# state: suspected -> down | degraded -> resolved; or suspected -> dismissed (not confirmed).
incidents = Table(
    "incidents",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("test_id", BigInteger, nullable=False),
    Column("monitor_id", BigInteger),
    Column("state", String(16), nullable=False),
    Column("cause", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("evidence", JSONB, nullable=False),  # failing results by region
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Who on the team said "I'm on it", and when (migration 0006); no foreign key, like
    # test_id: an incident outlives the log-in.
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", BigInteger),
    # What the status pages call it, if the team names it (migration 0017).
    Column("public_title", String(200)),
    Column("public_message", Text),
    Index("incidents_test_started", "test_id", "started_at"),
    Index("incidents_monitor_started", "monitor_id", "started_at"),
    Index("incidents_open", "test_id", unique=True, postgresql_where=text("resolved_at IS NULL")),
)

# The incident state machine's memory of a test that is failing or recently failed
# (result_processor.alerting.TestAlert as JSON). A healthy test has no row.
alert_state = Table(
    "alert_state",
    metadata,
    Column("test_id", BigInteger, primary_key=True),
    Column("state", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Incident events written in the transaction that decided them, published after commit.
event_outbox = Table(
    "event_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("routing_key", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The certificates a `cert_expiring` event was emitted for (result_processor.certs): one row
# per test and expiry date, so a restart or a redelivered batch never tells of one twice.
cert_notices = Table(
    "cert_notices",
    metadata,
    Column("test_id", BigInteger, ForeignKey("tests.id", ondelete="CASCADE"), nullable=False),
    Column("expires_on", Date, nullable=False),  # UTC day the certificate expires
    Column("days", Float, nullable=False),  # days it had left when first seen under the mark
    Column("noticed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("test_id", "expires_on"),
)

# The hook for the node registry: results from a node listed here do not count towards
# incidents (they are still stored). Whoever knows a node is broken inserts it here.
broken_nodes = Table(
    "broken_nodes",
    metadata,
    Column("node", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _account_id() -> Column[Any]:
    return Column(
        "account_id",
        BigInteger,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _timestamps() -> list[Column[Any]]:
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
    Column(
        "login_id",
        BigInteger,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
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
    Column("login_id", BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists, to tell keys apart
    Column("key_hash", LargeBinary(32), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Updated at most once a minute (api.deps.LAST_USED_EVERY): a busy script is no write load.
    Column("last_used_at", DateTime(timezone=True)),
)

status_pages = Table(
    "status_pages",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _account_id(),
    Column("slug", String(63), nullable=False, unique=True),
    # A host name the page is also served at (lower-case, IDNA A-labels); unique like slugs.
    Column("custom_domain", String(253), unique=True),
    Column("title", String(200), nullable=False),
    Column("logo_url", String(2048)),
    Column("language", String(16), nullable=False),
    Column("groups", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # {group name: tag}: the group also shows every monitor of the account with that tag.
    Column("group_tags", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # public | password (migration 0020): a private page keeps its password's argon2 hash,
    # and the random token its feed and badge URLs carry.
    Column("visibility", String(16), nullable=False, server_default=text("'public'")),
    Column("password_hash", Text),
    Column("feed_token", String(64)),
    # email_domain pages: visitors at these domains (lower-case, IDNA) may sign in by mail.
    Column("allowed_domains", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # Days of bars shown (30, 90 or 365) and the page's SLA target in percent (migration 0021).
    Column("history_days", SmallInteger, nullable=False, server_default=text("90")),
    Column("sla_target", Numeric(6, 3, asdecimal=False)),
    # Branding (migration 0023): #rrggbb, [{"label", "url"}, ...], an https URL.
    Column("accent_color", String(7)),
    Column("footer_links", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("favicon_url", String(2048)),
    *_timestamps(),
)

# A one-time sign-in link mailed to a visitor of an email_domain page (migration 0020): its
# secret kept as a SHA-256, used once (the conditional UPDATE of `used_at`) before it expires.
status_page_sign_ins = Table(
    "status_page_sign_ins",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "page_id",
        BigInteger,
        ForeignKey("status_pages.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("email", String(254), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

status_page_monitors = Table(
    "status_page_monitors",
    metadata,
    Column(
        "page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "monitor_id",
        BigInteger,
        ForeignKey("monitors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    _account_id(),
    Column("group_name", String(100)),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("sla_target", Numeric(6, 3, asdecimal=False)),  # this monitor's, over the page's
    PrimaryKeyConstraint("page_id", "monitor_id"),
)

# Who hears of a status page's incidents and maintenance (migration 0017): an email address
# once it followed its confirmation link, or a webhook the owner added (its signing secret
# sealed in `secrets`). `monitor_ids`/`groups` narrow it; both NULL is the whole page.
status_subscribers = Table(
    "status_subscribers",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"), nullable=False
    ),
    _account_id(),
    Column("kind", String(16), nullable=False),  # email | webhook
    Column("address", String(2048), nullable=False),
    Column("secrets", Text),
    Column("monitor_ids", JSONB(none_as_null=True)),  # None is SQL NULL, not JSON null
    Column("groups", JSONB(none_as_null=True)),
    Column("language", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("confirmed_at", DateTime(timezone=True)),
    UniqueConstraint("page_id", "kind", "address", name="status_subscribers_page_address"),
    Index(
        "status_subscribers_confirmed", "page_id", postgresql_where=text("confirmed_at IS NOT NULL")
    ),
)

# A banner on a status page from its start to its end time (migration 0017).
status_announcements = Table(
    "status_announcements",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"), nullable=False
    ),
    _account_id(),
    Column("message", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("status_announcements_page_end", "page_id", "ends_at"),
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
    Column(
        "channel_id",
        BigInteger,
        ForeignKey("notification_channels.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "monitor_id",
        BigInteger,
        ForeignKey("monitors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
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
    Column(
        "status_page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    ),
    *_timestamps(),
    CheckConstraint("ends_at > starts_at", name="maintenance_ends_after_start"),
    # A recurring window (migration 0019): the RRULE subset of shared/recurrence, expanded
    # in `timezone` from starts_at, each occurrence lasting ends_at - starts_at.
    Column("recurrence", String(200)),
    Column("timezone", String(64)),
    CheckConstraint(
        "(monitor_id IS NULL) <> (status_page_id IS NULL)", name="maintenance_one_target"
    ),
    CheckConstraint(
        "(recurrence IS NULL) = (timezone IS NULL)", name="maintenance_recurrence_zone"
    ),
)


# Each phase of each maintenance occurrence that was noticed, and whether subscribers were
# told (migration 0022): what makes every phase told once (result_processor.maintenance_notices).
maintenance_notices = Table(
    "maintenance_notices",
    metadata,
    Column(
        "window_id",
        BigInteger,
        ForeignKey("maintenance_windows.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("occurrence_start", DateTime(timezone=True), nullable=False),
    Column("phase", String(16), nullable=False),  # scheduled | started | ended
    Column("told", Boolean, nullable=False),
    Column("noticed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("window_id", "occurrence_start", "phase"),
    CheckConstraint("phase IN ('scheduled', 'started', 'ended')", name="maintenance_notices_phase"),
)


# An incident the owner posts on a status page, one Vigil did not detect (migration 0019):
# the page's monitors it touches with their impact, and its updates, newest last.
manual_incidents = Table(
    "manual_incidents",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "page_id", BigInteger, ForeignKey("status_pages.id", ondelete="CASCADE"), nullable=False
    ),
    _account_id(),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # investigating .. resolved
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    CheckConstraint(
        "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
        name="manual_incidents_status",
    ),
    CheckConstraint(
        "(status = 'resolved') = (resolved_at IS NOT NULL)", name="manual_incidents_resolved"
    ),
    Index("manual_incidents_page_started", "page_id", "started_at"),
)

manual_incident_monitors = Table(
    "manual_incident_monitors",
    metadata,
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("manual_incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "monitor_id",
        BigInteger,
        ForeignKey("monitors.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("impact", String(16), nullable=False),  # degraded | partial_outage | major_outage
    PrimaryKeyConstraint("incident_id", "monitor_id"),
    CheckConstraint(
        "impact IN ('degraded', 'partial_outage', 'major_outage')",
        name="manual_incident_monitors_impact",
    ),
)

manual_incident_updates = Table(
    "manual_incident_updates",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("manual_incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("status", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# What the team tells a status page's readers about an incident, newest last.
incident_updates = Table(
    "incident_updates",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    _account_id(),
    Column("author_id", BigInteger, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# What each result processor has stored, written by the processor once a second
# (result_processor/stats.py) so the operator's view needs no count of the results tables.
# A processor's row goes stale when it stops: readers ignore rows past `shared.ingest.STALE_S`.
processor_stats = Table(
    "processor_stats",
    metadata,
    Column("processor", String(128), primary_key=True),  # host, pid and a random tag
    Column("cell", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("results_total", BigInteger, nullable=False),  # since the processor started
    Column("results_per_second", Float, nullable=False),  # over the last window_s
    Column("window_s", Integer, nullable=False),
    Column("last_result_at", DateTime(timezone=True)),  # when it last stored a result
)

# Objects that `vigil apply` manages: the user's stable `key:` in the file, bound to the
# object it created. Prune deletes only what is listed here, never what the UI made.
managed_objects = Table(
    "managed_objects",
    metadata,
    _account_id(),
    Column("kind", String(32), nullable=False),  # shared.ascode_format.KINDS
    Column("key", String(100), nullable=False),
    Column("object_id", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("account_id", "kind", "key"),
    UniqueConstraint("account_id", "kind", "object_id", name="managed_objects_one_key"),
)

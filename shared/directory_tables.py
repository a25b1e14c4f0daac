"""The directory: its own small database, shared by every cell of a deployment.

It says which cell holds each account (by its owner's email), each log-in (a team
member's email points at its account), each status page slug, each page's custom
domain and each heartbeat test's ping token. Alembic (`shared/directory_migrations/`) alone
changes its schema.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)

metadata = MetaData()

cells = Table(
    "cells",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("api_url", Text, nullable=False),
    # Where the operator's tools reach the cell's database (to move accounts).
    Column("database_url", Text, nullable=False),
    Column("capacity", Integer, nullable=False),  # accounts placed here at most
    Column("open", Boolean, nullable=False, server_default=text("true")),
    # The cell's public base URL for ping URLs (d0004); NULL: its api_url.
    Column("ping_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

accounts = Table(
    "accounts",
    metadata,
    Column("email", String(320), primary_key=True),  # the owner's, lower-cased
    Column("cell", String(32), ForeignKey("cells.name"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

logins = Table(
    "logins",
    metadata,
    Column("email", String(320), primary_key=True),
    Column(
        "account",
        String(320),
        ForeignKey("accounts.email", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
)

slugs = Table(
    "slugs",
    metadata,
    Column("slug", String(63), primary_key=True),
    Column(
        "account",
        String(320),
        ForeignKey("accounts.email", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
)

# A status page's custom domain, claimed like its slug (the page keeps both in its cell),
# with the proof of ownership: served only once `token` was found in the domain's DNS.
domains = Table(
    "domains",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column(
        "account",
        String(320),
        ForeignKey("accounts.email", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "token",
        String(64),
        nullable=False,
        server_default=text("replace(gen_random_uuid()::text, '-', '')"),
    ),
    # An unverified claim older than the grace period no longer blocks another account.
    Column("claimed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("verified_at", DateTime(timezone=True)),
)

# The ping token of each heartbeat test, as a SHA-256 (the directory needs no secret in
# clear), and the account holding the test (d0004): a ping that reaches another cell's API
# is sent on with a 307 to the cell that holds it.
ping_tokens = Table(
    "ping_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "account",
        String(320),
        ForeignKey("accounts.email", ondelete="CASCADE", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
)

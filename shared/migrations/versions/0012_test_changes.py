"""tests: every write stamped with its transaction id; deletions recorded

Revision ID: 0012_test_changes
Revises: 0011_timings_day_counts

The scheduler reads only the tests written since its last look (scheduler/changes.py). Each
row carries the id of the transaction that last wrote it, set by a trigger, so every write
counts: the API's, a script's direct UPDATE that leaves `version` alone, an account move.
A deleted test leaves (id, transaction id) in `test_deletions`, which the scheduler prunes
once it has read it; a TRUNCATE leaves one row with a NULL id, read as "reload everything".

Why a transaction id and not a sequence: a sequence value is taken at write time and seen
at commit, so a watermark on it skips a slow transaction's rows. Transaction ids come with
an exact rule of visibility instead: every id below a snapshot's xmin has finished, so a
reader that next asks for ids >= the xmin of its previous snapshot misses nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_test_changes"
down_revision = "0011_timings_day_counts"
branch_labels = None
depends_on = None

# pg_current_xact_id() is the top-level transaction's 64-bit id (an epoch with the xid), so
# it never wraps round; it fits a bigint. A subtransaction's write gets its parent's id,
# which is what decides when the row is seen.
_STAMP = """
CREATE FUNCTION tests_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$
"""

_DELETED = """
CREATE FUNCTION tests_record_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO test_deletions (test_id, change_xid)
    VALUES (CASE WHEN TG_LEVEL = 'ROW' THEN OLD.id END, pg_current_xact_id()::text::bigint);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column("tests", sa.Column("change_xid", sa.BigInteger(), nullable=True))
    op.execute("UPDATE tests SET change_xid = pg_current_xact_id()::text::bigint")
    # NOT NULL holds: the BEFORE trigger fills the column before the check is made.
    op.alter_column("tests", "change_xid", nullable=False)
    op.create_index("tests_change_xid", "tests", ["change_xid"])
    op.create_table(
        "test_deletions",
        sa.Column("test_id", sa.BigInteger(), nullable=True),  # NULL: the table was truncated
        sa.Column("change_xid", sa.BigInteger(), nullable=False),
    )
    op.create_index("test_deletions_change_xid", "test_deletions", ["change_xid"])
    op.execute(_STAMP)
    op.execute(
        "CREATE TRIGGER tests_stamp_change BEFORE INSERT OR UPDATE ON tests "
        "FOR EACH ROW EXECUTE FUNCTION tests_stamp_change()"
    )
    op.execute(_DELETED)
    op.execute(
        "CREATE TRIGGER tests_record_deletion AFTER DELETE ON tests "
        "FOR EACH ROW EXECUTE FUNCTION tests_record_deletion()"
    )
    op.execute(
        "CREATE TRIGGER tests_record_truncate AFTER TRUNCATE ON tests "
        "FOR EACH STATEMENT EXECUTE FUNCTION tests_record_deletion()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER tests_record_truncate ON tests")
    op.execute("DROP TRIGGER tests_record_deletion ON tests")
    op.execute("DROP FUNCTION tests_record_deletion()")
    op.execute("DROP TRIGGER tests_stamp_change ON tests")
    op.execute("DROP FUNCTION tests_stamp_change()")
    op.drop_table("test_deletions")
    op.drop_index("tests_change_xid", "tests")
    op.drop_column("tests", "change_xid")

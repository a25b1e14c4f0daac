"""result extras; tests run in several regions

Revision ID: 0007_regions_extras
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_regions_extras"
down_revision = "0006_incident_updates"
branch_labels = None
depends_on = None


# Writers that know only `region` (older code, scripts) keep working: a row written without
# `regions` gets [region]; a change of `region` alone makes it the only region; and `region`
# always mirrors the first of `regions`, the test's primary region.
_SYNC = """
CREATE FUNCTION tests_regions_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.regions IS NULL OR cardinality(NEW.regions) = 0
       OR (TG_OP = 'UPDATE' AND NEW.region IS DISTINCT FROM OLD.region
           AND NEW.regions IS NOT DISTINCT FROM OLD.regions) THEN
        NEW.regions := ARRAY[NEW.region]::varchar(32)[];
    END IF;
    NEW.region := NEW.regions[1];
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "tests", sa.Column("regions", postgresql.ARRAY(sa.String(length=32)), nullable=True)
    )
    op.execute("UPDATE tests SET regions = ARRAY[region]::varchar(32)[]")
    op.alter_column("tests", "regions", nullable=False)
    op.create_check_constraint(
        "tests_regions_count", "tests", "cardinality(regions) BETWEEN 1 AND 10"
    )
    op.execute(_SYNC)
    op.execute(
        "CREATE TRIGGER tests_regions_sync BEFORE INSERT OR UPDATE ON tests "
        "FOR EACH ROW EXECUTE FUNCTION tests_regions_sync()"
    )
    # On a partitioned parent, ADD COLUMN reaches every partition; nullable without a
    # default, it is a change of the catalogue only (no rewrite of a billion rows).
    for table in ("results", "results_week"):
        op.add_column(table, sa.Column("extras", postgresql.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("DROP TRIGGER tests_regions_sync ON tests")
    op.execute("DROP FUNCTION tests_regions_sync()")
    op.drop_constraint("tests_regions_count", "tests")
    op.drop_column("tests", "regions")
    for table in ("results", "results_week"):
        op.drop_column(table, "extras")

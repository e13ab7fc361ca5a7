"""What the housing cycle must never let happen twice, enforced by the database itself.

- one headcount request per firm and period;
- two leases of one unit never overlap in time (PostgreSQL: an exclusion constraint over
  date ranges; SQLite: triggers that refuse the overlapping insert or update);
- one occupant per bed and one bed per worker at a time (partial unique indexes over the
  assignments that have not ended).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T15:07:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "housing cycle rules in the database"

BOTH = [
    "CREATE UNIQUE INDEX headcount_request_period_firm_key ON headcount_request (period_id, firm_id)",
    "CREATE UNIQUE INDEX bed_assignment_bed_taken_key ON bed_assignment (unit_id, bed) WHERE ends_on IS NULL",
    "CREATE UNIQUE INDEX bed_assignment_worker_bedded_key ON bed_assignment (worker_id) WHERE ends_on IS NULL",
    "CREATE INDEX lease_firm_dates_idx ON lease (firm_id, starts_on)",
]
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE lease ADD CONSTRAINT lease_unit_no_overlap "
    "EXCLUDE USING gist (unit_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)",
]
_OVERLAP = (
    "EXISTS (SELECT 1 FROM lease l WHERE l.unit_id = NEW.unit_id {other} "
    "AND l.starts_on <= COALESCE(NEW.ends_on, '9999-12-31') "
    "AND NEW.starts_on <= COALESCE(l.ends_on, '9999-12-31'))"
)
SQLITE = [
    "CREATE TRIGGER lease_unit_no_overlap_insert BEFORE INSERT ON lease "
    f"WHEN {_OVERLAP.format(other='')} "
    "BEGIN SELECT RAISE(ABORT, 'lease_unit_no_overlap'); END",
    "CREATE TRIGGER lease_unit_no_overlap_update BEFORE UPDATE ON lease "
    f"WHEN {_OVERLAP.format(other='AND l.id <> NEW.id')} "
    "BEGIN SELECT RAISE(ABORT, 'lease_unit_no_overlap'); END",
]
DROP = [
    "DROP INDEX IF EXISTS headcount_request_period_firm_key",
    "DROP INDEX IF EXISTS bed_assignment_bed_taken_key",
    "DROP INDEX IF EXISTS bed_assignment_worker_bedded_key",
    "DROP INDEX IF EXISTS lease_firm_dates_idx",
]


class _Raw(Table, tablename="lease"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def create_rules() -> None:
        postgres = _Raw._meta.db.engine_type == "postgres"
        for statement in BOTH + (POSTGRES if postgres else SQLITE):
            await _Raw.raw(statement)

    async def drop_rules() -> None:
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw("ALTER TABLE lease DROP CONSTRAINT IF EXISTS lease_unit_no_overlap")
        else:
            await _Raw.raw("DROP TRIGGER IF EXISTS lease_unit_no_overlap_insert")
            await _Raw.raw("DROP TRIGGER IF EXISTS lease_unit_no_overlap_update")
        for statement in DROP:
            await _Raw.raw(statement)

    manager.add_raw(create_rules)
    manager.add_raw_backwards(drop_rules)
    return manager

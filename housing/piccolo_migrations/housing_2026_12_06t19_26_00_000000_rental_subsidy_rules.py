"""What the rental subsidy must never let happen, enforced by the database itself.

- two subsidy policies valid on the same day (PostgreSQL: an exclusion constraint over date
  ranges; SQLite: triggers that refuse the overlapping insert or update);
- two live applications (submitted, confirmed or approved) of one worker: a partial unique
  index, on both engines; a rejected or withdrawn one does not count, so the worker may apply
  again;
- one application paid twice for a month: a unique index over (application, month).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T19:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rental subsidy rules in the database"

BOTH = [
    "CREATE UNIQUE INDEX rental_subsidy_application_live_key ON rental_subsidy_application (worker_id) "
    "WHERE status IN ('submitted', 'confirmed', 'approved')",
    "CREATE UNIQUE INDEX rental_subsidy_payout_application_month_key ON rental_subsidy_payout (application_id, month)",
    "CREATE INDEX rental_subsidy_payout_firm_month_idx ON rental_subsidy_payout (firm_id, month)",
]
POSTGRES = [
    "ALTER TABLE rental_subsidy_policy ADD CONSTRAINT rental_subsidy_policy_no_overlap "
    "EXCLUDE USING gist (daterange(valid_from, valid_to, '[]') WITH &&)",
]
_OVERLAP = (
    "EXISTS (SELECT 1 FROM rental_subsidy_policy p WHERE 1 = 1 {other} "
    "AND p.valid_from <= COALESCE(NEW.valid_to, '9999-12-31') "
    "AND NEW.valid_from <= COALESCE(p.valid_to, '9999-12-31'))"
)
SQLITE = [
    "CREATE TRIGGER rental_subsidy_policy_no_overlap_insert BEFORE INSERT ON rental_subsidy_policy "
    f"WHEN {_OVERLAP.format(other='')} "
    "BEGIN SELECT RAISE(ABORT, 'rental_subsidy_policy_no_overlap'); END",
    "CREATE TRIGGER rental_subsidy_policy_no_overlap_update BEFORE UPDATE ON rental_subsidy_policy "
    f"WHEN {_OVERLAP.format(other='AND p.id <> NEW.id')} "
    "BEGIN SELECT RAISE(ABORT, 'rental_subsidy_policy_no_overlap'); END",
]
DROP = [
    "DROP INDEX IF EXISTS rental_subsidy_application_live_key",
    "DROP INDEX IF EXISTS rental_subsidy_payout_application_month_key",
    "DROP INDEX IF EXISTS rental_subsidy_payout_firm_month_idx",
]


class _Raw(Table, tablename="rental_subsidy_policy"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def create_rules() -> None:
        postgres = _Raw._meta.db.engine_type == "postgres"
        for statement in BOTH + (POSTGRES if postgres else SQLITE):
            await _Raw.raw(statement)

    async def drop_rules() -> None:
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw("ALTER TABLE rental_subsidy_policy DROP CONSTRAINT IF EXISTS rental_subsidy_policy_no_overlap")
        else:
            await _Raw.raw("DROP TRIGGER IF EXISTS rental_subsidy_policy_no_overlap_insert")
            await _Raw.raw("DROP TRIGGER IF EXISTS rental_subsidy_policy_no_overlap_update")
        for statement in DROP:
            await _Raw.raw(statement)

    manager.add_raw(create_rules)
    manager.add_raw_backwards(drop_rules)
    return manager

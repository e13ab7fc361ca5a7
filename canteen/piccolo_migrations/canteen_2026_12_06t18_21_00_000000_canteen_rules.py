"""What the canteen must never let happen twice, and the indexes its batch work needs.

- a terminal's transaction id is kept once per canteen (the idempotency of meal records);
- a worker's meals by park day (the caps are read per worker and day/month at ingestion);
- a month's meals (the settlement sums them);
- a settlement's lines by kind;
- two prices of one canteen and meal type never overlap in time (PostgreSQL: an exclusion
  constraint; on SQLite the IMMEDIATE write transaction serialises the service's check).

In a file of its own, after the tables: Piccolo runs a migration's raw steps before its table
changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T18:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Meal records are unique per canteen and transaction id; indexes for caps and settlement."

CREATE = [
    "CREATE UNIQUE INDEX meal_record_canteen_txn_key ON meal_record (canteen_id, txn_id)",
    "CREATE INDEX meal_record_worker_day_idx ON meal_record (worker_id, day)",
    "CREATE INDEX meal_record_month_idx ON meal_record (month)",
    "CREATE INDEX settlement_line_kind_idx ON settlement_line (settlement_id, kind)",
]
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE meal_price ADD CONSTRAINT meal_price_no_overlap EXCLUDE USING gist "
    "(canteen_id WITH =, meal_type WITH =, daterange(valid_from, valid_to, '[]') WITH &&)",
]
DROP = [
    "DROP INDEX IF EXISTS meal_record_canteen_txn_key",
    "DROP INDEX IF EXISTS meal_record_worker_day_idx",
    "DROP INDEX IF EXISTS meal_record_month_idx",
    "DROP INDEX IF EXISTS settlement_line_kind_idx",
]


class _Raw(Table, tablename="meal_record"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="canteen", description=DESCRIPTION)

    async def create() -> None:
        postgres = _Raw._meta.db.engine_type == "postgres"
        for statement in CREATE + (POSTGRES if postgres else []):
            await _Raw.raw(statement)

    async def drop() -> None:
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw("ALTER TABLE meal_price DROP CONSTRAINT IF EXISTS meal_price_no_overlap")
        for statement in DROP:
            await _Raw.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

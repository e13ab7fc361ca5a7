"""What must never happen twice is the database's job, not only Python's.

Piccolo has no composite or partial unique constraint, so these are plain SQL that both
SQLite and PostgreSQL accept. A separate migration, because Piccolo runs a migration's raw
SQL before it creates that migration's tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes of the register"

INDEXES = {
    "unit_building_number_key": "CREATE UNIQUE INDEX unit_building_number_key ON unit (building_id, number)",
    "worker_firm_employee_no_key": (
        "CREATE UNIQUE INDEX worker_firm_employee_no_key ON worker (firm_id, employee_no)"
    ),
    # One person is an active worker of at most one firm at a time.
    "worker_active_id_number_key": (
        "CREATE UNIQUE INDEX worker_active_id_number_key ON worker (id_number) WHERE active"
    ),
    "account_firm_id_idx": "CREATE INDEX account_firm_id_idx ON account (firm_id)",
}


class _Raw(Table, tablename="building"):
    """Any table will do: it only lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in INDEXES.values():
            await _Raw.raw(statement)

    async def drop_indexes() -> None:
        for name in INDEXES:
            await _Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

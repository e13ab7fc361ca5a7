"""Workers registered before employment dates existed were hired, at the latest, on the day they were entered.

A raw migration of its own because Piccolo runs a migration's raw steps before its column changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T18:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill worker.hired_on from created_at (park day)"


class _Raw(Table, tablename="worker"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def backfill() -> None:
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw(
                "UPDATE worker SET hired_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date "
                "WHERE hired_on IS NULL AND created_at IS NOT NULL"
            )
        else:
            await _Raw.raw(
                "UPDATE worker SET hired_on = date(created_at, '+8 hours') "
                "WHERE hired_on IS NULL AND created_at IS NOT NULL"
            )

    manager.add_raw(backfill)
    return manager

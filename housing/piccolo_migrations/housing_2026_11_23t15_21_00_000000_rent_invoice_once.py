"""A month is billed once: at most one issued rent invoice per firm and month (a voided one
does not count, so a firm's month can be billed again after a void)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T15:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one issued rent invoice per firm and month"


class _Raw(Table, tablename="rent_invoice"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def create_index() -> None:
        await _Raw.raw(
            "CREATE UNIQUE INDEX rent_invoice_firm_month_issued_key ON rent_invoice (firm_id, month) "
            "WHERE status = 'issued'"
        )

    async def drop_index() -> None:
        await _Raw.raw("DROP INDEX IF EXISTS rent_invoice_firm_month_issued_key")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

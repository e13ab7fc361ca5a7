"""A worker account's firm comes from the worker record, never from a copy on the account.

Until now an account kept the `firm_id` it was opened with, so moving a worker to another
firm left the old firm's HR in charge of the login. From here on `account.firm_id` is set
only for HR accounts; this clears the copies on worker accounts.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "worker accounts take their firm from the worker record"


class _Raw(Table, tablename="account"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def clear_copies() -> None:
        await _Raw.raw("UPDATE account SET firm_id = NULL WHERE role = 'worker'")

    async def restore_copies() -> None:
        await _Raw.raw(
            "UPDATE account SET firm_id = (SELECT firm_id FROM worker WHERE worker.id = account.worker_id) "
            "WHERE role = 'worker'"
        )

    manager.add_raw(clear_copies)
    manager.add_raw_backwards(restore_copies)
    return manager

"""What the ticket loop must never do twice, enforced by the database: one escalation per
ticket and kind (a restart or a second process never notifies twice), one survey answer per
firm and survey; and the indexes the scheduler pass and the inbox read by."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one escalation per ticket and kind, one survey answer per firm"

CREATE = [
    "CREATE UNIQUE INDEX escalation_ticket_kind_key ON escalation (ticket_id, kind)",
    "CREATE UNIQUE INDEX survey_answer_survey_firm_key ON survey_answer (survey_id, firm_id)",
    "CREATE INDEX outbox_pending_idx ON outbox (status, next_attempt_at)",
    "CREATE INDEX notification_unread_idx ON notification (account_id, read_at)",
]
DROP = [
    "DROP INDEX IF EXISTS escalation_ticket_kind_key",
    "DROP INDEX IF EXISTS survey_answer_survey_firm_key",
    "DROP INDEX IF EXISTS outbox_pending_idx",
    "DROP INDEX IF EXISTS notification_unread_idx",
]


class _Raw(Table, tablename="escalation"):
    """Lends the engine to `raw`."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="housing", description=DESCRIPTION)

    async def create() -> None:
        for statement in CREATE:
            await _Raw.raw(statement)

    async def drop() -> None:
        for statement in DROP:
            await _Raw.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

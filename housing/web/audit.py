"""The audit trail: every write through the API records who, when, what, and the changed
fields before and after, in the same transaction as the write (call `record` inside it).

It belongs to the edge every feature shares, so that the shared resource pattern and any
feature's own commands write it the same way; `housing.audit` is the staff's view of it.
Resident ID numbers are masked in the trail: an audit log must not become a second copy of
the register's most sensitive field. Password hashes are never written, only that one changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from housing.web.access import Viewer
from housing.web.privacy import mask_resident_id
from housing.web.tables import AuditEntry

MASKED_FIELDS = frozenset({"id_number"})
SECRET_FIELDS = frozenset({"password"})


def _plain(field: str, value: Any) -> Any:
    """A value as the trail keeps it: JSON-friendly, masked where it must be."""
    if field in SECRET_FIELDS:
        return "***"
    if field in MASKED_FIELDS and isinstance(value, str):
        return mask_resident_id(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """{field: [before, after]} for each field the write set to something new."""
    before, after = before or {}, after or {}
    fields = after.keys() if after else before.keys()
    changes = {}
    for name in fields:
        old, new = before.get(name), after.get(name)
        if old != new or name in SECRET_FIELDS:
            changes[name] = [_plain(name, old), _plain(name, new)]
    return changes


async def record(
    viewer: Viewer,
    table: str,
    row_id: int,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Write one entry; call it inside the write's transaction."""
    who = (viewer.account_id, viewer.username)
    await AuditEntry.insert(_entry(datetime.now(UTC), who, table, row_id, action, changed_fields(before, after)))


def _entry(
    at: datetime, who: tuple[int | None, str], table: str, row_id: int, action: str, changes: dict[str, Any]
) -> AuditEntry:
    account_id, username = who
    return AuditEntry(
        at=at,
        account_id=account_id,
        username=username,
        table_name=table,
        row_id=row_id,
        action=action,
        changes=changes,
    )


SYSTEM = "system"  # who the audit log names for work no person asked for (escalation, auto-close)


async def record_system(
    at: datetime,
    table: str,
    row_id: int,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Write one entry for the park's own background work, at the time that work took as now
    (a pass run with a moved clock records that moment); inside the work's transaction."""
    await AuditEntry.insert(_entry(at, (None, SYSTEM), table, row_id, action, changed_fields(before, after)))


async def record_many(
    viewer: Viewer, table: str, action: str, rows: list[tuple[int, Mapping[str, Any]]], batch: int = 1000
) -> None:
    """One entry per (row id, fields after) — for a run that writes many rows at once (a month's
    payouts); inserted in batches, inside the run's transaction."""
    at = datetime.now(UTC)
    who = (viewer.account_id, viewer.username)
    entries = [_entry(at, who, table, row_id, action, changed_fields(None, after)) for row_id, after in rows]
    for start in range(0, len(entries), batch):
        await AuditEntry.insert(*entries[start : start + batch])

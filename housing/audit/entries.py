"""The audit trail as staff read it: `GET /api/audit`, filtered by table, row, account and day.

Entries are written by `housing.web.audit.record` in the same transaction as each write;
this module only reads them. Days are Asia/Shanghai days, as the park counts them.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.pagination import OffsetPagination
from litestar.params import QueryParameter
from piccolo.columns.combination import Combinable

from housing.web import resource
from housing.web.access import STAFF, Viewer, allow, viewer_of
from housing.web.clock import as_datetime, park_day_start
from housing.web.resource import PageDep, Row
from housing.web.tables import AuditEntry


class AuditEntryOut(msgspec.Struct):
    id: int
    at: datetime
    account_id: int | None
    username: str
    table_name: str
    row_id: int
    action: str
    changes: dict[str, list[Any]]


def to_out(row: Row, viewer: Viewer) -> AuditEntryOut:
    changes = row["changes"]
    at = row["at"]
    return AuditEntryOut(
        id=row["id"],
        at=as_datetime(at),
        account_id=row["account_id"],
        username=row["username"],
        table_name=row["table_name"],
        row_id=row["row_id"],
        action=row["action"],
        changes=json.loads(changes) if isinstance(changes, str) else changes,
    )


ENTRIES = resource.Resource(
    table=AuditEntry,
    columns=[
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.account_id,
        AuditEntry.username,
        AuditEntry.table_name,
        AuditEntry.row_id,
        AuditEntry.action,
        AuditEntry.changes,
    ],
    to_out=to_out,
)


def day_range(since: date | None, until: date | None) -> list[Combinable | None]:
    """Entries from the start of `since` to the end of `until`, both park days, inclusive."""
    return [
        AuditEntry.at >= park_day_start(since) if since and since > date.min else None,
        AuditEntry.at < park_day_start(until + timedelta(days=1)) if until and until < date.max else None,
    ]


class AuditController(Controller):
    path = "/audit"
    tags = ["audit · 操作日志"]

    @get("/", opt=allow(STAFF))
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        table: Annotated[str | None, QueryParameter(max_length=64, description="table name, e.g. worker")] = None,
        row_id: Annotated[int | None, QueryParameter(ge=1, le=2**53)] = None,
        account_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        since: Annotated[date | None, QueryParameter(description="first park day (Asia/Shanghai)")] = None,
        until: Annotated[date | None, QueryParameter(description="last park day (Asia/Shanghai)")] = None,
    ) -> OffsetPagination[AuditEntryOut]:
        """Who changed what and when, newest last; ID numbers are masked in the trail itself."""
        filters = [
            resource.equals(AuditEntry.table_name, table),
            resource.equals(AuditEntry.row_id, row_id),
            resource.equals(AuditEntry.account_id, account_id),
            *day_range(since, until),
        ]
        return await resource.list_page(ENTRIES, viewer_of(request), page, filters)

"""Allocation periods (`/api/periods`): staff open one per quarter, everyone logged in reads.

A period's state follows from the calendar and its runs, never from a flag someone must
remember to flip: `open` through the park day `request_deadline` (requests accepted),
`closed` after it, `allocated` once a run of the period has been applied.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from housing.leasing.tables import Period
from housing.web import resource
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.clock import as_date, park_day
from housing.web.problems import Problem, invalid, unique_field
from housing.web.resource import PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class PeriodState(StrEnum):
    open = "open"
    closed = "closed"
    allocated = "allocated"


def period_state(request_deadline: date, allocated_run_id: int | None, today: date) -> PeriodState:
    """The rule, by itself: allocated once applied; else open through the deadline's park day."""
    if allocated_run_id is not None:
        return PeriodState.allocated
    return PeriodState.open if today <= request_deadline else PeriodState.closed


class PeriodCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    starts_on: date
    ends_on: date
    request_deadline: date


class PeriodPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    starts_on: date | msgspec.UnsetType = msgspec.UNSET
    ends_on: date | msgspec.UnsetType = msgspec.UNSET
    request_deadline: date | msgspec.UnsetType = msgspec.UNSET


class PeriodOut(msgspec.Struct):
    id: int
    name: str
    starts_on: date
    ends_on: date
    request_deadline: date
    state: PeriodState
    allocated_run_id: int | None


def to_out(row: Row, viewer: Viewer) -> PeriodOut:
    deadline = as_date(row["request_deadline"])
    return PeriodOut(
        id=row["id"],
        name=row["name"],
        starts_on=as_date(row["starts_on"]),
        ends_on=as_date(row["ends_on"]),
        request_deadline=deadline,
        state=period_state(deadline, row["allocated_run_id"], park_day(viewer.now)),
        allocated_run_id=row["allocated_run_id"],
    )


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    """Dates in order: the deadline falls before the period starts, which is before it ends.
    An allocated period's dates are what its leases were made from: they stay."""
    resource.blank_to_error(values, "name")
    merged = {**(current or {}), **values}
    if current is not None and current["allocated_run_id"] is not None and {"starts_on", "ends_on"} & values.keys():
        raise Problem(409, "period_allocated")
    starts, ends, deadline = (as_date(merged[k]) for k in ("starts_on", "ends_on", "request_deadline"))
    if ends < starts:
        raise invalid("ends_on", "ends_before_start")
    if deadline >= starts:
        raise invalid("request_deadline", "deadline_after_start")
    if current is None:
        values["created_at"] = viewer.now
    return values


unique_field(("period_name_key", "period.name"), "name")

PERIODS = resource.Resource(
    table=Period,
    columns=[
        Period.id,
        Period.name,
        Period.starts_on,
        Period.ends_on,
        Period.request_deadline,
        Period.allocated_run_id,
    ],
    to_out=to_out,
    unique=[("name",)],
    prepare=prepare,
)


class PeriodController(Controller):
    path = "/periods"
    tags = ["periods · 分配周期"]

    @get("/", opt=allow(EVERYONE))
    async def list_periods(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[PeriodOut]:
        """Allocation periods, oldest first, each with its state today."""
        return await resource.list_page(PERIODS, viewer_of(request), page)

    @get("/{period_id:int}", opt=allow(EVERYONE))
    async def get_period(self, request: Request[Any, Any, Any], period_id: PathId) -> PeriodOut:
        return await resource.fetch(PERIODS, viewer_of(request), period_id)

    @post("/", opt=allow(STAFF))
    async def create_period(self, request: Request[Any, Any, Any], data: JSONBody[PeriodCreate]) -> PeriodOut:
        """Open a period: requests are accepted through `request_deadline` (a park day)."""
        return await resource.create(PERIODS, viewer_of(request), resource.sent(data))

    @patch("/{period_id:int}", opt=allow(STAFF))
    async def update_period(
        self, request: Request[Any, Any, Any], period_id: PathId, data: JSONBody[PeriodPatch]
    ) -> PeriodOut:
        """Change a period, e.g. extend its deadline; an allocated period keeps its dates."""
        return await resource.update(PERIODS, viewer_of(request), period_id, resource.sent(data))

    @delete("/{period_id:int}", opt=allow(STAFF))
    async def delete_period(self, request: Request[Any, Any, Any], period_id: PathId) -> None:
        """Delete a period opened by mistake; one with requests answers 409."""
        await resource.delete(PERIODS, viewer_of(request), period_id)

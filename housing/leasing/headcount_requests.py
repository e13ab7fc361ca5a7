"""Headcount requests (`/api/headcount-requests`): how many beds a firm needs in a period.

HR files and changes its own firm's request while the period is open; after the deadline only
staff may change it. One request per firm and period (the database agrees). A firm's priority
in the solver comes from the firm (a key firm 3, else 1) unless staff override it here; HR
cannot set it. A firm that files nothing keeps, in the run, the beds it holds now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.leasing.periods import PeriodState, period_state
from housing.leasing.tables import HeadcountRequest, Period
from housing.register.tables import Building, Firm
from housing.web import resource
from housing.web.access import STAFF_HR, Viewer, allow, firm_written_for, viewer_of
from housing.web.clock import as_date, as_datetime, park_day
from housing.web.db import json_value
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Beds = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
RentFen = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
Priority = Annotated[int, msgspec.Meta(ge=1, le=9)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
BuildingIds = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=200)]
KEY_FIRM_PRIORITY = 3


def effective_priority(override: int | None, is_key: bool) -> int:
    """Staff's override if any; otherwise a key firm counts 3, any other 1."""
    if override is not None:
        return override
    return KEY_FIRM_PRIORITY if is_key else 1


class RequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    period_id: Id
    male_beds: Beds
    female_beds: Beds
    building_ids: BuildingIds | None = None
    max_monthly_rent_fen: RentFen | None = None
    note: Note = ""
    firm_id: Id | None = None  # staff only: the firm the request is for
    priority: Priority | None = None  # staff only


class RequestPatch(msgspec.Struct, forbid_unknown_fields=True):
    male_beds: Beds | msgspec.UnsetType = msgspec.UNSET
    female_beds: Beds | msgspec.UnsetType = msgspec.UNSET
    building_ids: BuildingIds | None | msgspec.UnsetType = msgspec.UNSET
    max_monthly_rent_fen: RentFen | None | msgspec.UnsetType = msgspec.UNSET
    note: Note | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | None | msgspec.UnsetType = msgspec.UNSET  # staff only


class RequestOut(msgspec.Struct):
    id: int
    period_id: int
    period_name: str
    firm_id: int
    firm_name: str
    male_beds: int
    female_beds: int
    building_ids: list[int] | None
    max_monthly_rent_fen: int | None
    priority: int
    priority_override: int | None
    note: str
    updated_at: datetime
    editable: bool


def _editable(viewer: Viewer, deadline: Any, allocated_run_id: int | None) -> bool:
    """Staff may change a request until the period is allocated; HR only while it is open."""
    state = period_state(as_date(deadline), allocated_run_id, park_day(viewer.now))
    if viewer.is_staff:
        return state is not PeriodState.allocated
    return state is PeriodState.open


def _ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    return list(json_value(value))


def to_out(row: Row, viewer: Viewer) -> RequestOut:
    updated = row["updated_at"]
    return RequestOut(
        id=row["id"],
        period_id=row["period_id"],
        period_name=row["period_name"],
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        male_beds=row["male_beds"],
        female_beds=row["female_beds"],
        building_ids=_ids(row["building_ids"]),
        max_monthly_rent_fen=row["max_monthly_rent_fen"],
        priority=effective_priority(row["priority"], bool(row["firm_is_key"])),
        priority_override=row["priority"],
        note=row["note"],
        updated_at=as_datetime(updated),
        editable=_editable(viewer, row["request_deadline"], row["allocated_run_id"]),
    )


def scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else HeadcountRequest.firm_id == viewer.firm_id


async def _check_buildings(ids: list[int]) -> None:
    known = {row["id"] for row in await Building.select(Building.id).where(Building.id.is_in(ids))}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise invalid("building_ids", "unknown_reference")


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    """Who may file for which firm, and whether the period still takes changes."""
    if not viewer.is_staff:
        if values.get("priority") is not None:
            raise Problem(403, "forbidden", errors=[FieldError("priority", "staff_sets_priority")])
        values.pop("priority", None)
    firm_id = firm_written_for(viewer, values.get("firm_id"), new=current is None)
    if not viewer.is_staff and current is None:
        values["firm_id"] = firm_id
    period_id = current["period_id"] if current else values["period_id"]
    period = await Period.select(Period.request_deadline, Period.allocated_run_id).where(Period.id == period_id).first()
    if period is None:
        raise invalid("period_id", "unknown_reference")
    if not _editable(viewer, period["request_deadline"], period["allocated_run_id"]):
        raise Problem(409, "period_not_open")
    if values.get("building_ids"):
        await _check_buildings(values["building_ids"])
    values["updated_at"] = viewer.now
    return values


unique_field(("headcount_request_period_firm_key", "headcount_request.firm_id"), "firm_id", "request_exists")

REQUESTS = resource.Resource(
    table=HeadcountRequest,
    columns=[
        HeadcountRequest.id,
        HeadcountRequest.period_id,
        HeadcountRequest.period_id.name.as_alias("period_name"),
        HeadcountRequest.period_id.request_deadline.as_alias("request_deadline"),
        HeadcountRequest.period_id.allocated_run_id.as_alias("allocated_run_id"),
        HeadcountRequest.firm_id,
        HeadcountRequest.firm_id.name.as_alias("firm_name"),
        HeadcountRequest.firm_id.is_key.as_alias("firm_is_key"),
        HeadcountRequest.male_beds,
        HeadcountRequest.female_beds,
        HeadcountRequest.building_ids,
        HeadcountRequest.max_monthly_rent_fen,
        HeadcountRequest.priority,
        HeadcountRequest.note,
        HeadcountRequest.updated_at,
    ],
    to_out=to_out,
    scope=scope,
    references={"period_id": Period, "firm_id": Firm},
    unique=[("period_id", "firm_id")],
    prepare=prepare,
)


class HeadcountRequestController(Controller):
    path = "/headcount-requests"
    tags = ["headcount requests · 用房申请"]

    @get("/", opt=allow(STAFF_HR))
    async def list_requests(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        period_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
    ) -> OffsetPagination[RequestOut]:
        """Requests by period and firm; HR sees only its own firm's."""
        filters = [
            resource.equals(HeadcountRequest.period_id, period_id),
            resource.equals(HeadcountRequest.firm_id, firm_id),
        ]
        return await resource.list_page(REQUESTS, viewer_of(request), page, filters)

    @get("/{request_id:int}", opt=allow(STAFF_HR))
    async def get_request(self, request: Request[Any, Any, Any], request_id: PathId) -> RequestOut:
        return await resource.fetch(REQUESTS, viewer_of(request), request_id)

    @post("/", opt=allow(STAFF_HR))
    async def file_request(self, request: Request[Any, Any, Any], data: JSONBody[RequestCreate]) -> RequestOut:
        """File the firm's request for a period while it is open (staff: for any firm, any time
        before the period is allocated)."""
        return await resource.create(REQUESTS, viewer_of(request), resource.sent(data))

    @patch("/{request_id:int}", opt=allow(STAFF_HR))
    async def change_request(
        self, request: Request[Any, Any, Any], request_id: PathId, data: JSONBody[RequestPatch]
    ) -> RequestOut:
        """Change the request; after the deadline only staff may."""
        return await resource.update(REQUESTS, viewer_of(request), request_id, resource.sent(data))

    @delete("/{request_id:int}", opt=allow(STAFF_HR))
    async def withdraw_request(self, request: Request[Any, Any, Any], request_id: PathId) -> None:
        """Withdraw the request while it may still be changed (the firm then keeps what it holds)."""
        viewer = viewer_of(request)
        current = await resource.fetch_row(REQUESTS, viewer, request_id)
        if not _editable(viewer, current["request_deadline"], current["allocated_run_id"]):
            raise Problem(409, "period_not_open")
        await resource.delete(REQUESTS, viewer, request_id)

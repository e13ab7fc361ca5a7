"""Bed assignments (`/api/bed-assignments`): HR puts its own workers into the beds of its own
firm's leased units; staff may do it for any firm.

A worker goes into bed 1..beds of a unit under a lease of the worker's firm running that day,
for the worker's gender. Moving to another bed ends the old assignment (history is kept);
moving out ends it. One occupant per bed and one bed per worker at a time: checked here to
name the clash, refused by the database either way. The worker's housing status is `dorm`
while they hold a bed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.leasing.leases import active_on
from housing.leasing.tables import BedAssignment, Lease, Move
from housing.register.tables import HousingStatus, Unit, Worker
from housing.web import audit, resource
from housing.web.access import STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import as_date, as_datetime, park_day
from housing.web.db import write_transaction
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

BedNo = Annotated[int, msgspec.Meta(ge=1, le=20)]


class BedPut(msgspec.Struct, forbid_unknown_fields=True):
    worker_id: Id
    unit_id: Id
    bed: BedNo
    starts_on: date | None = None  # default: today (park day)


class MoveOut(msgspec.Struct, forbid_unknown_fields=True):
    ends_on: date | None = None  # the last night there; default: today


class BedAssignmentOut(msgspec.Struct):
    id: int
    worker_id: int
    worker_name: str
    firm_id: int
    unit_id: int
    building_code: str
    floor: int
    unit_number: str
    bed: int
    lease_id: int
    starts_on: date
    ends_on: date | None
    created_at: datetime


def to_out(row: Row, viewer: Viewer) -> BedAssignmentOut:
    created = row["created_at"]
    return BedAssignmentOut(
        id=row["id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        firm_id=row["firm_id"],
        unit_id=row["unit_id"],
        building_code=row["building_code"],
        floor=row["floor"],
        unit_number=row["unit_number"],
        bed=row["bed"],
        lease_id=row["lease_id"],
        starts_on=as_date(row["starts_on"]),
        ends_on=as_date(row["ends_on"]) if row["ends_on"] is not None else None,
        created_at=as_datetime(created),
    )


def scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else BedAssignment.lease_id.firm_id == viewer.firm_id


unique_field(("bed_assignment_bed_taken_key", "bed_assignment.bed"), "bed", "bed_taken")
unique_field(("bed_assignment_worker_bedded_key", "bed_assignment.worker_id"), "worker_id", "worker_has_bed")

BEDS = resource.Resource(
    table=BedAssignment,
    columns=[
        BedAssignment.id,
        BedAssignment.worker_id,
        BedAssignment.worker_id.name.as_alias("worker_name"),
        BedAssignment.lease_id.firm_id.as_alias("firm_id"),
        BedAssignment.unit_id,
        BedAssignment.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
        BedAssignment.unit_id.floor.as_alias("floor"),
        BedAssignment.unit_id.number.as_alias("unit_number"),
        BedAssignment.bed,
        BedAssignment.lease_id,
        BedAssignment.starts_on,
        BedAssignment.ends_on,
        BedAssignment.created_at,
    ],
    to_out=to_out,
    scope=scope,
)


def last_night_before(new_start: date, old_start: date) -> date:
    """When a worker moves, the old bed's last night is the night before the new one's first,
    but never before the old stay began (a same-day correction leaves a one-day record)."""
    return max(old_start, new_start - timedelta(days=1))


async def close_bed(viewer: Viewer, assignment_id: int, ends: date) -> None:
    """End a bed assignment (`ends` is the last night there), inside the caller's transaction.

    A pending move that named this bed is done: the worker has left the unit its firm gave up,
    whether into another bed or out of the dorms.
    """
    await BedAssignment.update({BedAssignment.ends_on: ends}).where(BedAssignment.id == assignment_id)
    await audit.record(viewer, "bed_assignment", assignment_id, "move_out", after={"ends_on": ends})
    done = await (
        Move.update({Move.status: "done"})
        .where((Move.bed_assignment_id == assignment_id) & (Move.status == "pending"))
        .returning(Move.id)
    )
    for move in done:
        await audit.record(viewer, "move", move["id"], "update", before={"status": "pending"}, after={"status": "done"})


async def put_in_bed(viewer: Viewer, body: BedPut) -> BedAssignmentOut:
    """Put a worker into a bed, ending their current one if they have one."""
    day = body.starts_on or park_day(viewer.now)
    async with write_transaction():
        worker_query = Worker.select(Worker.id, Worker.gender, Worker.firm_id, Worker.active).where(
            Worker.id == body.worker_id
        )
        if viewer.is_hr:
            worker_query = worker_query.where(Worker.firm_id == viewer.firm_id)
        worker = await worker_query.first()
        if worker is None or not worker["active"]:
            raise invalid("worker_id", "unknown_reference")
        unit = await Unit.select(Unit.id, Unit.beds).where(Unit.id == body.unit_id).first()
        if unit is None:
            raise invalid("unit_id", "unknown_reference")
        if body.bed > unit["beds"]:
            raise invalid("bed", "bed_out_of_range", beds=unit["beds"])
        lease = await (
            Lease.select(Lease.id, Lease.gender)
            .where(Lease.unit_id == body.unit_id)
            .where(Lease.firm_id == worker["firm_id"])
            .where(active_on(day))
            .first()
        )
        if lease is None:
            raise invalid("unit_id", "unit_not_leased_to_firm")
        if lease["gender"] != worker["gender"]:
            raise invalid("unit_id", "unit_other_gender")
        taken = BedAssignment.exists().where(
            (BedAssignment.unit_id == body.unit_id) & (BedAssignment.bed == body.bed) & BedAssignment.ends_on.is_null()
        )
        if await taken.where(BedAssignment.worker_id != body.worker_id):
            raise Problem(409, "conflict", errors=[FieldError("bed", "bed_taken")])
        current = await (
            BedAssignment.select(BedAssignment.id, BedAssignment.starts_on, BedAssignment.unit_id, BedAssignment.bed)
            .where((BedAssignment.worker_id == body.worker_id) & BedAssignment.ends_on.is_null())
            .first()
        )
        if current is not None:
            if (current["unit_id"], current["bed"]) == (body.unit_id, body.bed):
                raise Problem(409, "conflict", errors=[FieldError("bed", "already_in_this_bed")])
            await close_bed(viewer, current["id"], last_night_before(day, as_date(current["starts_on"])))
        row = BedAssignment(
            lease_id=lease["id"],
            unit_id=body.unit_id,
            bed=body.bed,
            worker_id=body.worker_id,
            starts_on=day,
            created_at=viewer.now,
        )
        assignment_id = (await BedAssignment.insert(row))[0]["id"]
        await Worker.update({Worker.housing_status: HousingStatus.dorm.value}).where(Worker.id == body.worker_id)
        await audit.record(
            viewer,
            "bed_assignment",
            assignment_id,
            "create",
            after={"worker_id": body.worker_id, "unit_id": body.unit_id, "bed": body.bed, "starts_on": day},
        )
        return await resource.fetch(BEDS, viewer, assignment_id)


async def move_out(viewer: Viewer, assignment_id: int, body: MoveOut) -> BedAssignmentOut:
    async with write_transaction():
        current = await resource.fetch_row(BEDS, viewer, assignment_id)
        if current["ends_on"] is not None:
            raise Problem(409, "already_moved_out")
        ends = body.ends_on or park_day(viewer.now)
        if ends < as_date(current["starts_on"]):
            raise invalid("ends_on", "ends_before_start")
        await close_bed(viewer, assignment_id, ends)
        return await resource.fetch(BEDS, viewer, assignment_id)


class BedAssignmentController(Controller):
    path = "/bed-assignments"
    tags = ["beds · 床位"]

    @get("/", opt=allow(STAFF_HR))
    async def list_assignments(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        unit_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        worker_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        current: Annotated[bool | None, QueryParameter(description="true: only beds held now")] = None,
    ) -> OffsetPagination[BedAssignmentOut]:
        """Who sleeps (or slept) where; HR sees its own firm's units."""
        filters = [
            resource.equals(BedAssignment.unit_id, unit_id),
            resource.equals(BedAssignment.worker_id, worker_id),
            BedAssignment.ends_on.is_null() if current else None,
        ]
        return await resource.list_page(BEDS, viewer_of(request), page, filters)

    @get("/{assignment_id:int}", opt=allow(STAFF_HR))
    async def get_assignment(self, request: Request[Any, Any, Any], assignment_id: PathId) -> BedAssignmentOut:
        return await resource.fetch(BEDS, viewer_of(request), assignment_id)

    @post("/", opt=allow(STAFF_HR))
    async def put_worker_in_bed(self, request: Request[Any, Any, Any], data: JSONBody[BedPut]) -> BedAssignmentOut:
        """Put a worker of the firm into a free bed of the firm's leased unit (moving them if
        they already have a bed)."""
        return await put_in_bed(viewer_of(request), data)

    @post("/{assignment_id:int}/end", status_code=200, opt=allow(STAFF_HR))
    async def move_worker_out(
        self, request: Request[Any, Any, Any], assignment_id: PathId, data: JSONBody[MoveOut]
    ) -> BedAssignmentOut:
        """The worker moves out: `ends_on` is their last night in the bed."""
        return await move_out(viewer_of(request), assignment_id, data)

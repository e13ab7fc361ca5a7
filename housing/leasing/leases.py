"""Leases (`/api/leases`): a whole unit let to one firm for one gender, by floor area.

Most leases are made by applying an allocation run; staff may also make or end one by hand
(a firm that signs mid-period), with the same checks. Two leases of one unit never overlap in
time: checked here to name the clash, and refused by the database whatever happens (an
exclusion constraint on PostgreSQL, triggers on SQLite). HR reads its own firm's leases.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.leasing.tables import BedAssignment, Lease
from housing.register.tables import Firm, GenderRule, Unit, UnitStatus
from housing.register.units import area_m2, monthly_rent_fen
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import as_date, as_datetime
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

GenderName = Literal["male", "female"]
RateFen = Annotated[int, msgspec.Meta(ge=0, le=100_000)]


class LeaseCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: Id
    firm_id: Id
    gender: GenderName
    starts_on: date
    ends_on: date | None = None
    rent_rate_fen_per_m2: RateFen | None = None  # default: the unit's rate


class LeasePatch(msgspec.Struct, forbid_unknown_fields=True):
    ends_on: date | None | msgspec.UnsetType = msgspec.UNSET


class LeaseOut(msgspec.Struct):
    id: int
    unit_id: int
    unit_number: str
    building_id: int
    building_code: str
    floor: int
    beds: int
    area_m2: Decimal
    firm_id: int
    firm_name: str
    gender: str
    starts_on: date
    ends_on: date | None
    rent_rate_fen_per_m2: int
    monthly_rent_fen: int
    run_id: int | None
    created_at: datetime


def to_out(row: Row, viewer: Viewer) -> LeaseOut:
    created = row["created_at"]
    return LeaseOut(
        id=row["id"],
        unit_id=row["unit_id"],
        unit_number=row["unit_number"],
        building_id=row["building_id"],
        building_code=row["building_code"],
        floor=row["floor"],
        beds=row["beds"],
        area_m2=area_m2(row["area_centi_m2"]),
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        gender=row["gender"],
        starts_on=as_date(row["starts_on"]),
        ends_on=as_date(row["ends_on"]) if row["ends_on"] is not None else None,
        rent_rate_fen_per_m2=row["rent_rate_fen_per_m2"],
        monthly_rent_fen=monthly_rent_fen(row["area_centi_m2"], row["rent_rate_fen_per_m2"]),
        run_id=row["run_id"],
        created_at=as_datetime(created),
    )


def scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else Lease.firm_id == viewer.firm_id


def overlaps(starts_on: date, ends_on: date | None) -> Combinable:
    """Leases whose days meet [starts_on, ends_on] (open ends run for ever)."""
    ending_after_start = Lease.ends_on.is_null() | (Lease.ends_on >= starts_on)  # type: ignore[operator]
    if ends_on is None:
        return ending_after_start
    return ending_after_start & (Lease.starts_on <= ends_on)  # type: ignore[operator]


def active_on(day: date) -> Combinable:
    return overlaps(day, day)


async def _check_clash(unit_id: int, starts_on: date, ends_on: date | None, lease_id: int | None) -> None:
    query = Lease.exists().where(Lease.unit_id == unit_id).where(overlaps(starts_on, ends_on))
    if lease_id is not None:
        query = query.where(Lease.id != lease_id)
    if await query:
        raise Problem(409, "conflict", errors=[FieldError("starts_on", "lease_overlaps")])


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    """A lease needs a unit in use, of the right gender, for an active firm, dates in order,
    and no other lease of the unit on any of its days."""
    if current is None:
        unit = await (
            Unit.select(Unit.status, Unit.rent_rate_fen_per_m2, Unit.building_id.gender_rule.as_alias("gender_rule"))
            .where(Unit.id == values["unit_id"])
            .first()
        )
        if unit is None:
            raise invalid("unit_id", "unknown_reference")
        if unit["status"] != UnitStatus.available.value:
            raise invalid("unit_id", "unit_not_available")
        if unit["gender_rule"] not in (GenderRule.any.value, values["gender"]):
            raise invalid("gender", "unit_gender_rule", rule=unit["gender_rule"])
        firm = await Firm.select(Firm.active).where(Firm.id == values["firm_id"]).first()
        if firm is None:
            raise invalid("firm_id", "unknown_reference")
        if not firm["active"]:
            raise invalid("firm_id", "firm_inactive_lease")
        if values.get("rent_rate_fen_per_m2") is None:
            values["rent_rate_fen_per_m2"] = unit["rent_rate_fen_per_m2"]
        values["created_at"] = viewer.now
    starts_on = as_date(current["starts_on"]) if current else values["starts_on"]
    ends_on = values["ends_on"] if "ends_on" in values else (current or {}).get("ends_on")
    ends_on = as_date(ends_on) if ends_on is not None else None
    if ends_on is not None and ends_on < starts_on:
        raise invalid("ends_on", "ends_before_start")
    if current is not None and ends_on is not None:
        occupied = await BedAssignment.exists().where(
            (BedAssignment.lease_id == current["id"]) & BedAssignment.ends_on.is_null()
        )
        if occupied:
            raise Problem(409, "lease_has_occupants")
    unit_id = current["unit_id"] if current else values["unit_id"]
    await _check_clash(unit_id, starts_on, ends_on, current["id"] if current else None)
    return values


unique_field(("lease_unit_no_overlap",), "starts_on", "lease_overlaps")

LEASES = resource.Resource(
    table=Lease,
    columns=[
        Lease.id,
        Lease.unit_id,
        Lease.unit_id.number.as_alias("unit_number"),
        Lease.unit_id.building_id.as_alias("building_id"),
        Lease.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
        Lease.unit_id.floor.as_alias("floor"),
        Lease.unit_id.beds.as_alias("beds"),
        Lease.unit_id.area_centi_m2.as_alias("area_centi_m2"),
        Lease.firm_id,
        Lease.firm_id.name.as_alias("firm_name"),
        Lease.gender,
        Lease.starts_on,
        Lease.ends_on,
        Lease.rent_rate_fen_per_m2,
        Lease.run_id,
        Lease.created_at,
    ],
    to_out=to_out,
    scope=scope,
    references={"unit_id": Unit, "firm_id": Firm},
    prepare=prepare,
)


class LeaseController(Controller):
    path = "/leases"
    tags = ["leases · 租约"]

    @get("/", opt=allow(STAFF_HR))
    async def list_leases(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        building_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        active_on_day: Annotated[
            date | None, QueryParameter(name="active_on", description="only leases running on this day")
        ] = None,
    ) -> OffsetPagination[LeaseOut]:
        """Leases; HR sees only its own firm's."""
        filters = [
            resource.equals(Lease.firm_id, firm_id),
            resource.equals(Lease.unit_id, unit_id),
            resource.equals(Lease.unit_id.building_id, building_id),
            active_on(active_on_day) if active_on_day else None,
        ]
        return await resource.list_page(LEASES, viewer_of(request), page, filters)

    @get("/{lease_id:int}", opt=allow(STAFF_HR))
    async def get_lease(self, request: Request[Any, Any, Any], lease_id: PathId) -> LeaseOut:
        return await resource.fetch(LEASES, viewer_of(request), lease_id)

    @post("/", opt=allow(STAFF))
    async def make_lease(self, request: Request[Any, Any, Any], data: JSONBody[LeaseCreate]) -> LeaseOut:
        """Make a lease by hand (a firm that signs mid-period); the unit must be free on every day."""
        return await resource.create(LEASES, viewer_of(request), resource.sent(data))

    @patch("/{lease_id:int}", opt=allow(STAFF))
    async def end_lease(
        self, request: Request[Any, Any, Any], lease_id: PathId, data: JSONBody[LeasePatch]
    ) -> LeaseOut:
        """End a lease (set `ends_on`, the last day it runs), once nobody sleeps in the unit."""
        return await resource.update(LEASES, viewer_of(request), lease_id, resource.sent(data))

    @delete("/{lease_id:int}", opt=allow(STAFF))
    async def delete_lease(self, request: Request[Any, Any, Any], lease_id: PathId) -> None:
        """Delete a lease entered by mistake; one that beds or invoices refer to answers 409."""
        await resource.delete(LEASES, viewer_of(request), lease_id)

"""Dormitory units: what the park leases to firms, whole, by floor area.

Area travels as a decimal with at most two places (`"36.50"`; a JSON number is accepted too)
and is stored as integer hundredths of a m², so the monthly rent shown here — area × rate,
rounded half-up to the fen once — is exact on every engine.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, QueryParameter

from housing.register.tables import DEFAULT_RENT_RATE_FEN_PER_M2, Building, Unit
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.problems import invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Number = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
FloorNo = Annotated[int, msgspec.Meta(ge=1, le=200)]
Beds = Annotated[int, msgspec.Meta(ge=1, le=20)]
RateFen = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
UnitStatusName = Literal["available", "maintenance", "retired"]
MAX_AREA = Decimal("10000")


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    building_id: Id
    floor: FloorNo
    number: Number
    area_m2: Decimal
    beds: Beds
    status: UnitStatusName = "available"
    rent_rate_fen_per_m2: RateFen = DEFAULT_RENT_RATE_FEN_PER_M2


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    building_id: Id | msgspec.UnsetType = msgspec.UNSET
    floor: FloorNo | msgspec.UnsetType = msgspec.UNSET
    number: Number | msgspec.UnsetType = msgspec.UNSET
    area_m2: Decimal | msgspec.UnsetType = msgspec.UNSET
    beds: Beds | msgspec.UnsetType = msgspec.UNSET
    status: UnitStatusName | msgspec.UnsetType = msgspec.UNSET
    rent_rate_fen_per_m2: RateFen | msgspec.UnsetType = msgspec.UNSET


class UnitOut(msgspec.Struct):
    id: int
    building_id: int
    building_code: str
    gender_rule: str
    floor: int
    number: str
    area_m2: Decimal
    beds: int
    status: str
    rent_rate_fen_per_m2: int
    monthly_rent_fen: int


def monthly_rent_fen(area_centi_m2: int, rate_fen_per_m2: int) -> int:
    """Rent of a whole unit for one month, in fen: area × rate, rounded half-up once."""
    exact = Decimal(area_centi_m2) * Decimal(rate_fen_per_m2) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def area_m2(area_centi_m2: int) -> Decimal:
    """Stored hundredths of a m² as the API shows them: `3650` → `Decimal("36.50")`."""
    return (Decimal(area_centi_m2) / 100).quantize(Decimal("0.01"))


def area_to_centi(area: Decimal, field: str = "area_m2") -> int:
    if not area.is_finite() or area <= 0 or area > MAX_AREA:
        raise invalid(field, "invalid_area")
    centi = area * 100
    if centi != centi.to_integral_value():
        raise invalid(field, "area_precision")
    return int(centi)


def to_out(row: Row, viewer: Viewer) -> UnitOut:
    return UnitOut(
        id=row["id"],
        building_id=row["building_id"],
        building_code=row["building_code"],
        gender_rule=row["gender_rule"],
        floor=row["floor"],
        number=row["number"],
        area_m2=area_m2(row["area_centi_m2"]),
        beds=row["beds"],
        status=row["status"],
        rent_rate_fen_per_m2=row["rent_rate_fen_per_m2"],
        monthly_rent_fen=monthly_rent_fen(row["area_centi_m2"], row["rent_rate_fen_per_m2"]),
    )


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    if "area_m2" in values:
        values["area_centi_m2"] = area_to_centi(values.pop("area_m2"))
    if "number" in values:
        values["number"] = values["number"].upper()
    if "floor" in values or "building_id" in values:
        building_id = values.get("building_id", current["building_id"] if current else None)
        floor = values.get("floor", current["floor"] if current else None)
        building = await Building.select(Building.floors).where(Building.id == building_id).first()
        if building is None:
            raise invalid("building_id", "unknown_reference")
        if floor is not None and floor > building["floors"]:
            raise invalid("floor", "floor_out_of_range", floors=building["floors"])
    return values


unique_field(("unit_building_number_key", "unit.number"), "number")


UNITS = resource.Resource(
    table=Unit,
    columns=[
        Unit.id,
        Unit.building_id,
        Unit.building_id.code.as_alias("building_code"),
        Unit.building_id.gender_rule.as_alias("gender_rule"),
        Unit.floor,
        Unit.number,
        Unit.area_centi_m2,
        Unit.beds,
        Unit.status,
        Unit.rent_rate_fen_per_m2,
    ],
    to_out=to_out,
    references={"building_id": Building},
    unique=[("building_id", "number")],
    prepare=prepare,
)


class UnitController(Controller):
    path = "/units"
    tags = ["units · 房间"]

    @get("/", opt=allow(STAFF_HR))
    async def list_units(
        self,
        request: Request,
        page: PageDep,
        building_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        status: FromQuery[UnitStatusName | None] = None,
        floor: Annotated[int | None, QueryParameter(ge=1, le=200)] = None,
        beds: Annotated[int | None, QueryParameter(ge=1, le=20)] = None,
    ) -> OffsetPagination[UnitOut]:
        """Units of the park, filtered by building, status, floor or bed count."""
        filters = [
            resource.equals(Unit.building_id, building_id),
            resource.equals(Unit.status, status),
            resource.equals(Unit.floor, floor),
            resource.equals(Unit.beds, beds),
        ]
        return await resource.list_page(UNITS, viewer_of(request), page, filters)

    @get("/{unit_id:int}", opt=allow(STAFF_HR))
    async def get_unit(self, request: Request, unit_id: PathId) -> UnitOut:
        return await resource.fetch(UNITS, viewer_of(request), unit_id)

    @post("/", opt=allow(STAFF))
    async def create_unit(self, request: Request, data: JSONBody[UnitCreate]) -> UnitOut:
        return await resource.create(UNITS, viewer_of(request), resource.sent(data))

    @patch("/{unit_id:int}", opt=allow(STAFF))
    async def update_unit(self, request: Request, unit_id: PathId, data: JSONBody[UnitPatch]) -> UnitOut:
        return await resource.update(UNITS, viewer_of(request), unit_id, resource.sent(data))

    @delete("/{unit_id:int}", opt=allow(STAFF))
    async def delete_unit(self, request: Request, unit_id: PathId) -> None:
        """Delete a unit entered by mistake; to take one out of use, set `status` to `retired`."""
        await resource.delete(UNITS, viewer_of(request), unit_id)

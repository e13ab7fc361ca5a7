"""Dormitory buildings (员工之家): the park's register of blocks and their gender rule."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, QueryParameter

from housing.register.tables import Building, Unit
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.problems import invalid, unique_field
from housing.web.resource import PageDep, PathId, Row

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Floors = Annotated[int, msgspec.Meta(ge=1, le=200)]
GenderRuleName = Literal["any", "male", "female"]


class BuildingCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    floors: Floors
    gender_rule: GenderRuleName = "any"


class BuildingPatch(msgspec.Struct, forbid_unknown_fields=True):
    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    floors: Floors | msgspec.UnsetType = msgspec.UNSET
    gender_rule: GenderRuleName | msgspec.UnsetType = msgspec.UNSET


class BuildingOut(msgspec.Struct):
    id: int
    code: str
    name: str
    floors: int
    gender_rule: str


def to_out(row: Row, viewer: Viewer) -> BuildingOut:
    return BuildingOut(**row)


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    resource.blank_to_error(values, "name")
    if "code" in values:
        values["code"] = values["code"].upper()
    if current is not None and "floors" in values:
        highest = (
            await Unit.select(Unit.floor)
            .where(Unit.building_id == current["id"])
            .order_by(Unit.floor, ascending=False)
            .first()
        )
        if highest and highest["floor"] > values["floors"]:
            raise invalid("floors", "floor_out_of_range", floors=values["floors"])
    return values


unique_field(("building_code_key", "building.code"), "code")


BUILDINGS = resource.Resource(
    table=Building,
    columns=[Building.id, Building.code, Building.name, Building.floors, Building.gender_rule],
    to_out=to_out,
    unique=[("code",)],
    prepare=prepare,
)


class BuildingController(Controller):
    path = "/buildings"
    tags = ["buildings · 楼栋"]

    @get("/", opt=allow(STAFF_HR))
    async def list_buildings(
        self,
        request: Request,
        page: PageDep,
        gender_rule: FromQuery[GenderRuleName | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
    ) -> OffsetPagination[BuildingOut]:
        """The park's dormitory buildings."""
        search = resource.contains(Building.name, q)
        if q:
            search = search | resource.contains(Building.code, q)  # type: ignore[operator]
        return await resource.list_page(
            BUILDINGS, viewer_of(request), page, [resource.equals(Building.gender_rule, gender_rule), search]
        )

    @get("/{building_id:int}", opt=allow(STAFF_HR))
    async def get_building(self, request: Request, building_id: PathId) -> BuildingOut:
        return await resource.fetch(BUILDINGS, viewer_of(request), building_id)

    @post("/", opt=allow(STAFF))
    async def create_building(self, request: Request, data: JSONBody[BuildingCreate]) -> BuildingOut:
        return await resource.create(BUILDINGS, viewer_of(request), resource.sent(data))

    @patch("/{building_id:int}", opt=allow(STAFF))
    async def update_building(
        self, request: Request, building_id: PathId, data: JSONBody[BuildingPatch]
    ) -> BuildingOut:
        return await resource.update(BUILDINGS, viewer_of(request), building_id, resource.sent(data))

    @delete("/{building_id:int}", opt=allow(STAFF))
    async def delete_building(self, request: Request, building_id: PathId) -> None:
        """Delete a building with no units; one that still has units answers 409."""
        await resource.delete(BUILDINGS, viewer_of(request), building_id)

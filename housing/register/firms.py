"""Firms of the park: the tenants that lease units and house their workers.

HR reads only its own firm (a list of one); only park staff register or change firms.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.register import validators
from housing.register.tables import Firm
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.problems import unique_field
from housing.web.resource import PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Uscc = Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
ContactName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Phone = Annotated[str, msgspec.Meta(min_length=5, max_length=20)]


class FirmCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    uscc: Uscc
    contact_name: ContactName
    contact_phone: Phone
    is_key: bool = False


class FirmPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    uscc: Uscc | msgspec.UnsetType = msgspec.UNSET
    contact_name: ContactName | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Phone | msgspec.UnsetType = msgspec.UNSET
    is_key: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class FirmOut(msgspec.Struct):
    id: int
    name: str
    uscc: str
    contact_name: str
    contact_phone: str
    is_key: bool
    active: bool


def to_out(row: Row, viewer: Viewer) -> FirmOut:
    return FirmOut(**{**row, "is_key": bool(row["is_key"]), "active": bool(row["active"])})


def scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else Firm.id == viewer.firm_id


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    resource.blank_to_error(values, "name", "contact_name")
    if "uscc" in values:
        values["uscc"] = validators.credit_code(values["uscc"])
    if "contact_phone" in values:
        values["contact_phone"] = validators.phone(values["contact_phone"])
    return values


unique_field(("firm_name_key", "firm.name"), "name")
unique_field(("firm_uscc_key", "firm.uscc"), "uscc")


FIRMS = resource.Resource(
    table=Firm,
    columns=[Firm.id, Firm.name, Firm.uscc, Firm.contact_name, Firm.contact_phone, Firm.is_key, Firm.active],
    to_out=to_out,
    scope=scope,
    unique=[("name",), ("uscc",)],
    prepare=prepare,
)


class FirmController(Controller):
    path = "/firms"
    tags = ["firms · 企业"]

    @get("/", opt=allow(STAFF_HR))
    async def list_firms(
        self,
        request: Request,
        page: PageDep,
        is_key: FromQuery[bool | None] = None,
        active: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="name contains")] = None,
    ) -> OffsetPagination[FirmOut]:
        """Firms of the park; HR sees a list of one, its own firm."""
        filters = [
            resource.equals(Firm.is_key, is_key),
            resource.equals(Firm.active, active),
            resource.contains(Firm.name, q),
        ]
        return await resource.list_page(FIRMS, viewer_of(request), page, filters)

    @get("/{firm_id:int}", opt=allow(STAFF_HR))
    async def get_firm(self, request: Request, firm_id: PathId) -> FirmOut:
        return await resource.fetch(FIRMS, viewer_of(request), firm_id)

    @post("/", opt=allow(STAFF))
    async def create_firm(self, request: Request, data: JSONBody[FirmCreate]) -> FirmOut:
        return await resource.create(FIRMS, viewer_of(request), resource.sent(data))

    @patch("/{firm_id:int}", opt=allow(STAFF))
    async def update_firm(self, request: Request, firm_id: PathId, data: JSONBody[FirmPatch]) -> FirmOut:
        """Change a firm; `active: false` marks a firm that has left the park."""
        return await resource.update(FIRMS, viewer_of(request), firm_id, resource.sent(data))

    @delete("/{firm_id:int}", opt=allow(STAFF))
    async def delete_firm(self, request: Request, firm_id: PathId) -> None:
        """Delete a firm registered by mistake; one with workers or accounts answers 409."""
        await resource.delete(FIRMS, viewer_of(request), firm_id)

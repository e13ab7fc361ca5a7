"""Departments (维修一组, 宿管中心 …): the teams service tickets are assigned to.

Each has a supervisor — a staff account — who is told when one of the department's tickets
nears its deadline (80 %) or passes it. Staff keep the list; nobody else needs it.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from housing.register.tables import Account, Department, Role
from housing.web import resource
from housing.web.access import STAFF, Viewer, allow, viewer_of
from housing.web.problems import invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class DepartmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    supervisor_account_id: Id


class DepartmentPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    supervisor_account_id: Id | msgspec.UnsetType = msgspec.UNSET


class DepartmentOut(msgspec.Struct):
    id: int
    name: str
    supervisor_account_id: int
    supervisor: str


def to_out(row: Row, viewer: Viewer) -> DepartmentOut:
    return DepartmentOut(**row)


async def is_staff_account(account_id: int) -> bool:
    return bool(
        await Account.exists().where(
            (Account.id == account_id) & (Account.role == Role.staff.value) & (Account.user_id.active == True)
        )
    )


async def staff_accounts() -> list[dict[str, Any]]:
    """Active staff accounts (`id`, `username`): who a ticket or a department can be given to."""
    return await (  # type: ignore[no-any-return]
        Account.select(Account.id, Account.user_id.username.as_alias("username"))  # type: ignore[union-attr]
        .where((Account.role == Role.staff.value) & (Account.user_id.active == True))
        .order_by(Account.user_id.username)  # type: ignore[union-attr]
    )


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    resource.blank_to_error(values, "name")
    if "supervisor_account_id" in values and not await is_staff_account(values["supervisor_account_id"]):
        raise invalid("supervisor_account_id", "supervisor_not_staff")
    return values


unique_field(("department_name_key", "department.name"), "name")

DEPARTMENTS = resource.Resource(
    table=Department,
    columns=[
        Department.id,
        Department.name,
        Department.supervisor_account_id,
        Department.supervisor_account_id.user_id.username.as_alias("supervisor"),  # type: ignore[union-attr]
    ],
    to_out=to_out,
    unique=[("name",)],
    prepare=prepare,
)


async def supervisor_of(department_id: int | None) -> int | None:
    if department_id is None:
        return None
    row = await Department.select(Department.supervisor_account_id).where(Department.id == department_id).first()
    return None if row is None else int(row["supervisor_account_id"])


class DepartmentController(Controller):
    path = "/departments"
    tags = ["departments · 部门"]

    @get("/", opt=allow(STAFF))
    async def list_departments(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[DepartmentOut]:
        return await resource.list_page(DEPARTMENTS, viewer_of(request), page)

    @get("/{department_id:int}", opt=allow(STAFF))
    async def get_department(self, request: Request[Any, Any, Any], department_id: PathId) -> DepartmentOut:
        return await resource.fetch(DEPARTMENTS, viewer_of(request), department_id)

    @post("/", opt=allow(STAFF))
    async def create_department(
        self, request: Request[Any, Any, Any], data: JSONBody[DepartmentCreate]
    ) -> DepartmentOut:
        """A department and its supervisor (a staff account, told of late tickets)."""
        return await resource.create(DEPARTMENTS, viewer_of(request), resource.sent(data))

    @patch("/{department_id:int}", opt=allow(STAFF))
    async def update_department(
        self, request: Request[Any, Any, Any], department_id: PathId, data: JSONBody[DepartmentPatch]
    ) -> DepartmentOut:
        return await resource.update(DEPARTMENTS, viewer_of(request), department_id, resource.sent(data))

"""Workers of the park's firms.

HR keeps its own firm's workers: every query is filtered by the HR's firm, and a `firm_id`
in an HR request is refused unless it is HR's own. A worker reads only their own record.
Resident ID numbers are validated (GB 11643 checksum and birth date, gender digit) and shown
masked to everyone but park staff. Deleting a worker deactivates them: the person stays in the
register for the months already billed and subsidised.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.register import validators
from housing.register.tables import Firm, Worker
from housing.web import resource
from housing.web.access import EVERYONE, STAFF_HR, Viewer, allow, firm_written_for, viewer_of
from housing.web.clock import as_date, park_day
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
IdNumber = Annotated[str, msgspec.Meta(min_length=15, max_length=18)]
Mobile = Annotated[str, msgspec.Meta(min_length=11, max_length=20)]
EmployeeNo = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
GenderName = Literal["male", "female"]
ShiftName = Literal["day", "night", "rotating"]
HousingStatusName = Literal["dorm", "off_site", "own_home"]


class WorkerCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    gender: GenderName
    id_number: IdNumber
    mobile: Mobile
    employee_no: EmployeeNo
    firm_id: Id | None = None
    shift: ShiftName = "day"
    housing_status: HousingStatusName = "dorm"
    hired_on: date | None = None
    left_on: date | None = None


class WorkerPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    gender: GenderName | msgspec.UnsetType = msgspec.UNSET
    id_number: IdNumber | msgspec.UnsetType = msgspec.UNSET
    mobile: Mobile | msgspec.UnsetType = msgspec.UNSET
    employee_no: EmployeeNo | msgspec.UnsetType = msgspec.UNSET
    firm_id: Id | msgspec.UnsetType = msgspec.UNSET
    shift: ShiftName | msgspec.UnsetType = msgspec.UNSET
    housing_status: HousingStatusName | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    hired_on: date | msgspec.UnsetType = msgspec.UNSET
    left_on: date | None | msgspec.UnsetType = msgspec.UNSET


class WorkerOut(msgspec.Struct):
    id: int
    firm_id: int
    firm_name: str
    name: str
    gender: str
    id_number: str
    mobile: str
    employee_no: str
    shift: str
    housing_status: str
    active: bool
    created_at: datetime
    hired_on: date | None
    left_on: date | None


def to_out(row: Row, viewer: Viewer) -> WorkerOut:
    """The row as the API answers it (HR sees ID numbers masked). The row is the query's own
    fresh dict, changed in place: this runs 50 times for each page of HR's most-opened list."""
    if not viewer.is_staff:
        row["id_number"] = validators.mask_resident_id(row["id_number"])
    row["active"] = bool(row["active"])
    row["hired_on"] = as_date(row["hired_on"]) if row["hired_on"] else None
    row["left_on"] = as_date(row["left_on"]) if row["left_on"] else None
    return WorkerOut(**row)


def scope(viewer: Viewer) -> Combinable | None:
    if viewer.is_staff:
        return None
    if viewer.is_hr:
        return Worker.firm_id == viewer.firm_id
    return Worker.id == viewer.worker_id


def _choose_firm(values: Row, current: Row | None, viewer: Viewer) -> None:
    """Staff names the firm; HR's workers are always HR's own firm, whatever the body says."""
    firm_id = firm_written_for(viewer, values.get("firm_id"), new=current is None)
    if viewer.is_staff:
        return
    if current is None:
        values["firm_id"] = firm_id
    else:
        values.pop("firm_id", None)


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    _choose_firm(values, current, viewer)
    if values.get("firm_id") is None:
        values.pop("firm_id", None)
    id_number = check_fields(values, current, viewer)
    active = values.get("active", bool(current["active"]) if current else True)
    if active and ("id_number" in values or values.get("active")):
        await _check_one_active_record(id_number, current)
    return values


def check_fields(values: Row, current: Row | None, viewer: Viewer) -> str:
    """The rules a worker's own fields obey, without the database: blank names, a valid ID
    number and mobile (normalised in place), gender agreeing with the ID number, employment
    dates. Returns the ID number the record will carry. The API and the Excel import both
    call it, so a spreadsheet row is held to exactly the rules of a request."""
    resource.blank_to_error(values, "name", "employee_no")
    if "id_number" in values:
        values["id_number"] = validators.resident_id(values["id_number"])
    if "mobile" in values:
        values["mobile"] = validators.mobile(values["mobile"])
    id_number: str = values["id_number"] if "id_number" in values else current["id_number"]  # type: ignore[index]
    gender = values.get("gender", current["gender"] if current else None)
    if ("id_number" in values or "gender" in values) and validators.gender_of_resident_id(id_number) != gender:
        raise invalid("gender", "gender_mismatch")
    _employment_dates(values, current, viewer)
    return id_number


def _employment_dates(values: Row, current: Row | None, viewer: Viewer) -> None:
    """Hired today unless said otherwise; leaving (deactivation) ends employment today.

    Subsidy payouts and canteen meals count only the days between `hired_on` and `left_on`, so
    a worker who leaves must get a `left_on`, and a worker taken back gets a fresh start.
    """
    today = park_day(viewer.now)
    if current is None and values.get("hired_on") is None:
        values["hired_on"] = today
    if values.get("active") is False and values.get("left_on") is None and not (current and current["left_on"]):
        values["left_on"] = today
    if values.get("active") is True and current is not None and not current["active"] and "left_on" not in values:
        values["left_on"] = None
    hired = values.get("hired_on", as_date(current["hired_on"]) if current and current["hired_on"] else None)
    left = values.get("left_on", as_date(current["left_on"]) if current and current["left_on"] else None)
    if current is None and values.get("left_on") is None:
        values.pop("left_on", None)
    if hired is not None and left is not None and left < hired:
        raise invalid("left_on", "left_before_hired")


async def _check_one_active_record(id_number: str, current: Row | None) -> None:
    """One person is an active worker of one firm at a time (the database's partial index agrees).

    The answer says the person is registered in the park and whom to ask — never which firm:
    HR of one firm must not learn where another firm's workers are.
    """
    query = Worker.exists().where(Worker.id_number == id_number).where(Worker.active == True)
    if current is not None:
        query = query.where(Worker.id != current["id"])
    if await query:
        raise Problem(409, "conflict", errors=[FieldError("id_number", "id_number_registered")])


unique_field(("worker_active_id_number_key", "worker.id_number"), "id_number", "id_number_registered")
unique_field(("worker_firm_employee_no_key", "worker.employee_no"), "employee_no")


WORKERS = resource.Resource(
    table=Worker,
    columns=[
        Worker.id,
        Worker.firm_id,
        Worker.firm_id.name.as_alias("firm_name"),
        Worker.name,
        Worker.gender,
        Worker.id_number,
        Worker.mobile,
        Worker.employee_no,
        Worker.shift,
        Worker.housing_status,
        Worker.active,
        Worker.created_at,
        Worker.hired_on,
        Worker.left_on,
    ],
    to_out=to_out,
    scope=scope,
    references={"firm_id": Firm},
    unique=[("firm_id", "employee_no")],
    prepare=prepare,
)


def search(q: str | None) -> Combinable | None:
    """Name or employee number contains `q` (the API's `?q=` and the HR page's search box)."""
    if not q:
        return None
    return resource.contains(Worker.name, q) | resource.contains(Worker.employee_no, q)  # type: ignore[operator,no-any-return]


class WorkerController(Controller):
    path = "/workers"
    tags = ["workers · 员工"]

    @get("/", opt=allow(STAFF_HR))
    async def list_workers(
        self,
        request: Request,
        page: PageDep,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
        gender: FromQuery[GenderName | None] = None,
        shift: FromQuery[ShiftName | None] = None,
        housing_status: FromQuery[HousingStatusName | None] = None,
        active: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=50, description="name or employee number contains")] = None,
    ) -> OffsetPagination[WorkerOut]:
        """Workers; HR sees only its own firm's, whatever `firm_id` it asks for."""
        filters = [
            resource.equals(Worker.firm_id, firm_id),
            resource.equals(Worker.gender, gender),
            resource.equals(Worker.shift, shift),
            resource.equals(Worker.housing_status, housing_status),
            resource.equals(Worker.active, active),
            search(q),
        ]
        return await resource.list_page(WORKERS, viewer_of(request), page, filters)

    @get("/{worker_id:int}", opt=allow(EVERYONE))
    async def get_worker(self, request: Request, worker_id: PathId) -> WorkerOut:
        """One worker; a worker may read only their own record."""
        return await resource.fetch(WORKERS, viewer_of(request), worker_id)

    @post("/", opt=allow(STAFF_HR))
    async def create_worker(self, request: Request, data: JSONBody[WorkerCreate]) -> WorkerOut:
        return await resource.create(WORKERS, viewer_of(request), resource.sent(data))

    @patch("/{worker_id:int}", opt=allow(STAFF_HR))
    async def update_worker(self, request: Request, worker_id: PathId, data: JSONBody[WorkerPatch]) -> WorkerOut:
        return await resource.update(WORKERS, viewer_of(request), worker_id, resource.sent(data))

    @delete("/{worker_id:int}", status_code=200, opt=allow(STAFF_HR))
    async def deactivate_worker(self, request: Request, worker_id: PathId) -> WorkerOut:
        """Deactivate a worker who left (the record stays for history); reactivate with PATCH."""
        return await resource.update(WORKERS, viewer_of(request), worker_id, {"active": False})

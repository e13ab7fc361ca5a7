"""Rental subsidy applications (`/api/subsidy-applications`) and their contracts.

A worker applies for itself (the flat's address, landlord, monthly rent and lease dates) and
uploads its rental contract; its firm's HR confirms it; park staff approve or reject it with a
reason. States: `submitted` → `confirmed` → `approved` | `rejected`; the worker may `withdraw`
a submitted, confirmed or approved application (an approved one is paid through the day it is
withdrawn). Approval needs HR's confirmation and the contract.

A worker who holds a dorm bed cannot apply. A worker has at most one live (submitted,
confirmed or approved) application — checked here to say so, and a partial unique index in the
database whatever happens; a rejected or withdrawn worker may apply again. Staff see every
application, HR its own firm's workers', a worker its own: tenancy in the query, and anything
else answers 404. The contract is checked and stored by `housing.web.uploads` (PDF, JPEG or
PNG by content, at most 10 MB, under a name the server makes) and downloaded by the same
people who may read the application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.leasing.tables import BedAssignment
from housing.register.tables import Role
from housing.settings import Settings
from housing.subsidies.tables import LIVE_STATUSES, ApplicationStatus, RentalSubsidyApplication
from housing.web import audit, resource, uploads
from housing.web.access import EVERYONE, STAFF, WORKER, Viewer, allow, viewer_of
from housing.web.clock import as_date, as_datetime, park_day
from housing.web.db import write_transaction
from housing.web.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem, ProblemBody, invalid, unique_field
from housing.web.resource import PageDep, PathId, Row

log = logging.getLogger("housing")

Address = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Landlord = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
RentFen = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="monthly rent in fen (150000 = 1,500 CNY)")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
STATUS_PATTERN = "^(submitted|confirmed|approved|rejected|withdrawn)$"

CONTRACT_FIELD = "contract"
CONTRACT_FOLDER = "contracts"
# The multipart envelope around a 10 MB contract; a file above 10 MB is refused by the upload check.
CONTRACT_BODY_LIMIT = uploads.MAX_UPLOAD_BYTES + 1024 * 1024
CONTRACT_TYPES = ("application/pdf", "image/jpeg", "image/png")
STATUS_ZH = {
    "submitted": "已提交",
    "confirmed": "HR 已确认",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
}
HR_ONLY = frozenset({Role.hr.value})  # HR confirms; staff approve, so staff do not confirm


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True):
    address: Address
    landlord: Landlord
    monthly_rent_fen: RentFen
    lease_start: date
    lease_end: date


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class ContractOut(msgspec.Struct):
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ApplicationOut(msgspec.Struct):
    id: int
    worker_id: int
    worker_name: str
    employee_no: str
    firm_id: int
    firm_name: str
    address: str
    landlord: str
    monthly_rent_fen: int
    lease_start: date
    lease_end: date
    status: str
    submitted_at: datetime
    submitted_on: date
    confirmed_at: datetime | None
    confirmed_by: str
    decided_at: datetime | None
    decided_by: str
    reject_reason: str
    withdrawn_on: date | None
    contract: ContractOut | None


def _maybe(value: Any, convert: Any) -> Any:
    return convert(value) if value is not None else None


def to_out(row: Row, viewer: Viewer) -> ApplicationOut:
    contract = None
    if row["contract_token"]:
        contract = ContractOut(
            media_type=row["contract_media_type"],
            size=row["contract_size"],
            sha256=row["contract_sha256"],
            uploaded_at=as_datetime(row["contract_uploaded_at"]),
        )
    return ApplicationOut(
        id=row["id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        employee_no=row["employee_no"],
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        address=row["address"],
        landlord=row["landlord"],
        monthly_rent_fen=row["monthly_rent_fen"],
        lease_start=as_date(row["lease_start"]),
        lease_end=as_date(row["lease_end"]),
        status=row["status"],
        submitted_at=as_datetime(row["submitted_at"]),
        submitted_on=as_date(row["submitted_on"]),
        confirmed_at=_maybe(row["confirmed_at"], as_datetime),
        confirmed_by=row["confirmed_by"],
        decided_at=_maybe(row["decided_at"], as_datetime),
        decided_by=row["decided_by"],
        reject_reason=row["reject_reason"],
        withdrawn_on=_maybe(row["withdrawn_on"], as_date),
        contract=contract,
    )


def scope(viewer: Viewer) -> Combinable | None:
    """Staff: every application; HR: its own firm's workers'; a worker: its own."""
    if viewer.is_staff:
        return None
    if viewer.is_hr:
        return RentalSubsidyApplication.worker_id.firm_id == viewer.firm_id
    return RentalSubsidyApplication.worker_id == viewer.worker_id


APPLICATIONS = resource.Resource(
    table=RentalSubsidyApplication,
    columns=[
        RentalSubsidyApplication.id,
        RentalSubsidyApplication.worker_id,
        RentalSubsidyApplication.worker_id.name.as_alias("worker_name"),
        RentalSubsidyApplication.worker_id.employee_no.as_alias("employee_no"),
        RentalSubsidyApplication.worker_id.firm_id.as_alias("firm_id"),
        RentalSubsidyApplication.worker_id.firm_id.name.as_alias("firm_name"),  # type: ignore[union-attr]
        RentalSubsidyApplication.address,
        RentalSubsidyApplication.landlord,
        RentalSubsidyApplication.monthly_rent_fen,
        RentalSubsidyApplication.lease_start,
        RentalSubsidyApplication.lease_end,
        RentalSubsidyApplication.status,
        RentalSubsidyApplication.submitted_at,
        RentalSubsidyApplication.submitted_on,
        RentalSubsidyApplication.confirmed_at,
        RentalSubsidyApplication.confirmed_by,
        RentalSubsidyApplication.decided_at,
        RentalSubsidyApplication.decided_by,
        RentalSubsidyApplication.reject_reason,
        RentalSubsidyApplication.withdrawn_on,
        RentalSubsidyApplication.contract_token,
        RentalSubsidyApplication.contract_media_type,
        RentalSubsidyApplication.contract_size,
        RentalSubsidyApplication.contract_sha256,
        RentalSubsidyApplication.contract_uploaded_at,
    ],
    to_out=to_out,
    scope=scope,
)

# Two applications at once that both passed the check: the partial unique index refuses one.
unique_field(
    ("rental_subsidy_application_live_key", "rental_subsidy_application.worker_id"), "worker_id", "application_live_any"
)


def _closed(status: str) -> Problem:
    return Problem(409, "application_closed", status=status, status_zh=STATUS_ZH.get(status, status))


async def holds_bed(worker_id: int, today: date) -> bool:
    """A bed held today or later (an assignment not ended, or ending today or after)."""
    return bool(
        await BedAssignment.exists().where(
            (BedAssignment.worker_id == worker_id)
            & (BedAssignment.ends_on.is_null() | (BedAssignment.ends_on >= today))  # type: ignore[operator]
        )
    )


async def apply(viewer: Viewer, body: ApplicationCreate) -> ApplicationOut:
    """The calling worker applies for itself."""
    values = msgspec.structs.asdict(body)
    resource.blank_to_error(values, "address", "landlord")
    today = park_day(viewer.now)
    if body.lease_end < body.lease_start:
        raise invalid("lease_end", "ends_before_start")
    if body.lease_end < today:
        raise invalid("lease_end", "lease_already_ended")
    assert viewer.worker_id is not None  # the route admits workers only
    async with write_transaction():
        if await holds_bed(viewer.worker_id, today):
            raise Problem(409, "holds_dorm_bed")
        live = await (
            RentalSubsidyApplication.select(RentalSubsidyApplication.id)
            .where(
                (RentalSubsidyApplication.worker_id == viewer.worker_id)
                & RentalSubsidyApplication.status.is_in(list(LIVE_STATUSES))
            )
            .first()
        )
        if live is not None:
            raise Problem(409, "conflict", errors=[FieldError("worker_id", "application_live", {"id": live["id"]})])
        row = RentalSubsidyApplication(
            worker_id=viewer.worker_id,
            status=ApplicationStatus.submitted.value,
            submitted_at=viewer.now,
            submitted_on=today,
            **values,
        )
        application_id = (await RentalSubsidyApplication.insert(row))[0]["id"]
        await audit.record(
            viewer, "rental_subsidy_application", application_id, "create", after={**values, "status": "submitted"}
        )
        return await resource.fetch(APPLICATIONS, viewer, application_id)


async def _move(
    viewer: Viewer, application_id: int, allowed: tuple[str, ...], changes: dict[Any, Any], action: str
) -> ApplicationOut:
    """Change the state of a visible application whose state is still one of `allowed`, or 409.

    The `UPDATE … WHERE status IN (allowed)` decides a race between two clerks: the second
    one changes nothing and is told what state the application is in now.
    """
    current = await resource.fetch_row(APPLICATIONS, viewer, application_id)
    status = current["status"]
    if status not in allowed:
        raise _closed(status)
    moved = await (
        RentalSubsidyApplication.update(changes)
        .where((RentalSubsidyApplication.id == application_id) & RentalSubsidyApplication.status.is_in(list(allowed)))
        .returning(RentalSubsidyApplication.id)
    )
    if not moved:
        now = await resource.fetch_row(APPLICATIONS, viewer, application_id)
        raise _closed(now["status"])
    after = {column._meta.name: value for column, value in changes.items()}
    await audit.record(
        viewer, "rental_subsidy_application", application_id, action, before={"status": status}, after=after
    )
    return await resource.fetch(APPLICATIONS, viewer, application_id)


async def confirm(viewer: Viewer, application_id: int) -> ApplicationOut:
    """HR confirms that the applicant is its firm's worker and the application is sound."""
    async with write_transaction():
        current = await resource.fetch_row(APPLICATIONS, viewer, application_id)
        if current["status"] != ApplicationStatus.submitted.value:
            status = current["status"]
            raise Problem(409, "application_not_submitted", status=status, status_zh=STATUS_ZH.get(status, status))
        changes = {
            RentalSubsidyApplication.status: ApplicationStatus.confirmed.value,
            RentalSubsidyApplication.confirmed_at: viewer.now,
            RentalSubsidyApplication.confirmed_by: viewer.username,
        }
        return await _move(viewer, application_id, (ApplicationStatus.submitted.value,), changes, "confirm")


async def approve(viewer: Viewer, application_id: int) -> ApplicationOut:
    """Staff approve a confirmed application that has its contract."""
    async with write_transaction():
        current = await resource.fetch_row(APPLICATIONS, viewer, application_id)
        if current["status"] == ApplicationStatus.submitted.value:
            raise Problem(409, "application_needs_confirmation")
        if current["status"] == ApplicationStatus.confirmed.value and not current["contract_token"]:
            raise Problem(409, "application_needs_contract")
        changes = {
            RentalSubsidyApplication.status: ApplicationStatus.approved.value,
            RentalSubsidyApplication.decided_at: viewer.now,
            RentalSubsidyApplication.decided_by: viewer.username,
        }
        return await _move(viewer, application_id, (ApplicationStatus.confirmed.value,), changes, "approve")


async def reject(viewer: Viewer, application_id: int, reason: str) -> ApplicationOut:
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "blank")
    async with write_transaction():
        changes = {
            RentalSubsidyApplication.status: ApplicationStatus.rejected.value,
            RentalSubsidyApplication.decided_at: viewer.now,
            RentalSubsidyApplication.decided_by: viewer.username,
            RentalSubsidyApplication.reject_reason: reason,
        }
        allowed = (ApplicationStatus.submitted.value, ApplicationStatus.confirmed.value)
        return await _move(viewer, application_id, allowed, changes, "reject")


async def withdraw(viewer: Viewer, application_id: int) -> ApplicationOut:
    """The worker withdraws its own application (an approved one is paid through today)."""
    async with write_transaction():
        changes = {
            RentalSubsidyApplication.status: ApplicationStatus.withdrawn.value,
            RentalSubsidyApplication.withdrawn_on: park_day(viewer.now),
        }
        return await _move(viewer, application_id, LIVE_STATUSES, changes, "withdraw")


async def upload_contract(viewer: Viewer, settings: Settings, application_id: int, data: bytes) -> ApplicationOut:
    """Store the worker's contract (replacing an earlier one) while the application is undecided."""
    undecided = (ApplicationStatus.submitted.value, ApplicationStatus.confirmed.value)
    current = await resource.fetch_row(APPLICATIONS, viewer, application_id)  # 404 before anything is stored
    if current["status"] not in undecided:
        raise _closed(current["status"])
    stored = uploads.store(settings.upload_dir, CONTRACT_FOLDER, data, field=CONTRACT_FIELD)
    try:
        async with write_transaction():
            current = await resource.fetch_row(APPLICATIONS, viewer, application_id)
            if current["status"] not in undecided:
                raise _closed(current["status"])
            await RentalSubsidyApplication.update(
                {
                    RentalSubsidyApplication.contract_token: stored.token,
                    RentalSubsidyApplication.contract_media_type: stored.media_type,
                    RentalSubsidyApplication.contract_size: stored.size,
                    RentalSubsidyApplication.contract_sha256: stored.sha256,
                    RentalSubsidyApplication.contract_uploaded_at: viewer.now,
                }
            ).where(RentalSubsidyApplication.id == application_id)
            await audit.record(
                viewer,
                "rental_subsidy_application",
                application_id,
                "upload_contract",
                before={"contract_sha256": current["contract_sha256"] or None},
                after={
                    "contract_sha256": stored.sha256,
                    "contract_media_type": stored.media_type,
                    "contract_size": stored.size,
                },
            )
            out = await resource.fetch(APPLICATIONS, viewer, application_id)
    except BaseException:
        uploads.remove(settings.upload_dir, CONTRACT_FOLDER, stored.token)
        raise
    if current["contract_token"]:
        uploads.remove(settings.upload_dir, CONTRACT_FOLDER, current["contract_token"])
    return out


def _disposition(application_id: int, token: str) -> str:
    extension = token.rsplit(".", 1)[-1]
    name = f"租房合同-{application_id}.{extension}"
    return f"attachment; filename=\"contract-{application_id}.{extension}\"; filename*=UTF-8''{quote(name)}"


async def contract_file(viewer: Viewer, settings: Settings, application_id: int) -> Response[bytes]:
    row = await resource.fetch_row(APPLICATIONS, viewer, application_id)
    token = row["contract_token"]
    if not token:
        raise Problem(404, "no_contract")
    path = uploads.path_of(settings.upload_dir, CONTRACT_FOLDER, token)
    try:
        data = await anyio.Path(path).read_bytes()
    except FileNotFoundError:
        log.error("subsidy application %s: its contract file is missing from the upload folder", application_id)
        raise Problem(404, "no_contract") from None
    headers = {"Content-Disposition": _disposition(application_id, token), "Cache-Control": "private, no-store"}
    return Response(data, media_type=row["contract_media_type"], headers=headers)


def _binary() -> Schema:
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class ContractUpload(Operation):
    """Litestar does not see a body in a handler that reads the form itself: say what it takes."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT,
            properties={CONTRACT_FIELD: _binary()},
            required=[CONTRACT_FIELD],
            description="the rental contract: a PDF, JPEG or PNG file of at most 10 MB",
        )
        self.request_body = RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=form)}, required=True)


@dataclass
class ContractDownload(Operation):
    """The contract comes back in the type it was stored as: PDF, JPEG or PNG."""

    def __post_init__(self) -> None:
        if self.responses is None:  # pragma: no cover - Litestar always documents the 200
            return
        found = self.responses.get("200")
        if isinstance(found, OpenAPIResponse):
            found.content = {media_type: OpenAPIMediaType(schema=_binary()) for media_type in CONTRACT_TYPES}


class RentalSubsidyApplicationController(Controller):
    path = "/subsidy-applications"
    tags = ["rental subsidy · 租房补贴"]

    @get("/", opt=allow(EVERYONE))
    async def list_applications(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        status: Annotated[str | None, QueryParameter(pattern=STATUS_PATTERN)] = None,
        worker_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
    ) -> OffsetPagination[ApplicationOut]:
        """Applications: staff all, HR its own firm's workers', a worker its own."""
        filters = [
            resource.equals(RentalSubsidyApplication.status, status),
            resource.equals(RentalSubsidyApplication.worker_id, worker_id),
            resource.equals(RentalSubsidyApplication.worker_id.firm_id, firm_id),
        ]
        return await resource.list_page(APPLICATIONS, viewer_of(request), page, filters)

    @get("/{application_id:int}", opt=allow(EVERYONE))
    async def get_application(self, request: Request[Any, Any, Any], application_id: PathId) -> ApplicationOut:
        return await resource.fetch(APPLICATIONS, viewer_of(request), application_id)

    @post("/", opt=allow(WORKER))
    async def apply_for_subsidy(
        self, request: Request[Any, Any, Any], data: JSONBody[ApplicationCreate]
    ) -> ApplicationOut:
        """Apply for the rental subsidy for yourself (a worker holding a dorm bed cannot; one live
        application at a time). Then upload the contract at `…/{id}/contract`."""
        return await apply(viewer_of(request), data)

    @post(
        "/{application_id:int}/contract",
        status_code=200,
        opt=allow(WORKER),
        request_max_body_size=CONTRACT_BODY_LIMIT,
        operation_class=ContractUpload,
        responses={
            413: ResponseSpec(
                data_container=ProblemBody,
                media_type=PROBLEM_MEDIA_TYPE,
                description="The file is larger than 10 MB",
                generate_examples=False,
            )
        },
    )
    async def send_contract(self, request: Request[Any, Any, Any], application_id: PathId) -> ApplicationOut:
        """Upload your rental contract (multipart form field `contract`: PDF, JPEG or PNG, ≤ 10 MB,
        judged by its content); a later upload replaces it until the application is decided."""
        data = await uploads.read_upload(request, CONTRACT_FIELD)
        return await upload_contract(viewer_of(request), request.app.state.settings, application_id, data)

    @get("/{application_id:int}/contract", opt=allow(EVERYONE), operation_class=ContractDownload)
    async def get_contract(self, request: Request[Any, Any, Any], application_id: PathId) -> Response[bytes]:
        """The contract as uploaded (the worker itself, its HR and staff)."""
        return await contract_file(viewer_of(request), request.app.state.settings, application_id)

    @post("/{application_id:int}/confirm", status_code=200, opt=allow(HR_ONLY))
    async def confirm_application(self, request: Request[Any, Any, Any], application_id: PathId) -> ApplicationOut:
        """HR confirms its own worker's submitted application."""
        return await confirm(viewer_of(request), application_id)

    @post("/{application_id:int}/approve", status_code=200, opt=allow(STAFF))
    async def approve_application(self, request: Request[Any, Any, Any], application_id: PathId) -> ApplicationOut:
        """Approve a confirmed application with its contract (409 saying what is missing otherwise)."""
        return await approve(viewer_of(request), application_id)

    @post("/{application_id:int}/reject", status_code=200, opt=allow(STAFF))
    async def reject_application(
        self, request: Request[Any, Any, Any], application_id: PathId, data: JSONBody[RejectRequest]
    ) -> ApplicationOut:
        """Reject a submitted or confirmed application, with the reason; the worker may apply again."""
        return await reject(viewer_of(request), application_id, data.reason)

    @post("/{application_id:int}/withdraw", status_code=200, opt=allow(WORKER))
    async def withdraw_application(self, request: Request[Any, Any, Any], application_id: PathId) -> ApplicationOut:
        """Withdraw your own application; an approved one is paid through today."""
        return await withdraw(viewer_of(request), application_id)

"""Service tickets (`/api/tickets`): report a problem, then walk it through the loop.

Who reports: a worker for its own room (the unit comes from its open bed assignment; a worker
without a bed reports a general matter), HR for its firm (a unit its firm leases today, or a
general matter), staff for anyone. Who sees (tenancy in the query): a worker the tickets it
reported, HR its firm's, staff all (`mine=true`: what is assigned to the caller or to a
department it supervises). Another's ticket answers 404.

The loop: `new` → `sorted` → `assigned` → `in_progress` → `resolved` → `closed`, one action
each (`POST /api/tickets/{id}/{sort|assign|start|resolve|close|reopen}`). Staff sort, assign,
start and resolve; the reporter closes with a rating or reopens within 7 days. Each step is one
conditional UPDATE (`… WHERE state = <the state it was read in>`) inside a write transaction,
with its history row (the ledger), its audit entry and its notifications: two simultaneous
`assign`s cannot both win, and a step lands whole or not at all. An action the state does not
allow answers 409 naming the current state; a role that may not act answers 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from piccolo.columns.combination import Combinable

from housing.leasing.tables import BedAssignment, Lease
from housing.register.departments import is_staff_account, supervisor_of
from housing.register.tables import Department, Firm, Unit, Worker
from housing.settings import Settings
from housing.tickets import deadlines
from housing.tickets.notifications import notify
from housing.tickets.tables import Escalation, Ticket, TicketEvent, TicketPhoto
from housing.web import audit, resource, uploads
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, as_datetime, park_day
from housing.web.db import write_transaction
from housing.web.i18n import text
from housing.web.problems import FieldError, Problem, invalid
from housing.web.resource import Id, PageDep, PathId, Row

Category = Literal["repair", "dorm", "canteen", "subsidy", "other"]
Urgency = Literal["normal", "urgent"]
Severity = Literal["ordinary", "major"]
StateName = Literal["new", "sorted", "assigned", "in_progress", "resolved", "closed"]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]
Comment = Annotated[str, msgspec.Meta(max_length=500)]
MAX_PHOTOS = 9
PHOTO_FOLDER = "ticket-photos"
PHOTO_FIELD = "photo"
MAX_MAJOR_TIME = timedelta(days=366)

STATE_ZH = {
    "new": "新提交",
    "sorted": "已分类",
    "assigned": "已交办",
    "in_progress": "处理中",
    "resolved": "已解决",
    "closed": "已办结",
}
ACTION_ZH = {
    "sort": "分类",
    "assign": "交办",
    "start": "开始处理",
    "resolve": "标记解决",
    "close": "确认办结",
    "reopen": "重新打开",
    "photo": "添加照片",
}


class TicketCreate(msgspec.Struct, forbid_unknown_fields=True):
    category: Category
    description: Description
    urgency: Urgency = "normal"
    unit_id: Id | None = None  # HR and staff; a worker's own room is filled in
    firm_id: Id | None = None  # staff only
    worker_id: Id | None = None  # staff only: reporting on a worker's behalf


class SortRequest(msgspec.Struct, forbid_unknown_fields=True):
    severity: Severity = "ordinary"
    category: Category | None = None
    due_at: datetime | None = None  # required for a major ticket
    note: Note = ""


class AssignRequest(msgspec.Struct, forbid_unknown_fields=True):
    department_id: Id | None = None
    handler_account_id: Id | None = None  # a staff account
    reassign: bool = False  # say so to take a ticket from its current handler
    note: Note = ""


class NoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Note = ""


class ResolveRequest(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Description


class CloseRequest(msgspec.Struct, forbid_unknown_fields=True):
    rating: Rating
    comment: Comment = ""


class EventOut(msgspec.Struct):
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str


class TicketOut(msgspec.Struct):
    id: int
    state: str
    category: str
    urgency: str
    severity: str
    description: str
    reporter_account_id: int
    reporter: str
    firm_id: int | None
    firm_name: str | None
    worker_id: int | None
    unit_id: int | None
    unit: str | None
    reported_at: datetime
    due_at: datetime
    warn_at: datetime
    is_overdue: bool
    due_soon: bool
    handler_account_id: int | None
    handler: str | None
    department_id: int | None
    department: str | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str
    rating: int | None
    rating_comment: str
    auto_closed: bool
    history: list[EventOut] | None = None  # in the one-ticket answer
    photos: int | None = None
    escalations: list[str] | None = None


def _local(value: Any) -> datetime | None:
    """A stored instant as the park reads it (Asia/Shanghai, with its offset)."""
    return None if value is None else as_datetime(value).astimezone(PARK_TZ)


def to_out(row: Row, viewer: Viewer) -> TicketOut:
    due, warn = as_datetime(row["due_at"]), as_datetime(row["warn_at"])
    unit = f"{row['building_code']}-{row['unit_number']}" if row["unit_id"] is not None else None
    return TicketOut(
        id=row["id"],
        state=row["state"],
        category=row["category"],
        urgency=row["urgency"],
        severity=row["severity"],
        description=row["description"],
        reporter_account_id=row["reporter_account_id"],
        reporter=row["reporter"],
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        worker_id=row["worker_id"],
        unit_id=row["unit_id"],
        unit=unit,
        reported_at=_local(row["reported_at"]),  # type: ignore[arg-type]
        due_at=due.astimezone(PARK_TZ),
        warn_at=warn.astimezone(PARK_TZ),
        is_overdue=(bool(row["is_overdue"]) and row["state"] in deadlines.OPEN_STATES)
        or deadlines.is_overdue(row["state"], due, viewer.now),
        due_soon=deadlines.is_due_soon(row["state"], warn, due, viewer.now),
        handler_account_id=row["handler_account_id"],
        handler=row["handler"],
        department_id=row["department_id"],
        department=row["department"],
        assigned_at=_local(row["assigned_at"]),
        resolved_at=_local(row["resolved_at"]),
        closed_at=_local(row["closed_at"]),
        resolution=row["resolution"],
        rating=row["rating"],
        rating_comment=row["rating_comment"],
        auto_closed=bool(row["auto_closed"]),
    )


def scope(viewer: Viewer) -> Combinable | None:
    """Tenancy in the query: staff all, HR its firm's, a worker what it reported."""
    if viewer.is_staff:
        return None
    if viewer.is_hr:
        return Ticket.firm_id == viewer.firm_id
    return Ticket.reporter_account_id == viewer.account_id


COLUMNS = [
    Ticket.id,
    Ticket.state,
    Ticket.category,
    Ticket.urgency,
    Ticket.severity,
    Ticket.description,
    Ticket.reporter_account_id,
    Ticket.reporter_account_id.user_id.username.as_alias("reporter"),  # type: ignore[union-attr]
    Ticket.firm_id,
    Ticket.firm_id.name.as_alias("firm_name"),
    Ticket.worker_id,
    Ticket.unit_id,
    Ticket.unit_id.number.as_alias("unit_number"),
    Ticket.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
    Ticket.reported_at,
    Ticket.due_at,
    Ticket.warn_at,
    Ticket.is_overdue,
    Ticket.handler_account_id,
    Ticket.handler_account_id.user_id.username.as_alias("handler"),  # type: ignore[union-attr]
    Ticket.department_id,
    Ticket.department_id.name.as_alias("department"),
    Ticket.department_id.supervisor_account_id.as_alias("supervisor_account_id"),
    Ticket.assigned_at,
    Ticket.resolved_at,
    Ticket.closed_at,
    Ticket.resolution,
    Ticket.rating,
    Ticket.rating_comment,
    Ticket.auto_closed,
]

TICKETS = resource.Resource(table=Ticket, columns=COLUMNS, to_out=to_out, scope=scope)


def bilingual(key: str, **params: object) -> str:
    """A stored message (inbox, SMS): Chinese first, then English."""
    return f"{text(key, 'zh', **params)} / {text(key, 'en', **params)}"


def local_text(moment: datetime) -> str:
    return moment.astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M")


# --- reporting ---


async def _worker_unit(worker_id: int, today: Any) -> int | None:
    row = (
        await BedAssignment.select(BedAssignment.unit_id)
        .where(
            (BedAssignment.worker_id == worker_id)
            & (BedAssignment.starts_on <= today)
            & (BedAssignment.ends_on.is_null() | (BedAssignment.ends_on >= today))
        )
        .order_by(BedAssignment.id, ascending=False)
        .first()
    )
    return None if row is None else int(row["unit_id"])


async def _firm_leases_unit(firm_id: int, unit_id: int, today: Any) -> bool:
    return bool(
        await Lease.exists().where(
            (Lease.firm_id == firm_id)
            & (Lease.unit_id == unit_id)
            & (Lease.starts_on <= today)
            & (Lease.ends_on.is_null() | (Lease.ends_on >= today))
        )
    )


async def _who_and_where(body: TicketCreate, viewer: Viewer) -> tuple[int | None, int | None, int | None]:
    """(firm, worker, unit) of a new ticket, as the reporter's role allows."""
    today = park_day(viewer.now)
    if not viewer.is_staff and body.firm_id is not None:
        raise invalid("firm_id", "ticket_firm_not_chosen")
    if not viewer.is_staff and body.worker_id is not None:
        raise invalid("worker_id", "ticket_worker_not_chosen")
    if viewer.role == "worker":
        assert viewer.worker_id is not None
        worker = await Worker.select(Worker.firm_id).where(Worker.id == viewer.worker_id).first()
        unit = await _worker_unit(viewer.worker_id, today)
        if body.unit_id is not None and body.unit_id != unit:
            raise invalid("unit_id", "ticket_own_room_only")
        return (worker["firm_id"] if worker else None), viewer.worker_id, unit
    if viewer.is_hr:
        assert viewer.firm_id is not None
        if body.unit_id is not None and not await _firm_leases_unit(viewer.firm_id, body.unit_id, today):
            raise invalid("unit_id", "ticket_unit_not_leased")
        return viewer.firm_id, None, body.unit_id
    firm_id, worker_id, unit_id = body.firm_id, body.worker_id, body.unit_id
    if worker_id is not None:
        worker = await Worker.select(Worker.firm_id).where(Worker.id == worker_id).first()
        if worker is None:
            raise invalid("worker_id", "unknown_reference")
        if firm_id is not None and firm_id != worker["firm_id"]:
            raise invalid("firm_id", "ticket_worker_other_firm")
        firm_id = worker["firm_id"]
        if unit_id is None:
            unit_id = await _worker_unit(worker_id, today)
    return firm_id, worker_id, unit_id


async def _event(
    ticket_id: int, viewer: Viewer | None, now: datetime, action: str, before: str, after: str, note: str = ""
) -> None:
    await TicketEvent.insert(
        TicketEvent(
            ticket_id=ticket_id,
            at=now,
            account_id=viewer.account_id if viewer else None,
            actor=viewer.username if viewer else audit.SYSTEM,
            action=action,
            from_state=before,
            to_state=after,
            note=note,
        )
    )


async def report(viewer: Viewer, body: TicketCreate) -> TicketOut:
    description = body.description.strip()
    if not description:
        raise invalid("description", "blank")
    firm_id, worker_id, unit_id = await _who_and_where(body, viewer)
    now = viewer.now
    due = deadlines.ordinary_due(now)
    values: Row = {
        "reporter_account_id": viewer.account_id,
        "firm_id": firm_id,
        "worker_id": worker_id,
        "unit_id": unit_id,
        "category": body.category,
        "urgency": body.urgency,
        "description": description,
        "state": "new",
        "reported_at": now,
        "due_at": due,
        "warn_at": deadlines.warning_at(now, due),
    }
    async with write_transaction():
        await resource._check_references(_REFERENCES, values)
        inserted = await Ticket.insert(Ticket(**values))
        ticket_id = int(inserted[0]["id"])
        await _event(ticket_id, viewer, now, "report", "", "new", "")
        await audit.record(viewer, "ticket", ticket_id, "create", after=values)
    return await ticket_detail(viewer, ticket_id)


_REFERENCES = resource.Resource(table=Ticket, columns=[], to_out=to_out, references={"firm_id": Firm, "unit_id": Unit})


async def ticket_detail(viewer: Viewer, ticket_id: int) -> TicketOut:
    ticket = await resource.fetch(TICKETS, viewer, ticket_id)
    events = await (
        TicketEvent.select(
            TicketEvent.at,
            TicketEvent.actor,
            TicketEvent.action,
            TicketEvent.from_state,
            TicketEvent.to_state,
            TicketEvent.note,
        )
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.id)
    )
    ticket.history = [EventOut(**{**e, "at": _local(e["at"])}) for e in events]
    ticket.photos = int(await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket_id))
    kinds = await Escalation.select(Escalation.kind).where(Escalation.ticket_id == ticket_id).order_by(Escalation.id)
    ticket.escalations = [k["kind"] for k in kinds]
    return ticket


# --- the loop ---


@dataclass(frozen=True)
class Step:
    allowed_from: tuple[str, ...]
    to: str


STEPS: Mapping[str, Step] = {
    "sort": Step(("new", "sorted"), "sorted"),
    "assign": Step(("sorted", "assigned", "in_progress"), "assigned"),
    "start": Step(("assigned",), "in_progress"),
    "resolve": Step(("in_progress",), "resolved"),
    "close": Step(("resolved",), "closed"),
    "reopen": Step(("resolved",), "in_progress"),
}


def refuse_state(action: str, state: str) -> Problem:
    return Problem(
        409,
        "ticket_wrong_state",
        state=state,
        state_zh=STATE_ZH.get(state, state),
        action=action,
        action_zh=ACTION_ZH.get(action, action),
    )


async def _move(
    viewer: Viewer, ticket_id: int, action: str, changes: Row, note: str = "", *, current: Row | None = None
) -> Row:
    """Move the ticket by one step: the conditional UPDATE, its history row and audit entry.
    Call inside a write transaction; `current` is the row as read in that transaction."""
    row = current if current is not None else await resource.fetch_row(TICKETS, viewer, ticket_id)
    step = STEPS[action]
    if row["state"] not in step.allowed_from:
        raise refuse_state(action, row["state"])
    values = {**changes, "state": step.to}
    updated = await (
        Ticket.update({Ticket._meta.get_column_by_name(k): v for k, v in values.items()})
        .where((Ticket.id == ticket_id) & (Ticket.state == row["state"]))
        .returning(Ticket.id)
    )
    if not updated:  # another request moved it between our read and our write
        fresh = await Ticket.select(Ticket.state).where(Ticket.id == ticket_id).first()
        raise refuse_state(action, fresh["state"] if fresh else row["state"])
    await _event(ticket_id, viewer, viewer.now, action, row["state"], step.to, note)
    before = {name: row.get(name) for name in values}
    await audit.record(viewer, "ticket", ticket_id, action, before=before, after=values)
    return row


async def sort_ticket(viewer: Viewer, ticket_id: int, body: SortRequest) -> TicketOut:
    async with write_transaction():
        row = await resource.fetch_row(TICKETS, viewer, ticket_id)
        reported = as_datetime(row["reported_at"])
        if body.severity == "major":
            if body.due_at is None:
                raise invalid("due_at", "ticket_due_required")
            if body.due_at.tzinfo is None:
                raise invalid("due_at", "ticket_due_offset")
            if body.due_at <= viewer.now or body.due_at > reported + MAX_MAJOR_TIME:
                raise invalid("due_at", "ticket_due_range")
            due = body.due_at
        else:
            if body.due_at is not None:
                raise invalid("due_at", "ticket_due_ordinary")
            due = deadlines.ordinary_due(reported)
        changes: Row = {
            "severity": body.severity,
            "due_at": due,
            "warn_at": deadlines.warning_at(reported, due),
            "is_overdue": deadlines.is_overdue(row["state"], due, viewer.now),
        }
        if body.category is not None:
            changes["category"] = body.category
        await _move(viewer, ticket_id, "sort", changes, body.note, current=row)
        if body.severity == "major":
            await notify(
                row["reporter_account_id"],
                "ticket_due",
                bilingual("notice_ticket_due", id=ticket_id, due=local_text(due)),
                viewer.now,
                ticket_id,
            )
    return await ticket_detail(viewer, ticket_id)


async def assign_ticket(viewer: Viewer, ticket_id: int, body: AssignRequest) -> TicketOut:
    if body.department_id is None and body.handler_account_id is None:
        raise invalid("handler_account_id", "ticket_handler_required")
    async with write_transaction():
        row = await resource.fetch_row(TICKETS, viewer, ticket_id)
        if row["state"] in ("assigned", "in_progress") and not body.reassign:
            raise Problem(
                409,
                "ticket_already_assigned",
                handler=row["handler"] or row["department"] or "",
                state_zh=STATE_ZH[row["state"]],
                state=row["state"],
            )
        if body.handler_account_id is not None and not await is_staff_account(body.handler_account_id):
            raise invalid("handler_account_id", "ticket_handler_not_staff")
        if body.department_id is not None and not await Department.exists().where(Department.id == body.department_id):
            raise Problem(422, "invalid_input", errors=[FieldError("department_id", "unknown_reference")])
        # The deadline is not touched: reassigning never resets the clock.
        changes: Row = {"handler_account_id": body.handler_account_id, "department_id": body.department_id}
        if row["assigned_at"] is None:
            changes["assigned_at"] = viewer.now
        await _move(viewer, ticket_id, "assign", changes, body.note, current=row)
        told = body.handler_account_id or await supervisor_of(body.department_id)
        if told is not None:
            await notify(
                told,
                "ticket_assigned",
                bilingual("notice_ticket_assigned", id=ticket_id, due=local_text(as_datetime(row["due_at"]))),
                viewer.now,
                ticket_id,
            )
    return await ticket_detail(viewer, ticket_id)


async def start_ticket(viewer: Viewer, ticket_id: int, body: NoteRequest) -> TicketOut:
    async with write_transaction():
        await _move(viewer, ticket_id, "start", {}, body.note)
    return await ticket_detail(viewer, ticket_id)


async def resolve_ticket(viewer: Viewer, ticket_id: int, body: ResolveRequest) -> TicketOut:
    resolution = body.resolution.strip()
    if not resolution:
        raise invalid("resolution", "blank")
    async with write_transaction():
        row = await _move(
            viewer, ticket_id, "resolve", {"resolved_at": viewer.now, "resolution": resolution}, resolution
        )
        await notify(
            row["reporter_account_id"],
            "ticket_resolved",
            bilingual("notice_ticket_resolved", id=ticket_id),
            viewer.now,
            ticket_id,
        )
    return await ticket_detail(viewer, ticket_id)


def _reporter_only(viewer: Viewer, row: Row) -> None:
    if row["reporter_account_id"] != viewer.account_id:
        raise Problem(403, "ticket_reporter_only")


async def close_ticket(viewer: Viewer, ticket_id: int, body: CloseRequest) -> TicketOut:
    async with write_transaction():
        row = await resource.fetch_row(TICKETS, viewer, ticket_id)
        _reporter_only(viewer, row)
        if row["state"] == "closed" and row["rating"] is not None:
            raise Problem(409, "ticket_already_rated")
        changes = {"closed_at": viewer.now, "rating": body.rating, "rating_comment": body.comment.strip()}
        await _move(viewer, ticket_id, "close", changes, body.comment, current=row)
    return await ticket_detail(viewer, ticket_id)


async def reopen_ticket(viewer: Viewer, ticket_id: int, body: NoteRequest) -> TicketOut:
    async with write_transaction():
        row = await resource.fetch_row(TICKETS, viewer, ticket_id)
        _reporter_only(viewer, row)
        if row["state"] == "resolved" and not deadlines.may_reopen(as_datetime(row["resolved_at"]), viewer.now):
            raise Problem(409, "ticket_reopen_window")
        changes = {
            "resolved_at": None,
            "is_overdue": deadlines.is_overdue("in_progress", as_datetime(row["due_at"]), viewer.now),
        }
        await _move(viewer, ticket_id, "reopen", changes, body.note, current=row)
        told = row["handler_account_id"] or row["supervisor_account_id"]
        if told is not None:
            await notify(
                told, "ticket_reopened", bilingual("notice_ticket_reopened", id=ticket_id), viewer.now, ticket_id
            )
    return await ticket_detail(viewer, ticket_id)


# --- photos ---


class PhotoOut(msgspec.Struct):
    n: int
    media_type: str
    size: int
    uploaded_at: datetime


def check_photo(data: bytes) -> None:
    """A photo is a JPEG or PNG by its bytes, at most 10 MB (a PDF is a fine contract but no photo)."""
    kind, _ = uploads.check(data, PHOTO_FIELD)
    if not kind.startswith("image/"):
        raise Problem(415, "upload_type", errors=[FieldError(PHOTO_FIELD, "ticket_photo_image_only")])


async def add_photo(viewer: Viewer, settings: Settings, ticket_id: int, data: bytes) -> PhotoOut:
    """Keep a photo of the problem (JPEG or PNG by content, at most nine per ticket) while the
    ticket is open; the API and the ticket page both send their upload here."""
    row = await resource.fetch_row(TICKETS, viewer, ticket_id)
    if row["state"] == "closed":
        raise refuse_state("photo", row["state"])
    check_photo(data)
    root = settings.upload_dir
    stored = uploads.store(root, PHOTO_FOLDER, data, PHOTO_FIELD)
    try:
        async with write_transaction():
            count = await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket_id)
            if count >= MAX_PHOTOS:
                raise Problem(409, "ticket_photo_limit", max=MAX_PHOTOS)
            await TicketPhoto.insert(
                TicketPhoto(
                    ticket_id=ticket_id,
                    token=stored.token,
                    media_type=stored.media_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    uploaded_at=viewer.now,
                    account_id=viewer.account_id,
                )
            )
            await audit.record(
                viewer, "ticket", ticket_id, "photo", after={"photo": stored.token, "sha256": stored.sha256}
            )
    except BaseException:
        uploads.remove(root, PHOTO_FOLDER, stored.token)
        raise
    return PhotoOut(n=int(count) + 1, media_type=stored.media_type, size=stored.size, uploaded_at=_local(viewer.now))  # type: ignore[arg-type]


async def photo_file(request: Request[Any, Any, Any], viewer: Viewer, ticket_id: int, n: int) -> Response[bytes]:
    await resource.fetch_row(TICKETS, viewer, ticket_id)
    photo = (
        await TicketPhoto.select(TicketPhoto.token, TicketPhoto.media_type)
        .where(TicketPhoto.ticket_id == ticket_id)
        .order_by(TicketPhoto.id)
        .offset(n - 1)
        .first()
    )
    if photo is None:
        raise Problem(404, "not_found")
    path = uploads.path_of(request.app.state.settings.upload_dir, PHOTO_FOLDER, photo["token"])
    try:
        data = path.read_bytes()
    except OSError:
        raise Problem(404, "not_found") from None
    return Response(data, media_type=photo["media_type"], headers={"Cache-Control": "private, max-age=3600"})


# --- the board ---

Due = Literal["soon", "overdue"]


def board_filters(
    viewer: Viewer, state: str | None, category: str | None, due: str | None, mine: bool | None, firm_id: int | None
) -> list[Combinable | None]:
    filters: list[Combinable | None] = [
        resource.equals(Ticket.state, state),
        resource.equals(Ticket.category, category),
        resource.equals(Ticket.firm_id, firm_id),
    ]
    open_now = Ticket.state.is_in(list(deadlines.OPEN_STATES))
    if due == "soon":
        filters.append(open_now & (Ticket.warn_at <= viewer.now) & (Ticket.due_at > viewer.now))
    elif due == "overdue":
        filters.append(open_now & (Ticket.due_at <= viewer.now))
    if mine:
        filters.append(
            (Ticket.handler_account_id == viewer.account_id)
            | (Ticket.department_id.supervisor_account_id == viewer.account_id)
        )
    return filters


class TicketController(Controller):
    path = "/tickets"
    tags = ["tickets · 工单"]

    @get("/", opt=allow(EVERYONE))
    async def list_tickets(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        state_name: Annotated[StateName | None, QueryParameter(name="state")] = None,
        category: FromQuery[Category | None] = None,
        due: Annotated[
            Due | None, QueryParameter(description="soon: in the last 20 % of its time; overdue: late")
        ] = None,
        mine: Annotated[bool | None, QueryParameter(description="assigned to me or my department")] = None,
        firm_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
    ) -> OffsetPagination[TicketOut]:
        """Tickets the caller may see: a worker its own, HR its firm's, staff all (the board:
        `due=soon|overdue`, `mine=true`)."""
        viewer = viewer_of(request)
        return await resource.list_page(
            TICKETS, viewer, page, board_filters(viewer, state_name, category, due, mine, firm_id)
        )

    @post("/", opt=allow(EVERYONE))
    async def create_ticket(self, request: Request[Any, Any, Any], data: JSONBody[TicketCreate]) -> TicketOut:
        """Report a problem: a worker for its own room, HR for its firm, staff for anyone."""
        return await report(viewer_of(request), data)

    @get("/{ticket_id:int}", opt=allow(EVERYONE))
    async def get_ticket(self, request: Request[Any, Any, Any], ticket_id: PathId) -> TicketOut:
        """One ticket with its history (the ledger), photo count and escalations."""
        return await ticket_detail(viewer_of(request), ticket_id)

    @post("/{ticket_id:int}/sort", status_code=200, opt=allow(STAFF))
    async def sort(self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[SortRequest]) -> TicketOut:
        """Staff: ordinary (due 24 h after reporting) or major (with its `due_at`)."""
        return await sort_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/assign", status_code=200, opt=allow(STAFF))
    async def assign(
        self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[AssignRequest]
    ) -> TicketOut:
        """Staff: to a staff account and/or a department; `reassign: true` to take it from
        its current handler (the deadline stays)."""
        return await assign_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/start", status_code=200, opt=allow(STAFF))
    async def start(self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[NoteRequest]) -> TicketOut:
        return await start_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/resolve", status_code=200, opt=allow(STAFF))
    async def resolve(
        self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[ResolveRequest]
    ) -> TicketOut:
        return await resolve_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/close", status_code=200, opt=allow(EVERYONE))
    async def close(
        self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[CloseRequest]
    ) -> TicketOut:
        """The reporter confirms with a rating 1–5 (once)."""
        return await close_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/reopen", status_code=200, opt=allow(EVERYONE))
    async def reopen(
        self, request: Request[Any, Any, Any], ticket_id: PathId, data: JSONBody[NoteRequest]
    ) -> TicketOut:
        """The reporter, within 7 days of the resolution: back to `in_progress`, same handler."""
        return await reopen_ticket(viewer_of(request), ticket_id, data)

    @post("/{ticket_id:int}/photos", status_code=201, opt=allow(EVERYONE))
    async def upload_photo(self, request: Request[Any, Any, Any], ticket_id: PathId) -> PhotoOut:
        """A photo (multipart field `photo`, JPEG or PNG by content, ≤ 10 MB, at most 9)."""
        viewer = viewer_of(request)
        await resource.fetch_row(TICKETS, viewer, ticket_id)  # 404 before reading any body
        data = await uploads.read_upload(request, PHOTO_FIELD)
        return await add_photo(viewer, request.app.state.settings, ticket_id, data)

    @get("/{ticket_id:int}/photos/{n:int}", opt=allow(EVERYONE), media_type="image/*")
    async def get_photo(
        self,
        request: Request[Any, Any, Any],
        ticket_id: PathId,
        n: Annotated[int, PathParameter(ge=1, le=MAX_PHOTOS)],
    ) -> Response[bytes]:
        """The n-th photo (1-based), for whoever may see the ticket."""
        return await photo_file(request, viewer_of(request), ticket_id, n)

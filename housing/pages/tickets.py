"""The service-ticket pages (issue 12): report a problem and follow it (`/tickets`), one ticket
with its ledger and the steps the viewer may take (`/tickets/{id}`), the staff board with the
month's report (`/staff/tickets`) and the inbox (`/inbox`).

Every read and write goes through the API's own service functions in `housing.tickets`, so who
sees what (tenancy in the query) and which step is legal stay the API's rules: a refused step
shows the API's 409 message, another firm's ticket is the 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from housing.leasing.leases import LEASES, active_on
from housing.pages.charts import bars
from housing.pages.forms import Messages, decode, form_of, submit
from housing.pages.layout import lang_of, notice, render, see_other
from housing.pages.texts import translator
from housing.register.departments import DEPARTMENTS, staff_accounts
from housing.register.tables import Role
from housing.tickets import tickets as service
from housing.tickets.notifications import INBOX, unread_count
from housing.tickets.reports import month_report, shift_week, week_of, week_report
from housing.tickets.tables import Notification
from housing.web import resource, uploads
from housing.web.access import EVERYONE, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, park_day
from housing.web.db import write_transaction
from housing.web.problems import not_found
from housing.web.resource import Page, PathId

STAFF = frozenset({Role.staff.value})
LIST = Page(limit=200, offset=0)
Month = Annotated[str | None, QueryParameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Done = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]+$")]
Week = Annotated[str | None, QueryParameter(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")]
Action = Annotated[str, PathParameter(max_length=20)]
NOTICES = {
    "reported": "ticket_reported",
    "step": "ticket_step_done",
    "read": "notice_marked_read",
    "photo": "ticket_photo_added",
}
# What a step's form sends → the API's request struct, and who may see the step's form.
ACTIONS: dict[str, type[msgspec.Struct]] = {
    "sort": service.SortRequest,
    "assign": service.AssignRequest,
    "start": service.NoteRequest,
    "resolve": service.ResolveRequest,
    "close": service.CloseRequest,
    "reopen": service.NoteRequest,
}
STAFF_STEPS = {"sort": ("new", "sorted"), "assign": ("sorted", "assigned", "in_progress")}
STAFF_STEPS |= {"start": ("assigned",), "resolve": ("in_progress",)}


def steps_for(viewer: Viewer, ticket: service.TicketOut) -> list[str]:
    """The step forms to show: only a hint — the service functions decide, and refuse with 409/403."""
    shown = [step for step, states in STAFF_STEPS.items() if viewer.role == "staff" and ticket.state in states]
    if ticket.reporter_account_id == viewer.account_id and ticket.state == "resolved":
        shown += ["close", "reopen"]
    return shown


def _form_values(action: str, form: dict[str, str]) -> dict[str, str]:
    """The form's text as the API's JSON would say it: a checkbox is a bool, a park wall-clock
    time (`datetime-local`) gets the park's offset."""
    values = dict(form)
    if action == "assign":
        values["reassign"] = "true" if form.get("reassign") else "false"
    due = values.get("due_at", "")
    if due and len(due) == 16:  # YYYY-MM-DDTHH:MM, as the browser sends it
        values["due_at"] = due + ":00+08:00"
    return values


# --- report and follow ---


async def _units_to_report_for(viewer: Viewer) -> list[Any]:
    """HR picks one of its firm's units leased today (the API refuses any other); a worker's
    room is filled in from its bed, and staff type a unit number."""
    if not viewer.is_hr:
        return []
    leased = await resource.list_page(LEASES, viewer, LIST, [active_on(park_day(viewer.now))])
    return sorted(leased.items, key=lambda lease: (lease.building_code, lease.unit_number))


async def _list(request: Request[Any, Any, Any], problem: Messages | None = None, form: Any = None) -> Template:
    viewer = viewer_of(request)
    found = await resource.list_page(service.TICKETS, viewer, LIST)
    return render(
        request,
        "tickets_list.html",
        status_code=problem.status_code if problem else 200,
        tickets=sorted(found.items, key=lambda t: t.id, reverse=True),
        problem=problem,
        form=form or {},
        notice=notice(request, NOTICES),
        unread=await unread_count(viewer.account_id),
        units=await _units_to_report_for(viewer),
    )


@get("/tickets", opt=allow(EVERYONE), include_in_schema=False)
async def tickets_page(request: Request[Any, Any, Any], done: Done = None) -> Template:
    """My tickets (worker), my firm's (HR), all (staff), with the report form."""
    return await _list(request)


@post("/tickets", opt=allow(EVERYONE), include_in_schema=False, status_code=303)
async def report_ticket(request: Request[Any, Any, Any]) -> Any:
    """Report a problem, with a photo if one is chosen: the photo is checked (JPEG or PNG by
    content, ≤ 10 MB) before the ticket is written, so a bad file leaves nothing behind."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)

    async def report() -> Any:
        body = decode(form, service.TicketCreate, lang)
        photo = await _chosen_photo(request)
        ticket = await service.report(viewer, body)
        if photo:
            await service.add_photo(viewer, request.app.state.settings, ticket.id, photo)
        return ticket

    return await submit(
        request, report, lambda ticket: f"/tickets/{ticket.id}?done=reported", lambda said: _list(request, said, form)
    )


async def _chosen_photo(request: Request[Any, Any, Any]) -> bytes:
    """The photo sent with the report form, checked; empty when none was chosen (a browser
    sends an empty file part for an untouched file input)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/"):
        return b""
    upload = (await request.form()).get(service.PHOTO_FIELD)
    if upload is None or isinstance(upload, str):
        return b""
    data = await upload.read()
    if data:
        service.check_photo(data)
    return data


async def _detail(
    request: Request[Any, Any, Any], ticket_id: int, problem: Messages | None = None, action: str = ""
) -> Template:
    viewer = viewer_of(request)
    ticket = await service.ticket_detail(viewer, ticket_id)
    steps = steps_for(viewer, ticket)
    return render(
        request,
        "tickets_detail.html",
        status_code=problem.status_code if problem else 200,
        ticket=ticket,
        steps=steps,
        handlers=await staff_accounts() if "assign" in steps else [],
        departments=(await resource.list_page(DEPARTMENTS, viewer, LIST)).items if "assign" in steps else [],
        max_photos=service.MAX_PHOTOS,
        problem=problem,
        failed=action,
        notice=notice(request, NOTICES),
        local=lambda moment: moment.astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M"),
    )


@get("/tickets/{ticket_id:int}", opt=allow(EVERYONE), include_in_schema=False)
async def ticket_page(request: Request[Any, Any, Any], ticket_id: PathId, done: Done = None) -> Template:
    return await _detail(request, ticket_id)


@post("/tickets/{ticket_id:int}/{action:str}", opt=allow(EVERYONE), include_in_schema=False, status_code=303)
async def ticket_step(request: Request[Any, Any, Any], ticket_id: PathId, action: Action) -> Any:
    """One step of the loop through the API's function for it (sort, assign, start, resolve,
    close, reopen); a refusal is the ticket page with the API's message."""
    viewer, lang = viewer_of(request), lang_of(request)
    if action not in ACTIONS:
        raise not_found()
    if action in STAFF_STEPS and viewer.role != "staff":
        raise PermissionDeniedException("role not allowed")  # the API's routes for these steps are staff-only
    form = await form_of(request)
    step = getattr(service, f"{action}_ticket")
    return await submit(
        request,
        lambda: step(viewer, ticket_id, decode(_form_values(action, form), ACTIONS[action], lang)),
        f"/tickets/{ticket_id}?done=step",
        lambda said: _detail(request, ticket_id, said, action),
        own_page=True,
    )


@post("/tickets/{ticket_id:int}/photos", opt=allow(EVERYONE), include_in_schema=False, status_code=303)
async def ticket_photo(request: Request[Any, Any, Any], ticket_id: PathId) -> Any:
    """A photo for a ticket the viewer may see (multipart field `photo`), through the API's
    checks: JPEG or PNG by content, ≤ 10 MB, at most nine, not once it is closed."""
    viewer = viewer_of(request)
    await service.ticket_detail(viewer, ticket_id)  # another's ticket: the 404 page, before reading the file

    async def add() -> Any:
        data = await uploads.read_upload(request, service.PHOTO_FIELD)
        return await service.add_photo(viewer, request.app.state.settings, ticket_id, data)

    return await submit(
        request, add, f"/tickets/{ticket_id}?done=photo", lambda said: _detail(request, ticket_id, said, "photo")
    )


# --- the staff board ---


@get("/staff/tickets", opt=allow(STAFF), include_in_schema=False)
async def staff_board(request: Request[Any, Any, Any], month: Month = None) -> Template:
    """New, due soon and overdue (the API's board filters), and the month's report with a bar
    chart of received and closed per category."""
    viewer, t = viewer_of(request), translator(lang_of(request))
    lists = {}
    for name, (state, due) in {"new": ("new", None), "soon": (None, "soon"), "overdue": (None, "overdue")}.items():
        filters = service.board_filters(viewer, state, None, due, None, None)
        lists[name] = (await resource.list_page(service.TICKETS, viewer, LIST, filters)).items
    local_now = viewer.now.astimezone(PARK_TZ)
    chosen = month or local_now.strftime("%Y-%m")
    report = await month_report(chosen, viewer.now)
    week = week_of(viewer.now)
    return render(
        request,
        "tickets_board.html",
        lists=lists,
        report=report,
        month=chosen,
        chart=_category_chart(t, report.categories),
        week=week,
        pct=_percent,
    )


@get("/staff/tickets/weekly", opt=allow(STAFF), include_in_schema=False)
async def weekly_summary(request: Request[Any, Any, Any], week: Week = None) -> Template:
    """The weekly summary (周报) as a page: per category, a chart, and every ticket received
    that week with whether it missed its deadline; the same figures as the .xlsx."""
    viewer, t = viewer_of(request), translator(lang_of(request))
    chosen = week or week_of(viewer.now)
    report = await week_report(chosen, viewer.now)
    return render(
        request,
        "tickets_weekly.html",
        report=report,
        chart=_category_chart(t, report.categories),
        previous=shift_week(chosen, -1),
        following=shift_week(chosen, 1),
        pct=_percent,
    )


def _category_chart(t: Any, categories: list[Any]) -> Any:
    """Received and closed per category, as bars (server-side SVG)."""
    items: list[tuple[str, float, str]] = []
    for s in categories:
        label = t("category_" + s.category)
        items.append((f"{label} · {t('received')}", s.received, str(s.received)))
        items.append((f"{label} · {t('closed_n')}", s.closed, str(s.closed)))
    return bars(t("tickets_chart"), items)


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


# --- the inbox ---


@get("/inbox", opt=allow(EVERYONE), include_in_schema=False)
async def inbox(request: Request[Any, Any, Any], done: Done = None) -> Template:
    viewer = viewer_of(request)
    found = await resource.list_page(INBOX, viewer, LIST)
    return render(
        request,
        "tickets_inbox.html",
        notes=sorted(found.items, key=lambda n: n.id, reverse=True),
        unread=await unread_count(viewer.account_id),
        notice=notice(request, NOTICES),
    )


@post("/inbox/{notification_id:int}/read", opt=allow(EVERYONE), include_in_schema=False, status_code=303)
async def mark_read(request: Request[Any, Any, Any], notification_id: PathId) -> Any:
    """Mark one of my messages read, as `POST /api/notifications/{id}/read` does (own inbox only:
    another's message is the 404 page)."""
    viewer = viewer_of(request)
    async with write_transaction():
        row = await resource.fetch_row(INBOX, viewer, notification_id)
        if row["read_at"] is None:
            await Notification.update({Notification.read_at: viewer.now}).where(
                (Notification.id == notification_id) & (Notification.account_id == viewer.account_id)
            )
    return see_other("/inbox?done=read")


ROUTES = [
    tickets_page,
    report_ticket,
    ticket_page,
    ticket_photo,
    ticket_step,
    staff_board,
    weekly_summary,
    inbox,
    mark_read,
]

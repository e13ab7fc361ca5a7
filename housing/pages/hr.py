"""The HR desk (`/hr`): the firm's headcount request, its workers, its beds, its moves, its
line of the latest run and its invoices — every read and write through the API's service
functions, so tenancy (HR sees and changes only its own firm) is the API's own."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from housing.billing.rent_invoices import INVOICES
from housing.leasing import beds as bed_service
from housing.leasing.headcount_requests import REQUESTS, RequestCreate, RequestPatch
from housing.leasing.leases import LEASES, active_on
from housing.leasing.periods import PERIODS, PeriodOut, PeriodState
from housing.leasing.runs import MOVES, recent_run_ids, run_view
from housing.leasing.tables import BedAssignment, HeadcountRequest, Lease
from housing.pages.forms import Messages, decode, form_of, messages
from housing.pages.layout import lang_of, render, see_other
from housing.pages.texts import translator
from housing.register.tables import Role, Worker
from housing.register.workers import WORKERS, WorkerCreate, WorkerPatch, search
from housing.web import resource
from housing.web.access import Viewer, allow, viewer_of
from housing.web.clock import park_day
from housing.web.problems import Problem, not_found
from housing.web.resource import MAX_ID, Page, PathId

HR = frozenset({Role.hr.value})
ALL = Page(limit=500, offset=0)
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Query = Annotated[str | None, QueryParameter(max_length=50)]
Done = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]+$")]
NOTICES = {"request": "request_saved", "worker": "worker_saved", "bed": "bed_saved", "out": "moved_out"}


def notice(request: Request[Any, Any, Any], done: str | None) -> str:
    return translator(lang_of(request))(NOTICES[done]) if done in NOTICES else ""


def current_period(periods: list[PeriodOut]) -> PeriodOut | None:
    """The period HR files for: the open one closing first; else the newest."""
    open_ = [p for p in periods if p.state is PeriodState.open]
    if open_:
        return min(open_, key=lambda p: p.request_deadline)
    return max(periods, key=lambda p: p.starts_on) if periods else None


async def _home(request: Request[Any, Any, Any], problem: Messages | None = None, form: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    viewer = viewer_of(request)
    periods = (await resource.list_page(PERIODS, viewer, ALL)).items
    period = current_period(periods)
    filed = None
    if period is not None:
        found = await resource.list_page(REQUESTS, viewer, Page(1, 0), [HeadcountRequest.period_id == period.id])
        filed = found.items[0] if found.items else None
    moves = (await resource.list_page(MOVES, viewer, ALL)).items
    latest = await recent_run_ids(limit=1)
    run = await run_view(viewer, latest[0]) if latest else None
    return render(
        request,
        "hr_home.html",
        status_code=problem.status_code if problem else 200,
        period=period,
        filed=filed,
        moves=moves,
        run=run,
        problem=problem,
        form=form or {},
        notice=notice(request, request.query_params.get("done")),
    )


@get("/hr", opt=allow(HR), include_in_schema=False)
async def hr_home(request: Request[Any, Any, Any], done: Done = None) -> Template:
    return await _home(request)


@post("/hr/request", opt=allow(HR), include_in_schema=False, status_code=303)
async def file_request(request: Request[Any, Any, Any]) -> Any:
    """File the firm's request, or change the one it filed (the API's create and update)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    try:
        request_id = form.get("request_id")
        if request_id:
            patch = decode(form, RequestPatch, lang)
            await resource.update(REQUESTS, viewer, _id(request_id), resource.sent(patch))
        else:
            await resource.create(REQUESTS, viewer, resource.sent(decode(form, RequestCreate, lang)))
    except Problem as problem:
        return await _home(request, messages(problem, lang), form)
    return see_other("/hr?done=request")


def _id(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise not_found()
    return int(value)


# workers


async def _workers(
    request: Request[Any, Any, Any], q: str | None, offset: int, problem: Messages | None = None, form: Any = None
) -> Template:
    viewer = viewer_of(request)
    found = await resource.list_page(WORKERS, viewer, Page(50, offset), [search(q)])
    return render(
        request,
        "hr_workers.html",
        status_code=problem.status_code if problem else 200,
        workers=found,
        q=q or "",
        problem=problem,
        form=form or {},
        notice=notice(request, request.query_params.get("done")),
    )


@get("/hr/workers", opt=allow(HR), include_in_schema=False)
async def workers(request: Request[Any, Any, Any], q: Query = None, offset: Offset = 0, done: Done = None) -> Template:
    return await _workers(request, q, offset)


@post("/hr/workers", opt=allow(HR), include_in_schema=False, status_code=303)
async def add_worker(request: Request[Any, Any, Any]) -> Any:
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    try:
        await resource.create(WORKERS, viewer, resource.sent(decode(form, WorkerCreate, lang)))
    except Problem as problem:
        return await _workers(request, None, 0, messages(problem, lang), form)
    return see_other("/hr/workers?done=worker")


async def _worker(request: Request[Any, Any, Any], worker_id: int, problem: Messages | None = None) -> Template:
    worker = await resource.fetch(WORKERS, viewer_of(request), worker_id)
    return render(
        request,
        "hr_worker.html",
        status_code=problem.status_code if problem else 200,
        worker=worker,
        problem=problem,
    )


@get("/hr/workers/{worker_id:int}", opt=allow(HR), include_in_schema=False)
async def worker(request: Request[Any, Any, Any], worker_id: PathId) -> Template:
    return await _worker(request, worker_id)


@post("/hr/workers/{worker_id:int}", opt=allow(HR), include_in_schema=False, status_code=303)
async def edit_worker(request: Request[Any, Any, Any], worker_id: PathId) -> Any:
    """Change a worker; a field left blank stays as it is (the API's PATCH)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    if form.get("id_number", "").count("*"):  # the masked number shown back: not a change
        form.pop("id_number")
    try:
        await resource.update(WORKERS, viewer, worker_id, resource.sent(decode(form, WorkerPatch, lang)))
    except Problem as problem:
        return await _worker(request, worker_id, messages(problem, lang))
    return see_other("/hr/workers?done=worker")


@post("/hr/workers/{worker_id:int}/active", opt=allow(HR), include_in_schema=False, status_code=303)
async def set_active(request: Request[Any, Any, Any], worker_id: PathId) -> Any:
    """Deactivate a worker who left, or take one back (the API's DELETE and PATCH active)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    try:
        await resource.update(WORKERS, viewer, worker_id, {"active": form.get("active") == "true"})
    except Problem as problem:
        return await _worker(request, worker_id, messages(problem, lang))
    return see_other("/hr/workers?done=worker")


# beds


async def bed_board(viewer: Viewer, unit_id: int | None = None) -> list[dict[str, Any]]:
    """The firm's units leased today, each with its beds: who sleeps where, which are free."""
    today = park_day(viewer.now)
    lease_filters = [active_on(today), resource.equals(Lease.unit_id, unit_id)]
    leases = (await resource.list_page(LEASES, viewer, ALL, lease_filters)).items
    if unit_id is not None and not leases:
        raise not_found()
    bed_filters = [BedAssignment.ends_on.is_null(), resource.equals(BedAssignment.unit_id, unit_id)]
    current = (await resource.list_page(bed_service.BEDS, viewer, ALL, bed_filters)).items
    by_unit: dict[int, dict[int, Any]] = defaultdict(dict)
    for held in current:
        by_unit[held.unit_id][held.bed] = held
    return [
        {
            "lease": lease,
            "beds": [(n, by_unit[lease.unit_id].get(n)) for n in range(1, lease.beds + 1)],
            "free": [n for n in range(1, lease.beds + 1) if n not in by_unit[lease.unit_id]],
        }
        for lease in sorted(leases, key=lambda x: (x.building_code, x.floor, x.unit_number))
    ]


async def _beds(
    request: Request[Any, Any, Any], unit_id: int | None = None, problem: Messages | None = None, form: Any = None
) -> Template:
    viewer = viewer_of(request)
    units = await bed_board(viewer, unit_id)
    active = (await resource.list_page(WORKERS, viewer, ALL, [Worker.active == True])).items
    bedded = {held[1].worker_id for u in units for held in u["beds"] if held[1] is not None}
    return render(
        request,
        "hr_beds.html",
        status_code=problem.status_code if problem else 200,
        units=units,
        homeless=[w for w in active if w.id not in bedded],
        problem=problem,
        form=form or {},
        notice=notice(request, request.query_params.get("done")),
    )


@get("/hr/beds", opt=allow(HR), include_in_schema=False)
async def beds(request: Request[Any, Any, Any], done: Done = None) -> Template:
    return await _beds(request)


@get("/hr/beds/{unit_id:int}", opt=allow(HR), include_in_schema=False)
async def unit_beds(request: Request[Any, Any, Any], unit_id: PathId) -> Template:
    """One unit's beds; another firm's unit answers 404, like the API."""
    return await _beds(request, unit_id)


@post("/hr/beds", opt=allow(HR), include_in_schema=False, status_code=303)
async def put_in_bed(request: Request[Any, Any, Any]) -> Any:
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    try:
        await bed_service.put_in_bed(viewer, decode(form, bed_service.BedPut, lang))
    except Problem as problem:
        return await _beds(request, None, messages(problem, lang), form)
    return see_other("/hr/beds?done=bed")


@post("/hr/beds/{assignment_id:int}/out", opt=allow(HR), include_in_schema=False, status_code=303)
async def move_out(request: Request[Any, Any, Any], assignment_id: PathId) -> Any:
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    try:
        await bed_service.move_out(viewer, assignment_id, decode(form, bed_service.MoveOut, lang))
    except Problem as problem:
        return await _beds(request, None, messages(problem, lang), form)
    return see_other("/hr/beds?done=out")


@get("/hr/invoices", opt=allow(HR), include_in_schema=False)
async def invoices(request: Request[Any, Any, Any], offset: Offset = 0) -> Template:
    found = await resource.list_page(INVOICES, viewer_of(request), Page(50, offset))
    return render(request, "invoices.html", invoices=found)


ROUTES = [
    hr_home,
    file_request,
    workers,
    add_worker,
    worker,
    edit_worker,
    set_active,
    beds,
    unit_beds,
    put_in_bed,
    move_out,
    invoices,
]

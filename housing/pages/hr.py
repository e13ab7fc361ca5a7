"""The HR desk (`/hr`): the firm's headcount request, its workers, its beds, its moves, its
line of the latest run and its invoices — every read and write through the API's service
functions, so tenancy (HR sees and changes only its own firm) is the API's own."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Template

from canteen import settlement as canteen_settlement
from housing.billing.rent_invoices import INVOICES
from housing.excel.imports import ImportReport, import_workers
from housing.leasing import bed_proposals
from housing.leasing import beds as bed_service
from housing.leasing.headcount_requests import REQUESTS, RequestCreate, RequestPatch
from housing.leasing.leases import LEASES, active_on
from housing.leasing.periods import PERIODS, PeriodOut, PeriodState
from housing.leasing.runs import MOVES, recent_run_ids, run_view
from housing.leasing.tables import BedAssignment, HeadcountRequest, Lease
from housing.pages.forms import Messages, decode, form_of, messages, submit, yuan_to_fen
from housing.pages.layout import lang_of, notice, render, see_other
from housing.pages.texts import translator
from housing.register.buildings import BUILDINGS
from housing.register.tables import Role, Unit, Worker
from housing.register.workers import WORKERS, WorkerCreate, WorkerPatch, search
from housing.subsidies import applications as subsidy_applications
from housing.tickets import surveys
from housing.web import resource
from housing.web.access import Viewer, allow, viewer_of
from housing.web.clock import park_day
from housing.web.i18n import Lang
from housing.web.problems import FieldError, Problem, not_found
from housing.web.resource import MAX_ID, Page, PathId

HR = frozenset({Role.hr.value})
ALL = Page(limit=500, offset=0)
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Query = Annotated[str | None, QueryParameter(max_length=50)]
Done = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]+$")]
Count = Annotated[int | None, QueryParameter(ge=0, le=10_000_000)]
NOTICES = {"request": "request_saved", "worker": "worker_saved", "bed": "bed_saved", "out": "moved_out"}


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
    buildings = (await resource.list_page(BUILDINGS, viewer, ALL)).items
    latest = await recent_run_ids(limit=1)
    run = await run_view(viewer, latest[0]) if latest else None
    return render(
        request,
        "hr_home.html",
        status_code=problem.status_code if problem else 200,
        period=period,
        filed=filed,
        moves=moves,
        buildings=buildings,
        run=run,
        problem=problem,
        form=form or {},
        notice=notice(request, NOTICES),
    )


@get("/hr", opt=allow(HR), include_in_schema=False)
async def hr_home(request: Request[Any, Any, Any], done: Done = None) -> Template:
    return await _home(request)


@post("/hr/request", opt=allow(HR), include_in_schema=False, status_code=303)
async def file_request(request: Request[Any, Any, Any]) -> Any:
    """File the firm's request, or change the one it filed (the API's create and update)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    chosen = [v for v in (await request.form()).getall("building_ids", []) if isinstance(v, str) and v]
    form.pop("building_ids", None)  # a list: the ticked boxes, not the last one's value

    async def file() -> Any:
        values = yuan_to_fen(form, "max_monthly_rent_yuan", "max_monthly_rent_fen")
        request_id = form.get("request_id")
        if request_id:
            patch = decode(values, RequestPatch, lang)
            _preferences(patch, values, chosen, lang)
            return await resource.update(REQUESTS, viewer, _id(request_id), resource.sent(patch))
        body = decode(values, RequestCreate, lang)
        _preferences(body, values, chosen, lang)
        return await resource.create(REQUESTS, viewer, resource.sent(body))

    shown = {**form, "building_ids": ",".join(chosen)}
    return await submit(request, file, "/hr?done=request", lambda said: _home(request, said, shown))


def _preferences(target: RequestCreate | RequestPatch, values: dict[str, str], chosen: list[str], lang: Lang) -> None:
    """The form always states both preferences: no building ticked means any building, an empty
    rent cap means no cap (so HR can take either back); the API's struct judges the values."""
    said = decode(
        {"building_ids": chosen or None, "max_monthly_rent_fen": values.get("max_monthly_rent_fen")}, RequestPatch, lang
    )
    target.building_ids = None if said.building_ids is msgspec.UNSET else said.building_ids
    target.max_monthly_rent_fen = None if said.max_monthly_rent_fen is msgspec.UNSET else said.max_monthly_rent_fen


def _id(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise not_found()
    return int(value)


# workers


async def _workers(
    request: Request[Any, Any, Any],
    q: str | None,
    offset: int,
    problem: Messages | None = None,
    form: Any = None,
    imported: int | None = None,
    report: ImportReport | None = None,
    import_problem: Messages | None = None,
) -> Template:
    viewer = viewer_of(request)
    found = await resource.list_page(WORKERS, viewer, Page(50, offset), [search(q)])
    said = notice(request, NOTICES)
    if imported is not None:
        said = translator(lang_of(request))("workers_imported", n=imported)
    status = 200
    if problem or import_problem:
        status = (problem or import_problem).status_code  # type: ignore[union-attr]
    elif report is not None and report.errors:
        status = 422
    return render(
        request,
        "hr_workers.html",
        status_code=status,
        workers=found,
        q=q or "",
        problem=problem,
        form=form or {},
        notice=said,
        report=report,
        import_problem=import_problem,
    )


@get("/hr/workers", opt=allow(HR), include_in_schema=False)
async def workers(
    request: Request[Any, Any, Any], q: Query = None, offset: Offset = 0, done: Done = None, n: Count = None
) -> Template:
    return await _workers(request, q, offset, imported=n if done == "imported" else None)


async def _sheet_of(request: Request[Any, Any, Any]) -> bytes:
    """The uploaded file's bytes (multipart field `file`); no file at all is the API's 422."""
    try:
        form = await request.form()
    except UnicodeDecodeError:
        form = None  # a binary part without a filename: the same as no file
    upload = form.get("file") if form is not None else None
    if not isinstance(upload, UploadFile):
        raise Problem(422, "invalid_input", errors=[FieldError("file", "excel_file_required")])
    return await upload.read()


@post("/hr/workers/import", opt=allow(HR), include_in_schema=False, status_code=303)
async def import_sheet(request: Request[Any, Any, Any]) -> Any:
    """Import the firm's workers from an .xlsx with the API's own import: all rows or none.
    A bad row shows the sheet's row, column and message on the page (422), nothing written."""
    viewer, lang = viewer_of(request), lang_of(request)
    try:
        report = await import_workers(viewer, await _sheet_of(request), lang)
    except Problem as problem:
        return await _workers(request, None, 0, import_problem=messages(problem, lang))
    if report.errors:
        return await _workers(request, None, 0, report=report)
    return see_other(f"/hr/workers?done=imported&n={report.written}")


@post("/hr/workers", opt=allow(HR), include_in_schema=False, status_code=303)
async def add_worker(request: Request[Any, Any, Any]) -> Any:
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    return await submit(
        request,
        lambda: resource.create(WORKERS, viewer, resource.sent(decode(form, WorkerCreate, lang))),
        "/hr/workers?done=worker",
        lambda said: _workers(request, None, 0, said, form),
    )


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
    return await submit(
        request,
        lambda: resource.update(WORKERS, viewer, worker_id, resource.sent(decode(form, WorkerPatch, lang))),
        "/hr/workers?done=worker",
        lambda said: _worker(request, worker_id, said),
    )


@post("/hr/workers/{worker_id:int}/active", opt=allow(HR), include_in_schema=False, status_code=303)
async def set_active(request: Request[Any, Any, Any], worker_id: PathId) -> Any:
    """Deactivate a worker who left, or take one back (the API's DELETE and PATCH active)."""
    viewer, form = viewer_of(request), await form_of(request)
    return await submit(
        request,
        lambda: resource.update(WORKERS, viewer, worker_id, {"active": form.get("active") == "true"}),
        "/hr/workers?done=worker",
        lambda said: _worker(request, worker_id, said),
    )


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
        notice=notice(request, NOTICES),
        today=park_day(viewer.now).isoformat(),
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
    return await submit(
        request,
        lambda: bed_service.put_in_bed(viewer, decode(form, bed_service.BedPut, lang)),
        "/hr/beds?done=bed",
        lambda said: _beds(request, None, said, form),
    )


@post("/hr/beds/{assignment_id:int}/out", opt=allow(HR), include_in_schema=False, status_code=303)
async def move_out(request: Request[Any, Any, Any], assignment_id: PathId) -> Any:
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    return await submit(
        request,
        lambda: bed_service.move_out(viewer, assignment_id, decode(form, bed_service.MoveOut, lang)),
        "/hr/beds?done=out",
        lambda said: _beds(request, None, said, form),
    )


# bed proposals: the solver fills the firm's beds, HR looks and confirms


@post("/hr/beds/proposals", opt=allow(HR), include_in_schema=False, status_code=303)
async def propose_beds(request: Request[Any, Any, Any]) -> Any:
    """Ask the solver for a proposal from the chosen first night (the API's `propose`)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    sent = {"starts_on": form.get("starts_on", "")}
    return await submit(
        request,
        lambda: bed_proposals.propose(viewer, decode(sent, bed_proposals.ProposalCreate, lang)),
        lambda made: f"/hr/beds/proposals/{made.id}",
        lambda said: _beds(request, None, said, form),
    )


async def _unit_names(ids: set[int]) -> dict[int, str]:
    """`B01-101` for the units a proposal moves workers out of (they may be outside it)."""
    rows = await Unit.select(Unit.id, Unit.number, Unit.building_id.code.as_alias("code")).where(
        Unit.id.is_in([*ids, 0])
    )
    return {row["id"]: f"{row['code']}-{row['number']}" for row in rows}


async def _proposal(request: Request[Any, Any, Any], proposal_id: int, problem: Messages | None = None) -> Template:
    proposal = await bed_proposals.proposal_view(viewer_of(request), proposal_id)
    origins = await _unit_names({b.from_unit_id for b in proposal.assignments if b.from_unit_id is not None})
    order = {"move": 0, "new": 1, "keep": 2}
    rows = sorted(proposal.assignments, key=lambda b: (order[b.change], b.building_code, b.unit_number, b.bed))
    said = ""
    if request.query_params.get("done") == "confirmed":
        said = translator(lang_of(request))("proposal_confirmed_notice")
    return render(
        request,
        "hr_proposal.html",
        status_code=problem.status_code if problem else 200,
        proposal=proposal,
        rows=rows,
        origins=origins,
        problem=problem,
        notice=said,
        today=park_day(viewer_of(request).now).isoformat(),
    )


@get("/hr/beds/proposals/{proposal_id:int}", opt=allow(HR), include_in_schema=False)
async def proposal(request: Request[Any, Any, Any], proposal_id: PathId, done: Done = None) -> Template:
    """Who keeps, gets or moves to which bed, and who is left without; another firm's → 404."""
    return await _proposal(request, proposal_id)


@post("/hr/beds/proposals/{proposal_id:int}/confirm", opt=allow(HR), include_in_schema=False, status_code=303)
async def confirm_proposal(request: Request[Any, Any, Any], proposal_id: PathId) -> Any:
    """Make the proposal's beds, whole; if the beds changed since, the API's 409 and its words."""
    return await submit(
        request,
        lambda: bed_proposals.confirm(viewer_of(request), proposal_id),
        f"/hr/beds/proposals/{proposal_id}?done=confirmed",
        lambda said: _proposal(request, proposal_id, said),
        own_page=True,
    )


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
    import_sheet,
    propose_beds,
    proposal,
    confirm_proposal,
]


# --- pages-money feature: the firm's rental subsidy applications (HR confirms) ---

SUBSIDY_DONE = {"confirmed": "subsidy_confirmed_notice"}


def _settlement_month(request: Request[Any, Any, Any], today: date) -> str:
    """`?month=YYYY-MM` when well formed, else last month (the latest that can be settled)."""
    asked = request.query_params.get("month", "")
    if re.fullmatch(r"20\d{2}-(0[1-9]|1[0-2])", asked):
        return asked
    return f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"


async def _subsidies(request: Request[Any, Any, Any], problem: Messages | None = None) -> Template:
    viewer = viewer_of(request)
    found = (await resource.list_page(subsidy_applications.APPLICATIONS, viewer, ALL)).items
    month = _settlement_month(request, park_day(viewer.now))
    try:  # the firm's canteen bill for the month: the API's own rows, HR sees its firm's only
        settled = await canteen_settlement.lines(viewer, month, "firm")
    except Problem:
        settled = None  # the month is not settled yet
    return render(
        request,
        "hr_subsidies.html",
        status_code=problem.status_code if problem else 200,
        applications=sorted(found, key=lambda a: a.id, reverse=True),
        settlement_month=month,
        settled=settled,
        problem=problem,
        notice=notice(request, SUBSIDY_DONE),
    )


@get("/hr/subsidies", opt=allow(HR), include_in_schema=False)
async def subsidies(request: Request[Any, Any, Any], done: Done = None) -> Template:
    """The firm's workers' applications (tenancy is the API's scope), a submitted one to confirm."""
    return await _subsidies(request)


@post("/hr/subsidies/{application_id:int}/confirm", opt=allow(HR), include_in_schema=False, status_code=303)
async def confirm_subsidy(request: Request[Any, Any, Any], application_id: PathId) -> Any:
    """The API's `confirm`; another firm's application is its 404, a late click its 409's words."""
    return await submit(
        request,
        lambda: subsidy_applications.confirm(viewer_of(request), application_id),
        "/hr/subsidies?done=confirmed",
        lambda said: _subsidies(request, said),
        own_page=True,
    )


ROUTES += [subsidies, confirm_subsidy]
# --- end pages-money feature ---


# --- satisfaction surveys: HR answers for its firm, once per survey ---


async def _surveys(request: Request[Any, Any, Any], problem: Messages | None = None, form: Any = None) -> Template:
    viewer = viewer_of(request)
    found = (await resource.list_page(surveys.SURVEYS, viewer, ALL)).items
    answered = {a.survey_id: a for a in (await resource.list_page(surveys.ANSWERS, viewer, ALL)).items}
    return render(
        request,
        "hr_surveys.html",
        status_code=problem.status_code if problem else 200,
        surveys=sorted(found, key=lambda s: s.id, reverse=True),
        answered=answered,
        problem=problem,
        form=form or {},
        notice=translator(lang_of(request))("survey_thanks") if request.query_params.get("done") else "",
    )


@get("/hr/surveys", opt=allow(HR), include_in_schema=False)
async def survey_list(request: Request[Any, Any, Any], done: Done = None) -> Template:
    """The park's satisfaction surveys: the open one to answer, and the firm's past answers."""
    return await _surveys(request)


@post("/hr/surveys/{survey_id:int}", opt=allow(HR), include_in_schema=False, status_code=303)
async def answer_survey(request: Request[Any, Any, Any], survey_id: PathId) -> Any:
    """The API's `answer_survey`: one answer per firm (a second is its 409), ratings 1–5."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    return await submit(
        request,
        lambda: surveys.answer_survey(viewer, survey_id, decode(form, surveys.AnswerCreate, lang)),
        "/hr/surveys?done=answered",
        lambda said: _surveys(request, said, form),
        own_page=True,
    )


ROUTES += [survey_list, answer_survey]

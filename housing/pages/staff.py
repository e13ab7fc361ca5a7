"""The staff console (`/staff`): the period board, allocation runs (start, watch live, review,
apply after a confirmation), the 房态图 for any day, charts, invoices and the audit log.

Every figure comes from the API's services: `housing.leasing.runs` (start_run, run_view,
apply_run), `housing.leasing.occupancy` (occupancy_on), `housing.billing.rent_invoices`,
`housing.audit.entries`. The run's progress is a small HTML fragment the page's script polls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from markupsafe import Markup

from canteen import settlement
from housing.audit.entries import ENTRIES, day_range
from housing.billing.money import MONTH_PATTERN
from housing.billing.rent_invoices import INVOICES, totals_by_month
from housing.excel.controllers import uploaded
from housing.excel.imports import ImportReport, import_register
from housing.leasing.headcount_requests import REQUESTS
from housing.leasing.occupancy import Occupancy, occupancy_on
from housing.leasing.periods import PERIODS, PeriodOut
from housing.leasing.runs import (
    ChoosePoint,
    RunCreate,
    RunOut,
    apply_run,
    choose_point,
    recent_run_ids,
    run_view,
    start_run,
)
from housing.leasing.tables import HeadcountRequest
from housing.pages import charts
from housing.pages.forms import Messages, decode, form_of, messages, submit
from housing.pages.hr import current_period
from housing.pages.layout import lang_of, render, see_other
from housing.pages.texts import translator
from housing.register.firms import FIRMS
from housing.subsidies import applications as subsidy_applications
from housing.subsidies import payouts as subsidy_payouts
from housing.subsidies.tables import RentalSubsidyApplication as SubsidyApplication
from housing.web import resource
from housing.web.access import STAFF, Viewer, allow, viewer_of
from housing.web.clock import park_day
from housing.web.problems import Problem
from housing.web.resource import Page, PathId
from housing.web.tables import AuditEntry

ALL = Page(limit=500, offset=0)
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
LIVE = ("queued", "running")
PLANNED = ("optimal", "feasible")
FIRM_COLOURS = 12


def capacity(occupancy: Occupancy) -> int:
    """Beds that can be let: every unit not under maintenance (retired units are not listed)."""
    return sum(
        unit.beds
        for building in occupancy.buildings
        for floor in building.floors
        for unit in floor.unit_states
        if unit.status != "maintenance"
    )


async def _board(request: Request[Any, Any, Any], period_id: int | None, problem: Messages | None = None) -> Template:
    viewer = viewer_of(request)
    periods = (await resource.list_page(PERIODS, viewer, ALL)).items
    period: PeriodOut | None = next((p for p in periods if p.id == period_id), None) or current_period(periods)
    rows, runs = [], []
    if period is not None:
        requests = {
            r.firm_id: r
            for r in (await resource.list_page(REQUESTS, viewer, ALL, [HeadcountRequest.period_id == period.id])).items
        }
        firms = (await resource.list_page(FIRMS, viewer, ALL)).items
        rows = [(firm, requests.get(firm.id)) for firm in firms if firm.active or firm.id in requests]
        runs = [await run_view(viewer, run_id, lang_of(request)) for run_id in await recent_run_ids(period.id)]
    occupancy = await occupancy_on(park_day(viewer.now))
    requested = [sum((r.male_beds, r.female_beds)) for _, r in rows if r is not None]
    return render(
        request,
        "staff_home.html",
        status_code=problem.status_code if problem else 200,
        periods=periods,
        period=period,
        rows=rows,
        runs=runs,
        filed=sum(1 for _, r in rows if r is not None),
        requested=sum(requested),
        male=sum(r.male_beds for _, r in rows if r is not None),
        female=sum(r.female_beds for _, r in rows if r is not None),
        capacity=capacity(occupancy),
        problem=problem,
    )


@get("/staff", opt=allow(STAFF), include_in_schema=False)
async def staff_home(
    request: Request[Any, Any, Any], period: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None
) -> Template:
    return await _board(request, period)


@post("/staff/runs", opt=allow(STAFF), include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def start(request: Request[Any, Any, Any]) -> Any:
    """Start a run (the API's start_run: snapshot, queue, 202) and go watch it."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)
    if not form.get("tradeoff"):
        form.pop("points", None)  # the number of points belongs to the curve; an unticked box sends none
    period = form.get("period_id", "")
    return await submit(
        request,
        lambda: start_run(viewer, decode(form, RunCreate, lang), request.app.state.runner.wake),
        lambda started: f"/staff/runs/{started.id}",
        lambda said: _board(request, int(period) if period.isdigit() else None, said),
    )


def change_summary(run: RunOut) -> dict[str, int]:
    """What applying the run changes, added up over the firms' lines (the confirmation's words)."""
    lines = run.lines or []
    return {
        "released": sum(line.units_released for line in lines),
        "new": sum(line.units_new for line in lines),
        "moves": sum(line.workers_to_move for line in lines),
    }


DONE_NOTICES = {"applied": "applied", "chosen": "point_chosen"}


async def _run_page(request: Request[Any, Any, Any], run_id: int, problem: Messages | None = None) -> Template:
    lang = lang_of(request)
    run = await run_view(viewer_of(request), run_id, lang)
    done = DONE_NOTICES.get(request.query_params.get("done") or "")
    t = translator(lang)
    return render(
        request,
        "staff_run.html",
        status_code=problem.status_code if problem else 200,
        run=run,
        live=run.status in LIVE,
        changes=change_summary(run),
        problem=problem,
        notice=t(done) if done else "",
        curve_chart=curve_chart(run, t),
    )


@get("/staff/runs/{run_id:int}", opt=allow(STAFF), include_in_schema=False)
async def run_page(request: Request[Any, Any, Any], run_id: PathId) -> Template:
    return await _run_page(request, run_id)


@get("/staff/runs/{run_id:int}/progress", opt=allow(STAFF), include_in_schema=False)
async def run_progress(request: Request[Any, Any, Any], run_id: PathId) -> Template:
    """The live part of the run page, polled by the page's script while the run is queued or running."""
    run = await run_view(viewer_of(request), run_id, lang_of(request))
    return render(request, "staff_run_progress.html", run=run, live=run.status in LIVE)


@get("/staff/runs/{run_id:int}/apply", opt=allow(STAFF), include_in_schema=False)
async def confirm_apply(request: Request[Any, Any, Any], run_id: PathId) -> Template:
    run = await run_view(viewer_of(request), run_id, lang_of(request))
    return render(request, "staff_apply.html", run=run, changes=change_summary(run))


@post(
    "/staff/runs/{run_id:int}/apply",
    opt=allow(STAFF),
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def apply(request: Request[Any, Any, Any], run_id: PathId) -> Any:
    return await submit(
        request,
        lambda: apply_run(viewer_of(request), run_id, lang_of(request)),
        f"/staff/runs/{run_id}?done=applied",
        lambda said: _run_page(request, run_id, said),
    )


def curve_chart(run: RunOut, t: Any) -> Markup | None:
    """The run's trade-off curve as SVG (None for a plain run): x the workers to move, y the
    shortfall penalty, the chosen point highlighted."""
    if not run.curve:
        return None
    points = [
        (
            int(p.objective.get("displaced_workers", p.max_displaced_workers)),
            float(p.objective.get("shortfall_penalty", 0)),
            f"#{p.point}",
            p.point == run.chosen_point,
        )
        for p in run.curve
        if p.status in PLANNED
    ]
    return charts.curve(t("tradeoff_curve"), points, t("curve_x"), t("curve_y"))


@post(
    "/staff/runs/{run_id:int}/choose",
    opt=allow(STAFF),
    include_in_schema=False,
    status_code=303,
    media_type=MediaType.HTML,
)
async def choose(request: Request[Any, Any, Any], run_id: PathId) -> Any:
    """Choose the curve's point that apply will apply (the API's choose_point and its refusals)."""
    lang, form = lang_of(request), await form_of(request)
    return await submit(
        request,
        lambda: choose_point(viewer_of(request), run_id, decode(form, ChoosePoint, lang), lang),
        f"/staff/runs/{run_id}?done=chosen",
        lambda said: _run_page(request, run_id, said),
    )


def firm_class(firm_id: int | None) -> str:
    """A unit's colour on the 房态图: one of a dozen per firm, by id, so it stays put between days."""
    return "vacant" if firm_id is None else f"firm-{firm_id % FIRM_COLOURS}"


@get("/staff/rooms", opt=allow(STAFF), include_in_schema=False)
async def rooms(
    request: Request[Any, Any, Any], day: Annotated[date | None, QueryParameter(name="date")] = None
) -> Template:
    """The 房态图: per building and floor, each unit coloured by its firm (or maintenance, or not
    leased), with its gender and occupied/total beds, on any park day."""
    on = day or park_day(viewer_of(request).now)
    occupancy = await occupancy_on(on)
    firms = {
        unit.firm_id: unit.firm_name
        for building in occupancy.buildings
        for floor in building.floors
        for unit in floor.unit_states
        if unit.firm_id is not None
    }
    return render(request, "staff_rooms.html", occupancy=occupancy, day=on, firms=firms, firm_class=firm_class)


@get("/staff/charts", opt=allow(STAFF), include_in_schema=False)
async def chart_page(request: Request[Any, Any, Any]) -> Template:
    viewer = viewer_of(request)
    t = translator(lang_of(request))
    occupancy = await occupancy_on(park_day(viewer.now))
    by_building = []
    for building in occupancy.buildings:
        beds = sum(f.beds for f in building.floors)
        occupied = sum(f.occupied_beds for f in building.floors)
        share = 100 * occupied / beds if beds else 0
        by_building.append((f"{building.code} {building.name}", share, f"{occupied}/{beds} · {share:.0f}%"))
    by_month = [(month, fen / 100, f"{fen / 100:,.2f}") for month, fen in await totals_by_month(viewer)]
    return render(
        request,
        "staff_charts.html",
        occupancy_chart=charts.bars(t("chart_occupancy"), by_building, maximum=100),
        rent_chart=charts.bars(t("chart_rent"), by_month),
    )


@get("/staff/invoices", opt=allow(STAFF), include_in_schema=False)
async def invoices(request: Request[Any, Any, Any], offset: Offset = 0) -> Template:
    found = await resource.list_page(INVOICES, viewer_of(request), Page(50, offset))
    return render(request, "invoices.html", invoices=found)


@get("/staff/audit", opt=allow(STAFF), include_in_schema=False)
async def audit_log(
    request: Request[Any, Any, Any],
    offset: Offset = 0,
    table: Annotated[str | None, QueryParameter(max_length=64)] = None,
    since: FromQuery[date | None] = None,
    until: FromQuery[date | None] = None,
) -> Template:
    """The audit trail, newest page last like the API, filtered by table and park days."""
    filters = [resource.equals(AuditEntry.table_name, table or None), *day_range(since, until)]
    found = await resource.list_page(ENTRIES, viewer_of(request), Page(50, offset), filters)
    query = urlencode({k: v for k, v in {"table": table, "since": since, "until": until}.items() if v})
    return render(request, "staff_audit.html", entries=found, table=table or "", since=since, until=until, query=query)


async def _register_page(
    request: Request[Any, Any, Any], report: ImportReport | None = None, problem: Messages | None = None
) -> Template:
    written = request.query_params.get("written", "")
    notice = translator(lang_of(request))("register_imported", n=written) if written.isdigit() else ""
    status = 422 if report and report.errors else (problem.status_code if problem else 200)
    return render(request, "staff_register.html", status_code=status, report=report, problem=problem, notice=notice)


@get("/staff/register", opt=allow(STAFF), include_in_schema=False)
async def register_page(request: Request[Any, Any, Any]) -> Template:
    """Buildings, units and firms in and out as .xlsx: the template, the export, the upload."""
    return await _register_page(request)


@post("/staff/register", opt=allow(STAFF), include_in_schema=False, status_code=303, media_type=MediaType.HTML)
async def register_import(request: Request[Any, Any, Any]) -> Any:
    """The API's import_register: every row checked, all written or none; a bad row is shown
    by sheet, row and column with a 422, a good book goes back to the page with a notice."""
    lang = lang_of(request)
    try:
        report = await import_register(viewer_of(request), await uploaded(request), lang)
    except Problem as problem:
        return await _register_page(request, problem=messages(problem, lang))
    if report.errors:
        return await _register_page(request, report=report)
    return see_other(f"/staff/register?written={report.written}")


ROUTES = [
    staff_home,
    start,
    run_page,
    run_progress,
    confirm_apply,
    apply,
    rooms,
    chart_page,
    invoices,
    audit_log,
    choose,
    register_page,
    register_import,
]


# --- pages-money feature: rental subsidy decisions, payout runs and the canteen settlement ---

MonthParam = Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN)]
Done = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]+$")]
Amount = Annotated[int | None, QueryParameter(ge=0, le=10**15)]
SUBSIDY_PAGE = "/staff/subsidies"


def _last_month(viewer_now: Any) -> str:
    first = park_day(viewer_now).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


async def _staff_subsidies(
    request: Request[Any, Any, Any], problem: Messages | None = None, run_problem: Messages | None = None
) -> Template:
    viewer = viewer_of(request)
    undecided = [SubsidyApplication.status.is_in(["submitted", "confirmed"])]
    found = (await resource.list_page(subsidy_applications.APPLICATIONS, viewer, Page(200, 0), undecided)).items
    q = request.query_params
    t = translator(lang_of(request))
    said = ""
    if q.get("done") in ("approved", "rejected"):
        said = t("subsidy_decided_notice")
    elif q.get("done") == "payouts":
        paid = f"{int(q.get('fen', '0')) / 100:.2f}"
        said = t("payouts_run_notice", month=q.get("month", ""), n=q.get("n", "0"), yuan=paid)
    elif q.get("done") == "settled":
        said = t("settlement_run_notice", month=q.get("month", ""), n=q.get("n", "0"))
    bad = problem or run_problem
    return render(
        request,
        "staff_subsidies.html",
        status_code=bad.status_code if bad else 200,
        applications=sorted(found, key=lambda a: a.id),
        problem=problem,
        run_problem=run_problem,
        notice=said,
        month=q.get("month") or _last_month(viewer.now),
    )


@get(SUBSIDY_PAGE, opt=allow(STAFF), include_in_schema=False)
async def subsidies(
    request: Request[Any, Any, Any], done: Done = None, month: MonthParam = None, n: Amount = None, fen: Amount = None
) -> Template:
    """Applications to decide, the month's payout run and canteen settlement, and their sheets."""
    return await _staff_subsidies(request)


async def _decide(request: Request[Any, Any, Any], action: Any, done: str) -> Any:
    return await submit(
        request, action, f"{SUBSIDY_PAGE}?done={done}", lambda said: _staff_subsidies(request, said), own_page=True
    )


@post(SUBSIDY_PAGE + "/{application_id:int}/approve", opt=allow(STAFF), include_in_schema=False, status_code=303)
async def approve_subsidy(request: Request[Any, Any, Any], application_id: PathId) -> Any:
    """The API's `approve` (it needs HR's confirmation and the contract, and says so)."""
    viewer = viewer_of(request)
    return await _decide(request, lambda: subsidy_applications.approve(viewer, application_id), "approved")


@post(SUBSIDY_PAGE + "/{application_id:int}/reject", opt=allow(STAFF), include_in_schema=False, status_code=303)
async def reject_subsidy(request: Request[Any, Any, Any], application_id: PathId) -> Any:
    """The API's `reject` with the reason its struct allows (a blank one is refused by name)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)

    async def act() -> Any:
        sent = decode({"reason": form.get("reason") or " "}, subsidy_applications.RejectRequest, lang)
        return await subsidy_applications.reject(viewer, application_id, sent.reason)

    return await _decide(request, act, "rejected")


R = TypeVar("R")


async def _month_run(
    request: Request[Any, Any, Any],
    body: type[subsidy_payouts.RunRequest | settlement.RunRequest],
    run_month: Callable[[Viewer, str], Awaitable[R]],
    done: Callable[[str, R], str],
) -> Any:
    """A monthly run from the subsidies page (payouts, canteen settlement): the month decoded as
    the API decodes it, the API's run, back to the page with what it did or the run's refusal."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)

    async def run() -> tuple[str, R]:
        month = decode(form, body, lang).month
        return month, await run_month(viewer, month)

    return await submit(request, run, lambda ran: done(*ran), lambda said: _staff_subsidies(request, run_problem=said))


@post(SUBSIDY_PAGE + "/payouts", opt=allow(STAFF), include_in_schema=False, status_code=303)
async def run_payouts(request: Request[Any, Any, Any]) -> Any:
    """The API's monthly payout run: idempotent, a month not over yet is refused by name."""
    return await _month_run(
        request,
        subsidy_payouts.RunRequest,
        subsidy_payouts.run_month,
        lambda month, paid: f"{SUBSIDY_PAGE}?done=payouts&month={month}&n={len(paid.created)}&fen={paid.total_fen}",
    )


@post(SUBSIDY_PAGE + "/canteen", opt=allow(STAFF), include_in_schema=False, status_code=303)
async def run_settlement(request: Request[Any, Any, Any]) -> Any:
    """The canteen's monthly settlement (once a month; a second run shows the first)."""
    return await _month_run(
        request,
        settlement.RunRequest,
        settlement.run_month,
        lambda month, result: f"{SUBSIDY_PAGE}?done=settled&month={month}&n={result.settlement.meals}",
    )


ROUTES += [subsidies, approve_subsidy, reject_subsidy, run_payouts, run_settlement]
# --- end pages-money feature ---

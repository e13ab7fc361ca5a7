"""Allocation runs (`/api/allocation-runs`) and the move list (`/api/moves`).

Staff start a run for a period: its inputs are snapshotted (`housing.leasing.snapshot`), a
job is queued, and the answer is 202 with the run's id; the solver runs in a child process
(`housing.leasing.allocate_job`) while the API keeps answering. The run shows the job's live
progress, then the plan's figures and one line per firm — HR sees only its own firm's line.

Applying a run, in one transaction: leases that change end the day before the period starts,
new ones start on its first day, the residents of released units go on the move list with a
deadline, the period is allocated and the period's other runs are superseded. Applying twice,
applying while another apply runs, or applying a run whose inputs changed since its snapshot
answers 409 and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.jobs import runner
from housing.jobs.tables import Job
from housing.leasing import explanations, snapshot
from housing.leasing.leases import active_on
from housing.leasing.tables import AllocationRun, BedAssignment, HeadcountRequest, Lease, Move, Period
from housing.register.tables import Firm, Unit
from housing.web import audit, resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import as_date
from housing.web.db import json_value, write_transaction
from housing.web.i18n import Lang, pick_language
from housing.web.problems import Problem, invalid
from housing.web.resource import Id, PageDep, PathId, Row

runner.job_kind("allocation", "housing.leasing.allocate_job:allocate")

TimeLimit = Annotated[int, msgspec.Meta(ge=1, le=1800)]
Budget = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Points = Annotated[int, msgspec.Meta(ge=2, le=9)]


class RunCreate(msgspec.Struct, forbid_unknown_fields=True):
    period_id: Id
    time_limit_s: TimeLimit = 30
    max_displaced_workers: Budget | None = None
    # true: compute the shortage-versus-moves curve (`points` plans from the fewest moves to
    # the unconstrained plan) in the time limit; staff then choose the point to apply.
    tradeoff: bool = False
    points: Points = 5


class ChoosePoint(msgspec.Struct, forbid_unknown_fields=True):
    point: Annotated[int, msgspec.Meta(ge=0, le=8)]


class CurvePoint(msgspec.Struct):
    point: int
    max_displaced_workers: int
    status: str
    objective: dict[str, Any]
    bound: dict[str, Any]


class RunStarted(msgspec.Struct):
    id: int
    status: str


class FirmLine(msgspec.Struct):
    firm_id: int
    firm_name: str
    filed: bool  # False: no request, the run kept what the firm holds
    requested_male: int
    requested_female: int
    granted_male: int
    granted_female: int
    short_male: int
    short_female: int
    monthly_rent_fen: int
    units_kept: int
    units_released: int
    units_new: int
    workers_to_move: int
    explanation: list[str]


class RunOut(msgspec.Struct):
    id: int
    period_id: int
    status: str  # queued | running | done | failed | applied | superseded
    time_limit_s: int
    max_displaced_workers: int | None
    created_at: datetime
    progress: dict[str, Any] | None = None
    error: str = ""
    tradeoff_points: int | None = None
    chosen_point: int | None = None  # the point whose plan the figures and lines show, and apply applies
    curve: list[CurvePoint] | None = None
    plan_status: str | None = None
    objective: dict[str, Any] | None = None
    bound: dict[str, Any] | None = None
    lines: list[FirmLine] | None = None


def chosen_plan(run: Row, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The plan a run stands for: its plan, or the chosen point's on a trade-off curve (the
    unconstrained right end until staff choose)."""
    if not result or result.get("format") != "park-allocation-tradeoff/1":
        return result
    points = result["points"]
    index = run["chosen_point"] if run["chosen_point"] is not None else len(points) - 1
    plan: dict[str, Any] = points[index]["plan"]
    return plan


def _rent_fen(line: dict[str, Any]) -> int:
    """A plan's firm line's monthly rent in fen: the solver's own integer where the plan has
    it; plans stored before it carried one have CNY, to two decimals."""
    if "monthly_rent_fen" in line:
        return int(line["monthly_rent_fen"])
    return round(float(line.get("monthly_rent", 0)) * 100)


def curve_of(result: dict[str, Any] | None) -> list[CurvePoint] | None:
    if not result or result.get("format") != "park-allocation-tradeoff/1":
        return None
    return [
        CurvePoint(
            point=i,
            max_displaced_workers=p["max_displaced_workers"],
            status=p["status"],
            objective=p["objective"],
            bound=p["bound"],
        )
        for i, p in enumerate(result["points"])
    ]


def run_status(fate: str, job_status: str | None) -> str:
    """An applied or superseded run says so; before that, its job's status speaks for it."""
    if fate in ("applied", "superseded"):
        return fate
    return job_status or "queued"


def firm_lines(
    instance: dict[str, Any], plan: dict[str, Any], filed: set[int], names: dict[int, str], lang: Lang = "zh"
) -> list[FirmLine]:
    """One line per firm: requested, granted, short, rent, units kept / released / new, and the
    workers who must move (residents of the units the firm gives up), with the explanation in
    the reader's language (a firm that filed nothing is told it kept what it holds)."""
    current = {(c["unit"], c["firm"]): c for c in instance["current"]}
    planned = {(lease["unit"], lease["firm"]): lease["gender"] for lease in plan.get("leases", [])}
    kept: dict[str, int] = defaultdict(int)
    released: dict[str, int] = defaultdict(int)
    movers: dict[str, int] = defaultdict(int)
    for (unit, firm), lease in current.items():
        if planned.get((unit, firm)) == lease["gender"]:
            kept[firm] += 1
        else:
            released[firm] += 1
            movers[firm] += lease["occupied_beds"]
    new: dict[str, int] = defaultdict(int)
    for (unit, firm), gender in planned.items():
        old = current.get((unit, firm))
        if old is None or old["gender"] != gender:
            new[firm] += 1
    code_names = {snapshot.firm_code(firm_id): name for firm_id, name in names.items()}
    why: dict[str, list[str]] = defaultdict(list)
    for item in plan.get("explanation", []):
        why[item["firm"]].append(explanations.shortfall(item, lang, code_names))
    granted = {f["id"]: f for f in plan.get("firms", [])}
    lines = []
    for firm in instance["firms"]:
        code, firm_id = firm["id"], snapshot.firm_id_of(firm["id"])
        got = granted.get(code, {})
        lines.append(
            FirmLine(
                firm_id=firm_id,
                firm_name=names.get(firm_id, code),
                filed=firm_id in filed,
                requested_male=firm["male"],
                requested_female=firm["female"],
                granted_male=got.get("male_beds", 0),
                granted_female=got.get("female_beds", 0),
                short_male=got.get("male_short", firm["male"]),
                short_female=got.get("female_short", firm["female"]),
                monthly_rent_fen=_rent_fen(got),
                units_kept=kept[code],
                units_released=released[code],
                units_new=new[code],
                workers_to_move=movers[code],
                explanation=why[code] if firm_id in filed else [explanations.not_filed(lang), *why[code]],
            )
        )
    return lines


async def start_run(viewer: Viewer, body: RunCreate, wake: Any) -> RunStarted:
    period = await (
        Period.select(Period.starts_on, Period.ends_on, Period.allocated_run_id)
        .where(Period.id == body.period_id)
        .first()
    )
    if period is None:
        raise invalid("period_id", "unknown_reference")
    if period["allocated_run_id"] is not None:
        raise Problem(409, "period_allocated_runs")
    if body.tradeoff and body.max_displaced_workers is not None:
        raise invalid("max_displaced_workers", "tradeoff_has_no_budget")
    taken = await snapshot.take(body.period_id, as_date(period["starts_on"]), as_date(period["ends_on"]))
    instance = {**taken.instance, "time_limit_s": body.time_limit_s}
    if body.max_displaced_workers is not None:
        instance["max_displaced_workers"] = body.max_displaced_workers
    async with write_transaction():
        points = body.points if body.tradeoff else None
        job_id = await runner.enqueue(
            "allocation",
            {"instance": instance, "time_limit_s": body.time_limit_s, "tradeoff_points": points},
            viewer.now,
        )
        inserted = await AllocationRun.insert(
            AllocationRun(
                period_id=body.period_id,
                job_id=job_id,
                time_limit_s=body.time_limit_s,
                max_displaced_workers=body.max_displaced_workers,
                tradeoff_points=points,
                instance=instance,
                unit_ids=taken.unit_ids,
                inputs_digest=taken.digest,
                created_at=viewer.now,
            )
        )
        run_id = int(inserted[0]["id"])
        await audit.record(viewer, "allocation_run", run_id, "start", after={"period_id": body.period_id})
    wake.set()
    return RunStarted(id=run_id, status="queued")


async def _load(run_id: int) -> tuple[Row, Row]:
    run = await AllocationRun.select().where(AllocationRun.id == run_id).first()
    if run is None:
        raise Problem(404, "not_found")
    job = await Job.select().where(Job.id == run["job_id"]).first()
    return run, job or {}


async def run_view(viewer: Viewer, run_id: int, lang: Lang = "zh") -> RunOut:
    run, job = await _load(run_id)
    status = run_status(run["fate"], job.get("status"))
    out = RunOut(
        id=run["id"],
        period_id=run["period_id"],
        status=status,
        time_limit_s=run["time_limit_s"],
        max_displaced_workers=run["max_displaced_workers"],
        created_at=run["created_at"],
        progress=json_value(job.get("progress")),
        error=job.get("error", ""),
        tradeoff_points=run["tradeoff_points"],
        chosen_point=run["chosen_point"],
    )
    result = json_value(job.get("result"))
    plan = chosen_plan(run, result)
    out.curve = curve_of(result)
    if plan:
        names = {f["id"]: f["name"] for f in await Firm.select(Firm.id, Firm.name)}
        lines = firm_lines(json_value(run["instance"]), plan, await _filed(run["period_id"]), names, lang)
        if not viewer.is_staff:
            lines = [line for line in lines if line.firm_id == viewer.firm_id]
        out.plan_status, out.objective, out.bound, out.lines = plan["status"], plan["objective"], plan["bound"], lines
    return out


def language_of(request: Request[Any, Any, Any]) -> Lang:
    return pick_language(request.headers.get("accept-language"))


async def _filed(period_id: int) -> set[int]:
    rows = await HeadcountRequest.select(HeadcountRequest.firm_id).where(HeadcountRequest.period_id == period_id)
    return {r["firm_id"] for r in rows}


async def apply_run(viewer: Viewer, run_id: int, lang: Lang = "zh") -> RunOut:
    """Make the plan real, in one transaction, or change nothing."""
    async with write_transaction():
        claimed = await (
            AllocationRun.update({AllocationRun.fate: "applying"})
            .where((AllocationRun.id == run_id) & (AllocationRun.fate == ""))
            .returning(AllocationRun.id)
        )
        if not claimed:
            await _load(run_id)  # 404 when there is no such run
            raise Problem(409, "run_not_appliable")
        run, job = await _load(run_id)
        if run["tradeoff_points"] and run["chosen_point"] is None:
            raise Problem(409, "choose_point_first")
        plan = chosen_plan(run, json_value(job.get("result")))
        if job.get("status") != "done" or not plan or plan.get("status") not in ("optimal", "feasible"):
            raise Problem(409, "run_not_done")
        period = await Period.select().where(Period.id == run["period_id"]).first()
        assert period is not None
        if period["allocated_run_id"] is not None:
            raise Problem(409, "period_allocated_runs")
        starts_on = as_date(period["starts_on"])
        fresh = await snapshot.take(run["period_id"], starts_on, as_date(period["ends_on"]))
        if fresh.digest != run["inputs_digest"]:
            raise Problem(409, "run_inputs_changed")
        await _make_leases(viewer, run, plan, starts_on)
        await Period.update({Period.allocated_run_id: run_id}).where(Period.id == run["period_id"])
        await AllocationRun.update({AllocationRun.fate: "applied", AllocationRun.applied_at: viewer.now}).where(
            AllocationRun.id == run_id
        )
        await AllocationRun.update({AllocationRun.fate: "superseded"}).where(
            (AllocationRun.period_id == run["period_id"]) & (AllocationRun.id != run_id)
        )
        await audit.record(viewer, "allocation_run", run_id, "apply", after={"period_id": run["period_id"]})
    return await run_view(viewer, run_id, lang)


async def choose_point(viewer: Viewer, run_id: int, body: ChoosePoint, lang: Lang = "zh") -> RunOut:
    """Staff choose the point of a trade-off curve that apply will apply (until it is applied)."""
    async with write_transaction():
        run, job = await _load(run_id)
        curve = curve_of(json_value(job.get("result")))
        if not run["tradeoff_points"] or curve is None or job.get("status") != "done":
            raise Problem(409, "run_has_no_curve")
        if run["fate"] != "":
            raise Problem(409, "run_not_appliable")
        if body.point >= len(curve):
            raise invalid("point", "no_such_point", last=len(curve) - 1)
        if curve[body.point].status not in ("optimal", "feasible"):
            raise invalid("point", "point_has_no_plan")
        await AllocationRun.update({AllocationRun.chosen_point: body.point}).where(AllocationRun.id == run_id)
        await audit.record(
            viewer,
            "allocation_run",
            run_id,
            "update",
            before={"chosen_point": run["chosen_point"]},
            after={"chosen_point": body.point},
        )
    return await run_view(viewer, run_id, lang)


async def _make_leases(viewer: Viewer, run: Row, plan: dict[str, Any], starts_on: date) -> None:
    """End the leases that change the day before the period, start the new ones on its first
    day, and put the residents of released units on the move list."""
    unit_ids: dict[str, int] = json_value(run["unit_ids"])
    eve = starts_on - timedelta(days=1)
    planned = {
        (unit_ids[lease["unit"]], snapshot.firm_id_of(lease["firm"]), lease["gender"]) for lease in plan["leases"]
    }
    current = await Lease.select(Lease.id, Lease.unit_id, Lease.firm_id, Lease.gender).where(active_on(eve))
    kept = set()
    for lease in current:
        key = (lease["unit_id"], lease["firm_id"], lease["gender"])
        if key in planned:
            kept.add(key)
            continue
        await Lease.update({Lease.ends_on: eve}).where(Lease.id == lease["id"])
        residents = await BedAssignment.select(BedAssignment.id, BedAssignment.worker_id, BedAssignment.bed).where(
            (BedAssignment.lease_id == lease["id"]) & BedAssignment.ends_on.is_null()
        )
        if residents:
            await Move.insert(
                *(
                    Move(
                        run_id=run["id"],
                        worker_id=r["worker_id"],
                        firm_id=lease["firm_id"],
                        bed_assignment_id=r["id"],
                        unit_id=lease["unit_id"],
                        bed=r["bed"],
                        deadline=eve,
                        created_at=viewer.now,
                    )
                    for r in residents
                )
            )
    rates = {u["id"]: u["rent_rate_fen_per_m2"] for u in await Unit.select(Unit.id, Unit.rent_rate_fen_per_m2)}
    # A new lease runs until the unit's next lease made by hand, if there is one, else open-ended.
    next_start: dict[int, date] = {}
    for later in await Lease.select(Lease.unit_id, Lease.starts_on).where(Lease.starts_on > starts_on):
        day = as_date(later["starts_on"])
        next_start[later["unit_id"]] = min(day, next_start.get(later["unit_id"], day))
    new = [
        Lease(
            unit_id=unit_id,
            firm_id=firm_id,
            gender=gender,
            starts_on=starts_on,
            ends_on=next_start[unit_id] - timedelta(days=1) if unit_id in next_start else None,
            rent_rate_fen_per_m2=rates[unit_id],
            run_id=run["id"],
            created_at=viewer.now,
        )
        for unit_id, firm_id, gender in sorted(planned - kept)
    ]
    if new:
        await Lease.insert(*new)


class MoveOut(msgspec.Struct):
    id: int
    run_id: int
    worker_id: int
    worker_name: str
    firm_id: int
    unit_id: int
    unit: str
    bed: int
    deadline: date
    status: str


def move_out(row: Row, viewer: Viewer) -> MoveOut:
    return MoveOut(
        id=row["id"],
        run_id=row["run_id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        firm_id=row["firm_id"],
        unit_id=row["unit_id"],
        unit=f"{row['building_code']}-{row['unit_number']}",
        bed=row["bed"],
        deadline=as_date(row["deadline"]),
        status=row["status"],
    )


def move_scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else Move.firm_id == viewer.firm_id


MOVES = resource.Resource(
    table=Move,
    columns=[
        Move.id,
        Move.run_id,
        Move.worker_id,
        Move.worker_id.name.as_alias("worker_name"),
        Move.firm_id,
        Move.unit_id,
        Move.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
        Move.unit_id.number.as_alias("unit_number"),
        Move.bed,
        Move.deadline,
        Move.status,
    ],
    to_out=move_out,
    scope=move_scope,
)


class RunSummary(msgspec.Struct):
    id: int
    period_id: int
    status: str
    time_limit_s: int
    created_at: datetime


class AllocationRunController(Controller):
    path = "/allocation-runs"
    tags = ["allocation runs · 分配方案"]

    @post("/", status_code=202, opt=allow(STAFF))
    async def start(self, request: Request[Any, Any, Any], data: JSONBody[RunCreate]) -> RunStarted:
        """Snapshot the period's inputs and queue the solver; answers 202 with the run's id at once."""
        return await start_run(viewer_of(request), data, request.app.state.runner.wake)

    @get("/", opt=allow(STAFF_HR))
    async def list_runs(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        period_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
    ) -> OffsetPagination[RunSummary]:
        """Runs, newest first (details and per-firm lines at /allocation-runs/{id})."""
        query = AllocationRun.select(
            AllocationRun.id,
            AllocationRun.period_id,
            AllocationRun.fate,
            AllocationRun.time_limit_s,
            AllocationRun.created_at,
            AllocationRun.job_id,
        ).order_by(AllocationRun.id, ascending=False)
        count = AllocationRun.count()
        if period_id is not None:
            query, count = (
                query.where(AllocationRun.period_id == period_id),
                count.where(AllocationRun.period_id == period_id),
            )
        rows = await query.limit(page.limit).offset(page.offset)
        statuses = {
            j["id"]: j["status"]
            for j in await Job.select(Job.id, Job.status).where(Job.id.is_in([r["job_id"] for r in rows] or [0]))
        }
        items = [
            RunSummary(
                r["id"],
                r["period_id"],
                run_status(r["fate"], statuses.get(r["job_id"])),
                r["time_limit_s"],
                r["created_at"],
            )
            for r in rows
        ]
        return OffsetPagination(items=items, limit=page.limit, offset=page.offset, total=await count)

    @get("/{run_id:int}", opt=allow(STAFF_HR))
    async def get_run(self, request: Request[Any, Any, Any], run_id: PathId) -> RunOut:
        """Status and live progress; when done, the plan's figures and one line per firm (HR: its own)."""
        return await run_view(viewer_of(request), run_id, language_of(request))

    @get("/{run_id:int}/instance", opt=allow(STAFF))
    async def get_instance(self, request: Request[Any, Any, Any], run_id: PathId) -> dict[str, Any]:
        """The snapshot as a park-allocation/1 instance: `python -m allocation solve` re-solves it."""
        run, _ = await _load(run_id)
        instance: dict[str, Any] = json_value(run["instance"])
        return instance

    @post("/{run_id:int}/cancel", status_code=202, opt=allow(STAFF))
    async def cancel(self, request: Request[Any, Any, Any], run_id: PathId) -> RunOut:
        """Ask a queued or running run to stop: it keeps the best plan found so far (or none)."""
        run, job = await _load(run_id)
        if job.get("status") not in ("queued", "running"):
            raise Problem(409, "run_not_running")
        await runner.request_cancel(run["job_id"])
        await audit.record(viewer_of(request), "allocation_run", run_id, "cancel")
        return await run_view(viewer_of(request), run_id, language_of(request))

    @post("/{run_id:int}/choose", status_code=200, opt=allow(STAFF))
    async def choose(self, request: Request[Any, Any, Any], run_id: PathId, data: JSONBody[ChoosePoint]) -> RunOut:
        """On a trade-off run: choose the point (fewer moves or less shortage) that apply applies."""
        return await choose_point(viewer_of(request), run_id, data, language_of(request))

    @post("/{run_id:int}/apply", status_code=200, opt=allow(STAFF))
    async def apply(self, request: Request[Any, Any, Any], run_id: PathId) -> RunOut:
        """Apply the plan: leases end and start, residents of released units go on the move list."""
        return await apply_run(viewer_of(request), run_id, language_of(request))


class MoveController(Controller):
    path = "/moves"
    tags = ["moves · 搬迁名单"]

    @get("/", opt=allow(STAFF_HR))
    async def list_moves(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        run_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
    ) -> OffsetPagination[MoveOut]:
        """Who must leave which bed by when; HR sees its own firm's workers."""
        return await resource.list_page(MOVES, viewer_of(request), page, [resource.equals(Move.run_id, run_id)])


async def recent_run_ids(period_id: int | None = None, limit: int = 10) -> list[int]:
    """The newest runs (of a period, if given), newest first: what HR and staff look at first."""
    query = AllocationRun.select(AllocationRun.id).order_by(AllocationRun.id, ascending=False).limit(limit)
    if period_id is not None:
        query = query.where(AllocationRun.period_id == period_id)
    return [int(row["id"]) for row in await query]

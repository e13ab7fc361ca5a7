"""Bed proposals (`/api/bed-assignments/proposals`): the second-stage solver fills a firm's beds.

HR (for its own firm) or staff (for any) asks for a proposal from a park day on (default:
today; usually the first day of a new period, when released units' residents must be in new
beds). The inputs are the firm's units under a lease that day and the workers who need or hold
a bed there: the firm's active workers living in the dorms (`housing_status` dorm) — those
without a bed, those on the move list (their bed is in a unit the firm gives up), and those who
already sleep in the firm's units, who keep their beds unless moving them avoids mixing day
and night shifts. `allocation.assign_beds` (CP-SAT, small per firm, at most 10 s) decides, in
a worker thread, never on the event loop.

A proposal is confirmed whole or not at all (`…/proposals/{id}/confirm`), and only if the
firm's beds and workers are exactly as they were when it was made (`409` otherwise: make a new
one): old beds end the night before, new ones start that day, the worker's housing status
becomes `dorm`, and a pending move whose bed ends is done.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from allocation import assign_beds
from housing.leasing.beds import close_bed, last_night_before
from housing.leasing.leases import active_on
from housing.leasing.tables import BedAssignment, BedProposal, Lease
from housing.register.tables import Firm, HousingStatus, Unit, UnitStatus, Worker
from housing.web import audit
from housing.web.access import STAFF_HR, Viewer, allow, firm_written_for, viewer_of
from housing.web.clock import as_date, as_datetime, park_day
from housing.web.db import json_value, write_transaction
from housing.web.problems import Problem, invalid
from housing.web.resource import Id, PathId

SolveSeconds = Annotated[int, msgspec.Meta(ge=1, le=10)]


class ProposalCreate(msgspec.Struct, forbid_unknown_fields=True):
    firm_id: Id | None = None  # staff: which firm; HR: its own (another firm is refused)
    starts_on: date | None = None  # the first night in the proposed beds; default today
    time_limit_s: SolveSeconds = 3


class ProposedBed(msgspec.Struct):
    worker_id: int
    worker_name: str
    unit_id: int
    building_code: str
    unit_number: str
    bed: int
    change: Literal["keep", "new", "move"]  # keeps their bed / had none / leaves another bed
    from_unit_id: int | None
    from_bed: int | None


class Unplaced(msgspec.Struct):
    worker_id: int
    worker_name: str


class ProposalOut(msgspec.Struct):
    id: int
    firm_id: int
    starts_on: date
    status: str  # proposed | confirmed
    created_at: datetime
    confirmed_at: datetime | None
    assignments: list[ProposedBed]
    unassigned: list[Unplaced]
    objective: dict[str, int]


@dataclass(frozen=True)
class Inputs:
    """A firm's beds and bed-seeking workers on a day, and their digest."""

    units: list[dict[str, Any]]  # id, lease_id, gender, beds
    workers: list[dict[str, Any]]  # id, gender, shift, current: (unit_id, bed, assignment_id) | None
    digest: str


async def gather(firm_id: int, day: date) -> Inputs:
    """What the second stage solves for `firm_id` from `day` on (read inside the caller's
    transaction when confirming, so the digest compares like with like)."""
    leases = await (
        Lease.select(Lease.id, Lease.unit_id, Lease.gender, Lease.unit_id.beds.as_alias("beds"))
        .where((Lease.firm_id == firm_id) & active_on(day) & (Lease.unit_id.status != UnitStatus.retired.value))
        .order_by(Lease.unit_id)
    )
    units = [{"id": r["unit_id"], "lease_id": r["id"], "gender": r["gender"], "beds": r["beds"]} for r in leases]
    leased = {u["id"] for u in units}
    holding = await (
        BedAssignment.select(BedAssignment.id, BedAssignment.worker_id, BedAssignment.unit_id, BedAssignment.bed)
        .where(BedAssignment.worker_id.firm_id == firm_id)
        .where(BedAssignment.starts_on <= day)
        .where(BedAssignment.ends_on.is_null() | (BedAssignment.ends_on >= day))
    )
    current = {r["worker_id"]: r for r in holding}
    people = await (
        Worker.select(Worker.id, Worker.gender, Worker.shift, Worker.housing_status, Worker.active)
        .where(Worker.firm_id == firm_id)
        .order_by(Worker.id)
    )
    workers = []
    for person in people:
        bed = current.get(person["id"])
        in_our_unit = bed is not None and bed["unit_id"] in leased
        wants_bed = person["active"] and person["housing_status"] == HousingStatus.dorm.value
        if not (wants_bed or in_our_unit):
            continue
        workers.append(
            {
                "id": person["id"],
                "gender": person["gender"],
                "shift": person["shift"],
                "current": [bed["unit_id"], bed["bed"], bed["id"]] if in_our_unit else None,  # type: ignore[index]
                "leaving": [bed["unit_id"], bed["bed"], bed["id"]] if bed is not None and not in_our_unit else None,
            }
        )
    digest = hashlib.sha256(json.dumps([units, workers], sort_keys=True).encode()).hexdigest()
    return Inputs(units=units, workers=workers, digest=digest)


def solver_input(firm_id: int, inputs: Inputs, time_limit_s: int) -> dict[str, Any]:
    """The documented `firm-beds/1` input of `allocation.assign_beds`."""
    return {
        "format": "firm-beds/1",
        "firm": f"F{firm_id}",
        "units": [{"id": str(u["id"]), "gender": u["gender"], "beds": u["beds"]} for u in inputs.units],
        "workers": [
            {
                "id": str(w["id"]),
                "gender": w["gender"],
                "shift": w["shift"],
                **({"current": {"unit": str(w["current"][0]), "bed": w["current"][1]}} if w["current"] else {}),
            }
            for w in inputs.workers
        ],
        "time_limit_s": time_limit_s,
    }


def proposed_beds(inputs: Inputs, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's assignments in register ids, each with where the worker sleeps before."""
    lease_of = {u["id"]: u["lease_id"] for u in inputs.units}
    before = {w["id"]: w["current"] or w["leaving"] for w in inputs.workers}
    out = []
    for a in plan["assignments"]:
        worker_id, unit_id = int(a["worker"]), int(a["unit"])
        old = before.get(worker_id)
        out.append(
            {
                "worker_id": worker_id,
                "unit_id": unit_id,
                "lease_id": lease_of[unit_id],
                "bed": a["bed"],
                "from_unit_id": old[0] if old else None,
                "from_bed": old[1] if old else None,
            }
        )
    return out


async def propose(viewer: Viewer, body: ProposalCreate) -> ProposalOut:
    firm_id = firm_written_for(viewer, body.firm_id)
    assert firm_id is not None  # a new proposal always names its firm
    if not await Firm.exists().where(Firm.id == firm_id):
        raise invalid("firm_id", "unknown_reference")
    today = park_day(viewer.now)
    day = body.starts_on or today
    if day < today:
        raise invalid("starts_on", "proposal_in_past")
    inputs = await gather(firm_id, day)
    if inputs.workers and inputs.units:
        plan = await asyncio.to_thread(assign_beds, solver_input(firm_id, inputs, body.time_limit_s))
    else:
        plan = {"assignments": [], "unassigned": [str(w["id"]) for w in inputs.workers], "objective": {}}
    async with write_transaction():
        inserted = await BedProposal.insert(
            BedProposal(
                firm_id=firm_id,
                starts_on=day,
                inputs_digest=inputs.digest,
                assignments=proposed_beds(inputs, plan),
                unassigned=[int(w) for w in plan["unassigned"]],
                objective=plan["objective"],
                created_at=viewer.now,
            )
        )
        proposal_id = int(inserted[0]["id"])
        await audit.record(viewer, "bed_proposal", proposal_id, "create", after={"firm_id": firm_id, "starts_on": day})
    return await proposal_view(viewer, proposal_id)


async def _proposal_row(viewer: Viewer, proposal_id: int) -> dict[str, Any]:
    query = BedProposal.select().where(BedProposal.id == proposal_id)
    if not viewer.is_staff:
        query = query.where(BedProposal.firm_id == viewer.firm_id)
    row = await query.first()
    if row is None:
        raise Problem(404, "not_found")
    return row


async def proposal_view(viewer: Viewer, proposal_id: int) -> ProposalOut:
    row = await _proposal_row(viewer, proposal_id)
    beds = json_value(row["assignments"])
    unplaced = json_value(row["unassigned"])
    ids = {b["worker_id"] for b in beds} | set(unplaced)
    names = {w["id"]: w["name"] for w in await Worker.select(Worker.id, Worker.name).where(Worker.id.is_in([*ids, 0]))}
    unit_ids = {b["unit_id"] for b in beds}
    units = {
        u["id"]: u
        for u in await Unit.select(Unit.id, Unit.number, Unit.building_id.code.as_alias("code")).where(
            Unit.id.is_in([*unit_ids, 0])
        )
    }
    assignments = [
        ProposedBed(
            worker_id=b["worker_id"],
            worker_name=names.get(b["worker_id"], ""),
            unit_id=b["unit_id"],
            building_code=units[b["unit_id"]]["code"],
            unit_number=units[b["unit_id"]]["number"],
            bed=b["bed"],
            change=_change(b),
            from_unit_id=b["from_unit_id"],
            from_bed=b["from_bed"],
        )
        for b in beds
    ]
    confirmed = row["confirmed_at"]
    return ProposalOut(
        id=row["id"],
        firm_id=row["firm_id"],
        starts_on=as_date(row["starts_on"]),
        status=row["status"],
        created_at=as_datetime(row["created_at"]),
        confirmed_at=as_datetime(confirmed) if confirmed is not None else None,
        assignments=assignments,
        unassigned=[Unplaced(worker_id=w, worker_name=names.get(w, "")) for w in unplaced],
        objective=json_value(row["objective"]),
    )


def _change(bed: dict[str, Any]) -> Literal["keep", "new", "move"]:
    if bed["from_unit_id"] is None:
        return "new"
    if (bed["from_unit_id"], bed["from_bed"]) == (bed["unit_id"], bed["bed"]):
        return "keep"
    return "move"


async def confirm(viewer: Viewer, proposal_id: int) -> ProposalOut:
    """Make the proposal's beds real, whole, or change nothing (409 when anything changed)."""
    async with write_transaction():
        row = await _proposal_row(viewer, proposal_id)
        claimed = await (
            BedProposal.update({BedProposal.status: "confirmed", BedProposal.confirmed_at: viewer.now})
            .where((BedProposal.id == proposal_id) & (BedProposal.status == "proposed"))
            .returning(BedProposal.id)
        )
        if not claimed:
            raise Problem(409, "proposal_confirmed")
        day = as_date(row["starts_on"])
        if day < park_day(viewer.now):
            raise Problem(409, "proposal_stale")
        fresh = await gather(row["firm_id"], day)
        if fresh.digest != row["inputs_digest"]:
            raise Problem(409, "proposal_stale")
        changing = [b for b in json_value(row["assignments"]) if _change(b) != "keep"]
        await _end_old_beds(viewer, {b["worker_id"] for b in changing}, day)
        if changing:
            await BedAssignment.insert(
                *(
                    BedAssignment(
                        lease_id=b["lease_id"],
                        unit_id=b["unit_id"],
                        bed=b["bed"],
                        worker_id=b["worker_id"],
                        starts_on=day,
                        created_at=viewer.now,
                    )
                    for b in changing
                )
            )
            await Worker.update({Worker.housing_status: HousingStatus.dorm.value}).where(
                Worker.id.is_in([b["worker_id"] for b in changing])
            )
        await audit.record(
            viewer, "bed_proposal", proposal_id, "confirm", before={"status": "proposed"}, after={"status": "confirmed"}
        )
    return await proposal_view(viewer, proposal_id)


async def _end_old_beds(viewer: Viewer, movers: set[int], day: date) -> None:
    """The beds the moving workers leave end the night before `day` (before any new bed is
    taken, so a bed changing hands is never held twice)."""
    open_beds = await (
        BedAssignment.select(BedAssignment.id, BedAssignment.starts_on)
        .where(BedAssignment.worker_id.is_in([*movers, 0]))
        .where(BedAssignment.ends_on.is_null())
    )
    for bed in open_beds:
        await close_bed(viewer, bed["id"], last_night_before(day, as_date(bed["starts_on"])))


class BedProposalController(Controller):
    path = "/bed-assignments/proposals"
    tags = ["beds · 床位"]

    @post("/", opt=allow(STAFF_HR))
    async def propose_beds(self, request: Request[Any, Any, Any], data: JSONBody[ProposalCreate]) -> ProposalOut:
        """Ask the solver where the firm's unplaced workers and those on the move list should
        sleep, keeping current beds where it can (no day and night shifts in one unit)."""
        return await propose(viewer_of(request), data)

    @get("/{proposal_id:int}", opt=allow(STAFF_HR))
    async def get_proposal(self, request: Request[Any, Any, Any], proposal_id: PathId) -> ProposalOut:
        return await proposal_view(viewer_of(request), proposal_id)

    @post("/{proposal_id:int}/confirm", status_code=200, opt=allow(STAFF_HR))
    async def confirm_proposal(self, request: Request[Any, Any, Any], proposal_id: PathId) -> ProposalOut:
        """Make the proposed beds real, or — if anything changed since — nothing (409)."""
        return await confirm(viewer_of(request), proposal_id)

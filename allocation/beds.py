"""Second stage: one firm's workers into the beds of the units it leases (CP-SAT).

Input (``"format": "firm-beds/1"``)::

    {"format": "firm-beds/1", "firm": "F001",
     "units": [{"id": "B01-101", "gender": "male", "beds": 4}],
     "workers": [{"id": "W1", "gender": "male", "shift": "night", "roommates": ["W2"],
                  "current": {"unit": "B01-101", "bed": 2}}],
     "time_limit_s": 10}

``units`` are the firm's leases with the lease's gender; beds are numbered 1..beds. ``shift`` is
``"day"`` (default), ``"night"`` or ``"rotating"`` (a rotating worker may share a unit with
either shift: only day and night workers together make a unit mixed); ``roommates``
(optional) names workers asked to share a unit; ``current`` (optional) is the worker's bed now.

Hard: a worker only in a unit of their gender, at most ``beds`` workers per unit, one bed per
worker. Objectives, in strict order (folded into one weighted sum whose weights make it exactly
lexicographic): 1. ``unassigned`` workers; 2. ``mixed_shift_units`` (units with day and night
workers); 3. ``split_roommate_pairs`` (requested pairs not in one unit; pairs of different
genders can never be together and count as split); 4. ``moved_workers`` (workers with a current
bed who do not keep it). A worker who stays in their unit keeps their bed, so 4 is decided at
the unit level too.

CP-SAT fits here (unlike the first stage): the model is small per firm and logic-heavy.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from .instance import InstanceError, _gender, _list, _number, _obj, _required, _string, _whole

BEDS_FORMAT = "firm-beds/1"
BEDS_PLAN_FORMAT = "firm-beds-plan/1"
SHIFTS = ("day", "night", "rotating")
# The rule for rotating shifts: a rotating worker may share a unit with either shift, so a unit
# is "mixed" only when it houses both a day worker and a night worker.
CLASHING_SHIFTS = frozenset({"day", "night"})

# Bad beds input is an InstanceError like bad first-stage input (one validation path, the same
# field readers); the old name stays for callers.
BedsError = InstanceError


def mixes(shifts: set[str]) -> bool:
    """A unit whose workers have these shifts mixes day and night (rotating mixes with neither)."""
    return CLASHING_SHIFTS <= shifts


@dataclass(slots=True)
class BedUnit:
    id: str
    gender: str
    beds: int


@dataclass(slots=True)
class Worker:
    id: str
    gender: str
    shift: str
    roommates: list[str] = field(default_factory=list)
    current: tuple[str, int] | None = None


@dataclass(slots=True)
class BedsInput:
    firm: str | None
    units: list[BedUnit]
    workers: list[Worker]
    time_limit_s: float | None


def parse_beds_input(data: Any) -> BedsInput:
    """Validate a ``firm-beds/1`` input; raise :class:`InstanceError` naming the field."""
    data = _obj(data, "input")
    if data.get("format") != BEDS_FORMAT:
        raise InstanceError("format", f'must be "{BEDS_FORMAT}", got {json.dumps(data.get("format"))}')
    units: list[BedUnit] = []
    for i, u in enumerate(_list(_required(data, "units", ""), "units")):
        w = f"units[{i}]"
        u = _obj(u, w)
        uid = _string(_required(u, "id", w), f"{w}.id")
        if any(x.id == uid for x in units):
            raise InstanceError(f"{w}.id", f'duplicate unit "{uid}"')
        gender = _gender(u.get("gender"), f"{w}.gender", nullable=False)
        units.append(BedUnit(uid, gender, _whole(_required(u, "beds", w), f"{w}.beds", 1)))  # type: ignore[arg-type]
    by_id = {u.id: u for u in units}
    workers: list[Worker] = []
    ids: set[str] = set()
    beds_taken: dict[tuple[str, int], str] = {}
    for i, r in enumerate(_list(_required(data, "workers", ""), "workers")):
        w = f"workers[{i}]"
        r = _obj(r, w)
        wid = _string(_required(r, "id", w), f"{w}.id")
        if wid in ids:
            raise InstanceError(f"{w}.id", f'duplicate worker "{wid}"')
        ids.add(wid)
        gender = _gender(r.get("gender"), f"{w}.gender", nullable=False)
        shift = r.get("shift", "day")
        if shift not in SHIFTS:
            raise InstanceError(f"{w}.shift", 'must be "day", "night" or "rotating"')
        mates = r.get("roommates", [])
        if not isinstance(mates, list) or not all(isinstance(m, str) for m in mates):
            raise InstanceError(f"{w}.roommates", "must be a list of worker ids")
        current = None
        if r.get("current") is not None:
            c = _obj(r["current"], f"{w}.current")
            cu = _string(c.get("unit"), f"{w}.current.unit")
            bed = _whole(c.get("bed"), f"{w}.current.bed", 1)
            if cu in by_id:  # a bed outside the firm's units now simply cannot be kept
                if bed > by_id[cu].beds:
                    raise InstanceError(f"{w}.current.bed", f"unit {cu} has {by_id[cu].beds} beds")
                if (cu, bed) in beds_taken:
                    raise InstanceError(f"{w}.current.bed", f"bed {bed} of {cu} is also {beds_taken[cu, bed]}'s")
                beds_taken[cu, bed] = wid
            current = (cu, bed)
        workers.append(Worker(wid, gender, shift, list(mates), current))  # type: ignore[arg-type]
    for i, wk in enumerate(workers):
        for j, m in enumerate(wk.roommates):
            if m not in ids or m == wk.id:
                raise InstanceError(f"workers[{i}].roommates[{j}]", f'unknown worker "{m}"')
    limit = data.get("time_limit_s")
    time_limit = None if limit is None else _number(limit, "time_limit_s", 0.0, strict=True)
    firm = data.get("firm")
    return BedsInput(firm if isinstance(firm, str) else None, units, workers, time_limit)


@dataclass
class BedsModel:
    """The CP-SAT model of one firm's beds, its variables named for what they mean."""

    model: cp_model.CpModel
    sleeps_in: dict[tuple[int, int], cp_model.IntVar]  # (worker, unit) → the worker sleeps there
    placed: list[cp_model.IntVar]  # per worker: has a bed
    mixed: list[cp_model.IntVar]  # per unit: houses day and night workers
    together: list[cp_model.IntVar]  # per requested pair: in one unit
    stays: list[cp_model.IntVar]  # per worker with a current bed in a unit still leased: stays in it
    pairs: list[tuple[str, str]]


def _gender_and_one_bed(m: cp_model.CpModel, inp: BedsInput,
                        ) -> tuple[dict[tuple[int, int], cp_model.IntVar], list[cp_model.IntVar]]:
    """A worker only in a unit of their gender, and in one unit at most."""
    sleeps_in = {
        (w, u): m.new_bool_var(f"worker{w}_in_unit{u}")
        for w, worker in enumerate(inp.workers)
        for u, unit in enumerate(inp.units)
        if unit.gender == worker.gender
    }
    placed = []
    for w in range(len(inp.workers)):
        has_bed = m.new_bool_var(f"worker{w}_placed")
        m.add(sum(v for (ww, _), v in sleeps_in.items() if ww == w) == has_bed)
        placed.append(has_bed)
    return sleeps_in, placed


def _beds_per_unit(m: cp_model.CpModel, inp: BedsInput, sleeps_in: dict[tuple[int, int], cp_model.IntVar]) -> None:
    """At most ``beds`` workers per unit."""
    for u, unit in enumerate(inp.units):
        m.add(sum(v for (_, uu), v in sleeps_in.items() if uu == u) <= unit.beds)


def _mixed_shift_units(
    m: cp_model.CpModel, inp: BedsInput, sleeps_in: dict[tuple[int, int], cp_model.IntVar]
) -> list[cp_model.IntVar]:
    """A unit is mixed when it houses a day worker and a night worker (rotating mixes with neither)."""
    mixed = []
    for u in range(len(inp.units)):
        houses = {shift: m.new_bool_var(f"unit{u}_houses_{shift}") for shift in sorted(CLASHING_SHIFTS)}
        for (w, uu), v in sleeps_in.items():
            shift = inp.workers[w].shift
            if uu == u and shift in houses:
                m.add_implication(v, houses[shift])
        is_mixed = m.new_bool_var(f"unit{u}_mixed")
        m.add(houses["day"] + houses["night"] - 1 <= is_mixed)
        mixed.append(is_mixed)
    return mixed


def _roommates_together(
    m: cp_model.CpModel, inp: BedsInput, sleeps_in: dict[tuple[int, int], cp_model.IntVar], pairs: list[tuple[str, str]]
) -> list[cp_model.IntVar]:
    """A requested pair is together when both sleep in one unit (never, across genders)."""
    index = {w.id: i for i, w in enumerate(inp.workers)}
    together = []
    for p, (first_id, second_id) in enumerate(pairs):
        first, second = index[first_id], index[second_id]
        shared = []
        for u in range(len(inp.units)):
            if (first, u) in sleeps_in and (second, u) in sleeps_in:
                both = m.new_bool_var(f"pair{p}_in_unit{u}")
                m.add_implication(both, sleeps_in[first, u])
                m.add_implication(both, sleeps_in[second, u])
                shared.append(both)
        is_together = m.new_bool_var(f"pair{p}_together")
        if shared:
            m.add(sum(shared) >= is_together)
        else:
            m.add(is_together == 0)
        together.append(is_together)
    return together


def _stays(inp: BedsInput, sleeps_in: dict[tuple[int, int], cp_model.IntVar]) -> list[cp_model.IntVar]:
    """A worker with a current bed stays when they sleep in that unit (and so keep that bed)."""
    unit_index = {unit.id: u for u, unit in enumerate(inp.units)}
    stays = []
    for w, worker in enumerate(inp.workers):
        if worker.current and worker.current[0] in unit_index and (w, unit_index[worker.current[0]]) in sleeps_in:
            stays.append(sleeps_in[w, unit_index[worker.current[0]]])
    return stays


def build_beds_model(inp: BedsInput) -> BedsModel:
    """The rules of the module docstring, one function each, and the objective in strict order
    (folded into one weighted sum whose weights make it exactly lexicographic)."""
    m = cp_model.CpModel()
    pairs = sorted({(min(w.id, mate), max(w.id, mate)) for w in inp.workers for mate in w.roommates})
    sleeps_in, placed = _gender_and_one_bed(m, inp)
    _beds_per_unit(m, inp, sleeps_in)
    mixed = _mixed_shift_units(m, inp, sleeps_in)
    together = _roommates_together(m, inp, sleeps_in, pairs)
    stays = _stays(inp, sleeps_in)
    n = len(inp.workers)
    with_current_bed = sum(1 for w in inp.workers if w.current)
    # each level outweighs everything below it
    moved_weight = 1
    split_weight = moved_weight * (n + 1)
    mixed_weight = split_weight * (len(pairs) + 1)
    unassigned_weight = mixed_weight * (len(inp.units) + 1)
    m.minimize(
        unassigned_weight * (n - sum(placed))
        + mixed_weight * sum(mixed)
        + split_weight * (len(pairs) - sum(together))
        + moved_weight * (with_current_bed - sum(stays))
    )
    return BedsModel(m, sleeps_in, placed, mixed, together, stays, pairs)


def assign_beds(data: Any, time_limit_s: float | None = None) -> dict[str, Any]:
    """Place one firm's workers in beds; ``data`` is the documented ``firm-beds/1`` dict (or a
    parsed :class:`BedsInput`). Raises :class:`BedsError` on bad input."""
    t0 = time.monotonic()
    inp = data if isinstance(data, BedsInput) else parse_beds_input(data)
    limit = time_limit_s or inp.time_limit_s or 10.0
    built = build_beds_model(inp)
    start = greedy_units(inp)  # complete hint: CP-SAT does far better from a full one
    for (w, u), v in built.sleeps_in.items():
        built.model.add_hint(v, 1 if start.get(w) == u else 0)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, limit - (time.monotonic() - t0) - 0.3)
    solver.parameters.num_workers = 2
    status = solver.solve(built.model)
    unit_of: dict[int, int] = dict(start)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = {w: u for (w, u), v in built.sleeps_in.items() if solver.value(v)}
        if _level_key(inp, found) <= _level_key(inp, start):
            unit_of = found
    else:
        status = cp_model.FEASIBLE  # the greedy placement is valid by construction
    assignments = beds_of(inp, unit_of)
    return {
        "format": BEDS_PLAN_FORMAT,
        "firm": inp.firm,
        "status": "optimal" if status == cp_model.OPTIMAL else "feasible",
        "assignments": sorted(assignments, key=lambda a: (a["unit"], a["bed"])),
        "unassigned": sorted(w.id for i, w in enumerate(inp.workers) if i not in unit_of),
        "objective": beds_objective(inp, assignments),
        "solve_seconds": round(time.monotonic() - t0, 3),
    }


def beds_of(inp: BedsInput, unit_of: dict[int, int]) -> list[dict[str, Any]]:
    """Bed numbers for a placement: who stays in their unit keeps their bed; the others take
    the free beds in order of their ids."""
    assignments = []
    for u, unit in enumerate(inp.units):
        inside = sorted((w for w, uu in unit_of.items() if uu == u), key=lambda w: inp.workers[w].id)
        kept: dict[int, int] = {}
        for w in inside:
            current = inp.workers[w].current
            if current is not None and current[0] == unit.id:
                kept[w] = current[1]
        free = iter(b for b in range(1, unit.beds + 1) if b not in kept.values())
        for w in inside:
            assignments.append({"worker": inp.workers[w].id, "unit": unit.id, "bed": kept.get(w) or next(free)})
    return assignments


def greedy_units(inp: BedsInput) -> dict[int, int]:
    """A valid placement (worker index -> unit index) built the way a careful HR clerk would:
    everyone stays in their current unit if it is still theirs; roommate groups go together
    where a unit has room; the rest fill units of their own shift first, then empty units."""
    units, workers = inp.units, inp.workers
    uix = {u.id: j for j, u in enumerate(units)}
    room = [u.beds for u in units]
    shifts: list[set[str]] = [set() for _ in units]  # day/night only: rotating clashes with neither
    out: dict[int, int] = {}

    def put(i: int, j: int) -> None:
        out[i] = j
        room[j] -= 1
        if workers[i].shift in CLASHING_SHIFTS:
            shifts[j].add(workers[i].shift)

    for i, w in enumerate(workers):
        if w.current and w.current[0] in uix and units[uix[w.current[0]]].gender == w.gender:
            j = uix[w.current[0]]
            if room[j] > 0:
                put(i, j)
    # roommate groups (connected requests), per gender
    parent = list(range(len(workers)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    wix = {w.id: i for i, w in enumerate(workers)}
    for i, w in enumerate(workers):
        for mate in w.roommates:
            parent[find(i)] = find(wix[mate])
    groups: dict[tuple[int, str], list[int]] = {}
    for i, w in enumerate(workers):
        groups.setdefault((find(i), w.gender), []).append(i)

    def best_unit(gender: str, shift: str, need: int, prefer: set[int]) -> int | None:
        cands = [j for j, u in enumerate(units) if u.gender == gender and room[j] >= need]
        if not cands:
            return None
        if shift not in CLASHING_SHIFTS:  # rotating: any unit; fill started units first
            return max(cands, key=lambda j: (j in prefer, bool(shifts[j]), -room[j], -j))
        return max(cands, key=lambda j: (j in prefer, shifts[j] == {shift}, not shifts[j],
                                         shifts[j] <= {shift}, -room[j], -j))

    for (_, gender), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        waiting = [i for i in members if i not in out]
        if not waiting or len(members) == 1:
            continue
        placed = {out[i] for i in members if i in out}
        shift = max(("day", "night"), key=lambda s: sum(workers[i].shift == s for i in members))
        group_unit = best_unit(gender, shift, len(waiting), placed)
        if group_unit is not None:
            for i in waiting:
                put(i, group_unit)
    for i, w in sorted(enumerate(workers), key=lambda iw: (iw[1].shift, iw[1].id)):
        if i not in out:
            single_unit = best_unit(w.gender, w.shift, 1, set())
            if single_unit is not None:
                put(i, single_unit)
    return out


def _level_key(inp: BedsInput, unit_of: dict[int, int]) -> tuple[int, ...]:
    """Lexicographic key of a unit-level placement (beds follow from it)."""
    where = {inp.workers[i].id: inp.units[j].id for i, j in unit_of.items()}
    shifts: dict[str, set[str]] = {}
    for w in inp.workers:
        if w.id in where:
            shifts.setdefault(where[w.id], set()).add(w.shift)
    pairs = {tuple(sorted((w.id, m))) for w in inp.workers for m in w.roommates}
    split = sum(1 for a, b in pairs if a not in where or b not in where or where[a] != where[b])
    moved = sum(1 for w in inp.workers if w.current and where.get(w.id) != w.current[0])
    return (len(inp.workers) - len(where), sum(mixes(v) for v in shifts.values()), split, moved)


def beds_objective(inp: BedsInput, assignments: list[dict[str, Any]]) -> dict[str, int]:
    """The four levels recomputed from the assignments alone."""
    where = {a["worker"]: (a["unit"], a["bed"]) for a in assignments}
    shifts: dict[str, set[str]] = {}
    for w in inp.workers:
        if w.id in where:
            shifts.setdefault(where[w.id][0], set()).add(w.shift)
    pairs = {tuple(sorted((w.id, m))) for w in inp.workers for m in w.roommates}
    split = sum(1 for a, b in pairs if a not in where or b not in where or where[a][0] != where[b][0])
    moved = sum(1 for w in inp.workers if w.current and where.get(w.id) != w.current)
    return {
        "unassigned": sum(1 for w in inp.workers if w.id not in where),
        "mixed_shift_units": sum(1 for s in shifts.values() if mixes(s)),
        "split_roommate_pairs": split,
        "moved_workers": moved,
    }

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


def assign_beds(data: Any, time_limit_s: float | None = None) -> dict[str, Any]:
    """Place one firm's workers in beds; ``data`` is the documented ``firm-beds/1`` dict (or a
    parsed :class:`BedsInput`). Raises :class:`BedsError` on bad input."""
    t0 = time.monotonic()
    inp = data if isinstance(data, BedsInput) else parse_beds_input(data)
    limit = time_limit_s or inp.time_limit_s or 10.0
    units, workers = inp.units, inp.workers
    n = len(workers)

    pairs = sorted({tuple(sorted((w.id, m))) for w in workers for m in w.roommates})  # type: ignore[misc]
    wix = {w.id: i for i, w in enumerate(workers)}
    m = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, w in enumerate(workers):
        for j, u in enumerate(units):
            if u.gender == w.gender:
                x[i, j] = m.new_bool_var("")
    assigned = []
    for i in range(n):
        vs = [x[i, j] for j in range(len(units)) if (i, j) in x]
        a = m.new_bool_var("")
        m.add(sum(vs) == a)
        assigned.append(a)
    mixed = []
    for j, u in enumerate(units):
        inside = [x[i, j] for i in range(n) if (i, j) in x]
        m.add(sum(inside) <= u.beds)
        has = {}
        for s in CLASHING_SHIFTS:
            has[s] = m.new_bool_var("")
            for i in range(n):
                if (i, j) in x and workers[i].shift == s:
                    m.add_implication(x[i, j], has[s])
        mix = m.new_bool_var("")
        m.add(has["day"] + has["night"] - 1 <= mix)
        mixed.append(mix)
    together = []
    for a_id, b_id in pairs:
        a, b = wix[a_id], wix[b_id]
        both = []
        for j in range(len(units)):
            if (a, j) in x and (b, j) in x:
                t = m.new_bool_var("")
                m.add_implication(t, x[a, j])
                m.add_implication(t, x[b, j])
                both.append(t)
        tv = m.new_bool_var("")
        m.add(sum(both) >= tv) if both else m.add(tv == 0)
        together.append(tv)
    stays = []
    uix = {u.id: j for j, u in enumerate(units)}
    for i, w in enumerate(workers):
        if w.current and w.current[0] in uix and (i, uix[w.current[0]]) in x:
            stays.append(x[i, uix[w.current[0]]])
    n_movable = sum(1 for w in workers if w.current)
    # weights: each level outweighs everything below it
    w4 = 1
    w3 = w4 * (n + 1)
    w2 = w3 * (len(pairs) + 1)
    w1 = w2 * (len(units) + 1)
    m.minimize(w1 * (n - sum(assigned)) + w2 * sum(mixed) + w3 * (len(pairs) - sum(together))
               + w4 * (n_movable - sum(stays)))
    start = greedy_units(inp)  # complete hint: CP-SAT does far better from a full one
    for (i, j), v in x.items():
        m.add_hint(v, 1 if start.get(i) == j else 0)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, limit - (time.monotonic() - t0) - 0.3)
    solver.parameters.num_workers = 2
    status = solver.solve(m)
    unit_of: dict[int, int] = dict(start)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = {i: j for (i, j), v in x.items() if solver.value(v)}
        if _level_key(inp, found) <= _level_key(inp, start):
            unit_of = found
    else:
        status = cp_model.FEASIBLE  # the greedy placement is valid by construction

    assignments = []
    for j, u in enumerate(units):
        inside = [i for i in range(n) if unit_of.get(i) == j]
        keep = {i: workers[i].current[1] for i in inside  # type: ignore[index]
                if workers[i].current and workers[i].current[0] == u.id}
        free = iter(b for b in range(1, u.beds + 1) if b not in keep.values())
        for i in sorted(inside, key=lambda i: workers[i].id):
            assignments.append({"worker": workers[i].id, "unit": u.id, "bed": keep.get(i) or next(free)})
    return {
        "format": BEDS_PLAN_FORMAT,
        "firm": inp.firm,
        "status": "optimal" if status == cp_model.OPTIMAL else "feasible",
        "assignments": sorted(assignments, key=lambda a: (a["unit"], a["bed"])),
        "unassigned": sorted(workers[i].id for i in range(n) if i not in unit_of),
        "objective": beds_objective(inp, assignments),
        "solve_seconds": round(time.monotonic() - t0, 3),
    }


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
        j = best_unit(gender, shift, len(waiting), placed)
        if j is not None:
            for i in waiting:
                put(i, j)
    for i, w in sorted(enumerate(workers), key=lambda iw: (iw[1].shift, iw[1].id)):
        if i not in out:
            j = best_unit(w.gender, w.shift, 1, set())
            if j is not None:
                put(i, j)
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

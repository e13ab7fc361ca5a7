"""``solve``: instance in, plan out.

Steps: reduce the instance to unit types (:mod:`allocation.model`), solve the lexicographic
levels with SCIP, turn the type counts into concrete units (:func:`realize`), recompute every
reported figure from the leases (:mod:`allocation.plan`), and compare with the greedy baseline —
the better plan is returned, so a plan is never worse than greedy and never invalid.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .control import Control, Progress, Stop
from .explain import explain
from .greedy import greedy_plan
from .instance import Instance
from .lns import lower_penalty, second_level
from .model import (
    FULL_MODEL_MAX_COLUMNS,
    Key,
    LevelResult,
    Model,
    Prep,
    add_firm_cuts,
    build_model,
    full_model_columns,
    level_value,
    lp_moves_bound,
    prepare,
    resolve_level,
    solve_levels,
    values_from_counts,
)
from .moves import improve_by_moves
from .plan import (
    LEVELS,
    Infeasible,
    Lease,
    LeaseLike,
    Objective,
    Plan,
    firm_lines,
    lease_problems,
    objective_of,
)
from .residents import displaced_of_counts, fewest_moves, fit_budget, keep_residents
from .rounding import greedy_fill, rounded_start

DEFAULT_TIME_LIMIT_S = 60.0
POLISH_MIN_COLUMNS = 1_000
MOVES_SECONDS = 1.0  # cap on each one-unit-move local search
# Level 1's share of the time under a moves budget on larger parks: there the budget keeps the
# moves near it anyway (moves / LP bound 1.01-1.10 on the benchmark) and the penalty is what
# is far from its bound, while without a budget level 2's LNS needs the time (42%, model.py).
# Where the budget does not bind, the penalty LNS stops at the proven bound or after
# lns.PENALTY_PATIENCE fruitless steps and leaves the time to level 2. Where it binds, level 2
# has little to gain and the penalty LNS is still improving when level 1's time ends (XL at
# 25% with 85%: 14,209 after 146 s; 15 s more LNS from that plan, 14,127): 93%.
BUDGETED_FIRST_SHARE = 0.93
# SCIP's part of level 1's time on larger parks; the rest goes to LNS on the penalty
# (lns.lower_penalty): exchanges between a few firms still find gains where SCIP has stalled
# (M-1.0 at 25%: SCIP 123 at 18 s and at 30 s; SCIP 5 s + LNS 19 s: 118). SCIP keeps enough
# for its bound, which only it proves (XL at 25%: bound 13,632 after 120 s, 13,494 after 31 s).
FIRST_SCIP = 0.7
# Under a moves budget on larger parks, level 1 after SCIP: LNS for this share of what is left,
# then the firm-alone cuts (model.add_firm_cuts; at most FIRM_CUTS_SHARE of what is left then)
# and SCIP again from the LNS plan for the rest. The cuts lift the bound (M-0.8 at 10%: LP 31
# -> 67; SCIP's own bound after 30 s was 65, M-1.0 at 25%: 115 -> 117 with the cuts from the
# start) but, from the start, cost SCIP its first plans (M-0.8 at 10%: 82 instead of 70 after
# 10 s; 71 at the end instead of 69): so only once the LNS holds a good plan. 75% rather
# than 60% for the LNS (in-process runs at 29.4 s): M-1.0/25% 118 and 118 (bound 117) vs 118
# and 120 (bound 117-118); M-0.8/10% 69 with bound 68 vs 69 with bound 69 (offline SCIP
# proves 69 anyway). Within the noise: the benchmark gave M-1.0/25% 120 (bound 118) with
# both. Cuts before the LNS hurt it (M-1.0/25%: 123 and 124). Not on parks above
# CUTS_MAX_UNITS: there the LNS is still improving when level 1's time ends (XL at 25%), so it
# keeps all of it.
LNS_BEFORE_CUTS = 0.75
FIRM_CUTS_SHARE = 0.3
CUTS_MAX_UNITS = 2_000
# SCIP's part of level 1 under a moves budget. The LNS does most of the work there and is
# still improving when level 1's time ends, so it gets most of the time: on XL at 200 s, 25%
# budget, 14,163 with 40% SCIP, 14,073 and 14,072 with 30%, 14,031 with 20% (SCIP's bound
# 13,632, 13,632, 13,615; the 15-minute budgeted SCIP reference: 13,641, plan 14,450); at 10%,
# 31,594 / 31,553 / 31,535 (bound 31,333 / 31,333 / 31,327); L at 25%: 3,898 with each.
# Where the firm-alone cuts follow (up to CUTS_MAX_UNITS), SCIP's bound comes from its
# re-solve with them, but the first solve must still give the LNS a good start: 30% (M at
# 30 s, in-process and CLI runs: M-1.0 at 25%, 120 in 3 of 3 runs with 40%, 118-119 in 5
# with 20%, 119 in 6 of 6 with 30%; M-0.8 at 10%, 69 in 2 of 2 with 40%, 70 in 3 of 3 with
# 20%, its start too poor, 69 in 4 of 4 with 30%; M-1.0 seed 2 at 25%: 134, the bound, with
# 30% and 40%, 135 with 20%).
FIRST_SCIP_BUDGETED = 0.2
FIRST_SCIP_CUTS = 0.3


def _reserve(time_limit: float, units: int) -> float:
    """Seconds kept back from the MIP for turning counts into units, checking the candidates,
    explaining and writing the plan (about 13 s for 20,000 units on the benchmark machine,
    explaining alone about 4 s)."""
    return min(15.0, max(0.6 + FINISH_SECONDS_PER_UNIT * units, 0.06 * time_limit))


# measured at 726f4b1: XL (20,000 units) needed ~12.6 s after the levels' deadline (realize,
# one-unit moves, checking candidates, explaining ~4 s) and ran 202.6 s at --time-limit 200
FINISH_SECONDS_PER_UNIT = 7e-4


def counts_from_model(model: Model, values: list[float]) -> tuple[dict[Key, int], dict[tuple[int, str, str], int]]:
    """Integer unit counts per (building type, firm, gender), and per aggregate type for the
    aggregated firms (what the pool still has to supply them beyond their resident types)."""
    val = {v.index(): x for v, x in zip(model.all_vars, values, strict=True)}
    counts: dict[Key, int] = {}
    for key, v in model.x.items():
        n = int(round(val[v.index()]))
        if n:
            counts[key] = n
    for key, v in model.u.items():
        n = int(round(val[v.index()]))
        if n:
            counts[key] = n
    own: dict[tuple[int, str, str], int] = defaultdict(int)
    for (ti, fid, s), v in model.u.items():
        own[model.type_aggregate[ti], fid, s] += int(round(val[v.index()]))
    needs: dict[tuple[int, str, str], int] = {}
    for key, v in model.y.items():
        n = int(round(val[v.index()])) - own.get(key, 0)
        if n > 0:
            needs[key] = n
    return counts, needs


def pack_pool(prep: Prep, counts: dict[Key, int], needs: dict[tuple[int, str, str], int]) -> dict[Key, int]:
    """Place the aggregated firms' pool units in buildings, few buildings per firm.

    Greedy: biggest firm first; a building it already uses first, else the building that
    covers most of what it still needs. Always succeeds for a MIP solution, because the model's
    pool constraint guarantees enough units of every kind and these firms accept every
    building; for a rounded LP start what does not fit is left out (the fill adds units back).
    """
    used: defaultdict[int, int] = defaultdict(int)
    for (ti, _, _), n in counts.items():
        used[ti] += n
    avail: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)  # agg -> building -> (type, free)
    for t in prep.types:
        free = len(t.units) - used[t.index]
        if free > 0:
            avail[t.aggregate][t.building] = (t.index, free)
    out = dict(counts)
    firm_buildings: dict[str, set[str]] = defaultdict(set)
    for (ti, fid, _) in counts:
        firm_buildings[fid].add(prep.types[ti].building)
    by_firm: dict[str, dict[tuple[int, str], int]] = defaultdict(dict)
    for (a, fid, s), n in needs.items():
        by_firm[fid][a, s] = n
    for fid in sorted(by_firm, key=lambda f: (-sum(by_firm[f].values()), f)):
        need = by_firm[fid]
        while need:
            score: dict[str, int] = defaultdict(int)
            for (a, _), n in need.items():
                for b, (_, free) in avail[a].items():
                    score[b] += min(n, free)
            if not score:  # only a rounded LP start can get here; the model guarantees the pool
                break
            b = max(score, key=lambda b: (b in firm_buildings[fid], score[b], b))
            firm_buildings[fid].add(b)
            for (a, s), n in list(need.items()):
                if b not in avail[a]:
                    continue
                ti, free = avail[a][b]
                take = min(n, free)
                out[ti, fid, s] = out.get((ti, fid, s), 0) + take
                if free - take:
                    avail[a][b] = (ti, free - take)
                else:
                    del avail[a][b]
                if n - take:
                    need[a, s] = n - take
                else:
                    del need[a, s]
    return out


def realize(instance: Instance, prep: Prep, counts: dict[Key, int]) -> list[Lease]:
    """Concrete leases from counts per (type, firm, gender).

    Within a type every unit is equivalent except for who lives there, so each holder first gets
    back its own occupied units (fullest first); others get empty units first, then the
    least-occupied ones. This never displaces more than the model counted.
    """
    by_type: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for (ti, fid, s), n in counts.items():
        if n > 0:
            by_type[ti].append((fid, s, n))
    leases: list[Lease] = []
    cur = instance.current_by_unit
    for ti, wants in by_type.items():
        units = prep.types[ti].units
        taken: set[str] = set()
        rest: list[tuple[str, str, int]] = []
        for fid, s, n in sorted(wants):
            own = sorted((u for u in units if u in cur and cur[u].firm == fid and cur[u].gender == s),
                         key=lambda u: (-cur[u].occupied_beds, u))[:n]
            for u in own:
                taken.add(u)
                leases.append(Lease(u, fid, s))
            if n - len(own):
                rest.append((fid, s, n - len(own)))
        others = sorted((u for u in units if u not in taken),
                        key=lambda u: (cur[u].occupied_beds if u in cur else -1, u))
        pos = 0
        for fid, s, n in rest:
            for u in others[pos:pos + n]:
                leases.append(Lease(u, fid, s))
            pos += n
        if pos > len(others):  # pragma: no cover - the model's capacity rows forbid it
            raise RuntimeError(f"type {ti} over-allocated")
    return leases


def make_plan(instance: Instance, leases: Iterable[LeaseLike], status: str, bound: dict[str, int],
              started: float, solver: dict[str, Any] | None = None, budget: int | None = None) -> Plan:
    """The plan of ``leases``, every figure recomputed from them; ``solve_seconds`` counts from
    ``started`` to the end of the explanation (on 20,000 units explaining takes about 4 s)."""
    typed = sorted(map(Lease.of, leases), key=lambda x: x.unit)
    plan = Plan(status=status, leases=typed, firms=firm_lines(instance, typed),
                objective=objective_of(instance, typed), bound=dict(bound),
                explanation=explain(instance, typed), solve_seconds=0.0, solver=solver,
                max_displaced_workers=budget)
    plan.solve_seconds = round(time.monotonic() - started, 3)
    return plan


def counts_of_leases(prep: Prep, leases: Iterable[LeaseLike]) -> dict[Key, int]:
    """Units per (type, firm, gender) of a plan: what the model counts."""
    counts: dict[Key, int] = defaultdict(int)
    for lease in map(Lease.of, leases):
        counts[prep.type_of_unit[lease.unit], lease.firm, lease.gender] += 1
    return dict(counts)


FROM_INSTANCE = "instance"


@dataclass(slots=True)
class _Candidate:
    """The best plan so far among the candidates (greedy, starts, rounded LP, MIP, ...):
    "never worse than greedy, never invalid" is this comparison."""

    leases: list[Lease] = field(default_factory=list)
    source: str = ""
    objective: Objective | None = None

    def take(self, instance: Instance, source: str, leases: list[Lease], budget: int | None) -> bool:
        """Adopt ``leases`` if they are valid, within the moves ``budget`` and at least as good."""
        if lease_problems(instance, leases):
            return False
        obj = objective_of(instance, leases)
        if budget is not None and obj.displaced_workers > budget:
            return False
        if self.objective is not None and obj.key > self.objective.key:
            return False
        self.leases, self.source, self.objective = leases, source, obj
        return True


def solve(instance: Instance, time_limit_s: float | None = None, *, started: float | None = None,
          mode: str = "auto", progress: Progress | None = None, stop: Stop | None = None,
          max_displaced: int | None | str = FROM_INSTANCE,
          starts: Sequence[Sequence[LeaseLike]] | None = None) -> dict[str, Any]:
    """:func:`solve_plan` as JSON: the plan (``park-allocation-plan/1``), or the ``infeasible``
    answer naming the smallest budget that can be met."""
    return solve_plan(instance, time_limit_s, started=started, mode=mode, progress=progress, stop=stop,
                      max_displaced=max_displaced, starts=starts).as_json()


def solve_plan(instance: Instance, time_limit_s: float | None = None, *, started: float | None = None,
               mode: str = "auto", progress: Progress | None = None, stop: Stop | None = None,
               max_displaced: int | None | str = FROM_INSTANCE,
               starts: Sequence[Sequence[LeaseLike]] | None = None) -> Plan | Infeasible:
    """Best plan found within ``time_limit_s`` (default: the instance's, else 60 s).

    ``started`` is a ``time.monotonic()`` stamp of when the caller's clock started (the CLI
    passes the moment before parsing, so the whole command fits in the limit). ``mode`` is
    ``"full"``, ``"compact"`` or ``"auto"`` (full model when it is small enough).
    ``progress`` and ``stop`` are the hooks of :mod:`allocation.control`. ``max_displaced`` is
    the moves budget (default: the instance's ``max_displaced_workers``; ``None``: no budget).
    ``starts`` are lease lists to start from (e.g. a neighbouring trade-off point's plan); any
    that is valid and within the budget is a candidate plan too.
    """
    t0 = time.monotonic() if started is None else started
    limit = time_limit_s if time_limit_s is not None else (instance.time_limit_s or DEFAULT_TIME_LIMIT_S)
    budget = instance.max_displaced_workers if max_displaced == FROM_INSTANCE else max_displaced
    assert budget is None or isinstance(budget, int)
    control = Control(t0, t0 + limit - _reserve(limit, len(instance.units)), progress, stop)

    prep = prepare(instance)
    fewest, fewest_counts = fewest_moves(instance, prep)
    if budget is not None and budget < fewest:
        control.improved(bound={"displaced_workers": fewest})
        control.flush()
        return Infeasible(budget, fewest, round(time.monotonic() - t0, 3))
    compact = mode == "compact" or (mode == "auto" and full_model_columns(prep) > FULL_MODEL_MAX_COLUMNS)

    # candidate plans: the lexicographically best valid one within the budget is returned
    best = _Candidate()

    def consider(source: str, leases: list[Lease]) -> bool:
        if best.take(instance, source, leases, budget):
            assert best.objective is not None
            control.improved(dict(zip(LEVELS, best.objective.key, strict=True)))
            return True
        return False

    control.start_level("shortfall_penalty")
    control.improved(bound={"displaced_workers": fewest})
    consider("greedy", greedy_plan(instance))
    if budget is not None:  # keep every resident that can be kept, then fill: meets any budget
        consider("fewest-moves", realize(instance, prep, greedy_fill(instance, prep, fewest_counts)))
    for start_leases in starts or []:
        if not lease_problems(instance, start_leases):  # JSON from outside: checked before it is read
            consider("start", [Lease.of(x) for x in start_leases])

    def within_budget(counts: dict[Key, int]) -> bool:
        return budget is None or displaced_of_counts(prep, counts) <= budget

    def within_budget_or_repaired(counts: dict[Key, int]) -> dict[Key, int] | None:
        """Residents kept as far as the counts allow; over the budget, repaired and refilled."""
        counts = keep_residents(instance, prep, counts)
        if within_budget(counts):
            return counts
        assert budget is not None
        fitted = fit_budget(instance, prep, counts, budget)
        return None if fitted is None else greedy_fill(instance, prep, fitted)

    model = build_model(instance, prep, compact=compact, max_displaced=budget)
    lp_bound_value = -math.inf
    start: dict[Key, int] | None = None
    lp_seconds = 0.25 * control.left()
    if compact and lp_seconds > 0.3:  # large park: start SCIP from the rounded LP relaxation
        rounded = rounded_start(instance, prep, lp_seconds, pack_pool, budget, control)
        if rounded is not None:
            lp_bound_value = rounded[1]
            control.improved(bound={"shortfall_penalty": max(0, math.ceil(lp_bound_value - 1e-6))})
            start = within_budget_or_repaired(rounded[0])
            if start is not None:
                consider("lp-rounding", realize(instance, prep, start))
    hint = values_from_counts(model, counts_of_leases(prep, best.leases), [0.0] * len(model.all_vars))

    def improve(vals: list[float]) -> list[float]:
        counts, needs = counts_from_model(model, vals)
        counts = keep_residents(instance, prep, pack_pool(prep, counts, needs))
        moved = improve_by_moves(instance, prep, counts, time.monotonic() + MOVES_SECONDS)
        moved = keep_residents(instance, prep, moved)
        return values_from_counts(model, moved if within_budget(moved) else counts, vals)

    lp_moves_at: dict[int, float] = {}  # LP bounds on the moves at a penalty, computed once

    def lp_moves(penalty: int) -> float:
        if penalty not in lp_moves_at:
            seconds = max(0.2, 0.1 * control.left())
            lp_moves_at[penalty] = lp_moves_bound(instance, penalty, prep, budget, seconds, control)
        return lp_moves_at[penalty]

    def second(target: int, vals: list[float], until: float, proven: bool) -> tuple[list[float], int]:
        return second_level(model, prep, control, target, vals, fewest, until, proven, lp_moves)

    # SCIP proves the second level on small parks if left alone; on larger ones level 2 is a
    # weighted solve, then LNS (lns.second_level)
    larger = compact or full_model_columns(prep) > POLISH_MIN_COLUMNS
    cuts = budget is not None and len(instance.units) <= CUTS_MAX_UNITS
    first_scip = FIRST_SCIP if budget is None else FIRST_SCIP_CUTS if cuts else FIRST_SCIP_BUDGETED

    def first(vals: list[float], until: float, floor: int) -> tuple[list[float], float]:
        """Level 1 after SCIP: LNS on the penalty; under a moves budget, then SCIP again with the
        firm-alone cuts (for its bound, from the LNS plan)."""
        lp_floor = max(0, math.ceil(lp_bound_value - 1e-6)) if math.isfinite(lp_bound_value) else 0
        floor = max(floor, lp_floor)
        end = min(until, control.deadline)
        lns_end = time.monotonic() + LNS_BEFORE_CUTS * (end - time.monotonic()) if cuts else end
        vals = lower_penalty(model, prep, vals, lns_end, control, floor)[0]
        if not cuts or level_value(model, "shortfall_penalty", vals) <= floor or control.done():
            return vals, -math.inf
        add_firm_cuts(instance, prep, model, time.monotonic() + FIRM_CUTS_SHARE * (end - time.monotonic()),
                      done=control.done)
        return resolve_level(model, control, vals, end)

    values, results = solve_levels(model, control, hint=hint, improve=improve,
                                   second=second if larger else None,
                                   first_share=BUDGETED_FIRST_SHARE if budget is not None and larger else None,
                                   search_first=first if larger else None,
                                   first_scip=first_scip)

    if values is not None and results:
        counts, needs = counts_from_model(model, values)
        counts = pack_pool(prep, counts, needs)
        consider("mip", realize(instance, prep, counts))
        if compact and not control.stop_requested():  # one-unit moves SCIP missed
            moved = improve_by_moves(instance, prep, counts, time.monotonic() + MOVES_SECONDS)
            if moved != counts:
                consider("mip+moves", realize(instance, prep, moved))
    leases, obj = best.leases, best.objective
    assert obj is not None  # greedy's plan is always valid: there is always a candidate
    proven = {r.name: (r.proven, r.value) for r in results}
    status = "feasible"
    if (best.source == "mip" and not compact and len(results) == len(LEVELS)
            and not control.stop_requested()
            and all(proven[n][0] and proven[n][1] == value for n, value in zip(LEVELS, obj.key, strict=True))):
        status = "optimal"

    bound = _bounds(instance, prep, obj, results, lp_bound_value, fewest, budget, control, limit, t0,
                    lp_moves_at.get(obj.shortfall_penalty))
    control.improved(bound=bound)
    control.flush()
    levels = [{"level": r.name, "value": r.value, "proven": r.proven, "seconds": round(r.seconds, 3)}
              for r in results]
    solver = {"model": "compact" if compact else "full", "source": best.source, "levels": levels,
              "stopped": control.stop_requested()}
    return make_plan(instance, leases, status, bound, t0, solver, budget)


def _bounds(instance: Instance, prep: Prep, obj: Objective, results: list[LevelResult],
            lp_value: float, fewest: int, budget: int | None, control: Control, limit: float,
            t0: float, lp_moves: float | None = None) -> dict[str, int]:
    """Proven lower bounds on the plan's first two levels, rounded up (levels are integers),
    capped at the plan's values.

    Penalty: the better of SCIP's dual bound on level 1 and the LP relaxation (both under the
    budget, both valid because the aggregated model is exact for level 1). Moves, among plans
    with at most the plan's penalty: the fewest moves of any plan (exact), SCIP's bound on level
    2 (valid when the level-1 value it was held to is at least the plan's penalty), and the LP
    relaxation of level 2 held at the plan's penalty (``lp_moves`` if level 2 computed it
    already, else when there is time for it).
    """
    def up(x: float) -> int:
        return max(0, math.ceil(x - 1e-6 * max(1.0, abs(x)))) if math.isfinite(x) else 0

    penalty, moves = obj.shortfall_penalty, obj.displaced_workers
    pb = max(lp_value, results[0].bound if results else -math.inf)
    out = {"shortfall_penalty": min(up(pb), penalty)}
    db = float(fewest)
    if len(results) > 1 and results[1].name == "displaced_workers" and results[0].value >= penalty:
        db = max(db, results[1].bound)
    if lp_moves is not None:
        db = max(db, lp_moves)
    elif up(db) < moves and not (len(results) > 1 and results[1].proven):
        # only in time that explaining and writing the plan will not need
        seconds = t0 + limit - time.monotonic() - 0.5 - FINISH_SECONDS_PER_UNIT * len(instance.units)
        if seconds > 0.2 + 1e-4 * len(instance.units) and not control.stop_requested():
            db = max(db, lp_moves_bound(instance, penalty, prep, budget, seconds, control))
    out["displaced_workers"] = min(up(db), moves)
    return out

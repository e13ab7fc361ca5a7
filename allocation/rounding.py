"""A starting plan for large parks: round the LP relaxation down, then fill greedily.

On 5,000+ unit parks SCIP's own first solutions are far from the bound (15% on the 20,000-unit
benchmark after 30 s), while the LP relaxation (GLOP, about a second) is close to it: most of
its allocation is integral already. Flooring it keeps every constraint, and a greedy fill by
marginal penalty saved uses the units left over. The result is handed to SCIP as a complete
hint, so SCIP's improvement heuristics start near the bound instead of searching for it.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext

from ortools.linear_solver import pywraplp

from .control import Control
from .instance import Instance
from .model import Key, Prep, build_model, set_objective
from .plan import short_penalty


def lp_floor_counts(instance: Instance, prep: Prep, seconds: float,
                    pack: Callable[..., dict[Key, int]], max_displaced: int | None = None,
                    control: Control | None = None) -> tuple[dict[Key, int], float] | None:
    """Rounded-down LP solution as counts, and the LP's lower bound on the penalty (under the
    moves budget ``max_displaced``, if any)."""
    # eps x displaced as a tie-break makes the start keep residents, but makes the LP about 5x
    # slower (6 s instead of 1.2 s on the 20,000-unit park): only when there is time for it
    tiebreak = seconds >= 5e-4 * len(instance.units)
    model = build_model(instance, prep, compact=True, relax=True, backend="GLOP",
                        levels=2 if tiebreak else 1, max_displaced=max_displaced)
    slack = set_objective(model, "shortfall_penalty", "displaced_workers" if tiebreak else None)
    model.solver.SetTimeLimit(max(100, int(seconds * 1000)))
    with (control.watching(model.solver) if control else nullcontext()):
        status = model.solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return None
    counts: dict[Key, int] = {}
    for key, v in list(model.x.items()) + list(model.u.items()):
        n = math.floor(v.solution_value() + 1e-6)
        if n > 0:
            counts[key] = n
    own: dict[tuple[int, str, str], int] = defaultdict(int)
    for (ti, fid, s) in model.u:
        own[model.type_aggregate[ti], fid, s] += counts.get((ti, fid, s), 0)
    needs = {}
    for key, v in model.y.items():
        n = math.floor(v.solution_value() + 1e-6) - own.get(key, 0)
        if n > 0:
            needs[key] = n
    return pack(prep, counts, needs), model.solver.Objective().Value() - slack


def greedy_fill(instance: Instance, prep: Prep, counts: dict[Key, int]) -> dict[Key, int]:
    """Add units to ``counts`` while one saves penalty: always the (firm, gender) whose next
    unit saves the most, in a building it already uses if possible. Respects capacity,
    buildings, gender rules and budgets."""
    types = prep.types
    out = dict(counts)
    cap = [len(t.units) for t in types]
    granted: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    used: dict[str, set[str]] = defaultdict(set)
    for (ti, fid, s), n in out.items():
        cap[ti] -= n
        granted[fid, s] += n * types[ti].beds
        rent[fid] += n * types[ti].rent_fen
        used[fid].add(types[ti].building)
    by_agg: dict[int, list[int]] = defaultdict(list)
    for t in types:
        by_agg[t.aggregate].append(t.index)
    agg_cap: dict[int, int] = defaultdict(int)
    for t in types:
        agg_cap[t.aggregate] += cap[t.index]
    resident_aggs: dict[tuple[str, str], set[int]] = defaultdict(set)
    for g in prep.groups:
        resident_aggs[g.firm, g.gender].add(types[g.type_index].aggregate)
    aggs_of: dict[tuple[str, str], list[int]] = {
        fs: sorted({types[ti].aggregate for ti in opts}) for fs, opts in prep.options.items()
    }

    def best(fid: str, s: str) -> tuple[int, int] | None:
        """(gain, type) of the best next unit for (fid, s), or None."""
        f = instance.firm_by_id[fid]
        d = f.demand[s]
        short = max(0, d - granted[fid, s])
        if short == 0:
            return None
        left = math.inf if f.budget_fen is None else f.budget_fen - rent[fid]

        def gain(beds: int) -> int:
            return f.priority * (short_penalty(d, short) - short_penalty(d, max(0, short - beds)))

        if f.buildings is None:  # any building: choose the kind, then the building
            pick_a: tuple[int, int, int, int] | None = None
            for a in aggs_of.get((fid, s), []):
                beds, rent_fen, _ = prep.aggregates[a]
                if agg_cap[a] <= 0 or rent_fen > left:
                    continue
                cand = (gain(beds), -max(0, beds - short), a in resident_aggs[fid, s], a)
                if pick_a is None or cand > pick_a:
                    pick_a = cand
            if pick_a is None or pick_a[0] <= 0:
                return None
            cands = [i for i in by_agg[pick_a[3]] if cap[i] > 0]
            ti = max(cands, key=lambda i: (types[i].building in used[fid], cap[i], -i))
            return pick_a[0], ti
        pick: tuple[int, int, int, int] | None = None  # (gain, -waste, in_used, type)
        for ti in prep.options.get((fid, s), []):
            t = types[ti]
            if cap[ti] <= 0 or t.rent_fen > left:
                continue
            option = (gain(t.beds), -max(0, t.beds - short), int(t.building in used[fid]), ti)
            if pick is None or option > pick:
                pick = option
        return None if pick is None or pick[0] <= 0 else (pick[0], pick[3])

    heap: list[tuple[int, str, str]] = []
    for (fid, s) in prep.options:
        b = best(fid, s)
        if b:
            heap.append((-b[0], fid, s))
    heapq.heapify(heap)
    while heap:
        neg, fid, s = heapq.heappop(heap)
        b = best(fid, s)
        if b is None:
            continue
        if b[0] < -neg:  # stale: re-queue with its current gain
            heapq.heappush(heap, (-b[0], fid, s))
            continue
        ti = b[1]
        t = types[ti]
        out[ti, fid, s] = out.get((ti, fid, s), 0) + 1
        cap[ti] -= 1
        agg_cap[t.aggregate] -= 1
        granted[fid, s] += t.beds
        rent[fid] += t.rent_fen
        used[fid].add(t.building)
        nb = best(fid, s)
        if nb:
            heapq.heappush(heap, (-nb[0], fid, s))
    return out


def rounded_start(instance: Instance, prep: Prep, seconds: float,
                  pack: Callable[..., dict[Key, int]], max_displaced: int | None = None,
                  control: Control | None = None) -> tuple[dict[Key, int], float] | None:
    """(counts of a valid plan, LP lower bound on the penalty), or None if the LP ran out of
    time. Under a moves budget the plan may still displace more than the budget (rounding
    down can take a kept unit from its holder); the caller checks."""
    lp = lp_floor_counts(instance, prep, seconds, pack, max_displaced, control)
    return None if lp is None else (greedy_fill(instance, prep, lp[0]), lp[1])


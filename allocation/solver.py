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
from typing import Any

from .explain import explain
from .greedy import greedy_leases
from .instance import Instance
from .lns import polish
from .model import (
    FULL_MODEL_MAX_COLUMNS,
    Key,
    Model,
    Prep,
    build_model,
    full_model_columns,
    prepare,
    solve_levels,
    values_from_counts,
)
from .plan import (
    LEVELS,
    PLAN_FORMAT,
    firm_summaries,
    lease_problems,
    level_key,
    recompute_objective,
    sorted_leases,
)
from .moves import improve_by_moves
from .residents import keep_residents
from .rounding import rounded_start

DEFAULT_TIME_LIMIT_S = 60.0
POLISH_MIN_COLUMNS = 1_000
MOVES_SECONDS = 1.0  # cap on each one-unit-move local search


def _reserve(time_limit: float, units: int) -> float:
    """Seconds kept back from the MIP for realizing, explaining and writing the plan (about
    1.5 s for 20,000 units on the benchmark machine)."""
    return min(10.0, max(0.6 + 75e-6 * units, 0.06 * time_limit))


def counts_from_model(model: Model, values: list[float]) -> tuple[dict[Key, int], dict[tuple[int, str, str], int]]:
    """Integer unit counts per (building type, firm, gender), and per aggregate type for the
    aggregated firms (what the pool still has to supply them beyond their resident types)."""
    val = {v.index(): x for v, x in zip(model.all_vars, values)}
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
    used = defaultdict(int)
    for (ti, _, _), n in counts.items():
        used[ti] += n
    avail: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)  # agg -> building -> (type, free)
    for t in prep.types:
        free = len(t.units) - used[t.index]
        if free > 0:
            avail[t.aggregate][t.building] = (t.index, free)
    out = dict(counts)
    firm_buildings: dict[str, set[str]] = defaultdict(set)
    for (ti, fid, _), n in counts.items():
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


def realize(instance: Instance, prep: Prep, counts: dict[Key, int]) -> list[dict[str, Any]]:
    """Concrete leases from counts per (type, firm, gender).

    Within a type every unit is equivalent except for who lives there, so each holder first gets
    back its own occupied units (fullest first); others get empty units first, then the
    least-occupied ones. This never displaces more than the model counted.
    """
    by_type: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for (ti, fid, s), n in counts.items():
        if n > 0:
            by_type[ti].append((fid, s, n))
    leases: list[dict[str, Any]] = []
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
                leases.append({"unit": u, "firm": fid, "gender": s})
            if n - len(own):
                rest.append((fid, s, n - len(own)))
        others = sorted((u for u in units if u not in taken),
                        key=lambda u: (cur[u].occupied_beds if u in cur else -1, u))
        pos = 0
        for fid, s, n in rest:
            for u in others[pos:pos + n]:
                leases.append({"unit": u, "firm": fid, "gender": s})
            pos += n
        if pos > len(others):  # pragma: no cover - the model's capacity rows forbid it
            raise RuntimeError(f"type {ti} over-allocated")
    return leases


def make_plan(instance: Instance, leases: list[dict[str, Any]], status: str, bound: int,
              seconds: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    leases = sorted_leases(leases)
    plan: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "status": status,
        "leases": leases,
        "firms": firm_summaries(instance, leases),
        "objective": recompute_objective(instance, leases),
        "bound": {"shortfall_penalty": bound},
        "solve_seconds": round(seconds, 3),
    }
    plan["explanation"] = explain(instance, leases, plan)
    if extra:
        plan.update(extra)
    return plan


def solve(instance: Instance, time_limit_s: float | None = None, *, started: float | None = None,
          mode: str = "auto") -> dict[str, Any]:
    """Best plan found within ``time_limit_s`` (default: the instance's, else 60 s).

    ``started`` is a ``time.monotonic()`` stamp of when the caller's clock started (the CLI
    passes the moment before parsing, so the whole command fits in the limit). ``mode`` is
    ``"full"``, ``"compact"`` or ``"auto"`` (full model when it is small enough).
    """
    t0 = time.monotonic() if started is None else started
    limit = time_limit_s if time_limit_s is not None else (instance.time_limit_s or DEFAULT_TIME_LIMIT_S)
    deadline = t0 + limit - _reserve(limit, len(instance.units))

    greedy = greedy_leases(instance)
    greedy_obj = recompute_objective(instance, greedy)
    prep = prepare(instance)
    compact = mode == "compact" or (mode == "auto" and full_model_columns(prep) > FULL_MODEL_MAX_COLUMNS)

    model = build_model(instance, prep, compact=compact)
    hint: list[float] | None = None

    start: dict[Key, int] | None = None
    lp_bound_value = -math.inf
    lp_seconds = 0.25 * (deadline - time.monotonic())
    if compact and lp_seconds > 0.3:  # large park: start SCIP from the rounded LP relaxation
        rounded = rounded_start(instance, prep, lp_seconds, pack_pool)
        if rounded is not None:
            start = keep_residents(instance, prep, rounded[0])
            lp_bound_value = rounded[1]
            hint = values_from_counts(model, start, [0.0] * len(model.all_vars))

    def improve(vals: list[float]) -> list[float]:
        counts, needs = counts_from_model(model, vals)
        counts = pack_pool(prep, counts, needs)
        counts = improve_by_moves(instance, prep, counts, time.monotonic() + MOVES_SECONDS)
        counts = keep_residents(instance, prep, counts)
        return values_from_counts(model, counts, vals)

    def polish_level(name: str, vals: list[float], until: float) -> list[float]:
        vals, _ = polish(model, prep, name, vals, until)
        return vals

    # SCIP proves the second level on small parks if left alone; LNS only pays on larger ones
    use_polish = compact or full_model_columns(prep) > POLISH_MIN_COLUMNS
    values, results = solve_levels(model, deadline, hint=hint, improve=improve,
                                   tiebreak_first=False,
                                   polish=polish_level if use_polish else None,
                                   weighted_second=use_polish)

    best_bound = max(lp_bound_value, results[0].bound if results else -math.inf)
    # the penalty is an integer: round the bound up, after allowing for solver tolerances
    tol = 1e-6 * max(1.0, abs(best_bound)) if math.isfinite(best_bound) else 0.0
    bound = max(0, math.ceil(best_bound - tol)) if math.isfinite(best_bound) else 0
    # candidates: greedy (valid by construction), the rounded start, the MIP's plan
    leases, source, status = greedy, "greedy", "feasible"
    best_key = level_key(greedy_obj)
    candidates: list[tuple[str, list[dict[str, Any]]]] = []
    if start is not None:
        candidates.append(("lp-rounding", realize(instance, prep, start)))
    if values is not None and results:
        counts, needs = counts_from_model(model, values)
        counts = pack_pool(prep, counts, needs)
        candidates.append(("mip", realize(instance, prep, counts)))
        if compact:  # one-unit moves SCIP missed (the explanation would report them)
            moved = improve_by_moves(instance, prep, counts, time.monotonic() + MOVES_SECONDS)
            if moved != counts:
                candidates.append(("mip+moves", realize(instance, prep, moved)))
    for name, cand in candidates:
        if lease_problems(instance, cand):
            continue
        cand_obj = recompute_objective(instance, cand)
        if level_key(cand_obj) <= best_key:
            leases, source, best_key = cand, name, level_key(cand_obj)
            proven = {r.name: (r.proven, r.value) for r in results}
            status = "feasible"
            if (name == "mip" and not compact and len(results) == len(LEVELS)
                    and all(proven[n][0] and proven[n][1] == cand_obj[n] for n in LEVELS)):
                status = "optimal"
    obj = recompute_objective(instance, leases)
    bound = min(bound, obj["shortfall_penalty"])
    levels = [{"level": r.name, "value": r.value, "proven": r.proven, "seconds": round(r.seconds, 3)}
              for r in results]
    return make_plan(instance, leases, status, bound, time.monotonic() - t0,
                     {"solver": {"model": "compact" if compact else "full", "source": source,
                                 "levels": levels}})

"""Large-neighbourhood search for the lower levels (displaced workers first).

With the first level fixed at its value, SCIP alone hardly improves the second level on large
parks: every move that keeps a resident must be compensated elsewhere without raising the
shortfall penalty by a single point. Small moves are easy though: free the variables of a
handful of firms (one with displaced residents, the firms holding units of the same kind,
a few more), fix everyone else at the incumbent, and let SCIP solve that small MIP in a
fraction of a second. Repeat while time remains; keep what improves. Every candidate is a
solution of the full model with all earlier levels still constrained, so validity and the
lexicographic order are untouched.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from typing import Any, Callable

from ortools.linear_solver import pywraplp

from .control import Control
from .model import (
    Model,
    Prep,
    expr_value,
    hold_level,
    level_value,
    set_level_objective,
    set_moves_budget,
    weighted_objective,
)

FirmGender = tuple[str, str]


def _owned_vars(model: Model, prep: Prep) -> dict[FirmGender, list[Any]]:
    owned: dict[FirmGender, list[Any]] = defaultdict(list)
    for (_, fid, s), v in model.x.items():
        owned[fid, s].append(v)
    for (_, fid, s), v in model.y.items():
        owned[fid, s].append(v)
    for (_, fid, s), v in model.u.items():
        owned[fid, s].append(v)
    for g, k in zip(prep.groups, model.keep):
        owned[g.firm, g.gender].append(k)
    return owned


def polish(model: Model, prep: Prep, name: str, values: list[float], deadline: float,
           control: Control | None = None, seed: int = 0, sub_seconds: float = 0.7,
           size: int = 10) -> tuple[list[float], int]:
    """Improve level ``name`` from ``values`` until ``deadline`` (or a stop request);
    returns (values, iterations)."""
    if name != "displaced_workers" or not model.keep:
        return values, 0
    solver = model.solver
    rng = random.Random(seed)
    owned = _owned_vars(model, prep)
    bounds = {v.index(): (v.lb(), v.ub()) for vs in owned.values() for v in vs}
    kind_of: dict[FirmGender, set[int]] = defaultdict(set)  # unit kinds each pair may use
    for (ti, fid, s) in model.x:
        kind_of[fid, s].add(model.type_aggregate[ti])
    for (a, fid, s) in model.y:
        kind_of[fid, s].add(a)
    users: dict[int, list[FirmGender]] = defaultdict(list)
    for fs, kinds in kind_of.items():
        for a in kinds:
            users[a].append(fs)
    terms, const = model.levels[name]
    set_level_objective(model, name)
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    solver.SetSolverSpecificParametersAsString("")

    def fix(fs: FirmGender, vals: list[float]) -> None:
        for v in owned[fs]:
            x = round(vals[v.index()])
            v.SetBounds(x, x)

    best = list(values)
    best_val = expr_value(terms, const, {i: x for i, x in enumerate(best)})
    for fs in owned:
        fix(fs, best)
    iterations = 0
    try:
        while time.monotonic() < deadline - 0.05 and not (control and control.done()):
            # a resident group that is (partly) displaced, weighted by workers displaced
            cands = [(g, k) for g, k in zip(prep.groups, model.keep)
                     if round(best[k.index()]) < len(g.units) and g.occupied > 0]
            if not cands:
                break
            g, _ = rng.choices(cands, [c[0].occupied * (len(c[0].units) - round(best[c[1].index()]))
                                       for c in cands])[0]
            kind = model.type_aggregate[g.type_index]
            pool = [fs for fs in users[kind] if fs != (g.firm, g.gender)]
            hood = {(g.firm, g.gender), *rng.sample(pool, min(size, len(pool)))}
            everyone = len(hood) >= len(owned)
            for fs in hood:
                for v in owned[fs]:
                    v.SetBounds(*bounds[v.index()])
            solver.SetHint(model.all_vars, best)
            solver.SetTimeLimit(max(50, int(min(sub_seconds, deadline - time.monotonic()) * 1000)))
            if control is None:
                status = solver.Solve(params)
            else:
                with control.watching(solver):
                    status = solver.Solve(params)
            iterations += 1
            if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                vals = [v.solution_value() for v in model.all_vars]
                val = expr_value(terms, const, {i: x for i, x in enumerate(vals)})
                if val < best_val - 0.5:
                    best, best_val = vals, val
                    if control is not None:
                        control.improved({n: level_value(model, n, best) for n in ("shortfall_penalty", name)})
            for fs in hood:
                fix(fs, best)
            if everyone and status == pywraplp.Solver.OPTIMAL:
                break  # nothing was fixed: that solve was exact
    finally:
        for i, (lb, ub) in bounds.items():
            model.all_vars[i].SetBounds(lb, ub)
    return best, iterations


def second_level(model: Model, prep: Prep, control: Control, target: int, values: list[float],
                 floor: int, until: float,
                 start_for: Callable[[int], list[float] | None] | None = None,
                 first_proven: bool = False) -> tuple[list[float], int]:
    """Fewest moves at penalty <= ``target`` on larger parks, in three phases sharing the time
    until ``until``: a weighted SCIP solve from the level-1 plan (a quarter), LNS over firms
    (:func:`polish`), then, with what is left if it is enough for a first-level solve,
    :func:`budget_descent`, which also proves floors. Returns (values, proven floor).
    ``first_proven``: ``target`` is the proven optimum of level 1, so a weighted solve that
    SCIP proves optimal proves level 2 too."""
    t = time.monotonic()
    span = max(0.0, min(until, control.deadline) - t)
    descend = span >= BUDGET_DESCENT_MIN_SECONDS
    best, exact = weighted_descent(model, control, target, values, t + 0.25 * span)
    if exact and first_proven:
        return best, level_value(model, "displaced_workers", best)
    held = hold_level(model, "shortfall_penalty", target)
    best, _ = polish(model, prep, "displaced_workers", best, t + (0.5 if descend else 1.0) * span, control)
    held.SetUb(model.solver.infinity())
    if descend:
        best, floor = budget_descent(model, control, target, best, floor, until, start_for)
    return best, floor


# Below this (level 2's whole time) a first-level solve under a budget rarely succeeds on a
# 1,000-unit park (measured: 3 s solves never reached the target); LNS uses the time better.
BUDGET_DESCENT_MIN_SECONDS = 40.0


def weighted_descent(model: Model, control: Control, target: int, values: list[float],
                     until: float) -> tuple[list[float], bool]:
    """SCIP on K x penalty + moves from ``values`` (integer coefficients; any better solution
    keeps penalty <= target): quick local improvements. Returns the better of the two, and
    whether SCIP proved its solution optimal."""
    solver = model.solver
    left = min(until, control.deadline) - time.monotonic()
    if left < 0.3 or control.done():
        return values, False
    weighted_objective(model)
    solver.SetHint(model.all_vars, values)
    solver.SetTimeLimit(max(100, int(left * 1000)))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    with control.watching(solver):
        status = solver.Solve(params)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return values, False
    vals = [v.solution_value() for v in model.all_vars]
    exact = status == pywraplp.Solver.OPTIMAL

    def key(v: list[float]) -> tuple[int, int]:
        return level_value(model, "shortfall_penalty", v), level_value(model, "displaced_workers", v)

    if key(vals) < key(values) and key(vals)[0] <= target:
        control.improved({"shortfall_penalty": key(vals)[0], "displaced_workers": key(vals)[1]})
        return vals, exact
    return values, exact and key(vals) == key(values)


def budget_descent(model: Model, control: Control, target: int, values: list[float], floor: int,
                   until: float, start_for: Callable[[int], list[float] | None] | None = None,
                   ) -> tuple[list[float], int]:
    """Fewest moves at penalty <= ``target``, by solving the *first* level under moves budgets.

    SCIP is good at the first level and poor inside the thin set "penalty <= target". So ask
    the first-level question under a budget B instead: min penalty s.t. displaced <= B.
    If it reaches ``target``, a plan with at most B moves exists (and we have it); if its dual
    bound exceeds ``target``, *no* plan with at most B moves reaches the target — a proof that
    the fewest moves at that penalty are at least B + 1. B steps down a quarter of the way from
    the best plan's moves to the proven floor at a time, each solve started from the best
    known plan within its budget (or ``start_for(B)``: the LP relaxation under the budget,
    rounded — far better than SCIP's own first plans). Needs the level-1 constraint *not*
    held. Returns (best values at penalty <= target, proven floor on their moves); leaves the
    budget row at the caller's budget.
    """
    solver = model.solver
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)

    def moves(vals: list[float]) -> int:
        return level_value(model, "displaced_workers", vals)

    def penalty(vals: list[float]) -> int:
        return level_value(model, "shortfall_penalty", vals)

    best, lo = values, floor
    found = [values]  # plans within some budget, to start the next solve from
    failed = -1  # largest budget tried without an answer either way
    set_level_objective(model, "shortfall_penalty")
    try:
        while True:
            hi = moves(best)
            left = min(until, control.deadline) - time.monotonic()
            low = max(lo, failed + 1)
            if low >= hi or left < 0.3 or control.done():
                break
            budget = max(low, hi - 1 - (hi - low) // 4)  # a quarter of the way down at a time
            set_moves_budget(model, budget)
            start = start_for(budget) if start_for is not None else None
            if start is not None:
                found.append(start)
                if penalty(start) <= target:  # the rounded LP reached the target itself
                    best = start
                    control.improved({"shortfall_penalty": penalty(start), "displaced_workers": moves(start)})
                    continue
            fits = [v for v in found if moves(v) <= budget]
            if fits:
                solver.SetHint(model.all_vars, min(fits, key=lambda v: (penalty(v), moves(v))))
            solver.SetTimeLimit(max(100, int(min(left, max(3.0, left / 2)) * 1000)))
            with control.watching(solver):
                status = solver.Solve(params)
            bound = solver.Objective().BestBound()
            if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                vals = [v.solution_value() for v in model.all_vars]
                found.append(vals)
                if penalty(vals) <= target and moves(vals) < hi:
                    best = vals
                    control.improved({"shortfall_penalty": penalty(vals), "displaced_workers": moves(vals)})
                    continue
            # a proof only from a solve that ended normally (SCIP's "infinity" is 1e20, finite)
            proved = status == pywraplp.Solver.INFEASIBLE or (
                status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
                and abs(bound) < 1e19 and bound > target + 1e-6 * max(1, target))
            if proved:
                lo = budget + 1  # no plan with <= budget moves reaches the target
                control.improved(bound={"displaced_workers": lo})
            else:
                failed = budget
    finally:
        set_moves_budget(model, None)
    return best, lo

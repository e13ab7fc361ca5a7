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
from collections.abc import Callable
from typing import Any

from ortools.linear_solver import pywraplp

from .control import Control
from .model import (
    Group,
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
    for g, k in zip(prep.groups, model.keep, strict=True):
        owned[g.firm, g.gender].append(k)
    return owned


# Iterations without a gain after which the LNS neighbourhood grows by its base size again
# (up to 4x): small neighbourhoods find the easy gains fast, then stop finding any.
STALL_STEP = 12


def _neighbourhood(model: Model, group: Group, kind: int, users: list[FirmGender], values: list[float],
                   rng: random.Random, size: int) -> set[FirmGender]:
    """The firms to free for one LNS step around a displaced resident ``group``: its holder,
    the firms that now lease units of its type (one of them must give a unit back), and
    random other users of the same unit kind up to ``size``."""
    holder = (group.firm, group.gender)
    occupants = [(fid, s) for (ti, fid, s), v in model.x.items()
                 if ti == group.type_index and values[v.index()] > 0.5 and (fid, s) != holder]
    occupants += [(fid, s) for (ti, fid, s), v in model.u.items()
                  if ti == group.type_index and values[v.index()] > 0.5 and (fid, s) != holder]
    occupants += [(fid, s) for (a, fid, s), v in model.y.items()
                  if a == kind and values[v.index()] > 0.5 and (fid, s) != holder]
    hood = {holder, *rng.sample(occupants, min(size // 2, len(occupants)))}
    rest = [fs for fs in users if fs not in hood]
    hood.update(rng.sample(rest, min(max(0, size + 1 - len(hood)), len(rest))))
    return hood


def polish(model: Model, prep: Prep, name: str, values: list[float], deadline: float,
           control: Control | None = None, seed: int = 0, sub_seconds: float = 0.5,
           size: int = 6, patience: int | None = None) -> tuple[list[float], int]:
    """Improve level ``name`` from ``values`` until ``deadline`` (or a stop request);
    returns (values, iterations); with ``patience``, also once that many steps in a row
    found nothing.

    Small, quick steps win: each sub-MIP costs ~0.15 s of overhead whatever its size, and
    most gains need only the holder and one or two firms leasing its type. Measured on L
    (5,000 units, ~34 s of level 2): 6 firms / 0.5 s gave 151 steps and 4,135 moves; 4 / 0.4 s
    192 steps, 4,511; 10 / 0.7 s 4,756; 20 / 1.0 s 31 steps, 5,029."""
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
    iterations = stall = 0
    try:
        while (time.monotonic() < deadline - 0.05 and not (control and control.done())
               and (patience is None or stall < patience)):
            # a resident group that is (partly) displaced, weighted by workers displaced
            cands = [(g, k) for g, k in zip(prep.groups, model.keep, strict=True)
                     if round(best[k.index()]) < len(g.units) and g.occupied > 0]
            if not cands:
                break
            g, _ = rng.choices(cands, [c[0].occupied * (len(c[0].units) - round(best[c[1].index()]))
                                       for c in cands])[0]
            kind = model.type_aggregate[g.type_index]
            grow = 1 + min(3, stall // STALL_STEP)  # stuck: larger neighbourhoods, longer solves
            hood = _neighbourhood(model, g, kind, users[kind], best, rng, size * grow)
            everyone = len(hood) >= len(owned)
            for fs in hood:
                for v in owned[fs]:
                    v.SetBounds(*bounds[v.index()])
            solver.SetHint(model.all_vars, best)
            solver.SetTimeLimit(max(50, int(min(sub_seconds * grow, deadline - time.monotonic()) * 1000)))
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
                    best, best_val, stall = vals, val, 0
                    if control is not None:
                        control.improved({n: level_value(model, n, best) for n in ("shortfall_penalty", name)})
            stall += 1
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
                 start_for: Callable[[int, list[float] | None], list[float] | None] | None = None,
                 first_proven: bool = False,
                 lp_moves: Callable[[int], float] | None = None,
                 first_seconds: float = 0.0) -> tuple[list[float], int]:
    """Fewest moves at penalty <= ``target`` on larger parks. Returns (values, proven floor).

    Phases, sharing the time until ``until``:

    1. a weighted SCIP solve from the level-1 plan (:func:`weighted_descent`, a twentieth), then
       LNS over firms (:func:`polish`) until it stalls (``LNS_PATIENCE`` steps without a gain):
       the quick gains (M-0.8: 1,156 moves to 289 in 3 s);
    2. if the LNS plan misses ``target_budget`` = floor(1.5 x the LP bound on the moves at
       ``target``) (``lp_moves``; the benchmark's target) and enough time is left for a
       first-level solve (``PROBE_TIME_FACTOR`` x ``first_seconds``, what level 1 took):
       :func:`budget_descent` (80% of what is left) starting at that budget. A plan within it
       meets the target; a dual bound above ``target`` under it proves the target out of
       reach (floor = budget + 1);
    3. LNS again from the best plan, with the rest.

    The LP bound itself is a proven floor too (rounded up). ``first_proven``: ``target`` is the
    proven optimum of level 1, so a weighted solve that SCIP proves optimal proves level 2 too.
    """
    t = time.monotonic()
    span = max(0.0, min(until, control.deadline) - t)
    best, exact = weighted_descent(model, control, target, values, t + span / 20)
    if exact and first_proven:
        return best, level_value(model, "displaced_workers", best)
    first: int | None = None
    if lp_moves is not None and not control.done():
        lp = lp_moves(target)
        if math.isfinite(lp):
            floor = max(floor, math.ceil(lp - 1e-6 * max(1.0, abs(lp))))
            first = target_budget(lp)
            control.improved(bound={"displaced_workers": floor})
    best = _polish_held(model, prep, control, target, best, until, patience=LNS_PATIENCE)
    left = max(0.0, min(until, control.deadline) - time.monotonic())
    if (first is not None and first < level_value(model, "displaced_workers", best)
            and left >= max(PROBE_MIN_SECONDS, PROBE_TIME_FACTOR * first_seconds)):
        best, floor = budget_descent(model, control, target, best, floor, time.monotonic() + 0.8 * left,
                                     start_for, first=first)
    return _polish_held(model, prep, control, target, best, until, seed=1), floor


def _polish_held(model: Model, prep: Prep, control: Control, target: int, values: list[float],
                 until: float, patience: int | None = None, seed: int = 0) -> list[float]:
    """:func:`polish` on the moves with the penalty held at ``target`` (let go afterwards, as
    :func:`budget_descent` needs it free)."""
    held = hold_level(model, "shortfall_penalty", target)
    try:
        return polish(model, prep, "displaced_workers", values, until, control, seed=seed, patience=patience)[0]
    finally:
        held.SetUb(model.solver.infinity())


# The level-2 target: moves within this factor of the LP bound at the plan's penalty.
TARGET_LP_FACTOR = 1.5


def target_budget(lp_moves: float) -> int:
    """The largest whole number of moves within ``TARGET_LP_FACTOR`` x the LP bound ``lp_moves``:
    the budget whose level-1 solve settles the target either way."""
    return math.floor(TARGET_LP_FACTOR * lp_moves + 1e-9)


# LNS steps in a row without a gain after which level 2 tries the target budget instead (by
# then the largest neighbourhoods have been tried a dozen times).
LNS_PATIENCE = 4 * STALL_STEP
# A first-level solve under a budget takes about as long as level 1 itself (16 s on M, ~40 s
# on L): with less time left than this many times what level 1 took (and at least
# PROBE_MIN_SECONDS) it rarely settles anything. Measured: 9 s probes at 1.5x the LP bound on
# M-0.8 and M-1.1 (level 1: 8 and 16 s) settled nothing while LNS went on improving; on XL a
# probe at 15,779 moves spent 40 s without a plan or a proof (SCIP's bound under that budget
# was 9,895 after 60 s alone, below even the unbudgeted optimum). M-0.8 proves level 1 in
# 4-8 s and its LNS stalls near the target (230-236 moves vs 233): there the probe gets a turn.
PROBE_TIME_FACTOR = 1.5
PROBE_MIN_SECONDS = 3.0


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
                   until: float, start_for: Callable[[int, list[float] | None], list[float] | None] | None = None,
                   first: int | None = None) -> tuple[list[float], int]:
    """Fewest moves at penalty <= ``target``, by solving the *first* level under moves budgets.

    SCIP is good at the first level and poor inside the thin set "penalty <= target". So ask
    the first-level question under a budget B instead: min penalty s.t. displaced <= B.
    If it reaches ``target``, a plan with at most B moves exists (and we have it); if its dual
    bound exceeds ``target``, *no* plan with at most B moves reaches the target — a proof that
    the fewest moves at that penalty are at least B + 1. B steps down a quarter of the way from
    the best plan's moves to the proven floor at a time — the first step is ``first``
    instead if that is larger and below the best plan's moves (e.g. :func:`target_budget`,
    the budget whose answer settles the target; the first step gets all the time) —
    each solve started from the best known plan within its budget (or ``start_for(B)``: the
    LP relaxation under the budget, rounded — far better than SCIP's own first plans). Needs
    the level-1 constraint *not* held. Returns (best values at penalty <= target, proven
    floor on their moves); leaves the budget row at the caller's budget.
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
    first_budget = -1
    set_level_objective(model, "shortfall_penalty")
    try:
        while True:
            hi = moves(best)
            left = min(until, control.deadline) - time.monotonic()
            low = max(lo, failed + 1)
            if low >= hi or left < 0.3 or control.done():
                break
            budget = max(low, hi - 1 - (hi - low) // 4)  # a quarter of the way down at a time
            if first is not None and budget < first < hi:  # a larger first budget: try it first
                budget, first_budget = first, first
            first = None
            set_moves_budget(model, budget)
            start = start_for(budget, best) if start_for is not None else None
            if start is not None:
                found.append(start)
                if penalty(start) <= target:  # the rounded LP reached the target itself
                    best = start
                    control.improved({"shortfall_penalty": penalty(start), "displaced_workers": moves(start)})
                    continue
            fits = [v for v in found if moves(v) <= budget]
            if fits:
                solver.SetHint(model.all_vars, min(fits, key=lambda v: (penalty(v), moves(v))))
            # the first budget gets all the time: its answer either way settles the target
            probing = budget == first_budget
            solver.SetTimeLimit(max(100, int((left if probing else min(left, max(3.0, left / 2))) * 1000)))
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
            # a proof only from a solve that SCIP finished: its optimum under the budget is above
            # the target, or nothing fits the budget. Bounds of time-limited solves are not
            # trusted: the benchmark of 726f4b1 reported a floor of 21,605 moves at XL's penalty
            # 10,249 from one, and a later plan has penalty 10,210 with 19,682 moves.
            proved = status == pywraplp.Solver.INFEASIBLE or (
                status == pywraplp.Solver.OPTIMAL and bound > target + 1e-6 * max(1, target))
            if proved:
                lo = budget + 1  # no plan with <= budget moves reaches the target
                control.improved(bound={"displaced_workers": lo})
            else:
                failed = budget
    finally:
        set_moves_budget(model, None)
    return best, lo

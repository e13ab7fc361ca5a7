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
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import pywraplp

from .control import Control
from .model import (
    Group,
    Model,
    Prep,
    Term,
    hold_level,
    level_value,
    set_level_objective,
    set_moves_budget,
    tighten,
    weighted_objective,
)
from .submip import Restrictor, snapshot

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


@dataclass(slots=True)
class _Holders:
    """Who can hold units of each building type and kind, by variable: read per step to find
    the firms that now lease a displaced group's type (built once, not scanned per step)."""

    of_type: dict[int, list[tuple[FirmGender, int]]]
    of_kind: dict[int, list[tuple[FirmGender, int]]]  # aggregated firms' kind counters
    in_kind: dict[int, list[tuple[FirmGender, int]]]  # every counter of units of a kind
    users: dict[int, list[FirmGender]]  # per unit kind, the pairs that may lease it


def _holders(model: Model) -> _Holders:
    of_type: dict[int, list[tuple[FirmGender, int]]] = defaultdict(list)
    of_kind: dict[int, list[tuple[FirmGender, int]]] = defaultdict(list)
    in_kind: dict[int, list[tuple[FirmGender, int]]] = defaultdict(list)
    kinds: dict[FirmGender, set[int]] = defaultdict(set)
    for (ti, fid, s), v in [*model.x.items(), *model.u.items()]:
        of_type[ti].append(((fid, s), v.index()))
        in_kind[model.type_aggregate[ti]].append(((fid, s), v.index()))
        kinds[fid, s].add(model.type_aggregate[ti])
    for (a, fid, s), v in model.y.items():
        of_kind[a].append(((fid, s), v.index()))
        in_kind[a].append(((fid, s), v.index()))
        kinds[fid, s].add(a)
    users: dict[int, list[FirmGender]] = defaultdict(list)
    for fs, ks in kinds.items():
        for a in ks:
            users[a].append(fs)
    return _Holders(of_type, of_kind, in_kind, users)


def _neighbourhood(model: Model, holders: _Holders, group: Group, values: list[float],
                   rng: random.Random, size: int) -> set[FirmGender]:
    """The firms to free for one LNS step around a displaced resident ``group``: its holder,
    the firms that now lease units of its type (one of them must give a unit back), and
    random other users of the same unit kind up to ``size``."""
    holder = (group.firm, group.gender)
    kind = model.type_aggregate[group.type_index]
    occupants = [fs for fs, i in holders.of_type[group.type_index] if values[i] > 0.5 and fs != holder]
    occupants += [fs for fs, i in holders.of_kind[kind] if values[i] > 0.5 and fs != holder]
    hood = {holder, *rng.sample(occupants, min(size // 2, len(occupants)))}
    rest = [fs for fs in holders.users[kind] if fs not in hood]
    hood.update(rng.sample(rest, min(max(0, size + 1 - len(hood)), len(rest))))
    return hood


# Seconds a sub-MIP may take (times the neighbourhood's growth factor). Most steps are solved
# to optimality in a few milliseconds; the cap only stops the odd hard one.
SUB_SECONDS = 0.5


class _Search:
    """The incumbent of an LNS on one level and what its steps need: each firm's variables,
    who holds which units, the pool variables per unit kind, and the sub-MIP builder."""

    def __init__(self, model: Model, prep: Prep, level: tuple[list[Term], float], values: list[float]) -> None:
        self.model, self.prep = model, prep
        self.owned = {fs: [v.index() for v in vs] for fs, vs in _owned_vars(model, prep).items()}
        n = len(model.all_vars)
        is_owned, is_shared = [False] * n, [False] * n
        for idx in self.owned.values():
            for i in idx:
                is_owned[i] = True
        self.pool_of_kind: dict[int, list[int]] = defaultdict(list)
        for ti, zv in model.z.items():
            is_shared[zv.index()] = True
            self.pool_of_kind[model.type_aggregate[ti]].append(zv.index())
        self.kind_of_var: dict[int, int] = {v.index(): model.type_aggregate[ti]
                                            for (ti, _, _), v in [*model.x.items(), *model.u.items()]}
        self.kind_of_var.update({v.index(): a for (a, _, _), v in model.y.items()})
        self.holders = _holders(model)
        terms, self.const = level
        self.objective: dict[int, float] = defaultdict(float)
        for v, c in terms:
            self.objective[v.index()] += c
        self.best = tighten(model, values)
        self.best_val = self.value(self.best)
        self.sub = Restrictor(snapshot(model.solver), self.best, is_owned, is_shared)

    def value(self, values: list[float]) -> float:
        return self.const + sum(c * values[i] for i, c in self.objective.items())

    def step(self, hood: set[FirmGender], kinds: set[int], seconds: float,
             control: Control | None) -> tuple[int, bool]:
        """Free the pairs ``hood`` and the pool of ``kinds`` plus every kind they lease now;
        solve that sub-MIP; keep its solution if it improves. Returns (SCIP status, improved)."""
        kinds = set(kinds)
        for fs in hood:
            kinds.update(self.kind_of_var[i] for i in self.owned.get(fs, ())
                         if i in self.kind_of_var and self.best[i] > 0.5)
        free = self.sub.free_columns((i for fs in hood for i in self.owned.get(fs, ())),
                                     {i for a in kinds for i in self.pool_of_kind.get(a, ())})
        status, vals = self.sub.solve(free, self.objective, seconds, control)
        if vals is None or self.value(vals) >= self.best_val - 0.5:
            return status, False
        # exact values: SCIP may leave a shortfall slack 1e-6 under what the counts give, which
        # would count a penalty point less than the leases have
        vals = tighten(self.model, vals, free)
        if self.value(vals) >= self.best_val - 0.5:
            return status, False
        self.best, self.best_val = vals, self.value(vals)
        self.sub.accept(vals)
        return status, True


def _displaced_groups(prep: Prep, keep_idx: list[int], values: list[float]) -> tuple[list[Group], list[int]]:
    """Resident groups (partly) displaced at ``values``, each weighted by workers displaced."""
    groups, weights = [], []
    for g, k in zip(prep.groups, keep_idx, strict=True):
        lost = len(g.units) - round(values[k])
        if lost > 0 and g.occupied > 0:
            groups.append(g)
            weights.append(g.occupied * lost)
    return groups, weights


def polish(model: Model, prep: Prep, name: str, values: list[float], deadline: float,
           control: Control | None = None, seed: int = 0, sub_seconds: float = SUB_SECONDS,
           size: int = 6, patience: int | None = None) -> tuple[list[float], int]:
    """Improve level ``name`` from ``values`` until ``deadline`` (or a stop request);
    returns (values, iterations); with ``patience``, also once that many steps in a row
    found nothing.

    Each step frees the firms of one neighbourhood around a displaced resident group and
    solves the sub-MIP of only their variables (:mod:`allocation.submip`; the rows as they
    stand, level holds and moves budget included), every other firm fixed at the incumbent.
    Small steps win: most gains need only the holder and one or two firms leasing its type
    (on L with whole-model steps, 6 firms gave 4,135 moves, 20 firms 5,029 in the same
    time)."""
    if name != "displaced_workers" or not model.keep:
        return values, 0
    rng = random.Random(seed)
    search = _Search(model, prep, model.levels[name], values)
    keep_idx = [k.index() for k in model.keep]
    groups, weights = _displaced_groups(prep, keep_idx, search.best)
    iterations = stall = 0
    while (groups and time.monotonic() < deadline - 0.02 and not (control and control.done())
           and (patience is None or stall < patience)):
        g = rng.choices(groups, weights)[0]
        grow = 1 + min(3, stall // STALL_STEP)  # stuck: larger neighbourhoods, longer solves
        hood = _neighbourhood(model, search.holders, g, search.best, rng, size * grow)
        status, better = search.step(hood, {model.type_aggregate[g.type_index]},
                                     min(sub_seconds * grow, deadline - time.monotonic()), control)
        iterations += 1
        stall += 1
        if better:
            stall = 1
            groups, weights = _displaced_groups(prep, keep_idx, search.best)
            if control is not None:
                control.improved({n: level_value(model, n, search.best) for n in ("shortfall_penalty", name)})
        if len(hood) >= len(search.owned) and status == pywraplp.Solver.OPTIMAL:
            break  # nothing was fixed: that solve was exact
    return search.best, iterations


def _lexicographic(model: Model) -> tuple[list[Term], float]:
    """K x penalty + moves, K above any number of moves: one objective whose every decrease
    is a lexicographic improvement of (penalty, moves)."""
    terms, const = model.levels["shortfall_penalty"]
    if "displaced_workers" not in model.levels:
        return terms, const
    k = model.upper["displaced_workers"] + 1.0
    moves, moves_const = model.levels["displaced_workers"]
    return [(v, k * c) for v, c in terms] + list(moves), k * const + moves_const


def _short_pairs(model: Model, cost: dict[int, float], values: list[float]) -> tuple[list[FirmGender], list[float]]:
    """(firm, gender) pairs left short at ``values``, each weighted by what its dearest short
    bed costs (priority x band weight): where one more unit saves most."""
    pairs, weights = [], []
    for fs, slacks in model.slacks.items():
        dearest = max((cost[sv.index()] for sv in slacks if values[sv.index()] > 0.5), default=0.0)
        if dearest > 0:
            pairs.append(fs)
            weights.append(dearest)
    return pairs, weights


def _short_neighbourhood(
    search: _Search, fs: FirmGender, rng: random.Random, size: int
) -> tuple[set[FirmGender], set[int]]:
    """The firms to free around a short pair ``fs``, and the unit kinds in play: the pair, firms
    now leasing units of kinds it may use (one of them must give a unit up), the holder of a
    displaced group of those kinds (under a moves budget, taking residents back is what makes
    room for moving others), and random other users of those kinds up to ``size``."""
    values = search.best
    kinds = {search.kind_of_var[i] for i in search.owned.get(fs, ()) if i in search.kind_of_var}
    occupants = sorted({o for a in kinds for o, i in search.holders.in_kind[a] if values[i] > 0.5 and o != fs})
    hood = {fs, *rng.sample(occupants, min(size // 2, len(occupants)))}
    displaced = sorted({(g.firm, g.gender) for g, k in zip(search.prep.groups, search.model.keep, strict=True)
                        if search.model.type_aggregate[g.type_index] in kinds and g.occupied > 0
                        and round(values[k.index()]) < len(g.units)} - hood)
    hood.update(rng.sample(displaced, min(2, len(displaced))))
    users = sorted({o for a in kinds for o in search.holders.users[a]} - hood)
    hood.update(rng.sample(users, min(max(0, size + 1 - len(hood)), len(users))))
    return hood, kinds


# Steps in a row without a gain after which the penalty LNS gives its time to level 2.
PENALTY_PATIENCE = 15 * STALL_STEP


def lower_penalty(model: Model, prep: Prep, values: list[float], deadline: float, control: Control | None = None,
                  floor: int = 0, seed: int = 0, sub_seconds: float = SUB_SECONDS, size: int = 6,
                  patience: int = PENALTY_PATIENCE) -> tuple[list[float], int]:
    """LNS on the first level: free a short firm and the firms around it (:func:`_short_neighbourhood`),
    solve their sub-MIP on K x penalty + moves, keep lexicographic improvements, until
    ``deadline``. Under a moves budget SCIP stalls on the whole model (M-1.0 at 25%: 123 at 18 s
    and at 30 s, bound 115) while small exchanges between a few firms still find gains; the
    budget row holds in every sub-MIP, restricted to what the fixed firms leave of it. Stops
    at the proven ``floor`` on the penalty, or after ``patience`` steps without a gain (the
    rest of level 1's time goes to level 2). Returns (values, steps)."""
    rng = random.Random(seed)
    search = _Search(model, prep, _lexicographic(model), values)
    cost = {v.index(): c for v, c in model.levels["shortfall_penalty"][0]}
    pairs, weights = _short_pairs(model, cost, search.best)
    steps = stall = 0
    while (pairs and stall < patience and time.monotonic() < deadline - 0.02 and not (control and control.done())
           and level_value(model, "shortfall_penalty", search.best) > floor):
        fs = rng.choices(pairs, weights)[0]
        grow = 1 + min(3, stall // STALL_STEP)
        hood, kinds = _short_neighbourhood(search, fs, rng, size * grow)
        _, better = search.step(hood, kinds, min(sub_seconds * grow, deadline - time.monotonic()), control)
        steps += 1
        stall += 1
        if better:
            stall = 1
            pairs, weights = _short_pairs(model, cost, search.best)
            if control is not None:
                control.improved({n: level_value(model, n, search.best) for n in model.levels if n in
                                  ("shortfall_penalty", "displaced_workers")})
    return search.best, steps


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

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
                 floor: int, until: float, first_proven: bool = False,
                 lp_moves: Callable[[int], float] | None = None) -> tuple[list[float], int]:
    """Fewest moves at penalty <= ``target`` on larger parks. Returns (values, proven floor).

    A weighted SCIP solve from the level-1 plan (:func:`weighted_descent`, a twentieth of the
    time), then LNS over firms (:func:`polish`) until it stalls (``LNS_PATIENCE`` steps
    without a gain): the quick gains (M-0.8: 1,156 moves to 289 in 3 s); then LNS again with
    another seed until ``until``: small neighbourhoods again, and other firms first.

    Gone: a probe that, after the first stall, solved level 1 under the budget of 1.5 x the LP
    bound on the moves (the benchmark's target), for a plan within it or a proof that none
    exists. It only ever got a turn on M-0.8, the one row whose LNS stalls near the target,
    and there it cost more than it gave: 11 s from an LNS still able to improve, for no plan
    (236 moves at the end of 2 of 2 runs under the 25 % budget; without it 230 in 4 of 4 runs
    with and without the budget; lns.py at 9da9b09).

    The LP bound on the moves at ``target`` (``lp_moves``) is the proven floor, rounded up.
    ``first_proven``: ``target`` is the proven optimum of level 1, so a weighted solve that
    SCIP proves optimal proves level 2 too.
    """
    t = time.monotonic()
    span = max(0.0, min(until, control.deadline) - t)
    best, exact = weighted_descent(model, control, target, values, t + span / 20)
    if exact and first_proven:
        return best, level_value(model, "displaced_workers", best)
    if lp_moves is not None and not control.done():
        lp = lp_moves(target)
        if math.isfinite(lp):
            floor = max(floor, math.ceil(lp - 1e-6 * max(1.0, abs(lp))))
            control.improved(bound={"displaced_workers": floor})
    best = _polish_held(model, prep, control, target, best, until, patience=LNS_PATIENCE)
    return _polish_held(model, prep, control, target, best, until, seed=1), floor


def _polish_held(model: Model, prep: Prep, control: Control, target: int, values: list[float],
                 until: float, patience: int | None = None, seed: int = 0) -> list[float]:
    """:func:`polish` on the moves with the penalty held at ``target`` (the row is let go
    afterwards: :func:`~allocation.model.solve_levels` holds level 1 itself)."""
    held = hold_level(model, "shortfall_penalty", target)
    try:
        return polish(model, prep, "displaced_workers", values, until, control, seed=seed, patience=patience)[0]
    finally:
        held.SetUb(model.solver.infinity())


# LNS steps in a row without a gain after which level 2 starts the LNS again with another seed
# (by then the largest neighbourhoods have been tried a dozen times).
LNS_PATIENCE = 4 * STALL_STEP


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

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

import random
import time
from collections import defaultdict
from typing import Any

from ortools.linear_solver import pywraplp

from .control import Control
from .model import Model, Prep, _expr_value, _set_objective, level_value

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
    _set_objective(model, name)
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    solver.SetSolverSpecificParametersAsString("")

    def fix(fs: FirmGender, vals: list[float]) -> None:
        for v in owned[fs]:
            x = round(vals[v.index()])
            v.SetBounds(x, x)

    best = list(values)
    best_val = _expr_value(terms, const, {i: x for i, x in enumerate(best)})
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
                val = _expr_value(terms, const, {i: x for i, x in enumerate(vals)})
                if val < best_val - 0.5:
                    best, best_val = vals, val
                    if control is not None:
                        control.improved({n: level_value(model, n, best) for n in ("shortfall_penalty", name)})
            for fs in hood:
                fix(fs, best)
    finally:
        for i, (lb, ub) in bounds.items():
            model.all_vars[i].SetBounds(lb, ub)
    return best, iterations

"""The aggregated MIP for the first stage: how many units of each type each firm gets.

Why aggregated: units of one building with the same beds, rent and gender rule are
interchangeable for every objective except displacement, so the model counts units per
(unit type, firm, gender) instead of deciding each unit. Residents are handled by "resident
groups" (units of a type held last period by one firm and gender with the same head-count): a
``keep`` counter per group says how many of them stay with their holder. The counts are turned
into concrete units afterwards (:func:`allocation.solver.realize`); that step is exact, so the
model's proven bounds are bounds for the real problem.

Two shapes of the same model:

* **full** — every firm has one integer per (building type, gender) it may lease. All four
  levels are modelled exactly, so on small and medium parks every level can be proven.
* **compact** — firms that accept every building (most firms) draw from park-wide *aggregate*
  types (beds, rent, gender rule) instead; a pool variable per building type supplies them.
  Any integer aggregate allocation can be split over buildings (it is a transportation problem,
  whose polytope is integral), so levels 1, 2 and 4 stay exact and the MIP bound stays valid.
  Level 3 (firm-building pairs) for those firms is left to a greedy packing after the solve.

The backend is SCIP through ``pywraplp`` (single-threaded, so it shares a 2-core machine
politely); GLOP solves the same model with continuous variables for the LP bound.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

from ortools.linear_solver import pywraplp

from .control import Control
from .instance import GENDERS, Instance, firm_accepts, unit_accepts
from .plan import LEVELS, band_limits

# Found on the benchmark: more frequent large-neighbourhood heuristics find better plans for
# the first level within the same time; the bound is unaffected.
SCIP_HEURISTICS = """heuristics/rins/freq = 5
heuristics/crossover/freq = 5
heuristics/localbranching/freq = 10
heuristics/dins/freq = 10
heuristics/rens/freq = 10
heuristics/alns/freq = 3
limits/maxorigsol = 1000
"""

# Full model up to this many (type, firm, gender) columns; compact above it.
FULL_MODEL_MAX_COLUMNS = 1_000

Key = tuple[int, str, str]  # (type index, firm id, gender)


@dataclass(slots=True)
class UnitType:
    index: int
    building: str
    beds: int
    rent_fen: int
    gender: str | None
    aggregate: int
    units: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    """Units of one type held last period by one firm and gender, with the same head-count."""

    type_index: int
    firm: str
    gender: str
    occupied: int
    units: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Prep:
    """Instance reduced to types and groups; shared by the model, the greedy and realize."""

    types: list[UnitType]
    aggregates: list[tuple[int, int, str | None]]  # (beds, rent_fen, gender)
    groups: list[Group]
    fixed_displaced: int  # residents of units their holder can no longer lease
    type_of_unit: dict[str, int]
    options: dict[tuple[str, str], list[int]]  # (firm, gender) -> admissible type indices
    genders: dict[str, list[str]]  # firm -> genders it may be given units for


def prepare(instance: Instance) -> Prep:
    by_key: dict[tuple[str, int, int, str | None], UnitType] = {}
    agg_index: dict[tuple[int, int, str | None], int] = {}
    type_of_unit: dict[str, int] = {}
    for u in instance.units:
        if not u.available:
            continue
        key = (u.building, u.beds, u.rent_fen, u.gender)
        t = by_key.get(key)
        if t is None:
            a = agg_index.setdefault((u.beds, u.rent_fen, u.gender), len(agg_index))
            t = by_key[key] = UnitType(len(by_key), u.building, u.beds, u.rent_fen, u.gender, a)
        t.units.append(u.id)
        type_of_unit[u.id] = t.index
    types = list(by_key.values())
    aggregates = sorted(agg_index, key=agg_index.__getitem__)

    groups_by_key: dict[tuple[int, str, str, int], Group] = {}
    fixed = 0
    for c in instance.current:
        unit = instance.unit_by_id[c.unit]
        firm = instance.firm_by_id[c.firm]
        keepable = (
            unit_accepts(unit, c.gender)
            and firm_accepts(firm, unit)
            and (firm.budget_fen is None or unit.rent_fen <= firm.budget_fen)
        )
        if not keepable:
            fixed += c.occupied_beds
            continue
        ti = type_of_unit[c.unit]
        g = groups_by_key.get((ti, c.firm, c.gender, c.occupied_beds))
        if g is None:
            g = groups_by_key[(ti, c.firm, c.gender, c.occupied_beds)] = Group(
                ti, c.firm, c.gender, c.occupied_beds
            )
        g.units.append(c.unit)
    groups = list(groups_by_key.values())

    held = {(g.firm, g.gender) for g in groups}
    options: dict[tuple[str, str], list[int]] = {}
    genders: dict[str, list[str]] = {}
    for f in instance.firms:
        genders[f.id] = []
        for s in GENDERS:
            if f.demand[s] == 0 and (f.id, s) not in held:
                continue  # units for nobody only add empty beds
            opts = [
                t.index
                for t in types
                if (t.gender is None or t.gender == s)
                and (f.buildings is None or t.building in f.buildings)
                and (f.budget_fen is None or t.rent_fen <= f.budget_fen)
            ]
            if opts:
                options[f.id, s] = opts
                genders[f.id].append(s)
    return Prep(types, aggregates, groups, fixed, type_of_unit, options, genders)


def full_model_columns(prep: Prep) -> int:
    return sum(len(v) for v in prep.options.values())


Term = tuple[Any, float]  # (variable, coefficient)


@dataclass
class Model:
    solver: Any
    detailed: set[str]
    x: dict[Key, Any]  # detailed firms: units of a building type
    y: dict[tuple[int, str, str], Any]  # aggregated firms: units of an aggregate type
    u: dict[Key, Any]  # aggregated firms: units of a type where they hold residents
    keep: list[Any]  # per prep.groups
    levels: dict[str, tuple[list[Term], float]]
    all_vars: list[Any]
    type_aggregate: list[int] = field(default_factory=list)
    upper: dict[str, float] = field(default_factory=dict)  # a cap on each level's value
    tight: tuple[Any, ...] = ()
    z: dict[int, Any] = field(default_factory=dict)  # compact: pool units of each type
    granted: dict[tuple[str, str], list[Term]] = field(default_factory=dict)  # beds per firm, gender
    budget_row: Any = None  # displaced_workers <= budget (the caller's, or search_moves')
    max_displaced: int | None = None  # the caller's budget


def set_moves_budget(model: Model, budget: int | None) -> None:
    """Displaced workers at most ``budget`` (None: the caller's budget, if any) from now on."""
    const = model.levels["displaced_workers"][1]
    if budget is None:
        budget = model.max_displaced
    elif model.max_displaced is not None:
        budget = min(budget, model.max_displaced)
    model.budget_row.SetLb(-model.solver.infinity() if budget is None else const - budget)


def tighten(model: Model, values: list[float]) -> list[float]:
    """Make a solution's auxiliary variables as good as its unit counts allow.

    A level solved without regard for the next leaves e.g. ``keep`` at 0 even where the holder
    got its own units back; handing that to the next level as a hint would make it start far
    from where it could. Unit counts stay as they are, so every fixed level keeps its value.
    """
    vals = list(values)

    def get(v: Any) -> float:
        return vals[v.index()]

    def put(v: Any, val: float) -> None:
        vals[v.index()] = val

    for v in model.all_vars:  # integer variables exactly integral
        if v.integer():
            put(v, float(round(get(v))))
    bands, empties, pairs, keeps = model.tight
    for d, (s1, s2, s3), terms in bands:
        granted = sum(c * get(v) for v, c in terms)
        short = max(0.0, d - granted)
        b1, b2 = s1.ub(), s1.ub() + s2.ub()
        put(s1, min(short, b1))
        put(s2, max(0.0, min(short, b2) - b1))
        put(s3, max(0.0, short - b2))
    for d, e, terms in empties:
        put(e, max(0.0, sum(c * get(v) for v, c in terms) - d))
    for w, vs in pairs:
        put(w, 1.0 if any(get(v) > 0.5 for v in vs) else 0.0)
    for holder, members in keeps:
        left = round(get(holder))
        for _, k, n in members:
            take = min(n, left)
            put(k, float(take))
            left -= take
    return vals


def values_from_counts(model: Model, counts: dict[Key, int], values: list[float]) -> list[float]:
    """A complete, tight solution vector whose unit counts are ``counts`` (per building type,
    firm, gender): the hint for the next level after counts were improved outside the MIP."""
    vals = list(values)
    for key, v in model.x.items():
        vals[v.index()] = float(counts.get(key, 0))
    pool: dict[int, int] = defaultdict(int)
    agg: dict[tuple[int, str, str], int] = defaultdict(int)
    for (ti, fid, s), n in counts.items():
        if fid in model.detailed:
            continue
        agg[model.type_aggregate[ti], fid, s] += n
        if (ti, fid, s) in model.u:
            continue
        pool[ti] += n
    for key, v in model.u.items():
        vals[v.index()] = float(counts.get(key, 0))
    for key, v in model.y.items():
        vals[v.index()] = float(agg.get(key, 0))
    for ti, v in model.z.items():
        vals[v.index()] = float(pool.get(ti, 0))
    return tighten(model, vals)

def build_model(instance: Instance, prep: Prep, compact: bool, relax: bool = False,
                backend: str = "SCIP", levels: int = 4, max_displaced: int | None = None) -> Model:
    """Build the (possibly relaxed) model of the first ``levels`` objectives; with
    ``max_displaced``, the moves budget is a hard constraint on every level."""
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:  # pragma: no cover - ortools wheels ship SCIP and GLOP
        raise RuntimeError(f"OR-Tools backend {backend} is not available")
    inf = solver.infinity()

    def var(lb: float, ub: float) -> Any:
        return solver.NumVar(lb, ub, "") if relax else solver.IntVar(lb, ub, "")

    def aux(lb: float, ub: float) -> Any:
        # integral at every optimum; integer only for backends that need it (CP-SAT)
        return solver.IntVar(lb, ub, "") if backend == "CP_SAT" and not relax else solver.NumVar(lb, ub, "")

    detailed = {f.id for f in instance.firms if not compact or f.buildings is not None}
    types = prep.types
    x: dict[Key, Any] = {}
    y: dict[tuple[int, str, str], Any] = {}
    u: dict[Key, Any] = {}
    cap_terms: dict[int, list[Term]] = defaultdict(list)
    granted: dict[tuple[str, str], list[Term]] = defaultdict(list)
    rent: dict[str, list[Term]] = defaultdict(list)
    building_terms: dict[tuple[str, str], list[Any]] = defaultdict(list)
    building_units: dict[str, int] = defaultdict(int)
    for t in types:
        building_units[t.building] += len(t.units)
    agg_size: dict[int, int] = defaultdict(int)
    total_beds = sum(len(t.units) * t.beds for t in types)
    for t in types:
        agg_size[t.aggregate] += len(t.units)

    for (fid, s), opts in prep.options.items():
        if fid in detailed:
            for ti in opts:
                t = types[ti]
                v = x[ti, fid, s] = var(0, len(t.units))
                cap_terms[ti].append((v, 1))
                granted[fid, s].append((v, t.beds))
                rent[fid].append((v, t.rent_fen))
                building_terms[fid, t.building].append(v)
        else:
            for a in sorted({types[ti].aggregate for ti in opts}):
                beds, rent_fen, _ = prep.aggregates[a]
                v = y[a, fid, s] = var(0, agg_size[a])
                granted[fid, s].append((v, beds))
                rent[fid].append((v, rent_fen))

    # residents of aggregated firms: a per-type counter so "keep" can refer to it
    for g in prep.groups:
        if g.firm not in detailed and (g.type_index, g.firm, g.gender) not in u:
            u[g.type_index, g.firm, g.gender] = var(0, len(types[g.type_index].units))
            cap_terms[g.type_index].append((u[g.type_index, g.firm, g.gender], 1))
    pool_need: dict[int, list[Term]] = defaultdict(list)
    u_of: dict[tuple[int, str, str], list[Any]] = defaultdict(list)
    for (ti, f2, s2), uv in u.items():
        u_of[types[ti].aggregate, f2, s2].append(uv)
    for (a, fid, s), v in y.items():
        pool_need[a].append((v, 1))
        own = u_of.get((a, fid, s), [])
        if own:
            ct = solver.Constraint(0, inf)  # y >= sum of its resident-type counters
            ct.SetCoefficient(v, 1)
            for uv in own:
                ct.SetCoefficient(uv, -1)
    z: dict[int, Any] = {}
    if y:
        z = {t.index: var(0, len(t.units)) for t in types}
        for ti, zv in z.items():
            cap_terms[ti].append((zv, 1))
        u_by_agg: dict[int, list[Any]] = defaultdict(list)
        for (ti, _, _), uv in u.items():
            u_by_agg[types[ti].aggregate].append(uv)
        for a, terms in pool_need.items():
            # pool of type-a units for aggregated firms covers what their counters do not
            ct = solver.Constraint(0, inf)
            for t in types:
                if t.aggregate == a:
                    ct.SetCoefficient(z[t.index], 1)
            for v, _ in terms:
                ct.SetCoefficient(v, -1)
            for uv in u_by_agg[a]:
                ct.SetCoefficient(uv, 1)

    for ti, terms in cap_terms.items():
        ct = solver.Constraint(-inf, len(types[ti].units))
        for v, c in terms:
            ct.SetCoefficient(v, c)
    for f in instance.firms:
        if f.budget_fen is not None and rent[f.id]:
            ct = solver.Constraint(-inf, f.budget_fen)
            for v, c in rent[f.id]:
                ct.SetCoefficient(v, c)

    # level 1: shortfall bands
    tight_bands: list[tuple[int, tuple[Any, Any, Any], list[Term]]] = []
    tight_empty: list[tuple[int, Any, list[Term]]] = []
    tight_pairs: list[tuple[Any, list[Any]]] = []
    tight_keep: list[tuple[Any, list[tuple[int, Any, int]]]] = []
    penalty: list[Term] = []
    penalty_const = 0.0
    empty: list[Term] = []
    for f in instance.firms:
        for s in GENDERS:
            d = f.demand[s]
            terms = granted.get((f.id, s), [])
            if d == 0 and not terms:
                continue
            b1, b2 = band_limits(d)
            if not terms:
                penalty_const += f.priority * (b1 + 2 * (b2 - b1) + 4 * (d - b2))
                continue
            if d > 0:
                s1 = aux(0, b1)
                s2 = aux(0, b2 - b1)
                s3 = aux(0, max(0, d - b2))
                ct = solver.Constraint(d, inf)  # s1 + s2 + s3 + granted >= d
                for sv in (s1, s2, s3):
                    ct.SetCoefficient(sv, 1)
                for v, c in terms:
                    ct.SetCoefficient(v, c)
                penalty += [(s1, f.priority), (s2, 2 * f.priority), (s3, 4 * f.priority)]
                tight_bands.append((d, (s1, s2, s3), terms))
            if levels >= 4:
                e = aux(0, total_beds)  # e >= granted - d
                ct = solver.Constraint(-d, inf)
                ct.SetCoefficient(e, 1)
                for v, c in terms:
                    ct.SetCoefficient(v, -c)
                empty.append((e, 1))
                tight_empty.append((d, e, terms))

    level_exprs: dict[str, tuple[list[Term], float]] = {"shortfall_penalty": (penalty, penalty_const)}

    keep: list[Any] = []
    if levels >= 2 or max_displaced is not None:
        displaced: list[Term] = []
        const = float(prep.fixed_displaced)
        by_holder: dict[Key, list[Any]] = defaultdict(list)
        for g in prep.groups:
            k = var(0, len(g.units))
            keep.append(k)
            by_holder[g.type_index, g.firm, g.gender].append(k)
            const += g.occupied * len(g.units)
            displaced.append((k, -g.occupied))
        for key, ks in by_holder.items():
            holder = x.get(key) if key[1] in detailed else u.get(key)
            members = [(g.occupied, k, len(g.units)) for g, k in zip(prep.groups, keep)
                       if (g.type_index, g.firm, g.gender) == key]
            tight_keep.append((holder, sorted(members, key=lambda m: -m[0])))
            ct = solver.Constraint(-inf, 0)  # kept units <= units the holder gets of that type
            for k in ks:
                ct.SetCoefficient(k, 1)
            ct.SetCoefficient(holder, -1)
        level_exprs["displaced_workers"] = (displaced, const)
        # the moves budget: const - sum(occupied x keep) <= max_displaced (a free row without
        # one: search_moves tightens it to find plans with fewer moves)
        budget_row = solver.Constraint(-inf if max_displaced is None else const - max_displaced, inf)
        for k, c in displaced:
            budget_row.SetCoefficient(k, -c)
    if levels >= 3:
        pairs: list[Term] = []
        for (fid, b), vs in building_terms.items():
            w = var(0, 1)
            for v in vs:  # any unit of b for fid => pair counted (one row per count: tighter LP)
                ct = solver.Constraint(-inf, 0)
                ct.SetCoefficient(v, 1)
                ct.SetCoefficient(w, -v.ub())
            pairs.append((w, 1))
            tight_pairs.append((w, vs))
        level_exprs["firm_buildings"] = (pairs, 0.0)
    if levels >= 4:
        level_exprs["empty_beds"] = (empty, 0.0)
    upper = {
        "displaced_workers": level_exprs.get("displaced_workers", ([], 0.0))[1],
        "firm_buildings": float(len(level_exprs.get("firm_buildings", ([], 0.0))[0])),
        "empty_beds": float(sum(len(t.units) * t.beds for t in types)),
    }
    model = Model(solver, detailed, x, y, u, keep, level_exprs, solver.variables(),
                  [t.aggregate for t in types], upper)
    model.tight = (tight_bands, tight_empty, tight_pairs, tight_keep)
    if levels >= 2 or max_displaced is not None:
        model.budget_row = budget_row
        model.max_displaced = max_displaced
    model.z = z
    model.granted = dict(granted)
    return model


@dataclass
class LevelResult:
    name: str
    value: int
    bound: float
    proven: bool
    seconds: float


def _set_objective(model: Model, name: str, tiebreak: str | None = None) -> float:
    """Minimise level ``name`` plus, as a tie-break, eps x the next level, with eps small enough
    (eps x its cap < 0.5) that it can never trade away a whole unit of this integer level.
    Steering the first solve towards good lower levels matters when the time limit stops it.
    Returns eps x cap, what the tie-break may add to the bound."""
    obj = model.solver.Objective()
    obj.Clear()
    terms, const = model.levels[name]
    for v, c in terms:
        obj.SetCoefficient(v, obj.GetCoefficient(v) + c)
    slack = 0.0
    if tiebreak is not None and tiebreak in model.levels:
        eps = 0.5 / (model.upper.get(tiebreak, 0.0) + 1.0)
        t_terms, t_const = model.levels[tiebreak]
        for v, c in t_terms:
            obj.SetCoefficient(v, obj.GetCoefficient(v) + eps * c)
        const += eps * t_const
        slack = eps * model.upper.get(tiebreak, 0.0)  # the tie-break term lies in [0, cap]
    obj.SetOffset(const)
    obj.SetMinimization()
    return slack


def set_level_objective(model: Model, name: str) -> None:
    """Minimise level ``name`` alone."""
    _set_objective(model, name)


def _expr_value(terms: list[Term], const: float, values: dict[int, float]) -> float:
    return const + sum(c * values[v.index()] for v, c in terms)


def level_value(model: Model, name: str, values: list[float]) -> int:
    """The integer value of level ``name`` at ``values`` (tolerant of solver round-off)."""
    terms, const = model.levels[name]
    return int(math.floor(_expr_value(terms, const, dict(enumerate(values))) + 1e-6))


def hold_level(model: Model, name: str, value: int) -> Any:
    """Constrain level ``name`` to at most ``value`` from now on (levels are integers); returns
    the row (``row.SetUb(solver.infinity())`` lets go again)."""
    solver = model.solver
    terms, const = model.levels[name]
    ct = solver.Constraint(-solver.infinity(), value + 0.5 - const)
    for v, c in terms:
        ct.SetCoefficient(v, ct.GetCoefficient(v) + c)
    return ct


def _scip_params() -> Any:
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    params.SetDoubleParam(params.PRIMAL_TOLERANCE, 1e-7)
    return params


def solve_levels(model: Model, control: Control, names: tuple[str, ...] = LEVELS,
                 hint: list[float] | None = None,
                 improve: Callable[[list[float]], list[float]] | None = None,
                 second: Callable[[int, list[float], float, bool], tuple[list[float], int]] | None = None,
                 ) -> tuple[list[float] | None, list[LevelResult]]:
    """Solve the levels in order, each with the previous ones held at their values.

    ``improve`` may replace level 1's solution by one at least as good on level 1 before level
    2 starts from it (later levels are then held to the improved value).

    ``second(v, values, until, v_proven)`` (larger parks) replaces SCIP's own level-2 solve, where SCIP
    finds almost nothing inside the thin set "penalty <= v" (see :mod:`allocation.lns`); it
    returns the best values with penalty <= v and a proven floor on level 2. Returns the variable values of the last solved level (None if even
    level 1 found nothing) and what was proven per level. Time is shared: level 1 gets most of
    it; a level that is proven quickly leaves its time to the next. ``control`` carries the
    deadline, the stop request (which interrupts SCIP) and the progress reports.
    """
    solver = model.solver
    params = _scip_params()
    # level 1 decides the targets; with polish (large parks) level 2 gets most of the rest
    shares = {0: 0.65, 1: 0.6, 2: 0.5} if second is None else {0: 0.58, 1: 0.75, 2: 0.5}
    values: list[float] | None = hint
    results: list[LevelResult] = []
    names = tuple(n for n in names if n in model.levels)

    def report(vals: list[float], upto: int) -> None:
        best = {n: level_value(model, n, vals) for n in names[:upto + 1]}
        bound = {r.name: max(0, math.ceil(r.bound - 1e-6)) for r in results[:1] if math.isfinite(r.bound)}
        control.improved(best, bound)

    for i, name in enumerate(names):
        now = time.monotonic()
        remaining = control.left()
        if remaining <= 0.05:
            break
        control.start_level(name)
        share = 1.0 if i == len(names) - 1 else shares.get(i, 0.5)
        level_end = now + remaining * share
        searched = second is not None and i == 1
        if values is not None:
            values = tighten(model, values) if improve is None or i != 1 else improve(values)
            if i == 1 and results and level_value(model, names[0], values) < results[0].value:
                first = results[0]  # improve() lowered level 1 itself: hold later levels to it
                first.value = level_value(model, names[0], values)
                first.proven = first.bound > first.value - 1 + 1e-6
            report(values, i - 1 if i else 0)
        if i == 1 and not searched:
            hold_level(model, names[0], results[0].value)
        if searched:
            assert values is not None and second is not None
            values, floor = second(results[0].value, values, level_end, results[0].proven)
            hold_level(model, names[0], results[0].value)
            bound = float(floor)
        else:
            _set_objective(model, name)
            solver.SetSolverSpecificParametersAsString(SCIP_HEURISTICS)
            solver.SetTimeLimit(max(50, int(remaining * share * 1000)))
            if values is not None:
                solver.SetHint(model.all_vars, values)
            with control.watching(solver):
                status = solver.Solve(params)
            if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                break  # keep the previous level's solution
            values = [v.solution_value() for v in model.all_vars]
            best = solver.Objective().BestBound()
            bound = best if math.isfinite(best) else -math.inf
        ivalue = level_value(model, name, values)
        proven = bound > ivalue - 1 + 1e-6
        results.append(LevelResult(name, ivalue, bound, proven, time.monotonic() - now))
        report(values, i)
        if i != 0 and i < len(names) - 1:
            hold_level(model, name, ivalue)
    return values, results


def lp_bound(instance: Instance, prep: Prep | None = None, compact: bool = True,
             max_displaced: int | None = None) -> float:
    """LP relaxation of the first objective (GLOP): a valid lower bound on shortfall_penalty
    (under the moves budget ``max_displaced``, if any)."""
    prep = prep or prepare(instance)
    model = build_model(instance, prep, compact=compact, relax=True, backend="GLOP", levels=1,
                        max_displaced=max_displaced)
    _set_objective(model, "shortfall_penalty")
    status = model.solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:  # pragma: no cover
        raise RuntimeError(f"GLOP status {status}")
    return float(model.solver.Objective().Value())


def lp_moves_bound(instance: Instance, penalty: int, prep: Prep | None = None,
                   max_displaced: int | None = None, seconds: float | None = None,
                   control: Control | None = None) -> float:
    """LP relaxation of 'fewest moves among plans with shortfall_penalty <= ``penalty``' (GLOP):
    a valid lower bound on displaced_workers at that penalty; -inf if GLOP ran out of time."""
    prep = prep or prepare(instance)
    model = build_model(instance, prep, compact=True, relax=True, backend="GLOP", levels=2,
                        max_displaced=max_displaced)
    hold_level(model, "shortfall_penalty", penalty)
    _set_objective(model, "displaced_workers")
    if seconds is not None:
        model.solver.SetTimeLimit(max(100, int(seconds * 1000)))
    with control.watching(model.solver) if control is not None else nullcontext():
        status = model.solver.Solve()
    return float(model.solver.Objective().Value()) if status == pywraplp.Solver.OPTIMAL else -math.inf

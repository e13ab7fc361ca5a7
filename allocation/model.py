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
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from ortools.linear_solver import pywraplp

from .control import Control
from .instance import GENDERS, Firm, Instance, firm_accepts, unit_accepts
from .plan import BANDS, LEVELS, band_limits, short_penalty

# SCIP 10.0 (OR-Tools 9.15 ships 10.0.0; 10.0.2 does the same) proves wrong optima once a
# row's side turns fractional in presolve. On
#     u1 + 2 u2 + 4 u4 + s10 + s100 >= 3,   e - u1 - 2 u2 - 4 u4 >= -3,   s10 + 4 s100 <= 0.5
# (u integer, s and e continuous, minimise e) dual presolving sets s100 = 0 and s10 = 0.5,
# leaving u1 + 2 u2 + 4 u4 >= 2.5 (after coefficient tightening u1 + 2 u2 + 2.875 u4 >= 2.5);
# "simplify inequalities" then drops u1 from that row, losing u1 = u2 = 1, and e = 1 is
# "proven" where 0 is optimal. Those are this model's beds-or-short, empty-beds and level-1
# hold rows: of 35,000 random parks of up to 5 units and 2 firms, 3 came out "optimal" above
# the true optimum (level 4, empty beds), and none with that step off. Rows still get
# fractional sides from the firm-alone cuts (SCIP bounds, prices of 1/4) and in LNS sub-MIPs
# (fixed continuous parts moved to the side), so the step is off for every SCIP solve
# (:func:`scip_solver`); the level holds are integral too (:func:`hold_level`).
SCIP_SAFE = "constraints/linear/simplifyinequalities = FALSE\n"

# Found on the benchmark: more frequent large-neighbourhood heuristics find better plans for
# the first level within the same time; the bound is unaffected.
SCIP_HEURISTICS = SCIP_SAFE + """heuristics/rins/freq = 5
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
    """The MIP (or its LP relaxation) and what the heuristics need to read and steer it.

    The public interface used outside this module: the variable maps ``x``, ``y``, ``u``,
    ``z``, ``keep`` (to turn values into unit counts and back: :func:`values_from_counts`),
    ``levels`` (each objective as terms + constant: :func:`level_value`,
    :func:`set_level_objective`, :func:`hold_level`).
    """

    solver: Any
    detailed: set[str]  # firms with one variable per building type
    x: dict[Key, Any]  # detailed firms: units of a building type
    y: dict[tuple[int, str, str], Any]  # aggregated firms: units of an aggregate type
    u: dict[Key, Any]  # aggregated firms: units of a type where they hold residents
    keep: list[Any]  # per prep.groups: units given back to their holder
    levels: dict[str, tuple[list[Term], float]]
    all_vars: list[Any]
    type_aggregate: list[int] = field(default_factory=list)
    upper: dict[str, float] = field(default_factory=dict)  # a cap on each level's value
    z: dict[int, Any] = field(default_factory=dict)  # compact: pool units of each type
    granted: dict[tuple[str, str], list[Term]] = field(default_factory=dict)  # beds per firm, gender
    # how each auxiliary variable follows from the unit counts (for tighten)
    bands: list[tuple[int, list[Any], list[Term]]] = field(default_factory=list)
    empties: list[tuple[int, Any, list[Term]]] = field(default_factory=list)
    pairs: list[tuple[Any, list[Any]]] = field(default_factory=list)
    keeps: list[tuple[Any, list[tuple[int, Any, int]]]] = field(default_factory=list)
    slacks: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # beds short per band, firm, gender
    tight: Any = None  # tighten's rules by index, built on first use


def tighten(model: Model, values: list[float], only: Iterable[int] | None = None) -> list[float]:
    """Make a solution's auxiliary variables as good as its unit counts allow.

    A level solved without regard for the next leaves e.g. ``keep`` at 0 even where the holder
    got its own units back; handing that to the next level as a hint would make it start far
    from where it could. Unit counts stay as they are, so every fixed level keeps its value.
    With ``only`` (variable indices), just those variables and the auxiliaries among them are
    redone: an LNS step changes a few firms' variables, and the whole pass costs 0.18 s on
    20,000 units.
    """
    if model.tight is None:
        model.tight = _Tightening(model)
    return model.tight.apply(values, only)


class _Tightening:
    """:func:`tighten`'s rules as plain variable indices, read from the model once (each
    pywraplp call costs about half a microsecond)."""

    def __init__(self, model: Model) -> None:
        self.integer = [v.integer() for v in model.all_vars]
        self.rules: list[tuple[str, Any, Any, Any]] = []
        self.rules_of: dict[int, list[int]] = defaultdict(list)  # auxiliary variable -> its rule

        def add(rule: tuple[str, Any, Any, Any], outputs: list[int]) -> None:
            for j in outputs:
                self.rules_of[j].append(len(self.rules))
            self.rules.append(rule)

        for d, slacks, terms in model.bands:  # fill the cheap bands first
            add(("band", d, [(sv.index(), sv.ub()) for sv in slacks], [(v.index(), c) for v, c in terms]),
                [sv.index() for sv in slacks])
        for d, e, terms in model.empties:
            add(("empty", d, e.index(), [(v.index(), c) for v, c in terms]), [e.index()])
        for w, vs in model.pairs:
            add(("pair", None, w.index(), [v.index() for v in vs]), [w.index()])
        for holder, members in model.keeps:
            add(("keep", None, holder.index(), [(k.index(), n) for _, k, n in members]),
                [k.index() for _, k, _ in members])

    def apply(self, values: list[float], only: Iterable[int] | None) -> list[float]:
        vals = list(values)
        if only is None:
            columns: Iterable[int] = range(len(vals))
            rules: Iterable[int] = range(len(self.rules))
        else:
            columns = list(only)
            rules = sorted({r for j in columns for r in self.rules_of.get(j, ())})
        for j in columns:  # integer variables exactly integral
            if self.integer[j]:
                vals[j] = float(round(vals[j]))
        for r in rules:
            kind, d, out, terms = self.rules[r]
            if kind == "band":
                short = max(0.0, d - sum(c * vals[j] for j, c in terms))
                for j, ub in out:
                    vals[j] = min(short, ub)
                    short -= vals[j]
            elif kind == "empty":
                vals[out] = max(0.0, sum(c * vals[j] for j, c in terms) - d)
            elif kind == "pair":
                vals[out] = 1.0 if any(vals[j] > 0.5 for j in terms) else 0.0
            else:
                left = round(vals[out])
                for j, n in terms:
                    take = min(n, left)
                    vals[j] = float(take)
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


class _Builder:
    """Variables and rows of one model, named after what they mean."""

    def __init__(self, instance: Instance, prep: Prep, backend: str, relax: bool) -> None:
        self.solver = scip_solver() if backend == "SCIP" else pywraplp.Solver.CreateSolver(backend)
        if self.solver is None:  # pragma: no cover - ortools wheels ship SCIP and GLOP
            raise RuntimeError(f"OR-Tools backend {backend} is not available")
        self.instance, self.prep, self.relax = instance, prep, relax

    def count(self, ub: float, name: str) -> Any:
        """A number of units (integer unless relaxed)."""
        return self.solver.NumVar(0, ub, name) if self.relax else self.solver.IntVar(0, ub, name)

    def amount(self, ub: float, name: str) -> Any:
        """An auxiliary amount (beds short, empty beds): integral at every optimum anyway."""
        return self.solver.NumVar(0, ub, name)

    def row(self, terms: list[Term], lb: float | None = None, ub: float | None = None, name: str = "") -> Any:
        """lb <= sum(coefficient x variable) <= ub."""
        return add_row(self.solver, terms, lb, ub, name)


def add_row(solver: Any, terms: list[Term], lb: float | None = None, ub: float | None = None, name: str = "") -> Any:
    """lb <= sum(coefficient x variable) <= ub in ``solver`` (a variable named twice adds up):
    the builder's rows, and rows added to a built model (:func:`add_firm_cuts`)."""
    inf = solver.infinity()
    ct = solver.Constraint(-inf if lb is None else lb, inf if ub is None else ub, name)
    for v, c in terms:
        ct.SetCoefficient(v, ct.GetCoefficient(v) + c)
    return ct


def build_model(instance: Instance, prep: Prep, compact: bool, relax: bool = False,
                backend: str = "SCIP", levels: int = 4, max_displaced: int | None = None) -> Model:
    """The (possibly relaxed) model of the first ``levels`` objectives, one function per rule
    family of ALLOCATION.md; with ``max_displaced``, the moves budget holds on every level."""
    b = _Builder(instance, prep, backend, relax)
    detailed = {f.id for f in instance.firms if not compact or f.buildings is not None}
    model = Model(b.solver, detailed, {}, {}, {}, [], {}, [], [t.aggregate for t in prep.types])
    per_type = _leases(b, model)
    _one_firm_per_unit(b, model, per_type)
    _rent_budgets(b, model)
    _shortfall_penalty(b, model)
    if levels >= 2 or max_displaced is not None:
        _displaced_workers(b, model, max_displaced)
    if levels >= 3:
        _firm_buildings(b, model, cap_by_budget=not compact)
    if levels >= 4:
        _empty_beds(b, model)
    model.all_vars = b.solver.variables()
    model.upper = {
        "displaced_workers": model.levels.get("displaced_workers", ([], 0.0))[1],
        "firm_buildings": float(len(model.pairs)),
        "empty_beds": float(sum(len(t.units) * t.beds for t in prep.types)),
    }
    return model


def _leases(b: _Builder, model: Model) -> dict[int, list[Term]]:
    """"A unit is leased whole, to at most one firm, for one gender. No lease on an unavailable
    unit, on a unit of the other gender, in a building the firm does not accept."

    Whole units: integer counts per (unit type, firm, gender). The other rules are in the
    choice of variables: ``prepare`` lists for each (firm, gender) only the types it may lease.
    Detailed firms count units per building type (``x``); aggregated firms per park-wide kind
    (``y``), with a counter per type where they hold residents (``u``) and a pool per type
    (``z``) supplying the rest. Returns the unit-count terms per building type."""
    types, prep = b.prep.types, b.prep
    per_type: dict[int, list[Term]] = defaultdict(list)
    kind_size: dict[int, int] = defaultdict(int)
    for t in types:
        kind_size[t.aggregate] += len(t.units)
    for (fid, s), opts in prep.options.items():
        if fid in model.detailed:
            for ti in opts:
                t = types[ti]
                v = model.x[ti, fid, s] = b.count(len(t.units), f"units[{t.building}/{t.beds}/{t.rent_fen}/{fid}/{s}]")
                per_type[ti].append((v, 1))
                model.granted.setdefault((fid, s), []).append((v, t.beds))
        else:
            for a in sorted({types[ti].aggregate for ti in opts}):
                beds, rent_fen, _ = prep.aggregates[a]
                v = model.y[a, fid, s] = b.count(kind_size[a], f"units[kind{beds}/{rent_fen}/{fid}/{s}]")
                model.granted.setdefault((fid, s), []).append((v, beds))
    for g in prep.groups:  # where aggregated firms hold residents: a counter per type
        key = (g.type_index, g.firm, g.gender)
        if g.firm not in model.detailed and key not in model.u:
            t = types[g.type_index]
            model.u[key] = b.count(len(t.units), f"own_units[{t.building}/{t.beds}/{g.firm}/{g.gender}]")
            per_type[g.type_index].append((model.u[key], 1))
    if model.y:
        own_of_kind: dict[tuple[int, str, str], list[Any]] = defaultdict(list)
        for (ti, fid, s), uv in model.u.items():
            own_of_kind[types[ti].aggregate, fid, s].append(uv)
        for (a, fid, s), v in model.y.items():  # a firm's units of a kind include its own
            b.row([(v, 1)] + [(uv, -1) for uv in own_of_kind.get((a, fid, s), [])], lb=0,
                  name=f"own_within_kind[{a}/{fid}/{s}]")
        model.z = {t.index: b.count(len(t.units), f"pool[{t.building}/{t.beds}/{t.rent_fen}]") for t in types}
        for ti, zv in model.z.items():
            per_type[ti].append((zv, 1))
        pool_of_kind: dict[int, list[Term]] = defaultdict(list)  # the pool supplies what
        for t in types:                                            # counters do not
            pool_of_kind[t.aggregate].append((model.z[t.index], 1))
        for (ti, _, _), uv in model.u.items():
            pool_of_kind[types[ti].aggregate].append((uv, 1))
        for (a, _, _), v in model.y.items():
            pool_of_kind[a].append((v, -1))
        for a in sorted({a for a, _, _ in model.y}):
            b.row(pool_of_kind[a], lb=0, name=f"pool_covers_kind[{a}]")
    return per_type


def _one_firm_per_unit(b: _Builder, model: Model, per_type: dict[int, list[Term]]) -> None:
    """"A unit is leased ... to at most one firm": per building type, units leased <= units."""
    for ti, terms in per_type.items():
        b.row(terms, ub=len(b.prep.types[ti].units), name=f"units_of_type[{ti}]")


def _rent_budgets(b: _Builder, model: Model) -> None:
    """"No lease ... beyond the firm's rent budget": its units' rent <= max_monthly_rent."""
    rent: dict[str, list[Term]] = defaultdict(list)
    types, aggregates = b.prep.types, b.prep.aggregates
    for (ti, fid, _), v in model.x.items():
        rent[fid].append((v, types[ti].rent_fen))
    for (a, fid, _), v in model.y.items():
        rent[fid].append((v, aggregates[a][1]))
    for f in b.instance.firms:
        if f.budget_fen is not None and rent[f.id]:
            b.row(rent[f.id], ub=f.budget_fen, name=f"rent_budget[{f.id}]")


def _shortfall_penalty(b: _Builder, model: Model) -> None:
    """"For each firm and gender with d beds requested and s beds short, the short beds cost by
    band: the first ceil(10% of d) cost 1 each, those up to ceil(25% of d) cost 2 each, the
    rest 4 each; the sum is multiplied by the firm's priority."

    One slack per band (``BANDS``), bounded by the band's width: the costs rise band by band,
    so a minimiser fills the cheap bands first and the sum is exactly the banded penalty."""
    penalty: list[Term] = []
    const = 0.0
    for f in b.instance.firms:
        for s in GENDERS:
            d, granted = f.demand[s], model.granted.get((f.id, s), [])
            if d == 0:
                continue
            if not granted:  # nothing it may lease: all of it short
                const += f.priority * short_penalty(d, d)
                continue
            bands = _short_bands(b, f, s)
            penalty.extend(bands)
            slacks = [sv for sv, _ in bands]
            b.row([(sv, 1) for sv in slacks] + granted, lb=d, name=f"beds_or_short[{f.id}/{s}]")
            model.bands.append((d, slacks, granted))
            model.slacks[f.id, s] = slacks
    model.levels["shortfall_penalty"] = (penalty, const)


def _short_bands(b: _Builder, firm: Firm, gender: str) -> list[Term]:
    """The beds short of one request, one slack per band (``BANDS``) bounded by the band's
    width, each with its cost per bed (band weight x priority): shared by the model and the
    firm-alone models of :func:`add_firm_cuts`."""
    bands: list[Term] = []
    start = 0
    for end, (pct, weight) in zip(band_limits(firm.demand[gender]), BANDS, strict=True):
        bands.append((b.amount(end - start, f"short[{firm.id}/{gender}/up_to_{pct}%]"), weight * firm.priority))
        start = end
    return bands


def _displaced_workers(b: _Builder, model: Model, max_displaced: int | None) -> None:
    """"Σ of occupied_beds over current units whose firm or gender changes."

    ``keep`` per resident group counts the units its holder gets back, at most what the holder
    gets of that type. Residents of units their holder can no longer lease are a constant.
    The moves budget ("the plan displaces at most this many current residents"), if any, is
    one row."""
    terms: list[Term] = []
    const = float(b.prep.fixed_displaced)
    by_holder: dict[Key, list[tuple[int, Any, int]]] = defaultdict(list)
    for g in b.prep.groups:
        k = b.count(len(g.units), f"kept[{g.type_index}/{g.firm}/{g.gender}/{g.occupied}]")
        model.keep.append(k)
        key = (g.type_index, g.firm, g.gender)
        by_holder[key].append((g.occupied, k, len(g.units)))
        const += g.occupied * len(g.units)
        terms.append((k, -g.occupied))
    for key, members in by_holder.items():
        holder = model.x[key] if key[1] in model.detailed else model.u[key]
        b.row([(k, 1) for _, k, _ in members] + [(holder, -1)], ub=0, name=f"kept_within_leased[{key}]")
        model.keeps.append((holder, sorted(members, key=lambda m: -m[0])))
    model.levels["displaced_workers"] = (terms, const)
    if max_displaced is not None:  # const - sum(occupied x keep) <= max_displaced
        b.row([(k, -c) for k, c in terms], lb=const - max_displaced, name="moves_budget")


def _firm_buildings(b: _Builder, model: Model, cap_by_budget: bool = True) -> None:
    """"The number of distinct (firm, building) pairs."

    A 0/1 ``uses`` per (detailed firm, building), forced up by any unit there (one row per
    count: a tighter LP than one row per pair). With ``cap_by_budget`` (the full model of small
    parks, where SCIP proves level 3), the count's coefficient is as small as the rent budget
    allows (:func:`_units_cap`); not in the compact model: there the rows are in the model
    during level 1 too, and XL's level 1 came out 10,185 and 10,198 with them against 10,173
    without (one run each way; level 3 is not proven there anyway). Aggregated firms'
    buildings are chosen after the solve (``pack_pool``)."""
    per_pair: dict[tuple[str, str], list[tuple[Key, Any]]] = defaultdict(list)
    for key, v in model.x.items():
        per_pair[key[1], b.prep.types[key[0]].building].append((key, v))
    terms: list[Term] = []
    for (fid, building), kvs in per_pair.items():
        w = b.count(1, f"uses[{fid}/{building}]")
        for key, v in kvs:
            cap = _units_cap(b, key, v) if cap_by_budget else float(v.ub())
            b.row([(v, 1), (w, -cap)], ub=0, name=f"uses_if_leased[{fid}/{building}]")
        terms.append((w, 1))
        model.pairs.append((w, [v for _, v in kvs]))
    model.levels["firm_buildings"] = (terms, 0.0)


def _units_cap(b: _Builder, key: Key, v: Any) -> float:
    """The most units of type ``key[0]`` firm ``key[1]`` can lease: the units of the type, and
    no more than its rent budget pays for. The smaller the big-M of ``uses_if_leased``, the
    tighter its LP (a budgeted firm's few units no longer count as a sliver of a building)."""
    firm, t = b.instance.firm_by_id[key[1]], b.prep.types[key[0]]
    cap = float(v.ub())
    if firm.budget_fen is not None and t.rent_fen > 0:
        cap = min(cap, float(firm.budget_fen // t.rent_fen))
    return max(cap, 1.0)


def _empty_beds(b: _Builder, model: Model) -> None:
    """"Σ over firms and genders of max(0, granted − requested)": ``empty`` >= granted − d."""
    total_beds = sum(len(t.units) * t.beds for t in b.prep.types)
    terms: list[Term] = []
    for f in b.instance.firms:
        for s in GENDERS:
            granted = model.granted.get((f.id, s), [])
            if not granted:
                continue
            d = f.demand[s]
            e = b.amount(total_beds, f"empty[{f.id}/{s}]")
            b.row([(e, 1)] + [(v, -c) for v, c in granted], lb=-d, name=f"empty_beds[{f.id}/{s}]")
            terms.append((e, 1))
            model.empties.append((d, e, granted))
    model.levels["empty_beds"] = (terms, 0.0)


@dataclass
class LevelResult:
    name: str
    value: int
    bound: float
    proven: bool
    seconds: float


def set_objective(model: Model, name: str, tiebreak: str | None = None) -> float:
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
    set_objective(model, name)


def weighted_objective(model: Model) -> None:
    """Minimise K x penalty + displaced with K above any number of displaced workers:
    integer coefficients, and any solution better than one with penalty v has penalty <= v."""
    k = model.upper["displaced_workers"] + 1.0
    obj = model.solver.Objective()
    obj.Clear()
    t1, c1 = model.levels["shortfall_penalty"]
    t2, c2 = model.levels["displaced_workers"]
    for v, c in t1:
        obj.SetCoefficient(v, obj.GetCoefficient(v) + k * c)
    for v, c in t2:
        obj.SetCoefficient(v, obj.GetCoefficient(v) + c)
    obj.SetOffset(k * c1 + c2)
    obj.SetMinimization()


def expr_value(terms: list[Term], const: float, values: dict[int, float]) -> float:
    return const + sum(c * values[v.index()] for v, c in terms)


def level_value(model: Model, name: str, values: list[float]) -> int:
    """The integer value of level ``name`` at ``values`` (tolerant of solver round-off)."""
    terms, const = model.levels[name]
    return int(math.floor(expr_value(terms, const, dict(enumerate(values))) + 1e-6))


def hold_level(model: Model, name: str, value: int) -> Any:
    """Constrain level ``name`` to at most ``value`` from now on; returns the row
    (``row.SetUb(solver.infinity())`` lets go again).

    The side is the integer itself: at whole units every level's least value is an integer (its
    constant is one too), so no plan is lost, and a side of ``value + 0.5`` was what SCIP's
    presolve mis-rounded (:data:`SCIP_SAFE`)."""
    terms, const = model.levels[name]
    return add_row(model.solver, terms, ub=value - const)


def scip_solver() -> Any:
    """A SCIP solver with :data:`SCIP_SAFE` set; MPSolver keeps the settings string for every
    later ``Solve`` (until it is set again: :data:`SCIP_HEURISTICS` includes it)."""
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is not None:
        solver.SetSolverSpecificParametersAsString(SCIP_SAFE)
    return solver


def _scip_params() -> Any:
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    params.SetDoubleParam(params.PRIMAL_TOLERANCE, 1e-7)
    return params


# Each level's share of the time left when it starts (the last level takes the rest); a level
# proven early leaves its time to the next. Small parks (full model, SCIP on every level):
# level 4 (empty beds) is proven in 0.01-0.8 s on the S benchmark once level 3 is, while level
# 3 (firm-building pairs) needs 1.3-3.6 s, so it gets 80% (with 50%, S-0.8 at 10% and S-1.0
# at 25% stopped level 3 unproven after ~1.8 s). Larger parks: level 2's LNS (``second``).
SMALL_SHARES = {0: 0.65, 1: 0.8, 2: 0.8}
LARGER_SHARES = {0: 0.42, 1: 0.92, 2: 0.5}


def solve_levels(model: Model, control: Control, names: tuple[str, ...] = LEVELS,
                 hint: list[float] | None = None,
                 improve: Callable[[list[float]], list[float]] | None = None,
                 second: Callable[[int, list[float], float, bool], tuple[list[float], int]] | None = None,
                 first_share: float | None = None,
                 search_first: Callable[[list[float], float, int], tuple[list[float], float]] | None = None,
                 first_scip: float = 1.0) -> tuple[list[float] | None, list[LevelResult]]:
    """Solve the levels in order, each with the previous ones held at their values.

    ``improve`` may replace level 1's solution by one at least as good on level 1 before level
    2 starts from it (later levels are then held to the improved value). ``first_share``
    overrides level 1's share of the time. ``search_first(values, until, bound)`` (larger parks)
    improves SCIP's level-1 solution by LNS when SCIP has not proven it (down to the proven
    ``bound`` at best) and returns it with any proven bound of its own (-inf if none); SCIP
    then gets the fraction ``first_scip`` of level 1's time and the search the rest.

    ``second(v, values, until, v_proven)`` (larger parks) replaces SCIP's own level-2 solve,
    where SCIP finds almost nothing inside the thin set "penalty <= v" (see
    :mod:`allocation.lns`); it returns the best values with penalty <= v and a proven floor on
    level 2. Returns the variable values of the last solved level (None if even level 1 found
    nothing) and what was proven per level. Time is shared: level 1 gets most of
    it; a level that is proven quickly leaves its time to the next. ``control`` carries the
    deadline, the stop request (which interrupts SCIP) and the progress reports.
    """
    solver = model.solver
    params = _scip_params()
    # level 1 decides the targets; with polish (large parks) level 2 gets most of the rest
    shares = dict(SMALL_SHARES if second is None else LARGER_SHARES)
    if first_share is not None:
        shares[0] = first_share
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
            set_objective(model, name)
            solver.SetSolverSpecificParametersAsString(SCIP_HEURISTICS)
            searched_first = i == 0 and search_first is not None
            solver.SetTimeLimit(max(50, int(remaining * share * (first_scip if searched_first else 1.0) * 1000)))
            if values is not None:
                solver.SetHint(model.all_vars, values)
            with control.watching(solver):
                status = solver.Solve(params)
            if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                break  # keep the previous level's solution
            values = [v.solution_value() for v in model.all_vars]
            best = solver.Objective().BestBound()
            bound = best if math.isfinite(best) else -math.inf
            if searched_first and status != pywraplp.Solver.OPTIMAL:
                assert search_first is not None
                report(values, 0)
                floor = max(0, math.ceil(bound - 1e-6)) if math.isfinite(bound) else 0
                values, more = search_first(values, level_end, floor)
                bound = max(bound, more)
        ivalue = level_value(model, name, values)
        proven = bound > ivalue - 1 + 1e-6
        results.append(LevelResult(name, ivalue, bound, proven, time.monotonic() - now))
        report(values, i)
        if i != 0 and i < len(names) - 1:
            hold_level(model, name, ivalue)
    return values, results


def resolve_level(model: Model, control: Control, values: list[float], until: float) -> tuple[list[float], float]:
    """SCIP again on the objective as it stands (a level whose rows have changed, e.g. cuts were
    added), from ``values``, until ``until``. Returns the better of its solution and ``values``
    on that objective, and its proven bound (-inf if none)."""
    solver = model.solver
    left = min(until, control.deadline) - time.monotonic()
    if left < 0.3 or control.done():
        return values, -math.inf
    solver.SetSolverSpecificParametersAsString(SCIP_HEURISTICS)
    solver.SetHint(model.all_vars, values)
    solver.SetTimeLimit(max(100, int(left * 1000)))
    with control.watching(solver):
        status = solver.Solve(_scip_params())
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return values, -math.inf
    bound = solver.Objective().BestBound()
    found = [v.solution_value() for v in model.all_vars]
    objective = solver.Objective()
    terms = [(v, objective.GetCoefficient(v)) for v in model.all_vars]
    better = expr_value(terms, 0.0, dict(enumerate(found))) < expr_value(terms, 0.0, dict(enumerate(values))) - 0.5
    return (found if better else values), (bound if math.isfinite(bound) else -math.inf)


def lp_bound(instance: Instance, prep: Prep | None = None, compact: bool = True,
             max_displaced: int | None = None) -> float:
    """LP relaxation of the first objective (GLOP): a valid lower bound on shortfall_penalty
    (under the moves budget ``max_displaced``, if any)."""
    prep = prep or prepare(instance)
    model = build_model(instance, prep, compact=compact, relax=True, backend="GLOP", levels=1,
                        max_displaced=max_displaced)
    set_objective(model, "shortfall_penalty")
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
    set_objective(model, "displaced_workers")
    if seconds is not None:
        model.solver.SetTimeLimit(max(100, int(seconds * 1000)))
    with control.watching(model.solver) if control is not None else nullcontext():
        status = model.solver.Solve()
    return float(model.solver.Objective().Value()) if status == pywraplp.Solver.OPTIMAL else -math.inf


# Moves prices at which each rent-budgeted firm's trade-off between its own penalty and its own
# moves is cut into the model (:func:`add_firm_cuts`): a move weighs 0 (the budget knapsack
# alone) up to 1 penalty point (the LP's price of a move under the 10% budget of M-0.8 was
# 0.34). LP of M-0.8 at 10% with (0, 1/4, 1): 67.0 (1.6 s of firm-alone solves); with 13
# prices from 0 to 4: 67.25 (7.5 s). M-1.0 at 25%: 86.3 with 3 prices, 89.4 with 6.
FIRM_CUT_PRICES = (1.0, 0.25, 0.0, 0.5)  # in the order they are tried
FIRM_CUT_SECONDS = 0.5  # cap on one firm-alone solve; its dual bound is used if it stops


def add_firm_cuts(instance: Instance, prep: Prep, model: Model, deadline: float,
                  prices: Iterable[float] = FIRM_CUT_PRICES, done: Callable[[], bool] | None = None) -> int:
    """Valid rows for rent-budgeted firms: penalty_f + price x moves_f >= V_f(price), V_f being
    the least value of that sum for the firm *alone* (whole units of the types it may lease,
    its rent budget, its own residents; no other firm competing), solved exactly by SCIP.

    Why: the LP relaxation lets a budgeted firm buy beds by the fraction of a unit and keep a
    fraction of a resident unit, so under a moves budget it sees neither that the budget buys
    whole units nor that keeping residents in dear units leaves fewer beds within the rent
    budget (M-0.8 at 10%: LP 31, SCIP's bound after 30 s 65, plan 69; all short firms there
    are short by their rent budgets). Every plan's firm f is a plan of the firm alone, so each
    row holds for every plan. Returns the number of rows added (stops at ``deadline``, or
    when ``done()`` says so: a stop request)."""
    if "displaced_workers" not in model.levels:
        return 0
    prices = tuple(prices)
    cost = {v.index(): c for v, c in model.levels["shortfall_penalty"][0]}
    groups_of: dict[str, list[tuple[Group, Any]]] = defaultdict(list)
    for g, k in zip(prep.groups, model.keep, strict=True):
        groups_of[g.firm].append((g, k))
    firms = [f for f in instance.firms
             if f.budget_fen is not None and any(model.slacks.get((f.id, s)) for s in GENDERS)]
    added = 0
    for price in prices:  # price-major: if time runs out, every firm has its most useful rows
        for f in list(firms):
            if time.monotonic() >= deadline or (done is not None and done()):
                return added
            value = _firm_alone(instance, prep, f.id, price, min(FIRM_CUT_SECONDS, deadline - time.monotonic()))
            if value <= 1e-6:
                if price == max(prices):  # V_f rises with the price: zero here, zero everywhere
                    firms.remove(f)
                continue
            slacks = [sv for s in GENDERS for sv in model.slacks.get((f.id, s), [])]
            terms = [(sv, cost[sv.index()]) for sv in slacks]
            const = 0.0
            for g, k in groups_of[f.id]:
                terms.append((k, -price * g.occupied))
                const += price * g.occupied * len(g.units)
            add_row(model.solver, terms, lb=value - const, name=f"firm_alone[{f.id}/{price:g}]")
            added += 1
    return added


def _firm_alone(instance: Instance, prep: Prep, fid: str, price: float, seconds: float) -> float:
    """A lower bound (exact when SCIP finishes) on min penalty + ``price`` x moves of firm
    ``fid`` alone, counting only what the full model's variables count: the banded slacks of
    its genders with options, and its keepable residents' moves."""
    firm = instance.firm_by_id[fid]
    assert firm.budget_fen is not None
    b = _Builder(instance, prep, "SCIP", relax=False)
    types = prep.types
    x: dict[tuple[int, str], Any] = {}
    for s in prep.genders[fid]:
        for ti in prep.options[fid, s]:
            x[ti, s] = b.count(len(types[ti].units), f"units[{ti}/{fid}/{s}]")
    by_type: dict[int, list[Any]] = defaultdict(list)
    for (ti, _), v in x.items():
        by_type[ti].append(v)
    for ti, vs in by_type.items():
        if len(vs) > 1:
            b.row([(v, 1) for v in vs], ub=len(types[ti].units), name=f"one_firm_per_unit[{ti}]")
    b.row([(v, types[ti].rent_fen) for (ti, _), v in x.items()], ub=firm.budget_fen, name=f"rent_budget[{fid}]")
    objective = b.solver.Objective()
    const = 0.0
    kept: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for g in prep.groups:
        if g.firm == fid and g.occupied > 0:
            k = b.count(len(g.units), f"kept[{g.type_index}/{g.gender}/{len(kept[g.type_index, g.gender])}]")
            kept[g.type_index, g.gender].append(k)
            objective.SetCoefficient(k, -price * g.occupied)
            const += price * g.occupied * len(g.units)
    for key, ks in kept.items():
        b.row([(k, 1) for k in ks] + [(x[key], -1)], ub=0, name=f"keep_within_leased[{key[0]}/{key[1]}]")
    for s in prep.genders[fid]:
        d = firm.demand[s]
        if d == 0:
            continue
        bands = _short_bands(b, firm, s)
        for sv, cost in bands:
            objective.SetCoefficient(sv, cost)
        granted: list[Term] = [(v, types[ti].beds) for (ti, s2), v in x.items() if s2 == s]
        b.row(granted + [(sv, 1) for sv, _ in bands], lb=d, name=f"beds_or_short[{fid}/{s}]")
    objective.SetOffset(const)
    objective.SetMinimization()
    b.solver.SetTimeLimit(max(10, int(seconds * 1000)))
    status = b.solver.Solve(_scip_params())
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return 0.0
    bound = b.solver.Objective().BestBound()
    return max(0.0, bound) if math.isfinite(bound) else 0.0


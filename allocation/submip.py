"""Small sub-MIPs for large-neighbourhood search: only the freed firms' variables.

LNS used to re-solve the whole model with every other firm's variables fixed by bounds. SCIP
then still reads, presolves and copies all of it: on the 20,000-unit park (52,000 variables,
39,000 rows) that cost ~0.5 s a step whatever the neighbourhood, so level 2 got ~150 steps.

Here the model's rows are read once (:func:`snapshot`) and each step builds a fresh SCIP model
with only the *free* variables — the freed firms' own counters and the auxiliary variables
that share a row with them (their shortfall slacks, empty beds, building flags, and the pool
of every unit kind they touch) — and only the rows those appear in, each row's bounds moved
by what the fixed variables contribute at the incumbent. That is exactly the old step's
problem (fixed variables are constants), so every solution is a solution of the full model
with all rows (level holds and the moves budget included) still satisfied; it just costs
milliseconds instead of half a second.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import linear_solver_pb2, pywraplp

from .control import Control
from .model import scip_solver


@dataclass(frozen=True, slots=True)
class Matrix:
    """The model's rows and variable domains as plain data, by column (bounds as they were
    when taken: take it before fixing anything)."""

    lb: tuple[float, ...]
    ub: tuple[float, ...]
    integer: tuple[bool, ...]
    row_lb: tuple[float, ...]
    row_ub: tuple[float, ...]
    columns: tuple[tuple[tuple[int, float], ...], ...]  # per variable: (row, coefficient)
    row_cols: tuple[tuple[int, ...], ...]  # per row: its variables

    def activity(self, values: list[float]) -> list[float]:
        """Each row's left-hand side at ``values``."""
        act = [0.0] * len(self.row_lb)
        for j, col in enumerate(self.columns):
            x = values[j]
            if x:
                for r, a in col:
                    act[r] += a * x
        return act


def snapshot(solver: Any) -> Matrix:
    """The rows of ``solver``'s model now (the level holds and the moves budget as they stand);
    rows free on both sides are left out."""
    proto = linear_solver_pb2.MPModelProto()
    solver.ExportModelToProto(proto)
    row_lb: list[float] = []
    row_ub: list[float] = []
    row_cols: list[tuple[int, ...]] = []
    columns: list[list[tuple[int, float]]] = [[] for _ in proto.variable]
    for c in proto.constraint:
        if math.isinf(c.lower_bound) and math.isinf(c.upper_bound):
            continue
        r = len(row_lb)
        row_lb.append(c.lower_bound)
        row_ub.append(c.upper_bound)
        row_cols.append(tuple(c.var_index))
        for j, a in zip(c.var_index, c.coefficient, strict=True):
            columns[j].append((r, a))
    return Matrix(
        tuple(v.lower_bound for v in proto.variable),
        tuple(v.upper_bound for v in proto.variable),
        tuple(v.is_integer for v in proto.variable),
        tuple(row_lb),
        tuple(row_ub),
        tuple(tuple(col) for col in columns),
        tuple(row_cols),
    )


class Restrictor:
    """Builds and solves the sub-MIP of a set of freed variables around an incumbent.

    Keeps each row's activity at the incumbent, so a step only reads the freed columns
    (the rows holding level 1 or the moves budget have thousands of terms; re-adding their
    fixed parts every step cost more than the solve). :meth:`accept` moves the incumbent."""

    def __init__(self, matrix: Matrix, values: list[float], is_owned: list[bool], is_shared: list[bool]) -> None:
        self.matrix = matrix
        self.values = list(values)
        self.activity = matrix.activity(self.values)
        self.is_owned = is_owned
        self.is_shared = is_shared
        self._aux: dict[int, tuple[int, ...]] = {}

    def free_columns(self, owned: Iterable[int], shared: set[int]) -> list[int]:
        """The variables a step may change: the freed firms' own ``owned`` ones and every
        variable owned by no firm that shares a row with one — their slacks, empty beds and
        building flags, and of the variables every firm draws on (``is_shared``: the pool)
        only those in ``shared``. Sorted."""
        free = set(owned)
        for j in list(free):
            free.update(k for k in self._aux_of(j) if not self.is_shared[k] or k in shared)
        return sorted(free)

    def _aux_of(self, j: int) -> tuple[int, ...]:
        aux = self._aux.get(j)
        if aux is None:
            found: set[int] = set()
            for r, _ in self.matrix.columns[j]:
                found.update(k for k in self.matrix.row_cols[r] if not self.is_owned[k])
            aux = self._aux[j] = tuple(sorted(found))
        return aux

    def solve(
        self, free: list[int], objective: dict[int, float], seconds: float, control: Control | None = None
    ) -> tuple[int, list[float] | None]:
        """Minimise ``objective`` (coefficients per variable; the rest is constant) over the
        variables ``free``, every other variable fixed at the incumbent. Returns SCIP's status
        and the full value vector of its solution (None without one)."""
        m, values = self.matrix, self.values
        solver = scip_solver()
        inf = solver.infinity()
        xs = [solver.Var(m.lb[j], m.ub[j], m.integer[j], "") for j in free]
        terms: dict[int, list[tuple[Any, float]]] = defaultdict(list)
        free_part: dict[int, float] = defaultdict(float)
        for j, x in zip(free, xs, strict=True):
            v = values[j]
            for r, a in m.columns[j]:
                terms[r].append((x, a))
                free_part[r] += a * v
        for r, row_terms in terms.items():
            fixed = self.activity[r] - free_part[r]
            lb, ub = m.row_lb[r], m.row_ub[r]
            ct = solver.Constraint(-inf if math.isinf(lb) else lb - fixed, inf if math.isinf(ub) else ub - fixed, "")
            for x, a in row_terms:
                ct.SetCoefficient(x, a)
        obj = solver.Objective()
        for j, x in zip(free, xs, strict=True):
            c = objective.get(j)
            if c:
                obj.SetCoefficient(x, c)
        obj.SetMinimization()
        solver.SetHint(xs, [values[j] for j in free])
        solver.SetTimeLimit(max(10, int(seconds * 1000)))
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
        if control is None:
            status = solver.Solve(params)
        else:
            with control.watching(solver):
                status = solver.Solve(params)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return status, None
        out = list(values)
        for j, x in zip(free, xs, strict=True):
            v = x.solution_value()
            out[j] = float(round(v)) if m.integer[j] else v
        return status, out

    def accept(self, values: list[float]) -> None:
        """Make ``values`` the incumbent (rows' activities follow the changed variables)."""
        columns, activity = self.matrix.columns, self.activity
        for j, (old, new) in enumerate(zip(self.values, values, strict=True)):
            if old != new:
                for r, a in columns[j]:
                    activity[r] += a * (new - old)
        self.values = list(values)

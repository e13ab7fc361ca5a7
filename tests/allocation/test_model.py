"""The model's rows against brute force on tiny parks: every valid plan (every assignment of
units enumerated) must be a solution of the full model, with its level values exact (the
moves at most the plan's: the model gives holders their own units of a type first). The
firm-alone rows (``add_firm_cuts``) are in the model too: a V_f above some plan's firm f
would cut that plan off. A row
tightened beyond what the rules imply (e.g. the rent-budget cap on ``uses_if_leased``) would
cut a valid plan off and fail here."""

from __future__ import annotations

import itertools
import math
from typing import Any

from conftest import firm, instance, unit
from hypothesis import HealthCheck, given, settings
from ortools.linear_solver import pywraplp
from test_properties import instances

from allocation import lease_problems, parse_instance, recompute_objective
from allocation.model import add_firm_cuts, build_model, level_value, prepare, scip_solver, values_from_counts
from allocation.solver import counts_of_leases
from allocation.submip import snapshot


def valid_plans(inst: Any) -> list[list[dict[str, Any]]]:
    choices = [None] + [(f.id, g) for f in inst.firms for g in ("male", "female")]
    plans = []
    for combo in itertools.product(choices, repeat=len(inst.units)):
        leases = [{"unit": u.id, "firm": c[0], "gender": c[1]} for u, c in zip(inst.units, combo, strict=True) if c]
        if not lease_problems(inst, leases):
            plans.append(leases)
    return plans


def check_every_valid_plan(data: dict[str, Any]) -> None:
    inst = parse_instance(data)
    prep = prepare(inst)
    model = build_model(inst, prep, compact=False, max_displaced=10**6)
    add_firm_cuts(inst, prep, model, math.inf)
    matrix = snapshot(model.solver)
    zero = [0.0] * len(model.all_vars)
    for leases in valid_plans(inst):
        counts = counts_of_leases(prep, leases)
        if any(key not in model.x for key in counts):
            continue  # units a firm asked for no beds of: not modelled (only adds empty beds)
        values = values_from_counts(model, counts, zero)
        for r, act in enumerate(matrix.activity(values)):
            assert matrix.row_lb[r] - 1e-6 <= act <= matrix.row_ub[r] + 1e-6, (leases, r)
        obj = recompute_objective(inst, leases)
        for name in ("shortfall_penalty", "firm_buildings", "empty_beds"):
            assert level_value(model, name, values) == obj[name], name
        # the model keeps residents wherever the counts allow; these leases may not
        assert level_value(model, "displaced_workers", values) <= obj["displaced_workers"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=4, max_firms=2))
def test_every_valid_plan_satisfies_every_row_of_the_full_model(data: dict[str, Any]) -> None:
    check_every_valid_plan(data)


def test_a_rent_budget_for_two_of_three_units_allows_two() -> None:
    """Three interchangeable units at 10.00, a budget of 20.50: the budget caps the firm at two
    units of the type (below the three of ``units_of_type``), and a plan with two must fit."""
    units = [unit(f"U{i}", rent=10.0) for i in range(3)]
    check_every_valid_plan(instance(units, [firm("F0", male=8, budget=20.5), firm("F1", male=4)]))


def test_scip_solver_keeps_the_optimum_that_scip_10_presolve_loses() -> None:
    """The rows of ``SCIP_SAFE``'s comment, a fractional side after presolve: with "simplify
    inequalities" on, SCIP 10 drops u1 from the beds row and proves e = 1."""
    solver = scip_solver()
    u1, u2, u4 = solver.IntVar(0, 1, "u1"), solver.IntVar(0, 2, "u2"), solver.IntVar(0, 1, "u4")
    s10, s100, e = solver.NumVar(0, 1, "s10"), solver.NumVar(0, 2, "s100"), solver.NumVar(0, 9, "e")
    solver.Add(u1 + 2 * u2 + 4 * u4 + s10 + s100 >= 3)
    solver.Add(e - u1 - 2 * u2 - 4 * u4 >= -3)
    solver.Add(s10 + 4 * s100 <= 0.5)
    solver.Minimize(e)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    assert solver.Objective().Value() == 0.0
    assert (u1.solution_value(), u2.solution_value(), u4.solution_value()) == (1.0, 1.0, 0.0)

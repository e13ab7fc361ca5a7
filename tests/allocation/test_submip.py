"""LNS sub-MIPs (``allocation.submip``): only the freed firms' variables, the rest fixed.

Against brute force on tiny parks (every assignment enumerated, ``test_budget.all_plans``):
with everything freed the sub-MIP is the whole model, so it must find the exact fewest moves;
with a part freed, every row of the full model must still hold and nothing fixed may change.
"""

from __future__ import annotations

import random
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_budget import all_plans, level_one
from test_properties import instances

from allocation import lease_problems, parse_instance, recompute_objective
from allocation.lns import _owned_vars, polish
from allocation.model import (
    Model,
    Prep,
    build_model,
    hold_level,
    level_value,
    prepare,
    values_from_counts,
)
from allocation.solver import counts_from_model, pack_pool, realize
from allocation.submip import Matrix, Restrictor, snapshot


def restrictor(model: Model, prep: Prep, values: list[float]) -> tuple[Restrictor, Matrix, dict[Any, list[int]]]:
    owned = {fs: [v.index() for v in vs] for fs, vs in _owned_vars(model, prep).items()}
    is_owned = [False] * len(model.all_vars)
    for idx in owned.values():
        for i in idx:
            is_owned[i] = True
    is_shared = [False] * len(model.all_vars)
    for zv in model.z.values():
        is_shared[zv.index()] = True
    matrix = snapshot(model.solver)
    rounded = [float(round(x)) if v.integer() else x for v, x in zip(model.all_vars, values, strict=True)]
    return Restrictor(matrix, rounded, is_owned, is_shared), matrix, owned


def moves_objective(model: Model) -> dict[int, float]:
    return {v.index(): c for v, c in model.levels["displaced_workers"][0]}


def leases_of(inst: Any, prep: Prep, model: Model, values: list[float]) -> list[dict[str, Any]]:
    counts, needs = counts_from_model(model, values)
    return realize(inst, prep, pack_pool(prep, counts, needs))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2))
def test_everything_free_is_the_whole_model_and_finds_the_fewest_moves(data: dict[str, Any]) -> None:
    inst, prep, model, values, target = level_one(data)
    hold_level(model, "shortfall_penalty", target)
    sub, _, _ = restrictor(model, prep, values)
    status, vals = sub.solve(list(range(len(model.all_vars))), moves_objective(model), 10.0)
    assert status == 0 and vals is not None
    truth = min(k[1] for k in all_plans(inst) if k[0] <= target)
    assert level_value(model, "displaced_workers", vals) == truth
    leases = leases_of(inst, prep, model, vals)
    assert lease_problems(inst, leases) == []
    obj = recompute_objective(inst, leases)
    assert obj["shortfall_penalty"] <= target and obj["displaced_workers"] == truth


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=8, max_firms=3), st.integers(0, 2**16))
def test_a_part_freed_keeps_every_row_and_every_fixed_variable(data: dict[str, Any], seed: int) -> None:
    inst, prep, model, values, target = level_one(data)
    hold_level(model, "shortfall_penalty", target)
    sub, matrix, owned = restrictor(model, prep, values)
    rng = random.Random(seed)
    hood = [fs for fs in owned if rng.random() < 0.5]
    shared = {zv.index() for zv in model.z.values() if rng.random() < 0.5}
    free = sub.free_columns((i for fs in hood for i in owned[fs]), shared)
    start = level_value(model, "displaced_workers", sub.values)
    status, vals = sub.solve(free, moves_objective(model), 10.0)
    assert status == 0 and vals is not None  # the incumbent is a solution: never infeasible
    assert all(vals[j] == sub.values[j] for j in set(range(len(vals))) - set(free))
    activity = matrix.activity(vals)
    for r, act in enumerate(activity):
        assert matrix.row_lb[r] - 1e-5 <= act <= matrix.row_ub[r] + 1e-5
    assert level_value(model, "displaced_workers", vals) <= start
    sub.accept(vals)  # the kept activities are those of the new incumbent
    assert all(abs(a - b) < 1e-6 for a, b in zip(sub.activity, activity, strict=True))
    leases = leases_of(inst, prep, model, vals)
    assert lease_problems(inst, leases) == []
    assert recompute_objective(inst, leases)["shortfall_penalty"] <= target


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2))
def test_polish_keeps_the_penalty_and_never_adds_moves(data: dict[str, Any]) -> None:
    inst, prep, model, values, target = level_one(data)
    hold_level(model, "shortfall_penalty", target)
    start = level_value(model, "displaced_workers", values)
    best, _ = polish(model, prep, "displaced_workers", values, time.monotonic() + 30, patience=30)
    moves = level_value(model, "displaced_workers", best)
    truth = min(k[1] for k in all_plans(inst) if k[0] <= target)
    assert truth <= moves <= start
    leases = leases_of(inst, prep, model, best)
    assert lease_problems(inst, leases) == []
    obj = recompute_objective(inst, leases)
    assert obj["shortfall_penalty"] <= target and obj["displaced_workers"] <= moves


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2), st.integers(0, 12))
def test_penalty_search_under_a_budget_never_leaves_it_and_never_loses(data: dict[str, Any], extra: int) -> None:
    """From the fewest-moves plan (nothing leased but the residents' units), LNS on the first
    level with the budget fewest + ``extra``: the plan stays valid and within the budget, its
    model penalty is the leases' penalty, it is no worse than the start and no better than the
    brute-force best under the budget."""
    from allocation.lns import lower_penalty
    from allocation.residents import fewest_moves

    inst = parse_instance(data)
    prep = prepare(inst)
    fewest, counts = fewest_moves(inst, prep)
    budget = fewest + extra
    model = build_model(inst, prep, compact=True, max_displaced=budget)
    start = values_from_counts(model, counts, [0.0] * len(model.all_vars))
    best, _ = lower_penalty(model, prep, start, time.monotonic() + 30, patience=40)
    leases = leases_of(inst, prep, model, best)
    assert lease_problems(inst, leases) == []
    obj = recompute_objective(inst, leases)
    assert obj["shortfall_penalty"] == level_value(model, "shortfall_penalty", best)
    assert obj["displaced_workers"] <= level_value(model, "displaced_workers", best) <= budget
    assert obj["shortfall_penalty"] <= level_value(model, "shortfall_penalty", start)
    assert obj["shortfall_penalty"] >= min(k[0] for k in all_plans(inst) if k[1] <= budget)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=8, max_firms=3), st.integers(0, 2**16))
def test_tightening_a_freed_part_equals_tightening_everything(data: dict[str, Any], seed: int) -> None:
    """An LNS step re-tightens only the variables it freed; from a tight incumbent that must
    give what the whole pass gives (the other firms' auxiliaries follow unchanged counts)."""
    from allocation.model import tighten

    inst, prep, model, values, _ = level_one(data)
    tight = tighten(model, values)
    sub, _, owned = restrictor(model, prep, tight)
    rng = random.Random(seed)
    hood = [fs for fs in owned if rng.random() < 0.5]
    free = sub.free_columns((i for fs in hood for i in owned[fs]), {zv.index() for zv in model.z.values()})
    changed = list(tight)
    for j in free:  # a messy solution on the freed part: counts moved, auxiliaries stale
        if model.all_vars[j].integer() and rng.random() < 0.3:
            changed[j] = float(min(model.all_vars[j].ub(), changed[j] + 1))
    assert tighten(model, changed, free) == tighten(model, changed)

"""The moves budget (``max_displaced_workers``), the trade-off curve, progress and stopping.

Hand-worked examples first (worked out in each docstring), then brute force on tiny parks:
every assignment of units to (nobody | firm x gender) is enumerated, so "the best plan within
the budget" and "the fewest moves possible" are known exactly.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import firm, instance, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import instances

from allocation import InstanceError, lease_problems, parse_instance, recompute_objective, solve, tradeoff
from allocation.model import Model, Prep, build_model, level_value, prepare, set_level_objective
from allocation.plan import level_key
from allocation.residents import fewest_moves

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path("/work/shared/samples")


def two_unit_park(budget: int | None = None) -> dict[str, Any]:
    """A (4 men) holds U1 (4 residents) and U2 (2 residents); key firm B (priority 3) needs 4
    men and has nothing. Giving U2 to B: penalty 0, 2 moves. Keeping both with A: B is 4 short
    of 4 -> bands ceil(0.4)=1, ceil(1)=1 -> 1 + 0 + 3x4 = 13, x3 = 39, 0 moves."""
    data = instance([unit("U1"), unit("U2")], [firm("A", male=4), firm("B", male=4, priority=3)],
                    [{"unit": "U1", "firm": "A", "gender": "male", "occupied_beds": 4},
                     {"unit": "U2", "firm": "A", "gender": "male", "occupied_beds": 2}])
    if budget is not None:
        data["max_displaced_workers"] = budget
    return data


def check(inst: Any, plan: dict[str, Any]) -> None:
    assert lease_problems(inst, plan["leases"]) == []
    assert plan["objective"] == recompute_objective(inst, plan["leases"])


@pytest.mark.parametrize(("budget", "penalty", "moves"), [(None, 0, 2), (2, 0, 2), (1, 39, 0), (0, 39, 0)])
def test_budget_holds_and_levels_keep_their_order(budget: int | None, penalty: int, moves: int) -> None:
    inst = parse_instance(two_unit_park(budget))
    plan = solve(inst, time_limit_s=10)
    check(inst, plan)
    assert plan["status"] == "optimal"
    assert (plan["objective"]["shortfall_penalty"], plan["objective"]["displaced_workers"]) == (penalty, moves)
    assert plan["bound"] == {"shortfall_penalty": penalty, "displaced_workers": moves}


def test_cli_budget_overrides_the_instance(tmp_path: Path) -> None:
    path = tmp_path / "park.json"
    path.write_text(json.dumps(two_unit_park(budget=5)))
    out = subprocess.run([sys.executable, "-m", "allocation", "solve", str(path), "--max-displaced", "1"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout)["objective"]["displaced_workers"] == 0


def test_unkeepable_residents_make_a_small_budget_infeasible_with_the_exact_minimum() -> None:
    """U3 is under repair (3 residents of A must move whatever happens), U4 is women-only but
    held for men (1 resident must move): no plan displaces fewer than 4."""
    data = two_unit_park(budget=3)
    data["units"] += [unit("U3", available=False), unit("U4", gender="female")]
    data["current"] += [{"unit": "U3", "firm": "A", "gender": "male", "occupied_beds": 3},
                        {"unit": "U4", "firm": "A", "gender": "male", "occupied_beds": 1}]
    plan = solve(parse_instance(data), time_limit_s=10)
    assert plan["status"] == "infeasible"
    assert plan["min_displaced_workers"] == 4
    assert "smallest budget that can be met is 4" in plan["message"]
    data["max_displaced_workers"] = 4
    inst = parse_instance(data)
    plan = solve(inst, time_limit_s=10)
    check(inst, plan)
    assert plan["objective"]["displaced_workers"] == 4


def test_rent_budget_makes_keeping_a_knapsack() -> None:
    """A (budget 250) holds U1 (rent 100, 3 residents), U2 (100, 2), U3 (200, 4). Within 250 it
    keeps U1 + U2 (5 residents; U3 with either is 300) -> at least 9 - 5 = 4 must move."""
    units = [unit("U1", rent=100), unit("U2", rent=100), unit("U3", rent=200, building="B2")]
    cur = [{"unit": u, "firm": "A", "gender": "male", "occupied_beds": n} for u, n in (("U1", 3), ("U2", 2), ("U3", 4))]
    data = instance(units, [firm("A", male=12, budget=250)], cur)
    inst = parse_instance(data)
    assert fewest_moves(inst, prepare(inst))[0] == 4
    data["max_displaced_workers"] = 3
    plan = solve(parse_instance(data), time_limit_s=10)
    assert plan["status"] == "infeasible" and plan["min_displaced_workers"] == 4


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True, [3]])
def test_bad_budget_names_the_field(bad: Any) -> None:
    data = two_unit_park()
    data["max_displaced_workers"] = bad
    with pytest.raises(InstanceError) as err:
        parse_instance(data)
    assert err.value.field == "max_displaced_workers"


# --- brute force on tiny parks ---------------------------------------------------------------


def all_plans(inst: Any) -> list[tuple[int, ...]]:
    choices = [None] + [(f.id, g) for f in inst.firms for g in ("male", "female")]
    keys = []
    for combo in itertools.product(choices, repeat=len(inst.units)):
        leases = [{"unit": u.id, "firm": c[0], "gender": c[1]} for u, c in zip(inst.units, combo, strict=True) if c]
        if not lease_problems(inst, leases):
            keys.append(level_key(recompute_objective(inst, leases)))
    return keys


def level_one(data: dict[str, Any]) -> tuple[Any, Prep, Model, list[float], int]:
    """The compact model solved to optimality on level 1, and that penalty (the start of the
    level-2 and LNS tests: instance, prep, model, values, penalty)."""
    inst = parse_instance(data)
    prep = prepare(inst)
    model = build_model(inst, prep, compact=True)
    set_level_objective(model, "shortfall_penalty")
    assert model.solver.Solve() == 0
    values = [v.solution_value() for v in model.all_vars]
    return inst, prep, model, values, level_value(model, "shortfall_penalty", values)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2), st.integers(0, 12))
def test_budget_against_brute_force(data: dict[str, Any], budget: int) -> None:
    inst = parse_instance(data)
    keys = all_plans(inst)
    fewest = min(k[1] for k in keys)
    assert fewest_moves(inst, prepare(inst))[0] == fewest
    plan = solve(inst, time_limit_s=5, max_displaced=budget)
    if budget < fewest:
        assert plan["status"] == "infeasible"
        assert plan["min_displaced_workers"] == fewest
        assert f"is {fewest}." in plan["message"]
        return
    check(inst, plan)
    best = min(k for k in keys if k[1] <= budget)
    assert plan["objective"]["displaced_workers"] <= budget
    assert plan["bound"]["shortfall_penalty"] <= best[0]
    at_penalty = min(k[1] for k in keys if k[0] <= plan["objective"]["shortfall_penalty"])
    assert plan["bound"]["displaced_workers"] <= at_penalty
    if plan["status"] == "optimal":
        assert level_key(plan["objective"]) == best


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2))
def test_tradeoff_is_monotone_and_reproducible(data: dict[str, Any]) -> None:
    inst = parse_instance(data)
    keys = all_plans(inst)
    curve = tradeoff(inst, 10, points=3, with_plans=True)
    pts = curve["points"]
    assert len(pts) == 3
    assert pts[0]["max_displaced_workers"] == min(k[1] for k in keys) == curve["fewest_moves"]
    assert curve["residents"] == sum(c.occupied_beds for c in inst.current)
    moves = [p["objective"]["displaced_workers"] for p in pts]
    penalties = [p["objective"]["shortfall_penalty"] for p in pts]
    assert moves == sorted(moves)
    assert penalties == sorted(penalties, reverse=True)
    for p in pts:
        check(inst, p)
        assert p["objective"]["displaced_workers"] <= p["max_displaced_workers"]
        best = min(k for k in keys if k[1] <= p["max_displaced_workers"])
        assert p["bound"]["shortfall_penalty"] <= best[0] <= p["objective"]["shortfall_penalty"]
        again = solve(inst, 5, max_displaced=p["max_displaced_workers"])
        assert level_key(again["objective"]) <= level_key(p["objective"])
    assert penalties[-1] == min(k[0] for k in keys)  # tiny parks: the right end is the optimum


def test_tradeoff_cli_writes_the_format(tmp_path: Path) -> None:
    path = tmp_path / "park.json"
    path.write_text(json.dumps(two_unit_park()))
    out = subprocess.run([sys.executable, "-m", "allocation", "tradeoff", str(path), "--points", "3",
                          "--time-limit", "10"], capture_output=True, text=True, cwd=ROOT, check=True)
    curve = json.loads(out.stdout)
    assert curve["format"] == "park-allocation-tradeoff/1" and curve["residents"] == 6
    assert [(p["objective"]["shortfall_penalty"], p["objective"]["displaced_workers"]) for p in curve["points"]] \
        == [(39, 0), (39, 0), (0, 2)]
    assert [p["max_displaced_workers"] for p in curve["points"]] == [0, 1, 2]
    assert "leases" not in curve["points"][0]


# --- progress and stop -----------------------------------------------------------------------


def test_progress_is_called_with_the_documented_shape() -> None:
    reports: list[dict[str, Any]] = []
    inst = parse_instance(json.loads((SAMPLES / "park-131.json").read_text()))
    plan = solve(inst, 5, progress=reports.append)
    assert reports
    for r in reports:
        assert set(r) == {"level", "best", "bound", "seconds"}
        assert r["level"] in ("shortfall_penalty", "displaced_workers", "firm_buildings", "empty_beds")
    assert [r["seconds"] for r in reports] == sorted(r["seconds"] for r in reports)
    gaps = [b["seconds"] - a["seconds"] for a, b in zip(reports[:-2], reports[1:-1], strict=True)]
    assert all(g >= 0.2 for g in gaps)  # a few a second at most (the last one may come sooner)
    assert reports[-1]["best"]["shortfall_penalty"] == plan["objective"]["shortfall_penalty"]
    assert reports[-1]["bound"]["shortfall_penalty"] == plan["bound"]["shortfall_penalty"]


def test_stop_returns_the_best_valid_plan_so_far() -> None:
    """A stop requested 1 s in, on a park whose solve would otherwise use its 60 s."""
    inst = parse_instance(json.loads((SAMPLES / "park-1000.json").read_text()))
    t0 = time.monotonic()
    calls = []

    def stop() -> bool:
        calls.append(1)
        return time.monotonic() - t0 > 1.0

    plan = solve(inst, 60, stop=stop)
    took = time.monotonic() - t0
    check(inst, plan)
    assert calls and plan["solver"]["stopped"] and plan["status"] == "feasible"
    assert took < 20  # it finished long before the limit
    assert plan["bound"]["shortfall_penalty"] <= plan["objective"]["shortfall_penalty"]


def test_stop_before_anything_still_gives_a_valid_plan_within_the_budget() -> None:
    data = two_unit_park(budget=1)
    inst = parse_instance(data)
    plan = solve(inst, 10, stop=lambda: True)
    check(inst, plan)
    assert plan["status"] == "feasible" and plan["objective"]["displaced_workers"] <= 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=8, max_firms=3), st.integers(0, 20))
def test_fit_budget_gives_valid_counts_within_the_budget(data: dict[str, Any], budget: int) -> None:
    """The repair of an over-budget start: valid leases, within the budget whenever it succeeds,
    and it succeeds from the greedy plan whenever the budget is at least the fewest moves and
    the displaced residents can be given back (here: checked only for validity and the budget)."""
    from allocation import greedy_leases
    from allocation.residents import displaced_of_counts, fit_budget
    from allocation.solver import counts_of_leases, realize

    inst = parse_instance(data)
    prep = prepare(inst)
    counts = counts_of_leases(prep, greedy_leases(inst))
    fitted = fit_budget(inst, prep, counts, budget)
    if fitted is None:
        return
    leases = realize(inst, prep, fitted)
    assert lease_problems(inst, leases) == []
    assert recompute_objective(inst, leases)["displaced_workers"] == displaced_of_counts(prep, fitted) <= budget


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=5, max_firms=2))
def test_second_level_floor_is_a_true_lower_bound(data: dict[str, Any]) -> None:
    """Level 2 on larger parks (weighted solve, then LNS): the plan keeps the target penalty and
    the proven floor (the LP bound on the moves) never exceeds the true fewest moves at that
    penalty (every assignment enumerated)."""
    from allocation.control import Control
    from allocation.lns import second_level
    from allocation.model import lp_moves_bound

    inst, prep, model, values, target = level_one(data)
    keys = all_plans(inst)
    now = time.monotonic()
    best, floor = second_level(model, prep, Control(now, now + 10), target, values, fewest_moves(inst, prep)[0],
                               now + 1, lp_moves=lambda p: lp_moves_bound(inst, p, prep))
    truth = min(k[1] for k in keys if k[0] <= target)
    assert level_value(model, "shortfall_penalty", best) <= target
    assert floor <= truth <= level_value(model, "displaced_workers", best)

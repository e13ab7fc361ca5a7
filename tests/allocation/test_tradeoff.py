"""How the trade-off curve spaces its points and types its plans.

The brute-force checks of the curve (monotone, reproducible, bounds valid) are in
``test_budget.py``; here a scripted solver stands in for ``solve_plan`` so the spacing rule —
a budgeted solve that reaches the right end's penalty with fewer moves becomes the right end,
and the points left are spaced below it — is checked exactly, and the shared sample checks the
rule on a real solve.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import firm, instance, unit

from allocation import load_instance, parse_instance, recompute_objective, solve
from allocation.plan import Objective, Plan
from allocation.tradeoff import budgets_between, tradeoff_curve

# the package exports the function ``tradeoff`` under the module's name: patch the module itself
tradeoff_module = sys.modules["allocation.tradeoff"]

SAMPLES = Path("/work/shared/samples")


def scripted_plan(penalty: int, moves: int, bound_penalty: int, budget: int | None) -> Plan:
    objective = Objective(penalty, moves, 0, 0, 0, 0.0)
    return Plan(
        status="feasible",
        leases=[],
        firms=[],
        objective=objective,
        bound={"shortfall_penalty": bound_penalty, "displaced_workers": 0},
        explanation=[],
        solve_seconds=0.0,
        max_displaced_workers=budget,
    )


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The unconstrained solve finds penalty 10 with a loose 100 moves; under a budget b the
    penalty is max(10, 50 - b) and the moves min(b, 40): penalty 10 needs only 40 moves.
    Returns the budgets solved, in order."""
    calls: list[int | None] = []

    def fake(_instance: Any, _seconds: float, *, max_displaced: int | None, **_: Any) -> Plan:
        calls.append(max_displaced)
        if max_displaced is None:
            return scripted_plan(10, 100, 8, None)
        return scripted_plan(max(10, 50 - max_displaced), min(max_displaced, 40), 9, max_displaced)

    monkeypatch.setattr(tradeoff_module, "solve_plan", fake)
    return calls


def tiny() -> Any:
    return parse_instance(instance([unit("U1")], [firm("A", male=4)]))


def test_a_budgeted_plan_at_the_best_penalty_becomes_the_right_end_and_the_rest_are_spaced_below_it(
    scripted: list[int | None],
) -> None:
    curve = tradeoff_curve(tiny(), 5, points=5)
    # 0 and 25 are worse than the right end; 50 reaches penalty 10 with 40 moves, so the two
    # points left go between 25 and 40
    assert scripted == [None, 0, 25, 50, 30, 35]
    assert [
        (p.budget, p.plan.objective.shortfall_penalty, p.plan.objective.displaced_workers) for p in curve.points
    ] == [(0, 50, 0), (25, 25, 25), (30, 20, 30), (35, 15, 35), (40, 10, 40)]
    right = curve.points[-1].plan
    # both bounds hold for the new right end: the higher is kept
    assert right.bound["shortfall_penalty"] == 9 and right.max_displaced_workers == 40


def test_without_a_better_right_end_the_budgets_are_even_up_to_the_unconstrained_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake(_instance: Any, _seconds: float, *, max_displaced: int | None, **_: Any) -> Plan:
        if max_displaced is None:
            return scripted_plan(10, 40, 10, None)
        return scripted_plan(max(11, 50 - max_displaced), max_displaced, 0, max_displaced)

    monkeypatch.setattr(tradeoff_module, "solve_plan", fake)
    curve = tradeoff_curve(tiny(), 5, points=5)
    assert [p.budget for p in curve.points] == budgets_between(0, 40, 5) == [0, 10, 20, 30, 40]


def test_a_point_whose_budget_the_right_end_meets_takes_its_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Budget 0 already reaches the best penalty: every point is that plan."""

    def fake(_instance: Any, _seconds: float, *, max_displaced: int | None, **_: Any) -> Plan:
        return scripted_plan(10, 0 if max_displaced is not None else 30, 10, max_displaced)

    monkeypatch.setattr(tradeoff_module, "solve_plan", fake)
    curve = tradeoff_curve(tiny(), 5, points=4)
    assert [(p.budget, p.plan.objective.displaced_workers) for p in curve.points] == [(0, 0)] * 4


@pytest.mark.skipif(not (SAMPLES / "park-131.json").exists(), reason="shared samples not mounted")
def test_the_sample_curve_has_no_point_beyond_the_moves_the_best_penalty_needs() -> None:
    """On park-131 the unconstrained solve (a fifth of the time) used to leave four of five
    points on one 29-move plan at budgets up to 250."""
    inst = load_instance(SAMPLES / "park-131.json")
    curve = tradeoff_curve(inst, 5, points=5)
    right = curve.points[-1]
    assert right.budget == right.plan.objective.displaced_workers
    for p in curve.points[:-1]:
        assert p.budget <= right.budget
        if p.budget < right.budget:  # below the right end's moves: a higher penalty, or it would be the end
            assert p.plan.objective.shortfall_penalty > right.plan.objective.shortfall_penalty
    budgets = [p.budget for p in curve.points]
    assert budgets == sorted(budgets)


def test_a_plans_firm_lines_carry_the_rent_in_fen() -> None:
    """182.45 CNY + 100.10 CNY: the plan says 28255 fen and 282.55 CNY, not a float sum."""
    data = instance([unit("U1", rent=182.45), unit("U2", rent=100.10)], [firm("A", male=8)])
    inst = parse_instance(data)
    plan = solve(inst, 5)
    (line,) = plan["firms"]
    assert line["monthly_rent_fen"] == 28255 and line["monthly_rent"] == 282.55
    assert plan["objective"] == recompute_objective(inst, plan["leases"])

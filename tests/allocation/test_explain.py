"""Explanations: each short firm gets the constraint that bound it."""

from __future__ import annotations

from conftest import firm, instance, unit

from allocation import parse_instance, solve
from allocation.explain import explain


def why(plan: dict, fid: str, gender: str = "male") -> dict:
    return next(e for e in plan["explanation"] if e["firm"] == fid and e["gender"] == gender)


def test_women_only_units_named() -> None:
    plan = solve(parse_instance(instance([unit("U1", gender="female"), unit("U2")], [firm("A", male=8)])), 5)
    e = why(plan, "A")
    assert e["reason"] == "gender_rule" and e["short"] == 4
    assert "female-only" in e["message"]


def test_scarcity_names_the_cheapest_move() -> None:
    """One 4-bed unit, A (priority 3) and B both need 4: A gets it. Taking it from A would cost
    3 x (1 + 2 + 4 + 4... for d=4: bands 1, 1 -> 1 + 0 + 4x3) = 39 to save B 13."""
    plan = solve(parse_instance(instance([unit("U1")], [firm("A", male=4, priority=3), firm("B", male=4)])), 5)
    e = why(plan, "B")
    assert e["reason"] == "scarcity"
    move = e["detail"]["cheapest_move"]
    assert move["holder"] == "A" and move["holder_would_lose"] == 39 and move["firm_would_gain"] == 13
    assert move["holder_would_lose"] >= move["firm_would_gain"]  # the plan is locally optimal


def test_not_optimal_when_a_free_unit_fits() -> None:
    inst = parse_instance(instance([unit("U1")], [firm("A", male=4)]))
    (e,) = explain(inst, [])
    assert e["reason"] == "not_optimal"


def test_budget_named_even_when_units_are_leased_to_others() -> None:
    """A has 150 CNY: one 100 CNY unit. Its remaining 50 CNY is below every unit's rent."""
    plan = solve(parse_instance(instance([unit("U1"), unit("U2"), unit("U3")],
                                         [firm("A", male=12, budget=150), firm("B", male=8)])), 5)
    e = why(plan, "A")
    assert e["reason"] == "budget"
    assert e["detail"]["budget"] == 150.0 and e["detail"]["rent"] == 100.0

"""Tiny instances with hand-worked optimal plans: one per hard rule and per objective level.

Each docstring carries the hand calculation; the solver must find exactly that plan and prove
it (status "optimal", bound equal to the penalty).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import firm, instance, unit

from allocation import lease_problems, parse_instance, recompute_objective, solve
from allocation.plan import short_penalty


def run(data: dict[str, Any]) -> dict[str, Any]:
    inst = parse_instance(data)
    plan = solve(inst, time_limit_s=10)
    assert lease_problems(inst, plan["leases"]) == []
    assert plan["objective"] == recompute_objective(inst, plan["leases"])
    assert plan["status"] == "optimal"
    assert plan["bound"]["shortfall_penalty"] == plan["objective"]["shortfall_penalty"]
    return plan


def leases(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(x["unit"], x["firm"], x["gender"]) for x in plan["leases"]}


def test_band_example_from_the_spec() -> None:
    """d = 40, s = 13 -> 4x1 + 6x2 + 3x4 = 28."""
    assert short_penalty(40, 13) == 28
    assert short_penalty(40, 0) == 0
    assert short_penalty(10, 10) == 1 + 2 * 2 + 4 * 7


def test_women_only_unit_is_never_given_to_men() -> None:
    """U1 is women-only. A needs 8 men: only U2 (4 beds) can house them -> short 4 of 8:
    bands ceil(0.8)=1, ceil(2)=2 -> 1 + 2x1 + 4x2 = 11."""
    plan = run(instance([unit("U1", gender="female"), unit("U2")], [firm("A", male=8)]))
    assert leases(plan) == {("U2", "A", "male")}
    assert plan["objective"]["shortfall_penalty"] == 11


def test_women_only_unit_goes_to_the_women() -> None:
    """A needs 4 men and 4 women; the women-only unit must be the women's."""
    plan = run(instance([unit("U1", gender="female"), unit("U2")], [firm("A", male=4, female=4)]))
    assert leases(plan) == {("U1", "A", "female"), ("U2", "A", "male")}
    assert plan["objective"]["shortfall_penalty"] == 0


def test_budget_is_compared_exactly_in_fen() -> None:
    """Rents 0.10 and 0.20 CNY, budget 0.30: 0.1 + 0.2 > 0.3 in floats, but 10 + 20 = 30 fen, so
    both units fit. The third unit (0.01) would exceed it."""
    plan = run(instance(
        [unit("U1", rent=0.1), unit("U2", rent=0.2), unit("U3", rent=0.01)],
        [firm("A", male=12, budget=0.3)],
    ))
    assert leases(plan) == {("U1", "A", "male"), ("U2", "A", "male")}
    assert plan["firms"][0]["monthly_rent"] == 0.3


def test_budget_limits_units() -> None:
    """Two 4-bed units at 100 CNY, budget 150: one unit only -> short 4 of 8 -> 11.
    The explanation names the budget."""
    plan = run(instance([unit("U1"), unit("U2")], [firm("A", male=8, budget=150)]))
    assert len(plan["leases"]) == 1
    assert plan["objective"]["shortfall_penalty"] == 11
    (why,) = plan["explanation"]
    assert why["reason"] == "budget" and why["firm"] == "A"


def test_building_restriction() -> None:
    """A accepts only B1 (one 4-bed unit); B takes B2. A is 4 of 8 short (11); the explanation
    points at the free unit in B2... which B holds, so it is scarcity inside A's buildings."""
    plan = run(instance(
        [unit("U1", building="B1"), unit("U2", building="B2"), unit("U3", building="B2")],
        [firm("A", male=8, buildings=["B1"]), firm("B", male=4)],
    ))
    assert ("U1", "A", "male") in leases(plan)
    assert all(x["firm"] != "A" or x["unit"] == "U1" for x in plan["leases"])
    assert plan["objective"]["shortfall_penalty"] == 11
    why = [e for e in plan["explanation"] if e["firm"] == "A"][0]
    assert why["reason"] == "buildings"
    assert "B2" in why["message"]


def test_unavailable_unit_gets_no_lease() -> None:
    plan = run(instance([unit("U1", available=False), unit("U2")], [firm("A", male=8)]))
    assert leases(plan) == {("U2", "A", "male")}


def test_residents_stay_when_nothing_is_gained_by_moving_them() -> None:
    """A lives in U1 (4 of 4). A and B need 4 each; U1 and U2 are equivalent, so the plan
    giving U1 to B (displacing 4) loses on level 2: A keeps U1."""
    plan = run(instance(
        [unit("U1"), unit("U2")], [firm("B", male=4), firm("A", male=4)],
        [{"unit": "U1", "firm": "A", "gender": "male", "occupied_beds": 4}],
    ))
    assert leases(plan) == {("U1", "A", "male"), ("U2", "B", "male")}
    assert plan["objective"]["displaced_workers"] == 0


def test_housing_more_beats_keeping_residents() -> None:
    """A lives in U1 (3 occupied) but now asks for no men; B needs 4 men and U1 is the only
    unit: level 1 (B short 4 of 4 = 1+2+4 = 7... vs 0) wins over level 2 (3 displaced)."""
    plan = run(instance(
        [unit("U1")], [firm("A"), firm("B", male=4)],
        [{"unit": "U1", "firm": "A", "gender": "male", "occupied_beds": 3}],
    ))
    assert leases(plan) == {("U1", "B", "male")}
    assert plan["objective"]["shortfall_penalty"] == 0
    assert plan["objective"]["displaced_workers"] == 3


def test_residents_kept_even_if_beds_are_empty() -> None:
    """A asks for nothing but 3 of its men live in U1 and nobody else wants it: keeping them
    (level 2: 0 displaced) beats saving 4 empty beds (level 4)."""
    plan = run(instance(
        [unit("U1")], [firm("A"), firm("B")],
        [{"unit": "U1", "firm": "A", "gender": "male", "occupied_beds": 3}],
    ))
    assert leases(plan) == {("U1", "A", "male")}
    assert plan["objective"]["empty_beds"] == 4


def test_shortfall_tiers_spread_a_shortage() -> None:
    """A and B (priority 1) need 10 men each; 14 one-bed units. Each short bed costs 1, 2, 2,
    then 4 (bands ceil(1), ceil(2.5)=3). Six short beds cost least as 3 + 3 (5 + 5 = 10);
    6 + 0 would cost 1+2+2+4+4+4 = 17. So each firm gets 7."""
    plan = run(instance([unit(f"U{i}", beds=1) for i in range(14)],
                        [firm("A", male=10), firm("B", male=10)]))
    assert [f["male_beds"] for f in plan["firms"]] == [7, 7]
    assert plan["objective"]["shortfall_penalty"] == 10


def test_key_firm_first_but_not_everything() -> None:
    """A (priority 3) and B (priority 1) need 10 men each; 10 one-bed units. Marginal costs of
    a short bed: A 3, 6, 6, 12...; B 1, 2, 2, 4, 4, ... The ten cheapest are B's first nine
    (1+2+2+4x6 = 29) and A's first (3): A gets 9, B gets 1, penalty 32."""
    plan = run(instance([unit(f"U{i}", beds=1) for i in range(10)],
                        [firm("A", male=10, priority=3), firm("B", male=10)]))
    assert [f["male_beds"] for f in plan["firms"]] == [9, 1]
    assert plan["objective"]["shortfall_penalty"] == 32
    assert plan["objective"]["weighted_shortfall"] == 3 * 1 + 9


def test_firm_kept_in_one_building() -> None:
    """A needs 8: two 4-bed units in B1 or B2, or one of each. Level 3 wants one building."""
    plan = run(instance(
        [unit("U1", building="B1"), unit("U2", building="B2"), unit("U3", building="B1"),
         unit("U4", building="B2")],
        [firm("A", male=8), firm("B", male=8)],
    ))
    assert plan["objective"]["firm_buildings"] == 2
    for fid in "AB":
        assert len({x["unit"] in ("U1", "U3") for x in plan["leases"] if x["firm"] == fid}) == 1


@pytest.mark.parametrize(("need", "expected_beds"), [(6, 6), (4, 4), (7, 8)])
def test_no_empty_beds_paid_for(need: int, expected_beds: int) -> None:
    """A needs ``need``; units of 8, 6 and 4 beds in one building. Level 4 picks the exact fit
    (6 -> the 6-bed, 4 -> the 4-bed, 7 -> the 8-bed: 1 empty)."""
    plan = run(instance([unit("U8", beds=8), unit("U6", beds=6), unit("U4", beds=4)],
                        [firm("A", male=need)]))
    assert plan["firms"][0]["male_beds"] == expected_beds
    assert plan["objective"]["empty_beds"] == expected_beds - need


def test_leases_are_typed_inside_and_json_objects_in_the_plan() -> None:
    """The solver passes :class:`Lease` values; a plan carries plain JSON objects, and the
    plan functions read either form alike."""
    import json

    from allocation.plan import Lease
    from allocation.solver import realize

    data = instance([unit("U1"), unit("U2")], [firm("A", male=4), firm("B", male=4)],
                    [{"unit": "U1", "firm": "A", "gender": "male", "occupied_beds": 3}])
    plan = run(data)
    assert all(type(x) is dict and set(x) == {"unit", "firm", "gender"} for x in plan["leases"])
    json.dumps(plan)
    typed = [Lease.of(x) for x in plan["leases"]]
    assert [x.as_json() for x in typed] == plan["leases"]
    inst = parse_instance(data)
    assert recompute_objective(inst, typed) == plan["objective"]
    from allocation.model import prepare
    from allocation.solver import counts_of_leases

    prep = prepare(inst)
    again = realize(inst, prep, counts_of_leases(prep, typed))
    assert all(isinstance(x, Lease) for x in again)
    assert recompute_objective(inst, again) == plan["objective"]
    assert lease_problems(inst, [{"unit": "U1", "firm": "A"}]) == ["leases[0]: unknown unit, firm or gender"]

"""Property tests: every plan is valid, its reported objective is the recomputed one, it is
never worse than greedy, and — on instances small enough to enumerate every plan — a plan
reported ``optimal`` is lexicographically the best of all plans."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from conftest import firm, instance, unit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import greedy_leases, lease_problems, parse_instance, recompute_objective, solve
from allocation.plan import level_key


@st.composite
def instances(draw: st.DrawFn, max_units: int = 6, max_firms: int = 2) -> dict[str, Any]:
    n_b = draw(st.integers(1, 2))
    blds = [f"B{i}" for i in range(n_b)]
    units = [
        unit(f"U{i}", building=draw(st.sampled_from(blds)), beds=draw(st.sampled_from([1, 2, 4, 6])),
             rent=draw(st.sampled_from([10.0, 20.5, 30.01])),
             gender=draw(st.sampled_from([None, None, "female", "male"])),
             available=draw(st.sampled_from([True, True, True, False])))
        for i in range(draw(st.integers(1, max_units)))
    ]
    blds = sorted({u["building"] for u in units})  # firms may only name existing buildings
    firms = []
    for j in range(draw(st.integers(1, max_firms))):
        firms.append(firm(
            f"F{j}", male=draw(st.integers(0, 10)), female=draw(st.integers(0, 10)),
            priority=draw(st.sampled_from([1, 1, 3])),
            buildings=draw(st.none() | st.lists(st.sampled_from(blds), min_size=1, unique=True)),
            budget=draw(st.none() | st.sampled_from([15.0, 30.01, 50.5, 70.0])),
        ))
    current = []
    for u in units:
        if draw(st.booleans()):
            current.append({"unit": u["id"], "firm": draw(st.sampled_from(firms))["id"],
                            "gender": draw(st.sampled_from(["male", "female"])),
                            "occupied_beds": draw(st.integers(0, u["beds"]))})
    return instance(units, firms, current)


def brute_force_best(inst: Any) -> tuple[int, ...]:
    """Lexicographic best over every assignment of units to (nobody | firm x gender)."""
    choices = [None] + [(f.id, g) for f in inst.firms for g in ("male", "female")]
    best: tuple[int, ...] | None = None
    for combo in itertools.product(choices, repeat=len(inst.units)):
        leases = [{"unit": u.id, "firm": c[0], "gender": c[1]} for u, c in zip(inst.units, combo, strict=True) if c]
        if lease_problems(inst, leases):
            continue
        key = level_key(recompute_objective(inst, leases))
        if best is None or key < best:
            best = key
    assert best is not None  # the empty plan is always valid
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plan_is_valid_honest_and_optimal_when_it_says_so(data: dict[str, Any]) -> None:
    inst = parse_instance(data)
    plan = solve(inst, time_limit_s=5)
    assert lease_problems(inst, plan["leases"]) == []
    assert plan["objective"] == recompute_objective(inst, plan["leases"])
    assert level_key(plan["objective"]) <= level_key(recompute_objective(inst, greedy_leases(inst)))
    penalty = plan["objective"]["shortfall_penalty"]
    assert 0 <= plan["bound"]["shortfall_penalty"] <= penalty
    best = brute_force_best(inst)
    assert best[0] >= plan["bound"]["shortfall_penalty"]  # the bound is a true lower bound
    if plan["status"] == "optimal":
        assert level_key(plan["objective"]) == best
    compact = solve(inst, time_limit_s=5, mode="compact")  # the large-park model, same checks
    assert lease_problems(inst, compact["leases"]) == []
    assert compact["objective"] == recompute_objective(inst, compact["leases"])
    assert compact["bound"]["shortfall_penalty"] <= best[0] <= compact["objective"]["shortfall_penalty"]
    assert level_key(compact["objective"]) >= best
    levels = compact["solver"]["levels"]
    if levels and levels[0]["proven"]:  # a proven first level is the true optimum
        assert compact["objective"]["shortfall_penalty"] == best[0]
    for row in plan["firms"]:
        f = inst.firm_by_id[row["id"]]
        assert row["male_short"] == max(0, f.demand["male"] - row["male_beds"])
    short = {(e["firm"], e["gender"]) for e in plan["explanation"]}
    assert short == {(r["id"], g) for r in plan["firms"] for g in ("male", "female") if r[f"{g}_short"]}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=14, max_firms=4))
def test_compact_model_gives_valid_honest_plans(data: dict[str, Any]) -> None:
    inst = parse_instance(data)
    plan = solve(inst, time_limit_s=5, mode="compact")
    assert lease_problems(inst, plan["leases"]) == []
    assert plan["objective"] == recompute_objective(inst, plan["leases"])
    assert plan["status"] in ("feasible", "optimal")
    assert plan["bound"]["shortfall_penalty"] <= plan["objective"]["shortfall_penalty"]


@pytest.mark.xfail(reason="known, open in issue 9: SCIP's level-4 solve (empty beds) under the level holds "
                   "reports 1 as proven although leasing U0 + U1 gives 0 empty beds; found by the property "
                   "test above on 2026-12-07", strict=False)
def test_optimal_status_on_a_one_firm_park_where_level_four_was_wrongly_proven() -> None:
    def room(uid: str, beds: int) -> dict[str, Any]:
        return {"id": uid, "building": "B0", "floor": 1, "beds": beds, "area_m2": 2.0, "monthly_rent": 10.0,
                "gender": None, "available": True}

    data = {"format": "park-allocation/1", "units": [room("U0", 1), room("U1", 2), room("U2", 2), room("U3", 4)],
            "firms": [{"id": "F0", "male": 3, "female": 0, "priority": 1}],
            "current": [{"unit": "U3", "firm": "F0", "gender": "male", "occupied_beds": 0}]}
    inst = parse_instance(data)
    plan = solve(inst, time_limit_s=5)
    assert brute_force_best(inst) == (0, 0, 1, 0)
    assert plan["status"] != "optimal" or level_key(plan["objective"]) == (0, 0, 1, 0)

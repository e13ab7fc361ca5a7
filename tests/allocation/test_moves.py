"""One-unit moves: never invalid, never a higher penalty, and they take the obvious move."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from conftest import firm, instance, unit
from hypothesis import HealthCheck, given, settings
from test_properties import instances

from allocation import greedy_leases, lease_problems, parse_instance, recompute_objective
from allocation.model import prepare
from allocation.moves import improve_by_moves
from allocation.solver import realize


def counts_of(inst: Any, prep: Any, leases: list[dict[str, Any]]) -> dict[tuple[int, str, str], int]:
    return dict(Counter((prep.type_of_unit[x["unit"]], x["firm"], x["gender"]) for x in leases))


def test_surplus_unit_moves_to_the_short_firm() -> None:
    """A holds two 2-bed units but needs 2 beds; B needs 2 and has none: one unit moves."""
    inst = parse_instance(instance([unit("U1", beds=2), unit("U2", beds=2)], [firm("A", male=2), firm("B", male=2)]))
    prep = prepare(inst)
    start = [{"unit": "U1", "firm": "A", "gender": "male"}, {"unit": "U2", "firm": "A", "gender": "male"}]
    moved = realize(inst, prep, improve_by_moves(inst, prep, counts_of(inst, prep, start), time.monotonic() + 5))
    assert recompute_objective(inst, moved)["shortfall_penalty"] == 0
    assert {x.firm for x in moved} == {"A", "B"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_units=10, max_firms=3))
def test_moves_keep_plans_valid_and_never_raise_the_penalty(data: dict[str, Any]) -> None:
    inst = parse_instance(data)
    prep = prepare(inst)
    start = greedy_leases(inst)
    moved = realize(inst, prep, improve_by_moves(inst, prep, counts_of(inst, prep, start), time.monotonic() + 5))
    assert lease_problems(inst, moved) == []
    assert (recompute_objective(inst, moved)["shortfall_penalty"]
            <= recompute_objective(inst, start)["shortfall_penalty"])

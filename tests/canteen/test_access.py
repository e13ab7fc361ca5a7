"""The canteen's role × route matrix, with a canteen, meals, a settlement and a terminal login
(`canteen1`, bound to canteen 1), and the terminal refused on every route that is not its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from tests.canteen.conftest import Canteens, at, meal, post_batch

ROLES = ["anonymous", "staff", "hr1", "hr2", "worker1", "canteen1"]


def _s(anonymous: int, staff: int, hr1: int, hr2: int, worker1: int, canteen1: int) -> dict[str, int]:
    return dict(zip(ROLES, [anonymous, staff, hr1, hr2, worker1, canteen1], strict=True))


Path = Callable[[Any, Canteens], str]
Body = Callable[[Any, Canteens, str], Any] | None

MATRIX: dict[tuple[str, str], tuple[Path, Body, dict[str, int]]] = {
    ("GET", "/api/canteens"): (lambda p, c: "/api/canteens", None, _s(401, 200, 200, 200, 200, 403)),
    ("GET", "/api/canteens/{canteen_id:int}"): (
        lambda p, c: f"/api/canteens/{c.canteen1}",
        None,
        _s(401, 200, 200, 200, 200, 403),
    ),
    ("POST", "/api/canteens"): (
        lambda p, c: "/api/canteens",
        lambda p, c, role: {"name": f"食堂-{role}"},
        _s(401, 201, 403, 403, 403, 403),
    ),
    ("PATCH", "/api/canteens/{canteen_id:int}"): (
        lambda p, c: f"/api/canteens/{c.canteen2}",
        lambda p, c, role: {"location": "北门"},
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteens/{canteen_id:int}/terminals"): (
        lambda p, c: f"/api/canteens/{c.canteen1}/terminals",
        None,
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("POST", "/api/canteens/{canteen_id:int}/terminals"): (
        lambda p, c: f"/api/canteens/{c.canteen1}/terminals",
        lambda p, c, role: {"username": f"t-{role}", "password": "terminal-2026"},
        _s(401, 201, 403, 403, 403, 403),
    ),
    ("GET", "/api/meal-prices"): (lambda p, c: "/api/meal-prices", None, _s(401, 200, 200, 200, 200, 403)),
    ("GET", "/api/meal-prices/{price_id:int}"): (
        lambda p, c: f"/api/meal-prices/{c.price1}",
        None,
        _s(401, 200, 200, 200, 200, 403),
    ),
    ("POST", "/api/meal-prices"): (
        lambda p, c: "/api/meal-prices",
        lambda p, c, role: {
            "canteen_id": c.canteen1,
            "meal_type": "lunch",
            "price_fen": 1,
            "valid_from": "2010-01-01",
            "valid_to": "2010-01-31",
        },
        _s(401, 201, 403, 403, 403, 403),
    ),
    ("PATCH", "/api/meal-prices/{price_id:int}"): (
        lambda p, c: f"/api/meal-prices/{c.price1}",
        lambda p, c, role: {"price_fen": 350},
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteen-subsidy-policies"): (
        lambda p, c: "/api/canteen-subsidy-policies",
        None,
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteen-subsidy-policies/{policy_id:int}"): (
        lambda p, c: f"/api/canteen-subsidy-policies/{c.policy}",
        None,
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("POST", "/api/canteen-subsidy-policies"): (
        lambda p, c: "/api/canteen-subsidy-policies",
        lambda p, c, role: {
            "name": "x",
            "daily_cap_fen": 1,
            "monthly_cap_fen": 1,
            "valid_from": "2010-01-01",
            "valid_to": "2010-01-31",
        },
        _s(401, 201, 403, 403, 403, 403),
    ),
    ("PATCH", "/api/canteen-subsidy-policies/{policy_id:int}"): (
        lambda p, c: f"/api/canteen-subsidy-policies/{c.policy}",
        lambda p, c, role: {"name": "园区餐补（新）"},
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("POST", "/api/meal-records/batch"): (
        lambda p, c: "/api/meal-records/batch",
        lambda p, c, role: {"records": [meal(f"m-{role}", p.worker1, c.canteen1, "lunch", at(5, 12))]},
        _s(401, 403, 403, 403, 403, 200),
    ),
    ("GET", "/api/meal-records"): (
        lambda p, c: "/api/meal-records?month=2025-03",
        None,
        _s(401, 200, 200, 200, 200, 403),
    ),
    ("POST", "/api/canteen-settlements/run"): (
        lambda p, c: "/api/canteen-settlements/run",
        lambda p, c, role: {"month": "2025-03"},
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteen-settlements"): (
        lambda p, c: "/api/canteen-settlements",
        None,
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteen-settlements/firms"): (
        lambda p, c: "/api/canteen-settlements/firms?month=2025-02",
        None,
        _s(401, 200, 200, 200, 403, 403),
    ),
    ("GET", "/api/canteen-settlements/canteens"): (
        lambda p, c: "/api/canteen-settlements/canteens?month=2025-02",
        None,
        _s(401, 200, 403, 403, 403, 403),
    ),
    ("GET", "/api/canteen-settlements/workers"): (
        lambda p, c: "/api/canteen-settlements/workers?month=2025-02",
        None,
        _s(401, 200, 200, 200, 200, 403),
    ),
    ("GET", "/api/canteen-settlements/export"): (
        lambda p, c: "/api/canteen-settlements/export?month=2025-02",
        None,
        _s(401, 200, 200, 200, 403, 403),
    ),
}
OWN_ROUTES = {("GET", "/api/me"), ("POST", "/api/auth/login"), ("POST", "/api/meal-records/batch")}


@pytest.fixture
async def settled(api: Any, canteens: Canteens) -> Canteens:
    """February 2025 eaten and settled: worker1 and firm 2's worker one lunch each."""
    p = api.park
    await post_batch(
        api,
        [
            meal("feb1", p.worker1, canteens.canteen1, "lunch", at(3, 12, month=2)),
            meal("feb2", p.firm2_worker, canteens.canteen1, "lunch", at(3, 12, month=2)),
        ],
    )
    assert (await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-02"})).status_code == 200
    return canteens


def test_every_canteen_route_has_a_row() -> None:
    from app import app

    canteen = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith(("/api/canteen", "/api/meal-"))
        for method in route.methods - {"HEAD", "OPTIONS"}
    }
    assert canteen == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_role_gets_expected_status(api: Any, settled: Canteens, role: str, route: tuple[str, str]) -> None:
    path_of, body_of, expected = MATRIX[route]
    kwargs: dict[str, Any] = {}
    if body_of is not None:
        kwargs["json"] = body_of(api.park, settled, role)
    response = await api.call(role, route[0], path_of(api.park, settled), **kwargs)
    assert response.status_code == expected[role], response.text


async def test_hr_and_workers_see_only_their_own_settlement_rows(api: Any, settled: Canteens) -> None:
    p = api.park
    assert len((await api.get("hr2", "/api/canteen-settlements/firms?month=2025-02")).json()) == 1
    assert [
        w["worker_id"] for w in (await api.get("hr1", "/api/canteen-settlements/workers?month=2025-02")).json()
    ] == [p.worker1]
    assert [
        w["worker_id"] for w in (await api.get("worker1", "/api/canteen-settlements/workers?month=2025-02")).json()
    ] == [p.worker1]


async def test_a_terminal_is_refused_on_every_other_route(api: Any, settled: Canteens) -> None:
    from app import app

    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api"):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            if (method, route.path) in OWN_ROUTES:
                continue
            path = re.sub(r"\{[a-z_]+:int\}", "1", route.path)
            response = await api.call("canteen1", method, path, json={})
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"

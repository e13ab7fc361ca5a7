"""Canteens, terminals, prices and subsidy policies: staff keep them, the rules hold."""

from __future__ import annotations

from typing import Any

from canteen.tables import CanteenTerminal
from tests.canteen.conftest import Canteens, at, meal

POLICY = {"name": "通用", "daily_cap_fen": 1000, "monthly_cap_fen": 15000, "lunch_fen": 500, "valid_from": "2026-01-01"}


async def test_a_terminal_login_is_bound_to_its_canteen_and_me_names_it(api: Any, canteens: Canteens) -> None:
    body = {"username": "canteen1b", "password": "terminal-2026"}
    response = await api.post("staff", f"/api/canteens/{canteens.canteen1}/terminals", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["canteen_id"] == canteens.canteen1
    assert await CanteenTerminal.count() == 3
    login = await api.client.post("/api/auth/login", json={"username": "canteen1b", "password": "terminal-2026"})
    assert login.status_code == 200
    token = login.json()["token"]
    me = await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "terminal" and me.json()["canteen_id"] == canteens.canteen1
    staff_me = (await api.get("staff", "/api/me")).json()
    assert staff_me["canteen_id"] is None
    listed = (await api.get("staff", f"/api/canteens/{canteens.canteen1}/terminals")).json()
    assert sorted(t["username"] for t in listed) == ["canteen1", "canteen1b"]
    duplicate = await api.post("staff", f"/api/canteens/{canteens.canteen1}/terminals", json=body)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "username"
    missing = await api.post("staff", "/api/canteens/99999/terminals", json={**body, "username": "nowhere"})
    assert missing.status_code == 404


async def test_a_terminal_reaches_nothing_but_its_routes(api: Any, canteens: Canteens) -> None:
    for path in ("/api/canteens", "/api/meal-records", "/api/workers", "/api/meal-prices"):
        assert (await api.get("canteen1", path)).status_code == 403
    assert (await api.get("canteen1", "/api/me")).status_code == 200
    # posting for another canteen is answered per record, never kept
    batch = {"records": [meal("x", api.park.worker1, canteens.canteen2, "lunch", at(3, 12))]}
    answer = await api.post("canteen1", "/api/meal-records/batch", json=batch)
    assert answer.json()["results"][0]["result"] == "wrong_canteen"
    assert (await api.post("staff", "/api/meal-records/batch", json=batch)).status_code == 403


async def test_canteens_are_kept_by_staff_and_names_are_unique(api: Any, canteens: Canteens) -> None:
    created = await api.post("staff", "/api/canteens", json={"name": "三食堂", "location": "南门"})
    assert created.status_code == 201
    again = await api.post("staff", "/api/canteens", json={"name": "三食堂"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "name"
    blank = await api.post("staff", "/api/canteens", json={"name": "   "})
    assert blank.status_code == 422
    changed = await api.patch("staff", f"/api/canteens/{created.json()['id']}", json={"active": False})
    assert changed.json()["active"] is False
    assert (await api.get("worker1", "/api/canteens")).json()["total"] == 3


async def test_prices_of_one_canteen_and_meal_type_never_overlap(api: Any, canteens: Canteens) -> None:
    body = {"canteen_id": canteens.canteen1, "meal_type": "lunch", "price_fen": 1300, "valid_from": "2026-01-01"}
    clash = await api.post("staff", "/api/meal-prices", json=body)
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "valid_from"
    prices = (await api.get("staff", f"/api/meal-prices?canteen_id={canteens.canteen1}&meal_type=lunch")).json()
    price_id = prices["items"][0]["id"]
    ended = await api.patch("staff", f"/api/meal-prices/{price_id}", json={"valid_to": "2025-12-31"})
    assert ended.status_code == 200
    assert (await api.post("staff", "/api/meal-prices", json=body)).status_code == 201
    backwards = await api.patch("staff", f"/api/meal-prices/{price_id}", json={"valid_to": "2019-01-01"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "valid_to"
    unknown = await api.post("staff", "/api/meal-prices", json={**body, "canteen_id": 99999})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "canteen_id"
    bad_type = await api.post("staff", "/api/meal-prices", json={**body, "meal_type": "tea"})
    assert bad_type.status_code == 422


async def test_one_general_policy_a_day_and_one_per_firm(api: Any, canteens: Canteens) -> None:
    p = api.park
    clash = await api.post("staff", "/api/canteen-subsidy-policies", json=POLICY)
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "valid_from"
    firm = await api.post("staff", "/api/canteen-subsidy-policies", json={**POLICY, "firm_ids": [p.firm1]})
    assert firm.status_code == 201 and firm.json()["firm_ids"] == [p.firm1]
    firm_again = await api.post(
        "staff", "/api/canteen-subsidy-policies", json={**POLICY, "firm_ids": [p.firm2, p.firm1]}
    )
    assert firm_again.status_code == 409
    other_firm = await api.post("staff", "/api/canteen-subsidy-policies", json={**POLICY, "firm_ids": [p.firm2]})
    assert other_firm.status_code == 201
    # end the general one, then a new general one fits after it
    ended = await api.patch(
        "staff", f"/api/canteen-subsidy-policies/{canteens.policy}", json={"valid_to": "2025-12-31"}
    )
    assert ended.status_code == 200
    assert (await api.post("staff", "/api/canteen-subsidy-policies", json=POLICY)).status_code == 201
    low = await api.post(
        "staff", "/api/canteen-subsidy-policies", json={**POLICY, "monthly_cap_fen": 10, "valid_from": "2090-01-01"}
    )
    assert low.status_code == 422 and low.json()["errors"][0]["field"] == "monthly_cap_fen"
    unknown = await api.post(
        "staff", "/api/canteen-subsidy-policies", json={**POLICY, "firm_ids": [99999], "valid_from": "2090-01-01"}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "firm_ids"
    refirm = await api.patch(
        "staff", f"/api/canteen-subsidy-policies/{other_firm.json()['id']}", json={"firm_ids": [p.firm1]}
    )
    assert refirm.status_code == 409
    assert (await api.get("hr1", "/api/canteen-subsidy-policies")).status_code == 403
    listed = (await api.get("staff", "/api/canteen-subsidy-policies")).json()
    assert listed["total"] == 4

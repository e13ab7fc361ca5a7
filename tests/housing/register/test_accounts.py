"""Opening, resetting and locking logins; HR only for its own firm's workers."""

from __future__ import annotations

import pytest


async def _login(api, username: str, password: str) -> int:
    response = await api.post("anonymous", "/api/auth/login", json={"username": username, "password": password})
    return response.status_code


async def test_hr_opens_a_login_for_its_worker_who_can_then_log_in(api) -> None:
    body = {"username": "chenjing", "password": "start-2026", "role": "worker", "worker_id": api.park.firm1_other}
    created = await api.post("hr1", "/api/accounts", json=body)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["role"] == "worker" and out["firm_id"] == api.park.firm1 and out["worker_name"] == "陈静"
    assert "password" not in out
    assert await _login(api, "chenjing", "start-2026") == 200
    me = (await api.get("hr1", "/api/accounts?role=worker")).json()
    assert {a["username"] for a in me["items"]} == {"worker1", "chenjing"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "newhr", "password": "start-2026", "role": "hr"}, 403, "role"),
        ({"username": "boss", "password": "start-2026", "role": "staff"}, 403, "role"),
        ({"username": "x123", "password": "start-2026", "role": "worker", "worker_id": 0}, 422, "worker_id"),
        ({"username": "liuqiang", "password": "start-2026", "role": "worker", "worker_id": "firm2"}, 422, "worker_id"),
        ({"username": "worker1", "password": "start-2026", "role": "worker", "worker_id": "other"}, 409, "username"),
        ({"username": "again", "password": "start-2026", "role": "worker", "worker_id": "self"}, 409, "worker_id"),
        ({"username": "short", "password": "1234567", "role": "worker", "worker_id": "other"}, 422, "password"),
        ({"username": "bad name!", "password": "start-2026", "role": "worker", "worker_id": "other"}, 422, "username"),
    ],
)
async def test_hr_account_mistakes_are_refused_and_write_nothing(api, counts, body, status, field) -> None:
    ids = {"firm2": api.park.firm2_worker, "self": api.park.worker1, "other": api.park.firm1_other}
    if isinstance(body.get("worker_id"), str):
        body = {**body, "worker_id": ids[body["worker_id"]]}
    before = await counts()
    response = await api.post("hr1", "/api/accounts", json=body)
    assert response.status_code == status, response.text
    assert any(e["field"] == field for e in response.json()["errors"])
    assert await counts() == before


async def test_hr_cannot_open_a_login_for_another_firms_worker(api, counts) -> None:
    before = await counts()
    body = {"username": "liuqiang", "password": "start-2026", "role": "worker", "worker_id": api.park.firm2_worker}
    assert (await api.post("hr1", "/api/accounts", json=body)).status_code == 422
    assert await counts() == before
    assert (await api.post("hr2", "/api/accounts", json=body)).status_code == 201


async def test_staff_opens_an_hr_login_for_a_firm(api) -> None:
    body = {"username": "hr-new", "password": "start-2026", "role": "hr", "firm_id": api.park.firm_empty}
    assert (await api.post("staff", "/api/accounts", json=body)).status_code == 201
    assert await _login(api, "hr-new", "start-2026") == 200
    missing = {**body, "username": "hr-none", "firm_id": 999_999}
    assert (await api.post("staff", "/api/accounts", json=missing)).status_code == 422


async def test_hr_sees_no_other_firms_or_staff_accounts(api) -> None:
    listed = (await api.get("hr2", "/api/accounts")).json()
    assert listed["total"] == 0
    assert (await api.get("hr2", f"/api/accounts/{api.park.worker1_account}")).status_code == 404


async def test_locking_a_login_ends_its_sessions_and_reset_works(api) -> None:
    headers = await api.headers("worker1")
    path = f"/api/accounts/{api.park.worker1_account}"
    assert (await api.patch("hr1", path, json={"active": False})).json()["active"] is False
    assert (await api.client.get("/api/me", headers=headers)).status_code == 401
    assert await _login(api, "worker1", "demo1234") == 403
    await api.patch("hr1", path, json={"active": True, "password": "fresh-start-1"})
    assert await _login(api, "worker1", "demo1234") == 401
    assert await _login(api, "worker1", "fresh-start-1") == 200


async def test_nobody_locks_themselves_out(api) -> None:
    me = (await api.get("staff", "/api/me")).json()
    response = await api.patch("staff", f"/api/accounts/{me['account_id']}", json={"active": False})
    assert response.status_code == 422


async def test_change_own_password(api) -> None:
    wrong = await api.post("worker1", "/api/auth/password", json={"current_password": "x", "new_password": "abcdefgh1"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    ok = await api.post(
        "worker1", "/api/auth/password", json={"current_password": "demo1234", "new_password": "abcdefgh1"}
    )
    assert ok.status_code == 200 and ok.json()["token"]
    assert await _login(api, "worker1", "demo1234") == 401
    assert await _login(api, "worker1", "abcdefgh1") == 200

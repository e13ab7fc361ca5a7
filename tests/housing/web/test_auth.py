"""Logging in and out, the cookie, throttling, inactive accounts, and /api/me."""

from __future__ import annotations

import pytest
from piccolo.apps.user.tables import BaseUser

from housing.settings import LoginLimits

MAX_FAILED_LOGINS = LoginLimits().per_account_and_address

LISTS = ["/api/buildings", "/api/units", "/api/firms", "/api/workers"]


@pytest.mark.parametrize("path", LISTS)
async def test_anonymous_lists_answer_401(api, path) -> None:
    response = await api.get("anonymous", path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_login_gives_a_token_and_an_httponly_cookie(api) -> None:
    response = await api.post("anonymous", "/api/auth/login", json={"username": "hr1", "password": "demo1234"})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["token_type"] == "Bearer"
    assert body["me"]["role"] == "hr" and body["me"]["firm_id"] == api.park.firm1
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # The browser path: the cookie alone logs in.
    me = await api.client.get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "hr1"


async def test_wrong_password_and_unknown_user_look_the_same(api) -> None:
    wrong = await api.post("anonymous", "/api/auth/login", json={"username": "hr1", "password": "nope-nope"})
    unknown = await api.post("anonymous", "/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_failed_logins_are_throttled_per_account(api) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        response = await api.post("anonymous", "/api/auth/login", json={"username": "hr1", "password": "guess"})
        assert response.status_code == 401
    blocked = await api.post("anonymous", "/api/auth/login", json={"username": "hr1", "password": "demo1234"})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    # Another account is not affected.
    other = await api.post("anonymous", "/api/auth/login", json={"username": "hr2", "password": "demo1234"})
    assert other.status_code == 200


async def test_inactive_account_cannot_log_in(api) -> None:
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "hr1")
    response = await api.post("anonymous", "/api/auth/login", json={"username": "hr1", "password": "demo1234"})
    assert response.status_code == 403


async def test_deactivating_an_account_ends_its_sessions(api) -> None:
    headers = await api.headers("hr1")
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "hr1")
    assert (await api.client.get("/api/me", headers=headers)).status_code == 401


async def test_a_deactivated_worker_cannot_log_in(api) -> None:
    assert (await api.delete("hr1", f"/api/workers/{api.park.worker1}")).status_code == 200
    response = await api.post("anonymous", "/api/auth/login", json={"username": "worker1", "password": "demo1234"})
    assert response.status_code == 403


async def test_logout_revokes_the_token(api) -> None:
    headers = await api.headers("staff")
    assert (await api.client.get("/api/me", headers=headers)).status_code == 200
    response = await api.client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 204
    assert 'token=""' in response.headers["set-cookie"] or "max-age=0" in response.headers["set-cookie"].lower()
    assert (await api.client.get("/api/me", headers=headers)).status_code == 401


async def test_a_forged_token_is_refused(api) -> None:
    token = await api.token("worker1")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = await api.client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("staff", {"role": "staff", "firm_id": None, "worker_id": None}),
        ("hr2", {"role": "hr", "firm_name": "湖北楚天精密制造有限公司", "worker_id": None}),
        ("worker1", {"role": "worker", "worker_name": "张伟", "firm_name": "荆州华鑫电子科技有限公司"}),
    ],
)
async def test_me_says_who_and_for_whom(api, role, expected) -> None:
    me = (await api.get(role, "/api/me")).json()
    assert me["username"] == role
    assert expected.items() <= me.items()

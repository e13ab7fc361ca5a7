"""Piccolo Admin at /admin/ lets staff in and keeps HR and workers out."""

from __future__ import annotations

import pytest


async def _admin_session(client, username: str) -> int:
    client.cookies.clear()
    page = await client.get("/admin/")
    assert page.status_code == 200
    csrf = client.cookies.get("csrftoken")
    response = await client.post(
        "/admin/public/login/",
        json={"username": username, "password": "demo1234"},
        headers={"X-CSRFToken": csrf or ""},
    )
    return response.status_code


async def test_admin_page_is_served(api) -> None:
    response = await api.client.get("/admin/")
    assert response.status_code == 200 and "<html" in response.text.lower()


async def test_admin_api_needs_a_session(api) -> None:
    api.client.cookies.clear()
    assert (await api.client.get("/admin/api/tables/")).status_code in (401, 403)


async def test_staff_gets_into_admin(api) -> None:
    assert await _admin_session(api.client, "staff") in (200, 303)
    response = await api.client.get("/admin/api/tables/")
    assert response.status_code == 200
    assert "worker" in response.text


@pytest.mark.parametrize("username", ["hr1", "worker1"])
async def test_hr_and_workers_stay_out_of_admin(api, username) -> None:
    await _admin_session(api.client, username)
    assert (await api.client.get("/admin/api/tables/")).status_code in (401, 403)


async def _admin_login(client, username: str, password: str):
    client.cookies.clear()
    await client.get("/admin/")
    csrf = client.cookies.get("csrftoken") or ""
    return await client.post(
        "/admin/public/login/", json={"username": username, "password": password}, headers={"X-CSRFToken": csrf}
    )


async def test_admins_door_answers_a_right_non_staff_password_as_a_wrong_one(api) -> None:
    right = await _admin_login(api.client, "hr1", "demo1234")
    wrong = await _admin_login(api.client, "hr1", "not-the-password")
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert "id=" not in right.headers.get("set-cookie", "")


async def test_admins_door_shares_the_login_throttle(api) -> None:
    for _ in range(5):
        assert (await _admin_login(api.client, "staff", "guess-again")).status_code == 401
    assert (await _admin_login(api.client, "staff", "demo1234")).status_code == 429
    # The API's door, from the same address, is shut for that account too.
    api.client.cookies.clear()
    blocked = await api.client.post("/api/auth/login", json={"username": "staff", "password": "demo1234"})
    assert blocked.status_code == 429


async def test_admins_door_needs_admins_csrf_token(api) -> None:
    api.client.cookies.clear()
    response = await api.client.post("/admin/public/login/", json={"username": "staff", "password": "demo1234"})
    assert response.status_code == 403

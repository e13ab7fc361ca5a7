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

"""Hostile bytes answer 4xx problems naming the body or the field — the same on both engines —
and cross-site writes cannot reach the cookie-authenticated API."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from housing.register.tables import Worker
from tests.housing.factories import new_worker


async def _raw(api: Any, role: str, method: str, path: str, content: bytes, content_type: str) -> Any:
    headers = {**(await api.headers(role)), "content-type": content_type}
    api.client.cookies.clear()
    return await api.client.request(method, path, content=content, headers=headers)


def _assert_problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert field in [e["field"] for e in body.get("errors", [])], body
    return body


async def test_invalid_utf8_is_a_400_naming_the_body(api, counts) -> None:
    before = await counts()
    body = json.dumps(new_worker(), ensure_ascii=False).encode().replace("新员工".encode(), b"\xff\xfe\xfd")
    response = await _raw(api, "hr1", "POST", "/api/workers", body, "application/json")
    _assert_problem(response, 400, "body")
    assert await counts() == before


async def test_a_body_nested_100000_deep_is_a_400(api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    _assert_problem(await _raw(api, "staff", "POST", "/api/buildings", deep, "application/json"), 422, "body")
    deep_object = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await _raw(api, "staff", "POST", "/api/buildings", deep_object, "application/json")
    assert response.status_code in (400, 422), response.text


async def test_malformed_json_says_where_it_broke(api) -> None:
    response = await _raw(api, "staff", "POST", "/api/buildings", b'{"code": "B1",, }', "application/json")
    body = _assert_problem(response, 400, "body")
    assert "byte" in body["errors"][0]["message"] or "字节" in body["errors"][0]["message"]


async def test_an_empty_body_says_it_is_empty(api) -> None:
    body = _assert_problem(await _raw(api, "staff", "POST", "/api/buildings", b"", "application/json"), 400, "body")
    assert "为空" in body["errors"][0]["message"]


@pytest.mark.parametrize("field", ["name", "employee_no", "mobile"])
async def test_nul_in_a_body_field_is_refused_naming_it(api, counts, field) -> None:
    before = await counts()
    response = await api.post("hr1", "/api/workers", json=new_worker(**{field: "E\x0001"}))
    _assert_problem(response, 422, field)
    assert await counts() == before


async def test_nul_in_the_login_username_is_refused(api) -> None:
    response = await api.post("anonymous", "/api/auth/login", json={"username": "hr1\x00", "password": "demo1234"})
    _assert_problem(response, 422, "username")


async def test_nul_in_a_query_parameter_is_refused(api) -> None:
    response = await api.get("hr1", "/api/workers?q=%E5%BC%A0%00")
    _assert_problem(response, 400, "query")


async def test_wrong_types_are_refused_strictly(api, counts) -> None:
    before = await counts()
    unit = {"building_id": api.park.building_any, "floor": 2, "number": "299", "area_m2": "30", "beds": "4"}
    _assert_problem(await api.post("staff", "/api/units", json=unit), 422, "beds")
    assert await counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_a_cross_site_form_cannot_post_with_the_cookie(api, counts, content_type) -> None:
    """A form on another site can send these content types with the browser's cookie; none is read."""
    before = await counts()
    api.client.cookies.clear()
    login = await api.client.post("/api/auth/login", json={"username": "hr1", "password": "demo1234"})
    assert login.status_code == 200
    body = json.dumps(new_worker()).encode()
    response = await api.client.post("/api/workers", content=body, headers={"content-type": content_type})
    assert response.status_code == 415, response.text
    assert await counts() == before


async def test_last_login_carries_its_offset(api) -> None:
    await api.headers("worker1")
    account = (await api.get("staff", f"/api/accounts/{api.park.worker1_account}")).json()
    stamp = datetime.fromisoformat(account["last_login"])
    assert stamp.tzinfo is not None
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120


async def test_ten_registrations_of_one_id_number_racing_answer_alike(api) -> None:
    """One lands; the other nine get the same 409 body on SQLite and PostgreSQL."""
    hr = await api.headers("hr1")
    bodies = [new_worker(employee_no=f"R{i:03d}") for i in range(10)]
    api.client.cookies.clear()
    responses = await asyncio.gather(*(api.client.post("/api/workers", json=b, headers=hr) for b in bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [r.text for r in responses]
    refusals = [r.json() for r in responses if r.status_code == 409]
    for refusal in refusals:
        assert refusal["errors"][0]["field"] == "id_number"
        assert refusal["errors"] == refusals[0]["errors"]
        assert {k: v for k, v in refusal.items() if k != "instance"} == {
            k: v for k, v in refusals[0].items() if k != "instance"
        }
    assert await Worker.count().where(Worker.id_number == bodies[0]["id_number"]) == 1


WEAK = ["password", "12345678", "88888888", "worker1x", "13812345678"]


@pytest.mark.parametrize("weak", WEAK)
async def test_weak_passwords_are_refused(api, weak) -> None:
    """The commonest passwords, the username and the worker's own mobile number are refused."""
    username = weak if weak == "worker1x" else "chenjing"
    body = {"username": username, "password": weak, "role": "worker", "worker_id": api.park.firm1_other}
    if weak == "13812345678":  # worker1's mobile, on worker1's own password change
        response = await api.post(
            "worker1", "/api/auth/password", json={"current_password": "demo1234", "new_password": weak}
        )
        _assert_problem(response, 422, "new_password")
        return
    _assert_problem(await api.post("hr1", "/api/accounts", json=body), 422, "password")


async def test_a_sound_password_is_accepted(api) -> None:
    body = {"username": "chenjing", "password": "Jz-night-shift-7", "role": "worker", "worker_id": api.park.firm1_other}
    assert (await api.post("hr1", "/api/accounts", json=body)).status_code == 201


async def test_dates_out_of_any_park_calendar_are_refused_naming_the_field(api, counts) -> None:
    before = await counts()
    body = {"name": "远古", "starts_on": "0001-01-01", "ends_on": "0001-03-31", "request_deadline": "0001-01-01"}
    response = await api.post("staff", "/api/periods", json=body)
    _assert_problem(response, 422, "starts_on")
    month = await api.post("staff", "/api/rent-invoices/run", json={"month": "0000-01"})
    _assert_problem(month, 422, "month")
    audit = await api.get("staff", "/api/audit?until=9999-12-31&since=0001-01-01")
    assert audit.status_code == 200
    assert await counts() == before

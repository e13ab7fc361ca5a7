"""Every write through the API leaves one audit entry, in its own transaction: who, when, what,
the changed fields before and after, ID numbers masked; a refused write leaves none."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from housing.web.clock import park_day_start
from housing.web.tables import AuditEntry
from tests.housing.factories import new_worker


async def _entries(api, **params) -> list[dict]:
    response = await api.get("staff", "/api/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_create_an_update_and_a_delete_each_leave_an_entry(api) -> None:
    body = new_worker()
    created = (await api.post("hr1", "/api/workers", json=body)).json()
    await api.patch("hr1", f"/api/workers/{created['id']}", json={"shift": "night", "name": "新员工"})
    assert (await api.delete("staff", f"/api/buildings/{api.park.building_empty}")).status_code == 204

    create, update = await _entries(api, table="worker", row_id=created["id"])
    assert create["action"] == "create" and create["username"] == "hr1"
    assert create["changes"]["name"] == [None, "新员工"]
    masked = create["changes"]["id_number"][1]
    assert masked != body["id_number"] and masked.startswith(body["id_number"][:4]) and "*" in masked
    assert update["action"] == "update"
    assert update["changes"] == {"shift": ["day", "night"]}  # the unchanged name is not repeated
    (deleted,) = await _entries(api, table="building", row_id=api.park.building_empty)
    assert deleted["action"] == "delete" and deleted["changes"]["code"] == ["B09", None]
    stamp = datetime.fromisoformat(deleted["at"])
    assert stamp.tzinfo is not None


async def test_a_refused_write_leaves_no_entry(api) -> None:
    before = await AuditEntry.count()
    assert (await api.post("hr1", "/api/workers", json=new_worker(mobile="12345"))).status_code == 422
    assert (await api.patch("hr2", f"/api/workers/{api.park.worker1}", json={"shift": "day"})).status_code == 404
    assert await AuditEntry.count() == before


async def test_password_changes_and_resets_are_recorded_without_the_password(api) -> None:
    await api.patch("staff", f"/api/accounts/{api.park.worker1_account}", json={"password": "Reset-by-staff-1"})
    (entry,) = await _entries(api, table="account", row_id=api.park.worker1_account)
    assert entry["changes"]["password"] == ["***", "***"]
    assert "Reset-by-staff-1" not in str(entry)


async def test_filters_by_account_and_park_day(api) -> None:
    await api.post("hr1", "/api/workers", json=new_worker())
    me = (await api.get("hr1", "/api/me")).json()
    mine = await _entries(api, account_id=me["account_id"])
    assert mine and all(e["username"] == "hr1" for e in mine)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert await _entries(api, since=today.isoformat(), until=today.isoformat())
    assert not await _entries(api, until=(today - timedelta(days=1)).isoformat())


def test_a_park_day_starts_at_midnight_in_shanghai() -> None:
    assert park_day_start(date(2027, 1, 1)).isoformat() == "2026-12-31T16:00:00+00:00"

"""Two clerks saving the same thing at the same moment: one wins, the other gets a 409, never a 500."""

from __future__ import annotations

import asyncio

from housing.register.tables import Unit, Worker
from tests.housing.factories import new_worker


async def test_same_unit_created_concurrently_lands_once(api) -> None:
    headers = await api.headers("staff")
    body = {"building_id": api.park.building_any, "floor": 4, "number": "401", "area_m2": "30.00", "beds": 4}
    responses = await asyncio.gather(*(api.client.post("/api/units", json=body, headers=headers) for _ in range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses if r.status_code not in (201, 409)]
    assert await Unit.count().where(Unit.number == "401") == 1


async def test_same_person_hired_by_two_firms_at_once_lands_once(api) -> None:
    body = new_worker()
    hr1, hr2 = await api.headers("hr1"), await api.headers("hr2")
    responses = await asyncio.gather(*(api.client.post("/api/workers", json=body, headers=h) for h in [hr1, hr2] * 3))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 5, [r.text for r in responses]
    assert await Worker.count().where(Worker.id_number == body["id_number"]) == 1

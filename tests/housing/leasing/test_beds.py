"""Workers into beds: only the firm's own workers, into its own leased units, of the lease's
gender, one occupant per bed and one bed per worker; a move keeps the history; the worker sees
their bed and roommates; the 房态图 adds it all up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from housing.leasing.tables import BedAssignment
from housing.register.tables import Worker
from tests.housing import factories


async def test_hr_puts_its_worker_into_a_free_bed_of_its_unit(api) -> None:
    park = api.park
    (new,) = await factories.men_of_firm(park.firm1, 1)
    put = await api.post("hr1", "/api/bed-assignments", json={"worker_id": new, "unit_id": park.units[0], "bed": 2})
    assert put.status_code == 201, put.text
    assert put.json()["building_code"] == "B01" and put.json()["bed"] == 2
    assert (await Worker.select(Worker.housing_status).where(Worker.id == new).first())["housing_status"] == "dorm"


async def test_the_wrong_bed_is_refused_with_a_reason(api, counts) -> None:
    park = api.park
    (new,) = await factories.men_of_firm(park.firm1, 1)
    before = await counts()
    cases = [
        ("hr1", {"worker_id": park.firm1_other, "unit_id": park.units[0], "bed": 2}, 422, "unit_id"),  # a woman
        ("hr1", {"worker_id": new, "unit_id": park.units[0], "bed": 1}, 409, "bed"),  # worker1's bed
        ("hr1", {"worker_id": new, "unit_id": park.units[0], "bed": 5}, 422, "bed"),  # 4 beds
        ("hr1", {"worker_id": new, "unit_id": park.units[1], "bed": 1}, 422, "unit_id"),  # not leased
        ("hr2", {"worker_id": park.firm2_worker, "unit_id": park.units[0], "bed": 2}, 422, "unit_id"),  # firm 1's
        ("hr2", {"worker_id": new, "unit_id": park.units[0], "bed": 2}, 422, "worker_id"),  # not hr2's worker
    ]
    for role, body, status, field in cases:
        response = await api.post(role, "/api/bed-assignments", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, body
    assert await counts() == before


async def test_a_move_ends_the_old_bed_and_keeps_the_history(api) -> None:
    park = api.park
    moved = await api.post(
        "hr1", "/api/bed-assignments", json={"worker_id": park.worker1, "unit_id": park.units[0], "bed": 3}
    )
    assert moved.status_code == 201
    history = (await api.get("hr1", f"/api/bed-assignments?worker_id={park.worker1}")).json()["items"]
    assert [(h["bed"], h["ends_on"] is None) for h in history] == [(1, False), (3, True)]
    out = await api.post("hr1", f"/api/bed-assignments/{moved.json()['id']}/end", json={})
    assert out.status_code == 200 and out.json()["ends_on"] is not None
    again = await api.post("hr1", f"/api/bed-assignments/{moved.json()['id']}/end", json={})
    assert again.status_code == 409


async def test_twenty_claims_of_one_bed_at_once_land_once(api) -> None:
    park = api.park
    workers = await factories.men_of_firm(park.firm1, 20)
    headers = await api.headers("hr1")
    api.client.cookies.clear()
    responses = await asyncio.gather(
        *(
            api.client.post(
                "/api/bed-assignments", json={"worker_id": w, "unit_id": park.units[0], "bed": 4}, headers=headers
            )
            for w in workers
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code not in (201, 409)]
    held = BedAssignment.count().where((BedAssignment.unit_id == park.units[0]) & (BedAssignment.bed == 4))
    assert await held.where(BedAssignment.ends_on.is_null()) == 1


async def test_a_worker_sees_their_bed_and_roommates(api) -> None:
    park = api.park
    (roommate,) = await factories.men_of_firm(park.firm1, 1)
    await api.post("hr1", "/api/bed-assignments", json={"worker_id": roommate, "unit_id": park.units[0], "bed": 2})
    bed = await api.get("worker1", "/api/me/bed")
    assert bed.status_code == 200, bed.text
    body = bed.json()
    assert (body["building_code"], body["floor"], body["unit_number"], body["bed"]) == ("B01", 1, "101", 1)
    assert body["roommates"] == [{"bed": 2, "name": "新工0"}]
    assert body["pending_move"] is None
    # `ends_on` is the last night there: a worker moving out today still sleeps there tonight
    await api.post("hr1", f"/api/bed-assignments/{park.bed1}/end", json={})
    assert (await api.get("worker1", "/api/me/bed")).status_code == 200
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    await BedAssignment.update({BedAssignment.ends_on: yesterday}).where(BedAssignment.id == park.bed1)
    assert (await api.get("worker1", "/api/me/bed")).status_code == 404


async def test_the_occupancy_board_adds_up(api) -> None:
    park = api.park
    (roommate,) = await factories.men_of_firm(park.firm1, 1)
    await api.post("hr1", "/api/bed-assignments", json={"worker_id": roommate, "unit_id": park.units[0], "bed": 2})
    board = (await api.get("staff", "/api/occupancy")).json()
    b01 = next(b for b in board["buildings"] if b["code"] == "B01")
    floor1 = next(f for f in b01["floors"] if f["floor"] == 1)
    assert (floor1["units"], floor1["beds"], floor1["leased_beds"], floor1["occupied_beds"], floor1["free_beds"]) == (
        2,
        10,
        4,
        2,
        2,
    )
    unit = next(u for u in floor1["unit_states"] if u["id"] == park.units[0])
    assert unit["firm_id"] == park.firm1 and unit["gender"] == "male" and unit["occupants"] == 2
    # Before the lease began, nothing was leased or occupied.
    past = (await api.get("staff", "/api/occupancy?date=2020-01-01")).json()
    assert all(f["occupied_beds"] == 0 and f["leased_beds"] == 0 for b in past["buildings"] for f in b["floors"])

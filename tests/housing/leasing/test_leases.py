"""Leases by hand: the same checks as an applied run, and never two leases of a unit on one day."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from housing.leasing.tables import Lease
from housing.register.tables import Unit


def _body(park, **overrides):
    return {"unit_id": park.units[1], "firm_id": park.firm2, "gender": "male", "starts_on": "2030-01-01", **overrides}


async def test_a_lease_by_hand_takes_the_units_rate_and_shows_its_rent(api) -> None:
    made = await api.post("staff", "/api/leases", json=_body(api.park, ends_on="2030-03-31"))
    assert made.status_code == 201, made.text
    lease = made.json()
    # units[1]: 48.21 m² at the default 500 fen/m² → 24,105 fen a month
    assert lease["rent_rate_fen_per_m2"] == 500 and lease["area_m2"] == "48.21"
    assert lease["monthly_rent_fen"] == 24105 and lease["building_code"] == "B01"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"starts_on": "2030-01-01", "ends_on": "2029-12-31"}, 422, "ends_on"),
        ({"unit_id": 0}, 422, "unit_id"),
        ({"firm_id": 999_999}, 422, "firm_id"),
        ({"gender": "other"}, 422, "gender"),
    ],
)
async def test_bad_leases_are_named_and_write_nothing(api, counts, change, status, field) -> None:
    before = await counts()
    response = await api.post("staff", "/api/leases", json=_body(api.park, **change))
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await counts() == before


async def test_a_womens_block_and_a_unit_under_repair_refuse_the_wrong_lease(api) -> None:
    women_only = api.park.units[3]
    refused = await api.post("staff", "/api/leases", json=_body(api.park, unit_id=women_only))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "gender"
    fine = await api.post("staff", "/api/leases", json=_body(api.park, unit_id=women_only, gender="female"))
    assert fine.status_code == 201
    await Unit.update({Unit.status: "maintenance"}).where(Unit.id == api.park.units[2])
    repair = await api.post("staff", "/api/leases", json=_body(api.park, unit_id=api.park.units[2]))
    assert repair.status_code == 422 and repair.json()["errors"][0]["field"] == "unit_id"


async def test_overlapping_leases_are_refused_by_the_service_and_by_the_database(api) -> None:
    park = api.park
    first = (await api.post("staff", "/api/leases", json=_body(park, starts_on="2030-01-01"))).json()
    clash = await api.post("staff", "/api/leases", json=_body(park, firm_id=park.firm1, starts_on="2031-01-01"))
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "starts_on"
    ended = await api.patch("staff", f"/api/leases/{first['id']}", json={"ends_on": "2030-12-31"})
    assert ended.status_code == 200
    after = await api.post("staff", "/api/leases", json=_body(park, firm_id=park.firm1, starts_on="2031-01-01"))
    assert after.status_code == 201
    # Reopening the first one would overlap the second.
    reopened = await api.patch("staff", f"/api/leases/{first['id']}", json={"ends_on": None})
    assert reopened.status_code == 409


async def test_simultaneous_leases_of_one_unit_land_once(api) -> None:
    headers = await api.headers("staff")
    body = _body(api.park, starts_on="2032-01-01", ends_on="2032-06-30")
    api.client.cookies.clear()
    firms = [api.park.firm1, api.park.firm2] * 3
    responses = await asyncio.gather(
        *(api.client.post("/api/leases", json=body | {"firm_id": f}, headers=headers) for f in firms)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 5, [r.text for r in responses]
    assert await Lease.count().where(Lease.unit_id == api.park.units[1]) == 1


async def test_a_lease_with_occupants_cannot_end(api) -> None:
    park = api.park  # worker1 sleeps in bed 1 of lease1's unit
    ended = await api.patch("staff", f"/api/leases/{park.lease1}", json={"ends_on": date.today().isoformat()})
    assert ended.status_code == 409 and "搬出" in ended.json()["detail"]


async def test_hr_reads_only_its_own_leases(api) -> None:
    await api.post("staff", "/api/leases", json=_body(api.park))
    mine = (await api.get("hr1", "/api/leases")).json()
    assert mine["total"] == 1 and mine["items"][0]["firm_id"] == api.park.firm1
    theirs = (await api.get("hr2", "/api/leases?active_on=2030-02-01")).json()
    assert theirs["total"] == 1 and theirs["items"][0]["unit_id"] == api.park.units[1]
    assert (await api.get("hr2", f"/api/leases/{api.park.lease1}")).status_code == 404

"""The database itself refuses what must never happen twice in the housing cycle, on both
engines, whatever the Python in front of it does: overlapping leases of one unit, two
occupants of one bed, one worker in two beds, two requests of one firm for one period."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from housing.leasing.tables import BedAssignment, HeadcountRequest, Lease, Period
from housing.web.problems import _constraint_of

NOW = datetime(2027, 1, 1, tzinfo=UTC)


async def _lease(unit: int, firm: int, starts: date, ends: date | None, gender: str = "male") -> int:
    row = Lease(
        unit_id=unit,
        firm_id=firm,
        gender=gender,
        starts_on=starts,
        ends_on=ends,
        rent_rate_fen_per_m2=500,
        created_at=NOW,
    )
    return int((await Lease.insert(row))[0]["id"])


async def _refused(coroutine, rule: str) -> None:
    with pytest.raises(Exception) as caught:
        await coroutine
    kind, name = _constraint_of(caught.value)
    assert kind in ("rule", "unique"), caught.value
    assert name is not None and rule in name, caught.value


async def test_two_leases_of_one_unit_never_overlap(park) -> None:
    unit = park.units[1]
    await _lease(unit, park.firm1, date(2027, 1, 1), date(2027, 3, 31))
    # The day after it ends is free; the last day itself is not.
    await _lease(unit, park.firm2, date(2027, 4, 1), None)
    await _refused(_lease(unit, park.firm2, date(2027, 3, 31), date(2027, 4, 30)), "lease_unit_no_overlap")
    # An open-ended lease covers every later day.
    await _refused(_lease(unit, park.firm1, date(2030, 1, 1), date(2030, 2, 1)), "lease_unit_no_overlap")
    # Another unit is another matter.
    await _lease(park.units[2], park.firm1, date(2027, 1, 1), None)
    assert await Lease.count().where(Lease.unit_id.is_in([park.units[1], park.units[2]])) == 3


async def test_moving_a_lease_onto_another_is_refused_too(park) -> None:
    unit = park.units[1]
    await _lease(unit, park.firm1, date(2027, 1, 1), date(2027, 3, 31))
    second = await _lease(unit, park.firm2, date(2027, 6, 1), date(2027, 6, 30))
    moved = Lease.update({Lease.starts_on: date(2027, 3, 1)}).where(Lease.id == second)
    await _refused(moved, "lease_unit_no_overlap")
    # Shortening itself is fine (the row does not overlap with its own old dates).
    await Lease.update({Lease.ends_on: date(2027, 6, 15)}).where(Lease.id == second)


async def _bed(lease: int, unit: int, bed: int, worker: int, ends: date | None = None) -> int:
    row = BedAssignment(
        lease_id=lease,
        unit_id=unit,
        bed=bed,
        worker_id=worker,
        starts_on=date(2027, 1, 1),
        ends_on=ends,
        created_at=NOW,
    )
    return int((await BedAssignment.insert(row))[0]["id"])


async def test_one_occupant_per_bed_and_one_bed_per_worker(park) -> None:
    unit, lease = park.units[0], park.lease1  # worker1 sleeps in bed 1 (the small park)
    await _refused(_bed(lease, unit, 1, park.firm1_other), "bed")  # the bed is taken
    await _refused(_bed(lease, unit, 2, park.worker1), "worker")  # the worker already has a bed
    # History does not block: an ended assignment frees both the bed and the worker.
    await BedAssignment.update({BedAssignment.ends_on: date(2027, 2, 1)}).where(BedAssignment.worker_id == park.worker1)
    await _bed(lease, unit, 1, park.firm1_other)
    await _bed(lease, unit, 2, park.worker1)


async def test_one_request_per_firm_and_period(park) -> None:
    period = Period(
        name="2027Q1",
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 3, 31),
        request_deadline=date(2026, 12, 15),
        created_at=NOW,
    )
    period_id = (await Period.insert(period))[0]["id"]

    def request(firm: int) -> HeadcountRequest:
        return HeadcountRequest(period_id=period_id, firm_id=firm, male_beds=4, female_beds=0, updated_at=NOW)

    await HeadcountRequest.insert(request(park.firm1))
    await HeadcountRequest.insert(request(park.firm2))
    await _refused(HeadcountRequest.insert(request(park.firm1)), "firm")

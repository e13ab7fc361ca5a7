"""The database itself refuses what must never happen twice, even when Python's checks are bypassed."""

from __future__ import annotations

import sqlite3
from datetime import date

import asyncpg
import pytest

from housing.register.tables import Account, Unit, Worker
from tests.housing.factories import resident_id

INTEGRITY = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


async def test_unit_number_unique_within_building(park) -> None:
    with pytest.raises(INTEGRITY):
        await Unit.insert(Unit(building_id=park.building_any, floor=1, number="101", area_centi_m2=100, beds=2))


async def test_employee_number_unique_within_firm(park) -> None:
    with pytest.raises(INTEGRITY):
        await Worker.insert(
            Worker(
                firm_id=park.firm1,
                name="甲",
                gender="male",
                id_number=resident_id(date(1990, 1, 1), 1),
                mobile="13800000000",
                employee_no="E0001",
            )
        )


async def test_one_active_record_per_person(park) -> None:
    same_person = resident_id(date(1995, 3, 14), 11)  # worker1's number
    with pytest.raises(INTEGRITY):
        await Worker.insert(
            Worker(
                firm_id=park.firm2,
                name="张伟",
                gender="male",
                id_number=same_person,
                mobile="13800000000",
                employee_no="E0077",
            )
        )
    # An inactive record of the same person is history, not a clash.
    await Worker.insert(
        Worker(
            firm_id=park.firm2,
            name="张伟",
            gender="male",
            id_number=same_person,
            mobile="13800000000",
            employee_no="E0078",
            active=False,
        )
    )


async def test_one_account_per_worker(park) -> None:
    from piccolo.apps.user.tables import BaseUser

    user = await BaseUser.create_user(username="dup", password="demo1234", email="dup@accounts.invalid")
    with pytest.raises(INTEGRITY):
        await Account.insert(Account(user_id=user.id, role="worker", worker_id=park.worker1))


async def test_foreign_keys_are_enforced(park) -> None:
    with pytest.raises(INTEGRITY):
        await Unit.insert(Unit(building_id=987_654, floor=1, number="1", area_centi_m2=100, beds=2))

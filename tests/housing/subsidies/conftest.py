"""The subsidy tests' park: the small park, a movable clock, and worker logins without a bed.

- `worker2` is firm 1's 陈静 (`park.firm1_other`), whose application `park.application1` is submitted;
- `worker3` is a new worker of firm 1 with no application and no bed;
- `worker4` is firm 2's 刘强 (`park.firm2_worker`), whose application `park.application2` is confirmed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from housing.register.accounts import create_account
from housing.register.tables import Role, Worker
from housing.web.clock import park_day_start
from tests.housing import factories
from tests.housing.conftest import Api, clocked_app


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def to_park_day(self, day: date, hour: int = 12, minute: int = 0) -> None:
        """`hour`:`minute` in Shanghai on `day`."""
        self.at = park_day_start(day) + timedelta(hours=hour, minutes=minute)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC))


async def add_worker(firm_id: int, name: str, order: int, hired_on: date = date(2020, 1, 1)) -> int:
    row = Worker(
        firm_id=firm_id,
        name=name,
        gender="male",
        id_number=factories.resident_id(date(1996, 4, 1), order),
        mobile="13600001111",
        employee_no=f"S{order:04d}",
        housing_status="off_site",
        hired_on=hired_on,
        created_at=datetime.now(UTC),
    )
    return int((await Worker.insert(row))[0]["id"])


@pytest.fixture
async def sub(park: factories.Park, clock: MovableClock) -> AsyncIterator[Api]:
    worker3 = await add_worker(park.firm1, "赵磊", 71)
    await create_account("worker2", factories.PASSWORD, Role.worker, worker_id=park.firm1_other)
    await create_account("worker3", factories.PASSWORD, Role.worker, worker_id=worker3)
    await create_account("worker4", factories.PASSWORD, Role.worker, worker_id=park.firm2_worker)
    async with AsyncTestClient(app=clocked_app(clock)) as client:
        api = Api(client=client, park=park, _tokens={})
        api.worker3 = worker3  # type: ignore[attr-defined]
        yield api


def lease_body(**overrides: Any) -> dict[str, Any]:
    """A body for `POST /api/subsidy-applications` that is accepted today."""
    today = datetime.now(UTC).date()
    body = {
        "address": "荆州市沙市区红门路 5 号 1 单元 602",
        "landlord": "郑先生",
        "monthly_rent_fen": 80000,
        "lease_start": (today - timedelta(days=10)).isoformat(),
        "lease_end": (today + timedelta(days=355)).isoformat(),
    }
    return {**body, **overrides}

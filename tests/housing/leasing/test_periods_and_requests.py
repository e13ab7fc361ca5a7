"""Periods follow the calendar (open → closed at the deadline → allocated once applied), and
headcount requests obey them: HR files its own firm's while open, staff after, nobody once
allocated; priority comes from the firm unless staff override it. Time is moved, not waited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from housing.leasing.periods import PeriodState, period_state
from housing.leasing.tables import Period
from housing.web.clock import park_day_start
from tests.housing.conftest import Api, clocked_app


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def to_park_day(self, day: date, hour: int = 12) -> None:
        self.at = park_day_start(day) + timedelta(hours=hour)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC))


@pytest.fixture
async def timed(park: Any, clock: MovableClock) -> AsyncIterator[Api]:
    async with AsyncTestClient(app=clocked_app(clock)) as client:
        yield Api(client=client, park=park, _tokens={})


def test_the_state_rule_by_itself() -> None:
    deadline = date(2027, 3, 15)
    assert period_state(deadline, None, date(2027, 3, 15)) is PeriodState.open  # the deadline day itself
    assert period_state(deadline, None, date(2027, 3, 16)) is PeriodState.closed
    assert period_state(deadline, 7, date(2027, 1, 1)) is PeriodState.allocated


async def test_a_period_closes_at_the_end_of_its_deadline_park_day(timed, clock) -> None:
    period = (await timed.get("hr1", f"/api/periods/{timed.park.period_open}")).json()
    assert period["state"] == "open"
    deadline = date.fromisoformat(period["request_deadline"])
    clock.to_park_day(deadline, hour=23)  # 23:00 in Shanghai, 15:00 UTC: still the deadline day
    assert (await timed.get("hr1", f"/api/periods/{timed.park.period_open}")).json()["state"] == "open"
    clock.to_park_day(deadline + timedelta(days=1), hour=0)
    assert (await timed.get("hr1", f"/api/periods/{timed.park.period_open}")).json()["state"] == "closed"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2099-01-01", "starts_on": "2099-02-01"}, "ends_on"),
        ({"request_deadline": "2099-02-01", "starts_on": "2099-01-01"}, "request_deadline"),
        ({"starts_on": "2099-13-01"}, "starts_on"),
    ],
)
async def test_period_dates_must_be_in_order(api, counts, change, field) -> None:
    body = {"name": "2099Q1", "starts_on": "2099-01-01", "ends_on": "2099-03-31", "request_deadline": "2098-12-15"}
    before = await counts()
    response = await api.post("staff", "/api/periods", json={**body, **change})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert await counts() == before


async def test_hr_files_for_its_own_firm_and_priority_comes_from_the_firm(api) -> None:
    park = api.park
    filed = await api.post(
        "hr2",
        "/api/headcount-requests",
        json={"period_id": park.period_open, "male_beds": 10, "female_beds": 3, "note": "新线投产"},
    )
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["firm_id"] == park.firm2 and body["priority"] == 1 and body["editable"] is True
    key_firm = (await api.get("hr1", f"/api/headcount-requests/{park.request1}")).json()
    assert key_firm["priority"] == 3  # firm 1 is a key firm
    # HR can neither pick the firm nor the priority, nor file twice.
    other = await api.post(
        "hr2",
        "/api/headcount-requests",
        json={"period_id": park.period_open, "male_beds": 1, "female_beds": 0, "firm_id": park.firm1},
    )
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "firm_id"
    boost = await api.patch("hr2", f"/api/headcount-requests/{body['id']}", json={"priority": 3})
    assert boost.status_code == 403 and boost.json()["errors"][0]["field"] == "priority"
    again = await api.post(
        "hr2", "/api/headcount-requests", json={"period_id": park.period_open, "male_beds": 1, "female_beds": 0}
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "firm_id"
    # Staff may override it.
    staff = await api.patch("staff", f"/api/headcount-requests/{body['id']}", json={"priority": 2})
    assert staff.json()["priority"] == 2 and staff.json()["priority_override"] == 2


async def test_unknown_buildings_are_named(api) -> None:
    response = await api.patch(
        "hr1", f"/api/headcount-requests/{api.park.request1}", json={"building_ids": [api.park.building_any, 999_999]}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "building_ids"
    ok = await api.patch(
        "hr1", f"/api/headcount-requests/{api.park.request1}", json={"building_ids": [api.park.building_any]}
    )
    assert ok.json()["building_ids"] == [api.park.building_any]


async def test_after_the_deadline_only_staff_may_change_a_request(timed, clock) -> None:
    park = timed.park
    period = (await timed.get("staff", f"/api/periods/{park.period_open}")).json()
    clock.to_park_day(date.fromisoformat(period["request_deadline"]) + timedelta(days=1))
    late = await timed.patch("hr1", f"/api/headcount-requests/{park.request1}", json={"male_beds": 9})
    assert late.status_code == 409 and "截止" in late.json()["detail"]
    assert (await timed.get("hr1", f"/api/headcount-requests/{park.request1}")).json()["editable"] is False
    late_new = await timed.post(
        "hr2", "/api/headcount-requests", json={"period_id": park.period_open, "male_beds": 1, "female_beds": 0}
    )
    assert late_new.status_code == 409
    assert (await timed.delete("hr1", f"/api/headcount-requests/{park.request1}")).status_code == 409
    staff = await timed.patch("staff", f"/api/headcount-requests/{park.request1}", json={"male_beds": 9})
    assert staff.status_code == 200 and staff.json()["male_beds"] == 9


async def test_an_allocated_period_keeps_its_dates_and_requests(api) -> None:
    park = api.park
    await Period.update({Period.allocated_run_id: 1}).where(Period.id == park.period_open)
    assert (await api.get("staff", f"/api/periods/{park.period_open}")).json()["state"] == "allocated"
    moved = await api.patch("staff", f"/api/periods/{park.period_open}", json={"ends_on": "2099-12-31"})
    assert moved.status_code == 409
    changed = await api.patch("staff", f"/api/headcount-requests/{park.request1}", json={"male_beds": 1})
    assert changed.status_code == 409


async def test_hr_sees_only_its_own_firms_requests(api) -> None:
    park = api.park
    await api.post(
        "staff",
        "/api/headcount-requests",
        json={"period_id": park.period_open, "firm_id": park.firm2, "male_beds": 2, "female_beds": 2},
    )
    mine = (await api.get("hr1", "/api/headcount-requests")).json()
    assert mine["total"] == 1 and mine["items"][0]["firm_id"] == park.firm1
    asked = (await api.get("hr1", f"/api/headcount-requests?firm_id={park.firm2}")).json()
    assert asked["total"] == 0
    everyone = (await api.get("staff", f"/api/headcount-requests?period_id={park.period_open}")).json()
    assert everyone["total"] == 2

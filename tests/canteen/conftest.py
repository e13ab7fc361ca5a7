"""The canteen on top of the small park: two canteens with prices, a general park-funded
subsidy policy, and two terminal logins (`canteen1` of canteen 1, `canteen2` of canteen 2).

Meals are eaten in March 2025 (a past month, so it can be settled), park time (UTC+8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from canteen.tables import Canteen, CanteenTerminal, MealPrice, SubsidyPolicy
from housing.register.accounts import create_account
from housing.register.tables import Role
from housing.web.db import engine
from tests.housing import factories
from tests.housing.conftest import api, client, counts, park  # noqa: F401 - the small park's fixtures, reused

CST = timezone(timedelta(hours=8))
PRICES = {"breakfast": 300, "lunch": 1200, "dinner": 1000, "night": 800}
SUBSIDY = {"breakfast_fen": 200, "lunch_fen": 600, "dinner_fen": 500, "night_fen": 400}
DAILY_CAP = 1000
MONTHLY_CAP = 15000


@dataclass
class Canteens:
    canteen1: int
    canteen2: int
    terminal1: int  # account of `canteen1`
    terminal2: int  # account of `canteen2`
    policy: int  # the general park-funded policy
    price1: int  # canteen1's breakfast price


async def _insert(row: Any) -> int:
    result = await type(row).insert(row)
    return int(result[0]["id"])


async def make_canteens() -> Canteens:
    async with engine().transaction():
        canteen1 = await _insert(Canteen(name="一食堂", location="B01 一楼"))
        canteen2 = await _insert(Canteen(name="二食堂", location="B04 旁"))
        prices = [
            await _insert(
                MealPrice(
                    canteen_id=canteen_id, meal_type=meal_type, price_fen=price + extra, valid_from=date(2020, 1, 1)
                )
            )
            for canteen_id, extra in ((canteen1, 0), (canteen2, 100))
            for meal_type, price in PRICES.items()
        ]
        policy = await _insert(
            SubsidyPolicy(
                name="园区餐补",
                **SUBSIDY,
                daily_cap_fen=DAILY_CAP,
                monthly_cap_fen=MONTHLY_CAP,
                funded_by="park",
                valid_from=date(2020, 1, 1),
            )
        )
    terminal1 = await create_account("canteen1", factories.PASSWORD, Role.terminal)
    terminal2 = await create_account("canteen2", factories.PASSWORD, Role.terminal)
    await CanteenTerminal.insert(
        CanteenTerminal(account_id=terminal1, canteen_id=canteen1),
        CanteenTerminal(account_id=terminal2, canteen_id=canteen2),
    )
    return Canteens(canteen1, canteen2, terminal1, terminal2, policy, prices[0])


@pytest.fixture
async def canteens(park: factories.Park) -> Canteens:  # noqa: F811 - the fixture
    return await make_canteens()


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2025) -> str:
    """An ISO 8601 instant in park time (UTC+8)."""
    return datetime(year, month, day, hour, minute, tzinfo=CST).isoformat()


def meal(txn: str, worker_id: int, canteen_id: int, meal_type: str, when: str) -> dict[str, Any]:
    return {"txn_id": txn, "worker_id": worker_id, "canteen_id": canteen_id, "meal_type": meal_type, "at": when}


async def post_batch(client: Any, records: list[dict[str, Any]], role: str = "canteen1") -> list[dict[str, Any]]:  # noqa: F811
    response = await client.post(role, "/api/meal-records/batch", json={"records": records})
    assert response.status_code == 200, response.text
    return response.json()["results"]  # type: ignore[no-any-return]

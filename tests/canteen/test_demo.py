"""The demo park's canteen block: two canteens, prices, a policy, last month's meals, `canteen1`."""

from __future__ import annotations

from collections import defaultdict

from canteen.tables import Canteen, CanteenTerminal, MealPrice, MealRecord, SubsidyPolicy
from housing.register.tables import Account
from tests.housing import factories
from tests.housing.test_demo_park import _demo_module


async def test_the_demo_has_canteens_meals_and_a_terminal(migrated: None) -> None:
    await factories.empty_database()
    await _demo_module().load()
    assert await Canteen.count() == 2 and await MealPrice.count() == 8 and await SubsidyPolicy.count() == 1
    meals = await MealRecord.select(
        MealRecord.worker_id, MealRecord.day, MealRecord.month, MealRecord.price_fen, MealRecord.subsidy_fen
    )
    assert len(meals) > 5000
    assert len({m["month"] for m in meals}) == 1  # last month only
    per_day: dict[tuple[int, str], int] = defaultdict(int)
    for m in meals:
        assert 0 <= m["subsidy_fen"] <= m["price_fen"]
        per_day[(m["worker_id"], str(m["day"]))] += m["subsidy_fen"]
    assert max(per_day.values()) <= 1000  # the daily cap
    terminal = await Account.select(Account.id, Account.role).where(Account.user_id.username == "canteen1").first()
    assert terminal["role"] == "terminal"
    assert await CanteenTerminal.exists().where(CanteenTerminal.account_id == terminal["id"])

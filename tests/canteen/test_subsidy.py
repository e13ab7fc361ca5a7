"""The subsidy rule by hand: which policy, and how the caps share a day and a month out."""

from __future__ import annotations

from datetime import UTC, date, datetime

from canteen.subsidy import Meal, Policy, Price, allocate, one_subsidy, policy_for, price_for

PER_MEAL = {"breakfast": 200, "lunch": 600, "dinner": 500, "night": 400}


def policy(
    pid: int, daily: int = 1000, monthly: int = 15000, firms: frozenset[int] = frozenset(), **kw: object
) -> Policy:
    values: dict[str, object] = {
        "id": pid,
        "per_meal_fen": PER_MEAL,
        "daily_cap_fen": daily,
        "monthly_cap_fen": monthly,
        "funded_by": "park",
        "valid_from": date(2025, 1, 1),
        "valid_to": None,
        "firm_ids": firms,
    }
    values.update(kw)
    return Policy(**values)  # type: ignore[arg-type]


def m(day: int, hour: int, meal_type: str, price: int, p: Policy | None, txn: str = "") -> Meal:
    when = datetime(2025, 3, day, hour, tzinfo=UTC)
    return Meal(when, txn or f"{day}-{hour}", date(2025, 3, day), meal_type, price, p)


def test_a_subsidy_never_exceeds_the_price_nor_what_is_left() -> None:
    assert one_subsidy(600, 1200, 1000, 15000) == 600
    assert one_subsidy(600, 300, 1000, 15000) == 300  # a cheap meal: the price
    assert one_subsidy(600, 1200, 100, 15000) == 100  # 100 left of the day
    assert one_subsidy(600, 1200, 1000, 50) == 50  # 50 left of the month
    assert one_subsidy(600, 1200, -5, 15000) == 0  # never negative


def test_a_firm_specific_policy_comes_before_a_general_one() -> None:
    general, firm7 = policy(1), policy(2, firms=frozenset({7}))
    assert policy_for([general, firm7], 7, date(2025, 3, 1)) is firm7
    assert policy_for([general, firm7], 8, date(2025, 3, 1)) is general
    ended = policy(3, valid_to=date(2025, 2, 28))
    assert policy_for([ended], 8, date(2025, 3, 1)) is None


def test_the_price_of_the_day() -> None:
    prices = [
        Price(1, "lunch", 1200, date(2025, 1, 1), date(2025, 3, 15)),
        Price(1, "lunch", 1300, date(2025, 3, 16), None),
    ]
    assert price_for(prices, 1, "lunch", date(2025, 3, 15)) == 1200
    assert price_for(prices, 1, "lunch", date(2025, 3, 16)) == 1300
    assert price_for(prices, 2, "lunch", date(2025, 3, 16)) is None
    assert price_for(prices, 1, "dinner", date(2025, 3, 16)) is None


def test_the_daily_cap_goes_to_the_earliest_meals() -> None:
    # cap 1000: breakfast 200, lunch 600 (800 used), dinner gets the 200 left, night nothing.
    p = policy(1)
    meals = [
        m(3, 19, "dinner", 1000, p),
        m(3, 7, "breakfast", 300, p),
        m(3, 23, "night", 800, p),
        m(3, 12, "lunch", 1200, p),
    ]
    used = allocate(meals)
    assert [x.subsidy_fen for x in meals] == [200, 200, 0, 600]
    assert used == {date(2025, 3, 3): 1000}


def test_a_new_day_starts_a_new_daily_cap_but_the_month_carries_on() -> None:
    # monthly cap 1500: day 3 takes 1000, day 4's lunch the 500 left, its dinner nothing.
    p = policy(1, monthly=1500)
    meals = [m(3, 7, "breakfast", 300, p), m(3, 12, "lunch", 1200, p), m(3, 19, "dinner", 1000, p)]
    meals += [m(4, 12, "lunch", 1200, p), m(4, 19, "dinner", 1000, p)]
    allocate(meals)
    assert [x.subsidy_fen for x in meals] == [200, 600, 200, 500, 0]


def test_what_earlier_meals_took_is_carried_in() -> None:
    p = policy(1, monthly=1500)
    later = [m(4, 12, "lunch", 1200, p)]
    allocate(later, day_used={date(2025, 4, 3): 1000}, month_used=1400)
    assert later[0].subsidy_fen == 100


def test_order_of_arrival_does_not_matter_when_the_month_is_allocated_whole() -> None:
    p = policy(1)
    forward = [m(3, h, t, 1000, p) for h, t in ((7, "breakfast"), (12, "lunch"), (19, "dinner"))]
    backward = [m(3, h, t, 1000, p) for h, t in ((19, "dinner"), (12, "lunch"), (7, "breakfast"))]
    allocate(forward)
    allocate(backward)
    assert sorted((x.order, x.subsidy_fen) for x in forward) == sorted((x.order, x.subsidy_fen) for x in backward)


def test_a_policy_change_mid_month_uses_each_meals_own_policy_and_caps() -> None:
    # until the 15th 600 a lunch; from the 16th 300 a lunch with a 700 monthly cap (600 already used).
    before = policy(1, valid_to=date(2025, 3, 15))
    after = policy(2, monthly=700, valid_from=date(2025, 3, 16), per_meal_fen={**PER_MEAL, "lunch": 300})
    meals = [m(15, 12, "lunch", 1200, before), m(16, 12, "lunch", 1200, after)]
    allocate(meals)
    assert [x.subsidy_fen for x in meals] == [600, 100]


def test_no_policy_no_subsidy() -> None:
    meals = [m(3, 12, "lunch", 1200, None)]
    allocate(meals)
    assert meals[0].subsidy_fen == 0

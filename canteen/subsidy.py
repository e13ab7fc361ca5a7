"""The meal-subsidy rule, as plain functions a person can check by hand.

Which policy: on a park day, a policy naming the worker's firm comes before a general one (a
policy naming no firm); none applies → no subsidy. Which price: the canteen's price of the meal
type valid that day.

How much: a worker's meals of a month are taken in time order (the moment eaten, then the
terminal's transaction id). Each meal gets

    subsidy = min(policy's per-meal subsidy of its type, meal price,
                  daily cap − subsidy already given that park day,
                  monthly cap − subsidy already given that park month)

never below 0, where the caps are those of the policy applying to that meal. So the first
meals of a day take the subsidy and a later one gets what is left; an earlier meal that arrives
late takes its place in time order, and the meals after it are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Policy:
    id: int
    per_meal_fen: dict[str, int]  # meal type → subsidy per meal
    daily_cap_fen: int
    monthly_cap_fen: int
    funded_by: str
    valid_from: date
    valid_to: date | None
    firm_ids: frozenset[int] = frozenset()  # empty: every firm

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Price:
    canteen_id: int
    meal_type: str
    price_fen: int
    valid_from: date
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def policy_for(policies: Iterable[Policy], firm_id: int, day: date) -> Policy | None:
    """The one policy for a worker of `firm_id` on `day`: firm-specific first, then general."""
    general = None
    for policy in policies:
        if not policy.valid_on(day):
            continue
        if firm_id in policy.firm_ids:
            return policy
        if not policy.firm_ids and general is None:
            general = policy
    return general


def price_for(prices: Iterable[Price], canteen_id: int, meal_type: str, day: date) -> int | None:
    for price in prices:
        if price.canteen_id == canteen_id and price.meal_type == meal_type and price.valid_on(day):
            return price.price_fen
    return None


@dataclass
class Meal:
    """One meal of a worker, in the order the rule takes them: (`at`, `txn_id`)."""

    at: datetime
    txn_id: str
    day: date
    meal_type: str
    price_fen: int
    policy: Policy | None
    subsidy_fen: int = 0

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.at, self.txn_id)


def one_subsidy(base_fen: int, price_fen: int, daily_left_fen: int, monthly_left_fen: int) -> int:
    """One meal's subsidy from what is left of the day's and the month's caps."""
    return max(0, min(base_fen, price_fen, daily_left_fen, monthly_left_fen))


def allocate(meals: Sequence[Meal], day_used: dict[date, int] | None = None, month_used: int = 0) -> dict[date, int]:
    """Set `subsidy_fen` on each meal of one worker and one month, in time order.

    `day_used` and `month_used` are what earlier meals (not in `meals`) already took: the
    whole history when `meals` all come after it, nothing when `meals` is the whole month.
    Returns the day totals afterwards.
    """
    used = dict(day_used or {})
    month_total = month_used
    for meal in sorted(meals, key=lambda m: m.order):
        policy = meal.policy
        if policy is None:
            meal.subsidy_fen = 0
            continue
        today = used.get(meal.day, 0)
        meal.subsidy_fen = one_subsidy(
            policy.per_meal_fen.get(meal.meal_type, 0),
            meal.price_fen,
            policy.daily_cap_fen - today,
            policy.monthly_cap_fen - month_total,
        )
        used[meal.day] = today + meal.subsidy_fen
        month_total += meal.subsidy_fen
    return used

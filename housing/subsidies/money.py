"""The subsidy's money rules, as plain functions a person can check by hand.

A policy's monthly amount for a flat is

    monthly amount = min(monthly rent × share %, cap)

kept exact (a Decimal of fen: 50 % of 1,001 fen is 500.5 fen). A month's payment is

    payment = Σ over the eligible days of (the monthly amount of the policy in force that day)
              ÷ days in the month

i.e. each policy's monthly amount × its eligible days ÷ days in the month, summed, and rounded
half-up to the fen **once**, on the payment. The policy in force on a day is the one whose
`valid_from` … `valid_to` contains it (policies never overlap; the database refuses it). A
policy that changes mid-month splits the month: the days up to the change are paid at the old
policy's amount, the days after at the new one's. An eligible day with no policy in force earns
nothing and is not counted.

A policy whose days include a month already paid must not change for those days, or the
payment would no longer follow from the policies: `changed_spans` says which days an edit
touches, so the service can refuse an edit that reaches into a paid month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

Span = tuple[date, date | None]  # inclusive; None: open-ended


@dataclass(frozen=True)
class Policy:
    id: int
    share_percent: int
    cap_fen: int
    valid_from: date
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Segment:
    """The days of a payment under one policy, and that policy's exact monthly amount."""

    policy_id: int
    days: int
    monthly_amount_fen: Decimal


@dataclass(frozen=True)
class Payment:
    days: int
    days_in_month: int
    amount_fen: int
    segments: tuple[Segment, ...]


def monthly_amount(rent_fen: int, share_percent: int, cap_fen: int) -> Decimal:
    """min(rent × share %, cap), exact: 50 % of 1,001 fen up to 30,000 fen is 500.5 fen."""
    return min(Decimal(rent_fen) * share_percent / 100, Decimal(cap_fen))


def policy_on(day: date, policies: Sequence[Policy]) -> Policy | None:
    return next((p for p in policies if p.valid_on(day)), None)


def round_fen(exact: Decimal) -> int:
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def payment(days: Sequence[date], days_in_month: int, rent_fen: int, policies: Sequence[Policy]) -> Payment:
    """The payment for a month's eligible `days`, under the policies in force on each."""
    counted: dict[int, int] = {}
    by_id = {p.id: p for p in policies}
    for day in days:
        policy = policy_on(day, policies)
        if policy is not None:
            counted[policy.id] = counted.get(policy.id, 0) + 1
    segments = tuple(
        Segment(policy_id, n, monthly_amount(rent_fen, by_id[policy_id].share_percent, by_id[policy_id].cap_fen))
        for policy_id, n in counted.items()
    )
    exact = sum((s.monthly_amount_fen * s.days / days_in_month for s in segments), Decimal(0))
    return Payment(
        days=sum(s.days for s in segments),
        days_in_month=days_in_month,
        amount_fen=round_fen(exact),
        segments=segments,
    )


def changed_spans(old: Policy, new: Policy) -> list[Span]:
    """The days on which `new` pays differently from `old` (the same policy before and after an edit).

    A different share or cap changes every day of both ranges; otherwise only the days that
    one range covers and the other does not (the symmetric difference).
    """
    if (old.share_percent, old.cap_fen) != (new.share_percent, new.cap_fen):
        return [(old.valid_from, old.valid_to), (new.valid_from, new.valid_to)]
    far = date.max
    old_to, new_to = old.valid_to or far, new.valid_to or far
    if old_to < new.valid_from or new_to < old.valid_from:  # no day in common
        return [(old.valid_from, old.valid_to), (new.valid_from, new.valid_to)]
    spans: list[Span] = []
    if old.valid_from != new.valid_from:
        low, high = sorted((old.valid_from, new.valid_from))
        spans.append((low, high - timedelta(days=1)))
    if old_to != new_to:
        low, high = sorted((old_to, new_to))
        spans.append((low + timedelta(days=1), None if high == far else high))
    return spans

"""The subsidy rule by itself, worked by hand: eligible days × the policy in force ÷ days in
the month, rounded half-up once per payment.

Unless said otherwise: a flat rented at 800 CNY (80,000 fen) a month under a policy of 50 % up
to 300 CNY, so the full monthly amount is min(40,000, 30,000) = 30,000 fen; the worker was hired
long before, applied before the month and holds no bed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from housing.billing.money import month_bounds
from housing.subsidies.eligibility import Facts, eligible_days
from housing.subsidies.money import Policy, changed_spans, monthly_amount, payment

POLICY = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1))
RENT = 80000


def facts(**overrides: object) -> Facts:
    values: dict[str, object] = {
        "lease_start": date(2026, 1, 1),
        "lease_end": date(2030, 12, 31),
        "submitted_on": date(2026, 12, 1),
        "hired_on": date(2020, 3, 1),
    }
    return Facts(**{**values, **overrides})  # type: ignore[arg-type]


def pay(month: str, fact: Facts, rent: int = RENT, policies: tuple[Policy, ...] = (POLICY,)) -> tuple[int, int]:
    first, last = month_bounds(month)
    result = payment(eligible_days(fact, first, last), (last - first).days + 1, rent, policies)
    return result.days, result.amount_fen


def test_the_monthly_amount_is_the_share_up_to_the_cap_exactly() -> None:
    assert monthly_amount(80000, 50, 30000) == 30000  # 400 CNY is above the cap
    assert monthly_amount(50000, 50, 30000) == 25000  # 250 CNY is below it
    assert monthly_amount(1001, 50, 30000) == Decimal("500.5")  # kept exact, not rounded yet


def test_a_full_month_pays_the_monthly_amount() -> None:
    assert pay("2027-01", facts()) == (31, 30000)
    assert pay("2027-01", facts(), rent=50000) == (31, 25000)


def test_hired_mid_month_counts_from_the_hiring_day() -> None:
    # hired 11 January: 21 of 31 days, 30,000 × 21 ÷ 31 = 20,322.58 → 20,323
    assert pay("2027-01", facts(hired_on=date(2027, 1, 11))) == (21, 20323)


def test_left_mid_month_counts_through_the_leaving_day() -> None:
    # left 20 January (the last day employed): 20 days, 30,000 × 20 ÷ 31 = 19,354.84 → 19,355
    assert pay("2027-01", facts(left_on=date(2027, 1, 20))) == (20, 19355)


def test_nights_in_a_dorm_bed_do_not_count() -> None:
    # a bed from the night of 5 January to the night of 14 January: 10 days off, 21 left → 20,323
    assert pay("2027-01", facts(beds=((date(2027, 1, 5), date(2027, 1, 14)),))) == (21, 20323)
    # a bed taken on 25 January and still held: 24 days, 30,000 × 24 ÷ 31 = 23,225.81 → 23,226
    assert pay("2027-01", facts(beds=((date(2027, 1, 25), None),))) == (24, 23226)


def test_an_expired_lease_stops_the_days() -> None:
    # the flat's lease ended 15 January: 15 days, 30,000 × 15 ÷ 31 = 14,516.13 → 14,516
    assert pay("2027-01", facts(lease_end=date(2027, 1, 15))) == (15, 14516)
    assert pay("2027-02", facts(lease_end=date(2027, 1, 15))) == (0, 0)


def test_days_count_from_the_day_the_worker_applied() -> None:
    # applied 20 January: 12 days, 30,000 × 12 ÷ 31 = 11,612.90 → 11,613
    assert pay("2027-01", facts(submitted_on=date(2027, 1, 20))) == (12, 11613)


def test_a_withdrawn_application_is_paid_through_the_day_it_was_withdrawn() -> None:
    # withdrawn 10 January: 10 days, 30,000 × 10 ÷ 31 = 9,677.42 → 9,677
    assert pay("2027-01", facts(withdrawn_on=date(2027, 1, 10))) == (10, 9677)


def test_february_has_28_days() -> None:
    assert pay("2027-02", facts()) == (28, 30000)
    # hired 15 February 2027: 14 of 28 days → exactly 15,000
    assert pay("2027-02", facts(hired_on=date(2027, 2, 15))) == (14, 15000)


def test_a_leap_february_has_29_days() -> None:
    assert pay("2028-02", facts()) == (29, 30000)
    # hired 15 February 2028: 15 of 29 days, 30,000 × 15 ÷ 29 = 15,517.24 → 15,517
    assert pay("2028-02", facts(hired_on=date(2028, 2, 15))) == (15, 15517)


def test_a_policy_change_mid_month_splits_the_days() -> None:
    # March 2027: 50 % up to 300 CNY through the 15th, then 60 % up to 400 CNY; rent 600 CNY.
    # old: min(30,000, 30,000) = 30,000 for 15 days; new: min(36,000, 40,000) = 36,000 for 16 days
    # (30,000 × 15 + 36,000 × 16) ÷ 31 = 1,026,000 ÷ 31 = 33,096.77 → 33,097
    old = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1), valid_to=date(2027, 3, 15))
    new = Policy(id=2, share_percent=60, cap_fen=40000, valid_from=date(2027, 3, 16))
    first, last = month_bounds("2027-03")
    result = payment(eligible_days(facts(), first, last), 31, 60000, (old, new))
    assert (result.days, result.amount_fen) == (31, 33097)
    assert [(s.policy_id, s.days, s.monthly_amount_fen) for s in result.segments] == [(1, 15, 30000), (2, 16, 36000)]


def test_days_without_a_policy_earn_nothing() -> None:
    # the policy starts 22 January 2027: 10 days, 30,000 × 10 ÷ 31 = 9,677.42 → 9,677
    late = Policy(id=3, share_percent=50, cap_fen=30000, valid_from=date(2027, 1, 22))
    assert pay("2027-01", facts(), policies=(late,)) == (10, 9677)
    assert pay("2027-01", facts(), policies=()) == (0, 0)


def test_rounding_is_half_up_and_happens_once_per_payment() -> None:
    # rent 10.01 CNY: 500.5 fen a month; a full month pays 500.5 → 501 (half up)
    assert pay("2027-01", facts(), rent=1001) == (31, 501)
    # split 15 + 16 days under two policies with the same terms: rounding each part would give
    # 242.18 → 242 and 258.32 → 258 = 500; rounded once the 31 days give 500.5 → 501
    a = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1), valid_to=date(2027, 1, 15))
    b = Policy(id=2, share_percent=50, cap_fen=30000, valid_from=date(2027, 1, 16))
    assert pay("2027-01", facts(), rent=1001, policies=(a, b)) == (31, 501)


def test_everything_at_once() -> None:
    # April 2027 (30 days): hired 3 April, a bed 10–12 April, lease ends 25 April, applied 1 April:
    # days 3–9 and 13–25 = 7 + 13 = 20; 30,000 × 20 ÷ 30 = 20,000
    fact = facts(
        hired_on=date(2027, 4, 3),
        beds=((date(2027, 4, 10), date(2027, 4, 12)),),
        lease_end=date(2027, 4, 25),
        submitted_on=date(2027, 4, 1),
    )
    assert pay("2027-04", fact) == (20, 20000)


def test_the_days_an_edit_changes() -> None:
    policy = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1))
    ended = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1), valid_to=date(2027, 3, 31))
    # ending an open policy changes the days after its new end
    assert changed_spans(policy, ended) == [(date(2027, 4, 1), None)]
    # moving its start later changes the days before
    later = Policy(id=1, share_percent=50, cap_fen=30000, valid_from=date(2020, 2, 1))
    assert changed_spans(policy, later) == [(date(2020, 1, 1), date(2020, 1, 31))]
    # new terms change every day, before and after
    richer = Policy(id=1, share_percent=60, cap_fen=30000, valid_from=date(2020, 1, 1), valid_to=date(2027, 3, 31))
    assert changed_spans(policy, richer) == [(date(2020, 1, 1), None), (date(2020, 1, 1), date(2027, 3, 31))]
    # a name change (same terms, same days) changes nothing
    assert changed_spans(policy, policy) == []

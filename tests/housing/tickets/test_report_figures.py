"""The report's figures, worked by hand on five tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from housing.tickets import deadlines
from housing.tickets.reports import Facts, by_category, month_range, p90, stats, week_range

T0 = datetime(2027, 3, 10, 0, 0, tzinfo=UTC)
NOW = datetime(2027, 4, 1, 0, 0, tzinfo=UTC)


def ticket(category: str, state: str, hours_to_assign: float | None, hours_to_resolve: float | None,
           hours_to_close: float | None, rating: int | None = None) -> Facts:  # fmt: skip
    due = deadlines.ordinary_due(T0)
    return Facts(
        category=category,
        state=state,
        reported_at=T0,
        warn_at=deadlines.warning_at(T0, due),  # T0 + 19.2 h
        due_at=due,
        assigned_at=None if hours_to_assign is None else T0 + timedelta(hours=hours_to_assign),
        resolved_at=None if hours_to_resolve is None else T0 + timedelta(hours=hours_to_resolve),
        closed_at=None if hours_to_close is None else T0 + timedelta(hours=hours_to_close),
        rating=rating,
    )


TICKETS = [
    ticket("repair", "closed", 1, 10, 12, rating=5),  # on time, responded, satisfied
    ticket("repair", "closed", 2, 30, 40, rating=3),  # late, responded, not satisfied
    ticket("repair", "closed", 20, 23, 180),  # on time, assigned after the warning, closed by itself (no rating)
    ticket("repair", "in_progress", 5, None, None),  # open and past its deadline at NOW: overdue
    ticket("canteen", "new", None, None, None),  # never assigned; overdue
]


def test_repairs_month_by_hand() -> None:
    s = stats("repair", TICKETS[:4], NOW)
    assert (s.received, s.closed, s.closed_on_time, s.overdue) == (4, 3, 2, 2)
    assert s.median_hours_to_close == 40.0  # 12, 40, 180
    assert s.p90_hours_to_close == 180.0  # ⌈0.9 × 3⌉ = 3rd smallest
    assert s.response_rate == 0.75  # 1 h, 2 h, 5 h ≤ 19.2 h; 20 h is not
    assert s.resolution_rate == 0.75  # 3 of 4 closed
    assert s.satisfaction_rate == 0.5  # ratings 5 and 3


def test_totals_and_empty_categories() -> None:
    per, total = by_category(TICKETS, NOW)
    assert total.received == 5 and total.overdue == 3 and total.response_rate == 0.6
    subsidy = next(s for s in per if s.category == "subsidy")
    assert subsidy.received == 0 and subsidy.response_rate is None and subsidy.median_hours_to_close is None
    canteen = next(s for s in per if s.category == "canteen")
    assert canteen.satisfaction_rate is None and canteen.resolution_rate == 0.0


def test_p90_by_nearest_rank() -> None:
    assert p90([float(h) for h in range(1, 11)]) == 9.0  # ⌈9⌉ → 9th of 10
    assert p90([5.0]) == 5.0
    assert p90([]) is None


def test_month_and_week_are_park_days() -> None:
    start, end = month_range("2027-03")
    assert start == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)  # 1 March 00:00 in Shanghai
    assert end == datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    start, end = week_range("2027-W10")  # Monday 8 March 2027
    assert start == datetime(2027, 3, 7, 16, 0, tzinfo=UTC) and end - start == timedelta(days=7)
    _, december_end = month_range("2027-12")
    assert december_end == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)

"""The ticket clock, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from housing.tickets import deadlines

REPORTED = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in the park


def test_an_ordinary_ticket_is_due_24_hours_after_it_was_reported() -> None:
    assert deadlines.ordinary_due(REPORTED) == datetime(2027, 3, 2, 1, 0, tzinfo=UTC)


def test_the_warning_comes_at_80_percent_of_the_time() -> None:
    # 24 h × 0.8 = 19 h 12 min
    due = deadlines.ordinary_due(REPORTED)
    assert deadlines.warning_at(REPORTED, due) == datetime(2027, 3, 1, 20, 12, tzinfo=UTC)
    # a major ticket due in 10 days: warned after 8 days
    major_due = REPORTED + timedelta(days=10)
    assert deadlines.warning_at(REPORTED, major_due) == REPORTED + timedelta(days=8)


def test_overdue_is_a_flag_of_open_tickets_past_their_deadline() -> None:
    due = deadlines.ordinary_due(REPORTED)
    assert not deadlines.is_overdue("in_progress", due, due - timedelta(seconds=1))
    assert deadlines.is_overdue("in_progress", due, due)
    assert deadlines.is_overdue("new", due, due + timedelta(days=3))
    assert not deadlines.is_overdue("resolved", due, due + timedelta(days=3))
    assert not deadlines.is_overdue("closed", due, due + timedelta(days=3))


def test_due_soon_is_the_last_fifth_before_the_deadline() -> None:
    due = deadlines.ordinary_due(REPORTED)
    warn = deadlines.warning_at(REPORTED, due)
    assert not deadlines.is_due_soon("assigned", warn, due, warn - timedelta(seconds=1))
    assert deadlines.is_due_soon("assigned", warn, due, warn)
    assert not deadlines.is_due_soon("assigned", warn, due, due)


def test_reopen_within_7_days_of_the_resolution_and_not_after() -> None:
    resolved = datetime(2027, 3, 5, 8, 0, tzinfo=UTC)
    assert deadlines.may_reopen(resolved, resolved + timedelta(days=7) - timedelta(seconds=1))
    assert not deadlines.may_reopen(resolved, resolved + timedelta(days=7))


def test_a_resolved_ticket_closes_by_itself_after_7_days() -> None:
    resolved = datetime(2027, 3, 5, 8, 0, tzinfo=UTC)
    assert not deadlines.closes_by_itself("resolved", resolved, resolved + timedelta(days=6, hours=23))
    assert deadlines.closes_by_itself("resolved", resolved, resolved + timedelta(days=7))
    assert not deadlines.closes_by_itself("in_progress", resolved, resolved + timedelta(days=30))


def test_on_time_means_resolved_no_later_than_the_deadline() -> None:
    due = deadlines.ordinary_due(REPORTED)
    assert deadlines.on_time(due, due)
    assert not deadlines.on_time(due + timedelta(minutes=1), due)
    assert not deadlines.on_time(None, due)


def test_failed_sends_back_off_1_2_4_minutes_up_to_an_hour() -> None:
    now = REPORTED
    assert [deadlines.next_attempt(n, now) - now for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert deadlines.next_attempt(20, now) - now == timedelta(hours=1)

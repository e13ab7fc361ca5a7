"""The ticket clock, as plain functions of instants (no database, no "now" of their own).

- An ordinary ticket is due 24 hours after it was reported; a major one at the `due_at` staff
  state when sorting it. The clock starts when the ticket is reported and nothing resets it:
  reassigning a ticket keeps its deadline.
- The warning comes at 80 % of the time between reporting and the deadline (19 h 12 min for
  an ordinary ticket), so the handler's supervisor can still act before it is late.
- A ticket is overdue when its deadline has passed and it is not yet resolved — a flag, not a
  state: an overdue ticket is still `assigned` or `in_progress`.
- After it is resolved the reporter has 7 days to confirm (close with a rating) or reopen it;
  when the 7 days have passed it closes by itself, unrated, and can no longer be reopened.

Instants are aware datetimes (UTC in the database); days shown to people are Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime, timedelta

ORDINARY_TIME = timedelta(hours=24)
WARNING_FRACTION = 0.8
CONFIRM_WINDOW = timedelta(days=7)

STATES = ("new", "sorted", "assigned", "in_progress", "resolved", "closed")
OPEN_STATES = ("new", "sorted", "assigned", "in_progress")  # the clock is running


def ordinary_due(reported_at: datetime) -> datetime:
    return reported_at + ORDINARY_TIME


def warning_at(reported_at: datetime, due_at: datetime) -> datetime:
    """80 % of the way from reporting to the deadline, to the second."""
    allowed = due_at - reported_at
    return reported_at + timedelta(seconds=int(allowed.total_seconds() * WARNING_FRACTION))


def is_overdue(state: str, due_at: datetime, now: datetime) -> bool:
    """Past the deadline and not yet resolved (the handler's work is what the deadline binds)."""
    return state in OPEN_STATES and now >= due_at


def is_due_soon(state: str, warn_at: datetime, due_at: datetime, now: datetime) -> bool:
    """In the last 20 % of the time, not yet late."""
    return state in OPEN_STATES and warn_at <= now < due_at


def may_reopen(resolved_at: datetime, now: datetime) -> bool:
    """The reporter may reopen a resolved ticket for 7 days after it was resolved."""
    return now < resolved_at + CONFIRM_WINDOW


def closes_by_itself(state: str, resolved_at: datetime | None, now: datetime) -> bool:
    """A resolved ticket the reporter did not confirm within 7 days closes, unrated."""
    return state == "resolved" and resolved_at is not None and now >= resolved_at + CONFIRM_WINDOW


def on_time(resolved_at: datetime | None, due_at: datetime) -> bool:
    """Resolved no later than its deadline."""
    return resolved_at is not None and resolved_at <= due_at


RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8


def next_attempt(attempts: int, now: datetime) -> datetime:
    """When to try a failed outbound send again: 1, 2, 4, 8 … minutes after the `attempts`-th
    failure, at most an hour apart."""
    delay = min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)
    return now + delay

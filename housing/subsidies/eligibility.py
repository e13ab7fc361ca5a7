"""Which days of a month an approved application earns the subsidy, as a plain function.

A day counts when, on that park day, all of these hold:

- the worker is employed: `hired_on` ≤ day ≤ `left_on` (both inclusive; an unknown date
  does not limit);
- the worker holds no dorm bed: no bed assignment with `starts_on` ≤ day ≤ `ends_on`
  (`ends_on` is the last night in the bed; null: still there);
- the day is inside the rented flat's lease: `lease_start` ≤ day ≤ `lease_end`;
- the day is on or after the day the worker **submitted** the application (not the day staff
  approved it: a worker does not lose days to the office's queue; a month run before the
  approval is paid by running that month again, which pays only what is missing);
- the application had not been withdrawn: day ≤ `withdrawn_on` (an approved application
  the worker withdraws is paid through the day it was withdrawn).

Whether a subsidy policy is in force on the day is the money rule's business (`money.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

Stay = tuple[date, date | None]  # a bed held from the first to the last night (None: still there)


@dataclass(frozen=True)
class Facts:
    """What eligibility depends on, for one application."""

    lease_start: date
    lease_end: date
    submitted_on: date
    hired_on: date | None = None
    left_on: date | None = None
    withdrawn_on: date | None = None
    beds: Sequence[Stay] = field(default_factory=tuple)


def days_between(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def in_bed(day: date, beds: Sequence[Stay]) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in beds)


def is_eligible(facts: Facts, day: date) -> bool:
    return (
        (facts.hired_on is None or facts.hired_on <= day)
        and (facts.left_on is None or day <= facts.left_on)
        and facts.lease_start <= day <= facts.lease_end
        and facts.submitted_on <= day
        and (facts.withdrawn_on is None or day <= facts.withdrawn_on)
        and not in_bed(day, facts.beds)
    )


def eligible_days(facts: Facts, first: date, last: date) -> list[date]:
    """The days from `first` to `last` (a month) that count, in order."""
    return [day for day in days_between(first, last) if is_eligible(facts, day)]

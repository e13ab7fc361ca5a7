"""The rent rules, as plain functions a person can check by hand.

A lease is billed per calendar month, one invoice line per lease:

    amount = area (m²) × rate (fen per m² per month) × days leased in the month ÷ days in the month

computed exactly with Decimal and rounded half-up to the fen once, on the line; an invoice's
total is the sum of its lines (never rounded again). A lease's days in a month are the days
from max(lease start, 1st) to min(lease end, last day), both included.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"  # a park month, 2000-01 to 2099-12


def month_bounds(month: str) -> tuple[date, date]:
    """`"2027-02"` → (2027-02-01, 2027-02-28)."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def days_leased(starts_on: date, ends_on: date | None, month: str) -> int:
    """Days of `month` the lease runs (0 when it does not run in the month)."""
    first, last = month_bounds(month)
    start = max(starts_on, first)
    end = min(ends_on, last) if ends_on is not None else last
    return max(0, (end - start).days + 1)


def line_amount_fen(area_centi_m2: int, rate_fen_per_m2: int, days: int, days_in_month: int) -> int:
    """One line's rent in fen: area × rate × days ÷ days in month, rounded half-up once."""
    exact = Decimal(area_centi_m2) / 100 * rate_fen_per_m2 * days / days_in_month
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

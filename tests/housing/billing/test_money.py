"""The rent rules worked by hand: partial months, February, leap years, rounding per line."""

from __future__ import annotations

from datetime import date

import pytest

from housing.billing.money import days_leased, line_amount_fen, month_bounds


def test_month_bounds_know_february_and_leap_years() -> None:
    assert month_bounds("2027-02") == (date(2027, 2, 1), date(2027, 2, 28))
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds("2027-12") == (date(2027, 12, 1), date(2027, 12, 31))


@pytest.mark.parametrize(
    ("starts", "ends", "month", "days"),
    [
        (date(2026, 1, 1), None, "2027-04", 30),  # a whole month
        (date(2027, 4, 11), None, "2027-04", 20),  # starts on the 11th: 11..30
        (date(2027, 1, 1), date(2027, 4, 10), "2027-04", 10),  # ends on the 10th: 1..10
        (date(2027, 4, 11), date(2027, 4, 11), "2027-04", 1),  # one day
        (date(2027, 5, 1), None, "2027-04", 0),  # not yet
        (date(2027, 1, 1), date(2027, 3, 31), "2027-04", 0),  # already over
        (date(2028, 2, 15), None, "2028-02", 15),  # leap February: 15..29
    ],
)
def test_days_leased(starts, ends, month, days) -> None:
    assert days_leased(starts, ends, month) == days


def test_a_line_by_hand() -> None:
    # 36.50 m² × 500 fen = 18,250 fen a month; 20 of 30 days → 12,166.67 → 12,167
    assert line_amount_fen(3650, 500, 30, 30) == 18250
    assert line_amount_fen(3650, 500, 20, 30) == 12167
    # 24.33 m² × 500 × 1/31 = 392.419… → 392 ; half a fen rounds up: 0.5 → 1
    assert line_amount_fen(2433, 500, 1, 31) == 392
    assert line_amount_fen(1, 50, 1, 1) == 1  # 0.01 m² × 50 fen = 0.5 fen → 1


def test_rounding_is_per_line_not_on_the_total() -> None:
    # Two half-fen lines: rounded each (1 + 1 = 2), not summed then rounded (1).
    lines = [line_amount_fen(1, 50, 1, 1), line_amount_fen(1, 50, 1, 1)]
    assert sum(lines) == 2

"""Cell readers, worked by hand: what a clerk types → the API's value, or the reason it cannot be read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from housing.excel.columns import (
    BLANK,
    GENDER_LABELS,
    SHIFT_LABELS,
    CellError,
    boolean,
    choice,
    day,
    decimal,
    id_text,
    integer,
    text,
    yuan_to_fen,
)


def test_text_takes_numbers_whose_digits_are_the_meaning() -> None:
    assert text(" 张伟 ") == "张伟"
    assert text(1001) == "1001"
    assert text(13812345678.0) == "13812345678"
    assert text(None) is BLANK
    assert text("   ") is BLANK
    with pytest.raises(CellError):
        text(3.5)
    with pytest.raises(CellError):
        text(date(2024, 1, 1))


def test_an_id_number_in_a_number_cell_is_refused_because_it_lost_digits() -> None:
    assert id_text("421002199503140116") == "421002199503140116"
    with pytest.raises(CellError) as refused:
        id_text(421002199503140116)
    assert refused.value.key == "excel_id_as_number"
    with pytest.raises(CellError):
        id_text(4.21002199503141e17)


def test_integer_from_number_or_text() -> None:
    assert integer(6) == 6
    assert integer(6.0) == 6
    assert integer(" 6 ") == 6
    for bad in (6.5, "六", True):
        with pytest.raises(CellError):
            integer(bad)


def test_decimal_is_exact_and_yuan_become_fen() -> None:
    assert decimal(36.5) == Decimal("36.5")
    assert decimal(48.21) == Decimal("48.21")  # not 48.2099999…
    assert decimal("36.50") == Decimal("36.50")
    assert yuan_to_fen(5) == 500
    assert yuan_to_fen("5.5") == 550
    with pytest.raises(CellError):
        yuan_to_fen("5.555")
    with pytest.raises(CellError):
        decimal("abc")


def test_dates_as_excel_dates_or_iso_text() -> None:
    assert day(datetime(2024, 3, 1)) == date(2024, 3, 1)
    assert day("2024-03-01") == date(2024, 3, 1)
    assert day("2024/3/1") == date(2024, 3, 1)
    for bad in ("2024-02-30", "三月", 45000):
        with pytest.raises(CellError):
            day(bad)


def test_choices_in_chinese_or_english() -> None:
    gender = choice(GENDER_LABELS)
    assert gender("男") == "male"
    assert gender("Female") == "female"
    shift = choice(SHIFT_LABELS)
    assert [shift(v) for v in ("白班", "夜班", "倒班", "rotating")] == ["day", "night", "rotating", "rotating"]
    with pytest.raises(CellError) as refused:
        shift("早班")
    assert refused.value.params == {"choices": "白班/夜班/倒班"}
    assert boolean("是") is True
    assert boolean(False) is False

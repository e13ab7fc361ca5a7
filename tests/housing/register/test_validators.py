"""Identifier rules that are easy to get subtly wrong."""

from __future__ import annotations

from datetime import date

import pytest

from housing.register import validators
from housing.web.problems import Problem
from tests.housing.factories import resident_id


def test_region_code_newer_than_the_birth_year_is_accepted() -> None:
    # 421002 (沙市区) exists since 1994; cards carry the code in force when first issued.
    number = resident_id(date(1978, 10, 15), 497, region="421002")
    assert validators.resident_id(number) == number


@pytest.mark.parametrize(
    "number",
    [
        resident_id(date(1990, 1, 1), 1, region="991002"),  # no such region
        resident_id(date(1990, 1, 1), 1)[:-1] + "0",  # wrong check digit (the right one is not 0)
        "42100219900230001X",  # 30 February
        "4210021990010100",  # too short
        "42100219900101001Y",
    ],
)
def test_bad_resident_ids_are_refused(number: str) -> None:
    if number == resident_id(date(1990, 1, 1), 1)[:-1] + "0":
        assert resident_id(date(1990, 1, 1), 1)[-1] != "0"
    with pytest.raises(Problem):
        validators.resident_id(number)


def test_lower_case_x_check_digit_is_accepted_and_stored_upper_case() -> None:
    for order in range(1, 200):
        number = resident_id(date(1992, 6, 1), order)
        if number.endswith("X"):
            assert validators.resident_id(number.lower()) == number
            return
    pytest.fail("no X check digit among 200 orders")


def test_age_is_counted_to_the_day() -> None:
    number = resident_id(date(2000, 6, 15), 21)
    with pytest.raises(Problem):
        validators.resident_id(number, today=date(2016, 6, 14))
    assert validators.resident_id(number, today=date(2016, 6, 15)) == number


def test_gender_digit() -> None:
    assert validators.gender_of_resident_id(resident_id(date(1990, 1, 1), 11)) == "male"
    assert validators.gender_of_resident_id(resident_id(date(1990, 1, 1), 12)) == "female"


def test_masking() -> None:
    assert validators.mask_resident_id("430102199001011234") == "4301**********1234"


@pytest.mark.parametrize(("raw", "stored"), [("+86 138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678")])
def test_mobile_normalised(raw: str, stored: str) -> None:
    assert validators.mobile(raw) == stored

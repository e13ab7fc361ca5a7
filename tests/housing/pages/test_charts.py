"""The SVG bars, worked by hand."""

from __future__ import annotations

import re

from housing.pages.charts import LABEL_W, VALUE_W, WIDTH, bars, curve


def test_bar_lengths_are_values_over_the_largest() -> None:
    svg = bars("租金", [("2027-01", 50.0, "50.00"), ("2027-02", 100.0, "100.00")])
    room = WIDTH - LABEL_W - VALUE_W  # 380
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="22" class="chart-bar"', svg)]
    assert widths == [room / 2, room]


def test_percentages_use_the_given_maximum_and_labels_are_escaped() -> None:
    svg = bars("<入住率>", [("B01 <script>", 25.0, "25%")], maximum=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'width="95.0" height="22" class="chart-bar"' in svg  # 25 % of 380


def test_no_items_draws_an_empty_chart() -> None:
    assert bars("空", []).startswith("<svg")


def test_curve_places_each_point_by_moves_and_penalty_and_marks_the_chosen_one() -> None:
    # plot 550 × 250 px from (70, 20); x 0..8 moves, y 0..100 penalty
    svg = curve("权衡", [(0, 100.0, "#0", False), (4, 50.0, "#1", True), (8, 0.0, "#2", False)], "搬迁", "罚分")
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="(\d+)" class="([^"]+)"', svg)
    assert circles == [
        ("70.0", "20.0", "6", "curve-point"),  # fewest moves, largest penalty: top left
        ("345.0", "145.0", "9", "curve-point chosen"),
        ("620.0", "270.0", "6", "curve-point"),  # the unconstrained end: bottom right
    ]
    assert 'points="70.0,20.0 345.0,145.0 620.0,270.0"' in svg
    assert ">搬迁</text>" in svg and ">罚分</text>" in svg and ">8</text>" in svg and ">100</text>" in svg


def test_curve_of_zeros_or_one_point_does_not_divide_by_zero() -> None:
    svg = curve("<t>", [(0, 0.0, "#0", False)], "x", "y")
    assert svg.count("<circle ") == 1 and "<polyline" not in svg and "&lt;t&gt;" in svg
    assert '<circle cx="70.0" cy="270.0"' in svg


def test_points_on_one_spot_share_one_caption() -> None:
    svg = curve("权衡", [(0, 0.0, "#0", False), (0, 0.0, "#1", True), (3, 2.0, "#2", False)], "x", "y")
    assert svg.count("<circle ") == 3
    assert re.findall(r'class="chart-value">([^<]*)<', svg) == ["#0 #1", "#2"]

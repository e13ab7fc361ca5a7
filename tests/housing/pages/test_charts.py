"""The SVG bars, worked by hand."""

from __future__ import annotations

import re

from housing.pages.charts import LABEL_W, VALUE_W, WIDTH, bars


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

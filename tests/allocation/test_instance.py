"""Bad input is refused with one line naming the field, in Python and on the command line."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import firm, instance, unit

from allocation import InstanceError, parse_instance

ROOT = Path(__file__).resolve().parents[2]


def good() -> dict[str, Any]:
    return instance(
        [unit("B01-101"), unit("B01-102", gender="female")],
        [firm("F1", male=4), firm("F2", female=3), firm("F3"), firm("F4", male=2, budget=10)],
        [{"unit": "B01-101", "firm": "F1", "gender": "male", "occupied_beds": 3}],
    )


def test_good_instance_parses_with_money_in_fen() -> None:
    inst = parse_instance(good())
    assert [u.rent_fen for u in inst.units] == [10000, 10000]
    assert inst.firm_by_id["F4"].budget_fen == 1000
    assert inst.firm_by_id["F1"].buildings is None


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d.update(format="park-allocation/2"), "format", "park-allocation/1"),
        (lambda d: d["firms"][3].update(male=-1), "firms[3].male", "whole number >= 0"),
        (lambda d: d["firms"][1].update(female=2.5), "firms[1].female", "whole number >= 0"),
        (lambda d: d["firms"][0].update(male=True), "firms[0].male", "whole number >= 0"),
        (lambda d: d["firms"][0].update(priority=0), "firms[0].priority", "whole number >= 1"),
        (lambda d: d["firms"][0].pop("male"), "firms[0].male", "required"),
        (lambda d: d["firms"][1].update(id="F1"), "firms[1].id", "duplicate"),
        (lambda d: d["firms"][0].update(buildings=["B09"]), "firms[0].buildings[0]", 'unknown building "B09"'),
        (lambda d: d["firms"][0].update(max_monthly_rent="lots"), "firms[0].max_monthly_rent", "number"),
        (lambda d: d["units"][1].update(beds=0), "units[1].beds", "whole number >= 1"),
        (lambda d: d["units"][0].update(gender="other"), "units[0].gender", "male"),
        (lambda d: d["units"][0].update(monthly_rent=float("nan")), "units[0].monthly_rent", "number"),
        (lambda d: d["units"][1].update(id="B01-101"), "units[1].id", "duplicate"),
        (lambda d: d["units"][0].update(available="yes"), "units[0].available", "true or false"),
        (lambda d: d["current"][0].update(unit="B09-101"), "current[0].unit", 'unknown unit "B09-101"'),
        (lambda d: d["current"][0].update(firm="F9"), "current[0].firm", 'unknown firm "F9"'),
        (lambda d: d["current"][0].update(occupied_beds=9), "current[0].occupied_beds", "4 beds"),
        (lambda d: d["current"][0].update(gender=None), "current[0].gender", "male"),
        (lambda d: d["current"].append(dict(d["current"][0])), "current[1].unit", "twice"),
        (lambda d: d.update(units={}), "units", "list"),
        (lambda d: d.pop("firms"), "firms", "required"),
        (lambda d: d.update(time_limit_s=0), "time_limit_s", "> 0"),
    ],
)
def test_bad_field_is_named(mutate: Any, field: str, words: str) -> None:
    data = copy.deepcopy(good())
    mutate(data)
    with pytest.raises(InstanceError) as err:
        parse_instance(data)
    assert err.value.field == field
    assert words in err.value.message
    assert str(err.value).startswith(field + ": ")


def test_not_an_object() -> None:
    with pytest.raises(InstanceError) as err:
        parse_instance([1, 2])
    assert err.value.field == "instance"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "allocation", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        (json.dumps({"format": "x"}), 'format: must be "park-allocation/1"'),
        (json.dumps({**good(), "firms": [firm("F1", male=-3)]}), "firms[0].male: must be a whole number >= 0"),
        (json.dumps({**good(), "current": [{"unit": "B09-101", "firm": "F1", "gender": "male"}]}),
         'current[0].unit: unknown unit "B09-101"'),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    proc = run_cli("solve", str(path), "--time-limit", "5")
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_cli_bad_time_limit_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(good()))
    proc = run_cli("solve", str(path), "--time-limit", "-1")
    assert proc.returncode == 2 and "--time-limit" in proc.stderr


def test_cli_solves_and_writes_the_plan(tmp_path: Path) -> None:
    path, out = tmp_path / "in.json", tmp_path / "plan.json"
    path.write_text(json.dumps(good()))
    proc = run_cli("solve", str(path), "--time-limit", "5", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    plan = json.loads(out.read_text())
    assert plan["format"] == "park-allocation-plan/1"
    assert plan["status"] == "optimal"

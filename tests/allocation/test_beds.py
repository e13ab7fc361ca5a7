"""Second stage: workers into beds, hand-worked cases per rule and objective, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import BedsError, assign_beds
from allocation.beds import beds_objective, parse_beds_input

ROOT = Path(__file__).resolve().parents[2]


def beds_input(units: list[tuple[str, str, int]], workers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "firm-beds/1", "firm": "F1",
            "units": [{"id": u, "gender": g, "beds": b} for u, g, b in units], "workers": workers}


def unit_of(plan: dict[str, Any]) -> dict[str, str]:
    return {a["worker"]: a["unit"] for a in plan["assignments"]}


def test_one_gender_per_unit_and_capacity() -> None:
    """3 men, 2 women; a 2-bed men's unit and a 4-bed women's unit: one man cannot be housed."""
    ws = [{"id": f"M{i}", "gender": "male"} for i in range(3)] + [{"id": f"W{i}", "gender": "female"} for i in range(2)]
    plan = assign_beds(beds_input([("U1", "male", 2), ("U2", "female", 4)], ws), time_limit_s=5)
    where = unit_of(plan)
    assert all(where[w] == "U2" for w in ("W0", "W1"))
    assert sum(1 for w in where if w.startswith("M")) == 2 and len(plan["unassigned"]) == 1
    assert plan["objective"]["unassigned"] == 1 and plan["status"] == "optimal"


def test_shifts_not_mixed_when_avoidable() -> None:
    """Two 2-bed units, two day and two night workers: each shift gets its own unit."""
    ws = [{"id": "D1", "gender": "male", "shift": "day"}, {"id": "N1", "gender": "male", "shift": "night"},
          {"id": "D2", "gender": "male", "shift": "day"}, {"id": "N2", "gender": "male", "shift": "night"}]
    plan = assign_beds(beds_input([("U1", "male", 2), ("U2", "male", 2)], ws), time_limit_s=5)
    where = unit_of(plan)
    assert where["D1"] == where["D2"] != where["N1"] == where["N2"]
    assert plan["objective"]["mixed_shift_units"] == 0


def test_roommates_together_beat_keeping_beds() -> None:
    """A lives in U1, B in U2; they ask to share. Two 2-bed units: together (level 3) outranks
    keeping beds (level 4), so one of them moves."""
    ws = [{"id": "A", "gender": "male", "roommates": ["B"], "current": {"unit": "U1", "bed": 1}},
          {"id": "B", "gender": "male", "current": {"unit": "U2", "bed": 2}}]
    plan = assign_beds(beds_input([("U1", "male", 2), ("U2", "male", 2)], ws), time_limit_s=5)
    where = unit_of(plan)
    assert where["A"] == where["B"]
    assert plan["objective"] == {"unassigned": 0, "mixed_shift_units": 0, "split_roommate_pairs": 0,
                                 "moved_workers": 1}


def test_current_beds_kept() -> None:
    ws = [{"id": "A", "gender": "female", "current": {"unit": "U2", "bed": 3}},
          {"id": "B", "gender": "female"}]
    plan = assign_beds(beds_input([("U1", "female", 4), ("U2", "female", 4)], ws), time_limit_s=5)
    beds = {a["worker"]: (a["unit"], a["bed"]) for a in plan["assignments"]}
    assert beds["A"] == ("U2", 3)
    assert plan["objective"]["moved_workers"] == 0


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(format="x"), "format"),
        (lambda d: d["units"][0].update(gender=None), "units[0].gender"),
        (lambda d: d["units"][0].update(beds=0), "units[0].beds"),
        (lambda d: d["workers"][0].update(shift="evening"), "workers[0].shift"),
        (lambda d: d["workers"][0].update(roommates=["ZZ"]), "workers[0].roommates[0]"),
        (lambda d: d["workers"][1].update(current={"unit": "U1", "bed": 1}), "workers[1].current.bed"),
        (lambda d: d["workers"][0].update(current={"unit": "U1", "bed": 9}), "workers[0].current.bed"),
        (lambda d: d["workers"][1].update(id="A"), "workers[1].id"),
    ],
)
def test_bad_input_names_the_field(mutate: Any, field: str) -> None:
    data = beds_input([("U1", "male", 2)], [{"id": "A", "gender": "male", "current": {"unit": "U1", "bed": 1}},
                                            {"id": "B", "gender": "male"}])
    mutate(data)
    with pytest.raises(BedsError) as err:
        assign_beds(data)
    assert err.value.field == field


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_placements_are_valid_and_objective_recomputes(data: st.DataObject) -> None:
    units = [(f"U{j}", data.draw(st.sampled_from(["male", "female"])), data.draw(st.integers(1, 4)))
             for j in range(data.draw(st.integers(1, 4)))]
    n = data.draw(st.integers(0, 10))
    ids = [f"W{i}" for i in range(n)]
    workers = [{"id": w, "gender": data.draw(st.sampled_from(["male", "female"])),
                "shift": data.draw(st.sampled_from(["day", "night", "rotating"])),
                "roommates": data.draw(st.lists(st.sampled_from(ids), max_size=1).map(
                    lambda mates, w=w: [m for m in mates if m != w]))} for w in ids]
    inp = beds_input(units, workers)
    plan = assign_beds(inp, time_limit_s=5)
    cap = {u: b for u, _, b in units}
    gender = {u: g for u, g, _ in units}
    seen_beds = set()
    for a in plan["assignments"]:
        w = next(x for x in workers if x["id"] == a["worker"])
        assert gender[a["unit"]] == w["gender"] and 1 <= a["bed"] <= cap[a["unit"]]
        assert (a["unit"], a["bed"]) not in seen_beds
        seen_beds.add((a["unit"], a["bed"]))
    assert plan["objective"] == beds_objective(parse_beds_input(inp), plan["assignments"])
    for g in ("male", "female"):  # everyone who fits is housed
        beds_g = sum(b for _, gg, b in units if gg == g)
        want = sum(1 for w in workers if w["gender"] == g)
        got = sum(1 for a in plan["assignments"] if gender[a["unit"]] == g)
        assert got == min(beds_g, want)


def test_cli_beds(tmp_path: Path) -> None:
    path = tmp_path / "beds.json"
    path.write_text(json.dumps(beds_input([("U1", "male", 2)], [{"id": "A", "gender": "male"}])))
    proc = subprocess.run([sys.executable, "-m", "allocation", "beds", str(path), "--time-limit", "5"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["assignments"] == [{"worker": "A", "unit": "U1", "bed": 1}]
    path.write_text(json.dumps({"format": "firm-beds/1", "units": [], "workers": [{"id": "A"}]}))
    proc = subprocess.run([sys.executable, "-m", "allocation", "beds", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == 'workers[0].gender: must be "male" or "female"'


def test_rotating_workers_share_with_either_shift() -> None:
    """Two 2-bed units; a day, a night and two rotating workers: D+R and N+R, no unit mixed.
    (Were rotating a third shift, one unit would have to mix.)"""
    ws = [{"id": "D1", "gender": "male", "shift": "day"}, {"id": "N1", "gender": "male", "shift": "night"},
          {"id": "R1", "gender": "male", "shift": "rotating"}, {"id": "R2", "gender": "male", "shift": "rotating"}]
    plan = assign_beds(beds_input([("U1", "male", 2), ("U2", "male", 2)], ws))
    assert plan["status"] == "optimal"
    assert plan["objective"]["mixed_shift_units"] == 0
    unit_of = {a["worker"]: a["unit"] for a in plan["assignments"]}
    assert unit_of["D1"] != unit_of["N1"]


def test_day_and_night_in_one_unit_still_mix_with_a_rotating_worker() -> None:
    """One 3-bed unit: day + night + rotating -> the unit is mixed (1)."""
    ws = [{"id": "D1", "gender": "male", "shift": "day"}, {"id": "N1", "gender": "male", "shift": "night"},
          {"id": "R1", "gender": "male", "shift": "rotating"}]
    plan = assign_beds(beds_input([("U1", "male", 3)], ws))
    assert plan["objective"]["mixed_shift_units"] == 1


def test_beds_errors_are_instance_errors() -> None:
    from allocation import InstanceError

    with pytest.raises(InstanceError) as err:
        assign_beds({"format": "firm-beds/1", "units": [], "workers": [{"id": "W", "gender": "x"}]})
    assert err.value.field == "workers[0].gender"

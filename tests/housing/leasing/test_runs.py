"""The housing cycle's heart: a run snapshots the period, solves outside the request, shows
each firm its line, and applying it makes the leases and the move list — once, whole, and
only if nothing changed since the snapshot."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from allocation import parse_instance
from housing.leasing.tables import HeadcountRequest, Lease, Move, Period


async def _finished(api: Any, run_id: int, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = (await api.get("staff", f"/api/allocation-runs/{run_id}")).json()
        if run["status"] in ("done", "failed"):
            return run
        await asyncio.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish: {run}")


async def _request(park, firm: int, male: int, female: int) -> None:
    await HeadcountRequest.insert(
        HeadcountRequest(
            period_id=park.period_open, firm_id=firm, male_beds=male, female_beds=female, updated_at=datetime.now(UTC)
        )
    )


async def test_a_run_solves_in_the_background_and_shows_each_firm_its_line(api) -> None:
    park = api.park
    await _request(park, park.firm2, 2, 8)  # firm 1 asked for 6 men and 2 women (the small park)
    started = await api.post("staff", "/api/allocation-runs", json={"period_id": park.period_open, "time_limit_s": 3})
    assert started.status_code == 202, started.text
    run = await _finished(api, started.json()["id"])
    assert run["status"] == "done", run
    assert run["plan_status"] in ("optimal", "feasible")
    lines = {line["firm_id"]: line for line in run["lines"]}
    assert lines[park.firm1]["requested_male"] == 6 and lines[park.firm1]["filed"] is True
    assert lines[park.firm2]["granted_female"] >= 8  # the women's block has 8 beds
    for line in lines.values():
        assert line["short_male"] == max(0, line["requested_male"] - line["granted_male"])
    # HR sees only its own firm's line; the snapshot is staff's.
    mine = (await api.get("hr2", f"/api/allocation-runs/{run['id']}")).json()
    assert [line["firm_id"] for line in mine["lines"]] == [park.firm2]
    assert (await api.get("hr2", f"/api/allocation-runs/{run['id']}/instance")).status_code == 403
    instance = (await api.get("staff", f"/api/allocation-runs/{run['id']}/instance")).json()
    assert parse_instance(instance).units  # it re-solves with `python -m allocation solve`


async def test_applying_makes_the_leases_and_the_move_list_once(api) -> None:
    park = api.park
    await _request(park, park.firm2, 6, 0)  # firm 2 wants men's beds too
    period = await Period.select().where(Period.id == park.period_open).first()
    starts = period["starts_on"] if isinstance(period["starts_on"], date) else date.fromisoformat(period["starts_on"])
    run = await _finished(
        api,
        (
            await api.post("staff", "/api/allocation-runs", json={"period_id": park.period_open, "time_limit_s": 3})
        ).json()["id"],
    )
    assert run["status"] == "done", run
    headers = await api.headers("staff")
    api.client.cookies.clear()
    responses = await asyncio.gather(
        *(api.client.post(f"/api/allocation-runs/{run['id']}/apply", headers=headers) for _ in range(5))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 4, [r.text for r in responses]
    applied = next(r.json() for r in responses if r.status_code == 200)
    assert applied["status"] == "applied"
    assert (await Period.select(Period.allocated_run_id).where(Period.id == park.period_open).first())[
        "allocated_run_id"
    ] == run["id"]
    new = await Lease.select().where(Lease.run_id == run["id"])
    assert new and all(_day(lease["starts_on"]) == starts for lease in new)
    # Every lease running on the period's first day matches the plan's line totals.
    by_firm = {line["firm_id"]: line for line in applied["lines"]}
    running = await Lease.select(Lease.firm_id, Lease.unit_id.beds.as_alias("beds"), Lease.gender).where(
        (Lease.starts_on <= starts) & (Lease.ends_on.is_null() | (Lease.ends_on >= starts))
    )
    for firm_id, line in by_firm.items():
        beds = sum(r["beds"] for r in running if r["firm_id"] == firm_id and r["gender"] == "male")
        assert beds == line["granted_male"], firm_id
    # A released unit's residents are on the move list with a deadline before the period.
    moves = (await api.get("hr1", "/api/moves")).json()["items"]
    released = by_firm[park.firm1]["units_released"]
    assert (len(moves) >= 1) == (released >= 1 and by_firm[park.firm1]["workers_to_move"] >= 1)
    assert all(_day(m["deadline"]) == starts - timedelta(days=1) for m in moves)
    assert await Move.count().where(Move.firm_id == park.firm2) == 0  # firm 2 held nothing
    again = await api.post("staff", f"/api/allocation-runs/{run['id']}/apply")
    assert again.status_code == 409


async def test_a_run_whose_inputs_changed_is_not_applied(api, counts) -> None:
    park = api.park
    run = await _finished(
        api,
        (
            await api.post("staff", "/api/allocation-runs", json={"period_id": park.period_open, "time_limit_s": 2})
        ).json()["id"],
    )
    await api.patch("staff", f"/api/headcount-requests/{park.request1}", json={"male_beds": 12})
    before = await counts()
    refused = await api.post("staff", f"/api/allocation-runs/{run['id']}/apply")
    assert refused.status_code == 409 and "重新运行" in refused.json()["detail"]
    assert await counts() == before
    # A fresh run of the changed inputs applies, and the stale one is superseded.
    fresh = await _finished(
        api,
        (
            await api.post("staff", "/api/allocation-runs", json={"period_id": park.period_open, "time_limit_s": 2})
        ).json()["id"],
    )
    assert (await api.post("staff", f"/api/allocation-runs/{fresh['id']}/apply")).status_code == 200
    assert (await api.get("staff", f"/api/allocation-runs/{run['id']}")).json()["status"] == "superseded"


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(value)


async def test_a_queued_run_can_be_cancelled_and_then_not_again(park) -> None:
    """With no runner in this process the run stays queued; cancelling it ends it at once.
    (Stopping a running solve is tested in tests/housing/jobs and tests/allocation.)"""
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from app import create_app
    from housing.settings import Settings
    from tests.housing.conftest import Api

    settings = replace(Settings.from_env(), run_jobs=False)
    async with AsyncTestClient(app=create_app(settings)) as client:
        api = Api(client=client, park=park, _tokens={})
        started = await api.post("staff", "/api/allocation-runs", json={"period_id": park.period_open})
        run_id = started.json()["id"]
        assert (await api.get("staff", f"/api/allocation-runs/{run_id}")).json()["status"] == "queued"
        stopped = await api.post("staff", f"/api/allocation-runs/{run_id}/cancel")
        assert stopped.status_code == 202 and stopped.json()["status"] == "cancelled"
        assert (await api.post("staff", f"/api/allocation-runs/{run_id}/cancel")).status_code == 409
        assert (await api.post("hr1", f"/api/allocation-runs/{run_id}/cancel")).status_code == 403


async def test_a_tradeoff_run_draws_the_curve_and_applies_the_point_staff_choose(api) -> None:
    park = api.park
    await _request(park, park.firm2, 6, 0)
    both = {"period_id": park.period_open, "tradeoff": True, "max_displaced_workers": 3}
    refused = await api.post("staff", "/api/allocation-runs", json=both)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "max_displaced_workers"
    body = {"period_id": park.period_open, "time_limit_s": 4, "tradeoff": True, "points": 3}
    run = await _finished(api, (await api.post("staff", "/api/allocation-runs", json=body)).json()["id"])
    assert run["status"] == "done", run
    curve = run["curve"]
    assert [p["point"] for p in curve] == [0, 1, 2] and run["tradeoff_points"] == 3
    moves = [p["objective"]["displaced_workers"] for p in curve]
    assert moves == sorted(moves) and all(
        p["objective"]["displaced_workers"] <= p["max_displaced_workers"] for p in curve
    )
    assert run["chosen_point"] is None and run["lines"]  # the unconstrained end until staff choose
    path = f"/api/allocation-runs/{run['id']}"
    assert (await api.post("staff", f"{path}/apply")).status_code == 409  # choose first
    wrong = await api.post("staff", f"{path}/choose", json={"point": 5})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "point"
    assert (await api.post("hr1", f"{path}/choose", json={"point": 0})).status_code == 403
    chosen = (await api.post("staff", f"{path}/choose", json={"point": 0})).json()
    assert chosen["chosen_point"] == 0 and chosen["objective"] == curve[0]["objective"]
    moving = sum(line["workers_to_move"] for line in chosen["lines"])
    assert moving == curve[0]["objective"]["displaced_workers"]
    applied = await api.post("staff", f"{path}/apply")
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert await Move.count().where(Move.run_id == run["id"]) == moving
    assert (await api.post("staff", f"{path}/choose", json={"point": 1})).status_code == 409

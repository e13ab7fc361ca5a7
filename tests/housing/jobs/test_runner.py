"""Long work runs outside the request and the event loop, reports progress, survives a dead
worker or a dead server honestly, and stops when asked."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta

from housing.jobs import runner
from housing.jobs.tables import Job

runner.job_kind("test-count", "tests.housing.jobs.sample:count")
runner.job_kind("test-explode", "tests.housing.jobs.sample:explode")
runner.job_kind("test-die", "tests.housing.jobs.sample:die")


def _now() -> datetime:
    return datetime.now(UTC)


async def _run_next() -> dict:
    job = await runner.claim("test", _now())
    assert job is not None
    await runner.run_one(job, _now)
    row = await Job.select().where(Job.id == job["id"]).first()
    assert row is not None
    return row


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_a_job_runs_in_another_process_and_reports(park) -> None:
    job_id = await runner.enqueue("test-count", {"to": 6}, _now())
    row = await _run_next()
    assert row["id"] == job_id and row["status"] == "done"
    result = _json(row["result"])
    assert result["counted"] == 6 and result["pid"] != os.getpid()
    assert _json(row["progress"])["of"] == 6
    assert row["started_at"] is not None and row["finished_at"] is not None
    # long work yields the CPU to the API process
    assert result["niceness"] >= os.nice(0) + runner.JOB_NICENESS or result["niceness"] == 19


async def test_failures_are_recorded_with_their_reason(park) -> None:
    await runner.enqueue("test-explode", {}, _now())
    exploded = await _run_next()
    assert exploded["status"] == "failed" and "the instance is bad" in exploded["error"]
    await runner.enqueue("test-die", {}, _now())
    died = await _run_next()
    assert died["status"] == "failed" and "died" in died["error"]


async def test_a_job_is_claimed_once_even_when_two_runners_race(park) -> None:
    await runner.enqueue("test-count", {"to": 1}, _now())
    claims = await asyncio.gather(*(runner.claim(f"runner-{i}", _now()) for i in range(6)))
    assert sum(c is not None for c in claims) == 1


async def test_a_job_left_running_by_a_dead_server_is_failed_at_the_next_start(park) -> None:
    job_id = await runner.enqueue("test-count", {"to": 1}, _now())
    long_ago = _now() - timedelta(minutes=5)
    await Job.update({Job.status: "running", Job.heartbeat_at: long_ago, Job.started_at: long_ago}).where(
        Job.id == job_id
    )
    fresh = await runner.enqueue("test-count", {"to": 1}, _now())
    await Job.update({Job.status: "running", Job.heartbeat_at: _now()}).where(Job.id == fresh)
    assert await runner.recover(_now()) == 1
    stale = await Job.select(Job.status, Job.error).where(Job.id == job_id).first()
    assert stale == {"status": "failed", "error": "interrupted"}
    # A job another live process is running is left alone.
    assert (await Job.select(Job.status).where(Job.id == fresh).first())["status"] == "running"


async def test_a_running_job_stops_when_asked(park) -> None:
    job_id = await runner.enqueue("test-count", {"to": 400, "pause": 0.05}, _now())
    job = await runner.claim("test", _now())

    async def ask_later() -> None:
        await asyncio.sleep(1.5)
        await runner.request_cancel(job_id)

    await asyncio.gather(runner.run_one(job, _now), ask_later())
    row = await Job.select().where(Job.id == job_id).first()
    assert row["status"] == "done"
    assert _json(row["result"])["stopped_at"] < 400

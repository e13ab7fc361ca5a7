"""The embedded job runner: claims queued jobs atomically and runs each in a child process.

- A job kind names a plain function, `module:function`, taking (params, progress, stop) and
  returning a JSON-able result: plain data in and out, so the same function can run on SAQ
  workers when one machine is not enough. It runs in a child process (spawned: a clean
  interpreter), never on the server's event loop, so the API keeps answering meanwhile.
- Claiming is one atomic UPDATE … RETURNING on the oldest queued job: safe with several API
  processes, each running its own runner, one job at a time (the work is CPU-bound).
- Progress comes back over a pipe and is written to the job's row at most twice a second,
  with a heartbeat; a cancel request is passed to the child's `stop()`.
- A job still `running` whose heartbeat is older than `STALE_AFTER` belonged to a process that
  died: it is marked failed ("interrupted") at the next start, never left running for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import anyio

from housing.jobs.tables import Job
from housing.web.clock import Clock
from housing.web.db import HotQuery, json_value

log = logging.getLogger("housing.jobs")

KINDS: dict[str, str] = {}
STALE_AFTER = timedelta(seconds=30)
HEARTBEAT_S = 2.0
PROGRESS_EVERY_S = 0.5
IDLE_POLL_S = 2.0
Progress = Callable[[dict[str, Any]], None]
Stop = Callable[[], bool]

_CLAIM = (
    "UPDATE job SET status = 'running', owner = {}, started_at = {}, heartbeat_at = {} "
    "WHERE id = (SELECT id FROM job WHERE status = 'queued' ORDER BY id LIMIT 1) AND status = 'queued' "
    "RETURNING id, kind, params"
)


def job_kind(kind: str, target: str) -> None:
    """Register a kind of job: `target` is `module:function`, importable in a fresh process."""
    KINDS[kind] = target


async def enqueue(kind: str, params: dict[str, Any], now: datetime) -> int:
    """A new queued job (inside the caller's transaction, so it exists only if the write does)."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    inserted = await Job.insert(Job(kind=kind, params=params, created_at=now))
    return int(inserted[0]["id"])


async def request_cancel(job_id: int) -> None:
    await Job.update({Job.cancel_requested: "y"}).where(Job.id == job_id)
    await Job.update({Job.status: "cancelled"}).where((Job.id == job_id) & (Job.status == "queued"))


async def recover(now: datetime) -> int:
    """Jobs left running by a process that died are failed, with the reason."""
    stale = now - STALE_AFTER
    rows = await (
        Job.update({Job.status: "failed", Job.error: "interrupted", Job.finished_at: now})
        .where((Job.status == "running") & (Job.heartbeat_at < stale))
        .returning(Job.id)
    )
    for row in rows:
        log.warning("job %s was interrupted (its process stopped); marked failed", row["id"])
    return len(rows)


# The idle poll asks with a read first: the claim is a write, and a write every 2 s on SQLite
# (a new connection, its thread, a commit) put its stall into the slowest answers of the API
# process it runs in (GET /api/me/bed p99 20 ms instead of 4 ms; scripts/bench_api.py).
ANY_QUEUED = HotQuery("SELECT id FROM job WHERE status = {} LIMIT 1", point=True)


async def claim(owner: str, now: datetime) -> dict[str, Any] | None:
    """The oldest queued job, now running for `owner`; None when nothing is queued (checked
    with a read, so an idle runner never writes). Two runners racing for one job: the UPDATE's
    `status = 'queued'` lets one win."""
    if await ANY_QUEUED.first("queued") is None:
        return None
    rows = await Job.raw(_CLAIM, owner, now, now)
    return rows[0] if rows else None


# Long work yields the CPU to the API: a solver using every core must not slow the answers to
# a worker opening its bed page (measured by scripts/bench_health_during_run.py).
JOB_NICENESS = 10


def _child(target: str, params: Any, pipe: Connection) -> None:
    """The child process: import the job's function, run it, report over the pipe."""
    if hasattr(os, "nice"):
        os.nice(JOB_NICENESS)
    module, name = target.split(":")
    function = getattr(importlib.import_module(module), name)
    stopping = False

    def progress(report: dict[str, Any]) -> None:
        pipe.send(("progress", report))

    def stop() -> bool:
        nonlocal stopping
        while pipe.poll():
            if pipe.recv() == "stop":
                stopping = True
        return stopping

    try:
        pipe.send(("done", function(params, progress, stop)))
    except Exception as error:
        pipe.send(("failed", f"{type(error).__name__}: {error}"[:1000]))


async def run_one(job: dict[str, Any], clock: Clock) -> None:
    """Run one claimed job to its end, writing progress, heartbeat and outcome to its row."""
    job_id, target = job["id"], KINDS.get(job["kind"])
    if target is None:
        await _finish(job_id, "failed", clock(), error=f"unknown job kind {job['kind']}")
        return
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child, args=(target, json_value(job["params"]), child), daemon=True)
    process.start()
    child.close()
    last_write = last_beat = 0.0
    pending: dict[str, Any] | None = None
    outcome: tuple[str, Any] | None = None
    try:
        while outcome is None:
            ready = await anyio.to_thread.run_sync(parent.poll, 0.25)
            if ready:
                try:
                    kind, payload = parent.recv()
                except EOFError:
                    process.join(timeout=2)
                    outcome = ("failed", f"the worker process died (exit code {process.exitcode})")
                    break
                if kind == "progress":
                    pending = payload
                else:
                    outcome = (kind, payload)
            elif not process.is_alive():
                outcome = ("failed", f"the worker process died (exit code {process.exitcode})")
            now_s = time.monotonic()
            if pending is not None and now_s - last_write >= PROGRESS_EVERY_S:
                await Job.update({Job.progress: pending, Job.heartbeat_at: clock()}).where(Job.id == job_id)
                pending, last_write = None, now_s
            if now_s - last_beat >= HEARTBEAT_S:
                row = await Job.select(Job.cancel_requested).where(Job.id == job_id).first()
                if row and row["cancel_requested"]:
                    with contextlib.suppress(OSError):
                        parent.send("stop")
                await Job.update({Job.heartbeat_at: clock()}).where(Job.id == job_id)
                last_beat = now_s
    except asyncio.CancelledError:  # the server is stopping: the job will be found interrupted
        process.kill()
        raise
    finally:
        await anyio.to_thread.run_sync(process.join, 5)
        if process.is_alive():
            process.kill()
        parent.close()
    status, payload = outcome
    if status == "done":
        await _finish(job_id, "done", clock(), result=payload, progress=pending)
    else:
        await _finish(job_id, "failed", clock(), error=str(payload))


async def _finish(
    job_id: int,
    status: str,
    now: datetime,
    *,
    result: Any = None,
    error: str = "",
    progress: dict[str, Any] | None = None,
) -> None:
    changes: dict[Any, Any] = {Job.status: status, Job.finished_at: now, Job.heartbeat_at: now, Job.error: error}
    if result is not None:
        changes[Job.result] = result
    if progress is not None:
        changes[Job.progress] = progress
    await Job.update(changes).where(Job.id == job_id)


class Runner:
    """One per API process: wakes when this process enqueues, else looks every few seconds."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.wake = asyncio.Event()  # an event belongs to one event loop: a fresh one per start
        await recover(self.clock())
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _loop(self) -> None:
        while True:
            try:
                job = await claim(self.owner, self.clock())
                if job is not None:
                    await run_one(job, self.clock)
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive a bad job or a database hiccup
                log.exception("job runner")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), IDLE_POLL_S)

"""Does the API keep answering while the solver works? `/health` latency during a long run.

    python scripts/bench_health_during_run.py [--seconds 60] [--rate 20] [--instance FILE]

Starts the app (uvicorn, one process, as `./scripts/run` does) on a fresh SQLite demo park,
starts an allocation run of the open period with a time limit of `--seconds`, and meanwhile
asks `/health` `--rate` times a second on a fixed schedule (latency counted from the planned
send time), until the run is done. The solver runs in a child process, so the server's event
loop should not notice it. Target (issue 8): p99 under 100 ms.

The demo park's run is proven optimal in a few seconds; to keep the solver busy for the whole
minute, `--instance ../shared/samples/park-1000.json` queues a run of that 1,000-unit instance
instead (written to the job table as `POST /api/allocation-runs` would, and picked up by the
server's own job runner exactly the same way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def probe(client: httpx.AsyncClient, rate: float, until: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    start, n = time.perf_counter(), 0

    async def one(planned: float) -> None:
        await client.get("/health")
        latencies.append((time.perf_counter() - planned) * 1000)

    tasks = []
    while not until.is_set():
        planned = start + n / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        tasks.append(asyncio.create_task(one(planned)))
        n += 1
    await asyncio.gather(*tasks)
    return latencies


async def queue_instance(path: Path, period_id: int, seconds: int) -> int:
    """A run of a ready-made instance, queued in the database the server reads."""
    import json
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT))  # piccolo_conf and the app's packages

    import housing.leasing.runs  # noqa: F401  (registers the allocation job kind)
    from housing.jobs import runner
    from housing.leasing.tables import AllocationRun

    instance = {**json.loads(path.read_text()), "time_limit_s": seconds}
    now = datetime.now(UTC)
    job_id = await runner.enqueue("allocation", {"instance": instance, "time_limit_s": seconds}, now)
    row = AllocationRun(
        period_id=period_id,
        job_id=job_id,
        time_limit_s=seconds,
        instance=instance,
        unit_ids={},
        inputs_digest="bench",
        created_at=now,
    )
    return int((await AllocationRun.insert(row))[0]["id"])


async def measure(base: str, seconds: int, rate: float, instance: Path | None = None) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (await client.post("/api/auth/login", json={"username": "staff", "password": "demo1234"})).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        periods = (await client.get("/api/periods", headers=headers)).json()["items"]
        period = next(p for p in periods if p["state"] == "open")
        done = asyncio.Event()
        idle = await probe_for(client, rate, 3.0)
        if instance is None:
            started = await client.post(
                "/api/allocation-runs", headers=headers, json={"period_id": period["id"], "time_limit_s": seconds}
            )
            run_id = started.json()["id"]
        else:
            run_id = await queue_instance(instance, period["id"], seconds)
        began = time.perf_counter()

        async def watch() -> dict:
            while True:
                run = (await client.get(f"/api/allocation-runs/{run_id}", headers=headers)).json()
                if run["status"] in ("done", "failed"):
                    done.set()
                    return run
                await asyncio.sleep(1)

        latencies, run = await asyncio.gather(probe(client, rate, done), watch())
        took = time.perf_counter() - began
    print(f"run {run_id}: {run['status']} ({run.get('plan_status')}) after {took:.1f} s")
    for name, sample in (("idle", idle), ("during the run", latencies)):
        q = statistics.quantiles(sample, n=100)
        print(
            f"/health {name}: {len(sample)} requests, p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {max(sample):.1f} ms"
        )
    print("target: p99 < 100 ms during the run")


async def probe_for(client: httpx.AsyncClient, rate: float, seconds: float) -> list[float]:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await probe(client, rate, stop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--instance", type=Path, help="a park-allocation/1 file to solve instead of the demo period")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-health-"))
    os.environ.update({"DATABASE_URL": f"sqlite:///{folder / 'park.sqlite'}", "SECRET_KEY": "bench-" + "k" * 40})
    env = dict(os.environ)
    bin_dir = Path(PYTHON).parent
    subprocess.run(
        [str(bin_dir / "piccolo"), "migrations", "forwards", "all"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([PYTHON, "scripts/demo_park.py"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [
            str(bin_dir / "uvicorn"),
            "app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        asyncio.run(measure(f"http://127.0.0.1:{port}", args.seconds, args.rate, args.instance))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How far the API is from the fastest it could be: each endpoint beside a hand-written baseline.

    python scripts/bench_api.py --quick --engine both          # a 2-second smoke run
    python scripts/bench_api.py --engine both --json scripts/bench/api-$(date +%F).json
    python scripts/bench_api.py --table scripts/bench/api-2026-11-23.json   # the tables again

What is measured, per engine (SQLite, PostgreSQL) and per endpoint (`GET /api/me`,
`GET /api/workers?limit=50`, both as `hr1`; `GET /api/me/bed` as `worker1`):

* **The baseline is the ceiling.** `scripts/bench_api_baseline.py` serves the same two routes
  with nothing but the work they must do: verify the same JWT and read the same rows with *one*
  hand-written SQL query through the same driver (aiosqlite on one long-lived connection /
  an asyncpg pool), answering the same JSON (checked before measuring). Its SQL is in
  constants at the top of that file. A ratio says how much of that ceiling the app reaches.
* **Same server, same conditions.** App and baseline run under the same uvicorn flags, as
  subprocesses on free ports, against the same freshly migrated database with the demo park;
  each is warmed up first.
* **Interleaved.** Measurements alternate app, baseline, app, baseline … for several rounds
  (the order flips each round), so drift on this shared 2-core machine hits both alike; the
  median round is reported.
* **Throughput** — closed loop: a fixed number of keep-alive connections, each sending its next
  request when the last answer arrived, for N seconds → requests/s (with `wrk` when it is on
  PATH, else a Python asyncio generator in its own process).
* **Latency under a fixed offered load** — open loop: requests are *scheduled* at half the
  baseline's measured capacity, whatever the server does, and each latency runs from the
  *intended* send time, so a stall's queueing counts for every request it delayed (no
  coordinated omission). Requests still unanswered at the end count with their wait so far.
  → p50/p99 of app and baseline (samples of all rounds pooled).
* **Several processes** — the app with `uvicorn --workers 1` and `--workers 2` (closed loop).
  When the installed uvicorn's `--workers N` leaves TCP_NODELAY off (Kludex/uvicorn#3149: its
  listener says proto 0, so keep-alive answers wait ~40 ms for the client's delayed ACK), the
  2-process app is measured as is *and* with that one-line fix, so the bug and the scaling
  can be told apart.
* **Who is busy** — CPU seconds of the server's processes (and, on PostgreSQL, of our
  database's backends) per measurement, from /proc: CPU per request for app and baseline, and
  whether the generator itself (its own CPU is reported too) was the limit.

Every load loop is bounded in time and count and targets 127.0.0.1 only; every server and
generator process is killed on exit, and the throwaway database (a temporary SQLite file, or a
PostgreSQL database created on `--pg-url`'s server) is removed.

The generators share the 2 cores with the servers (and PostgreSQL with both), so absolute
numbers are modest and the 2-process gain is bounded by the machine; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PYTHON = sys.executable

# Each endpoint as the person who opens it most: HR its own page, a worker its bed.
ENDPOINTS = {"/api/me": "hr1", "/api/workers?limit=50": "hr1", "/api/me/bed": "worker1"}
PASSWORD = "demo1234"
TARGET_RATIO = 0.50  # app throughput ≥ 50 % of the baseline's
TARGET_P99 = 3.0  # app p99 ≤ 3 × the baseline's at the same offered load
OPEN_LOOP_SHARE = 0.5  # offered load = this × the baseline's measured capacity
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MAX_REQUESTS = 1_000_000  # per generator run, whatever the duration
HOST = "127.0.0.1"

# =========================================================================================
# Load generators (run in their own process: `bench_api.py --generator SPEC_JSON`)
# =========================================================================================


def request_bytes(port: int, path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


class Connection:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read the whole answer."""

    def __init__(self, port: int, payload: bytes) -> None:
        self.port, self.payload = port, payload
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self) -> int:
        """Status code of one request (reconnecting first when needed); -1 on a broken connection."""
        try:
            if self.writer is None:
                await self.open()
            assert self.reader is not None and self.writer is not None
            self.writer.write(self.payload)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            if (match := re.search(rb"\r\ncontent-length:\s*(\d+)", lower)) is not None:
                await self.reader.readexactly(int(match.group(1)))
            elif b"transfer-encoding: chunked" in lower:
                await self._read_chunked()
            if b"\r\nconnection: close" in lower:
                self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            return -1

    async def _read_chunked(self) -> None:
        assert self.reader is not None
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return


async def open_all(conns: list[Connection], gap_s: float = 0.002) -> None:
    """Connect one by one, a moment apart, as clients arrive: opened all at once, every
    connection would land in the one `--workers` process that wakes first."""
    for conn in conns:
        await conn.open()
        await asyncio.sleep(gap_s)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100); NaN when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def closed_loop(port: int, path: str, token: str, connections: int, seconds: float) -> dict[str, Any]:
    """`connections` clients, each sending its next request as soon as the last answer arrived."""
    payload = request_bytes(port, path, token)
    conns = [Connection(port, payload) for _ in range(connections)]
    await open_all(conns)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def client(conn: Connection) -> None:
        nonlocal errors
        while len(latencies) + errors < MAX_REQUESTS:
            sent = time.perf_counter()
            if sent >= deadline:
                return
            status = await conn.exchange()
            if status == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1

    await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "elapsed_s": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


async def open_loop(port: int, path: str, token: str, connections: int, rate: float, seconds: float) -> dict[str, Any]:
    """Requests scheduled at `rate`/s for `seconds`, served by up to `connections` keep-alive
    connections; each latency runs from the request's intended send time."""
    payload = request_bytes(port, path, token)
    conns = [Connection(port, payload) for _ in range(connections)]
    await open_all(conns)
    total = min(MAX_REQUESTS, max(1, int(rate * seconds)))
    queue: asyncio.Queue[float] = asyncio.Queue()
    in_flight: dict[int, float] = {}
    latencies: list[float] = []
    sent_at: list[float] = []
    lags: list[float] = []
    errors = 0

    async def client(index: int, conn: Connection) -> None:
        nonlocal errors
        while True:
            intended = await queue.get()
            in_flight[index] = intended
            status = await conn.exchange()
            del in_flight[index]
            if status == 200:
                latencies.append(time.perf_counter() - intended)
                sent_at.append(intended)
            else:
                errors += 1
            queue.task_done()

    clients = [asyncio.create_task(client(i, c)) for i, c in enumerate(conns)]
    start = time.perf_counter() + 0.01
    sent = 0
    while sent < total:
        now = time.perf_counter()
        while sent < total and start + sent / rate <= now:
            intended = start + sent / rate
            lags.append(now - intended)
            queue.put_nowait(intended)
            sent += 1
        if sent < total:
            await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
    try:
        await asyncio.wait_for(queue.join(), timeout=max(2.0, seconds))
    except TimeoutError:
        pass
    end = time.perf_counter()
    unfinished = [end - t for t in in_flight.values()]
    while not queue.empty():
        unfinished.append(end - queue.get_nowait())
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    for conn in conns:
        conn.close()
    lags.sort()
    # Where the slowest answers were scheduled: one stall shows as a run of neighbours, a slow
    # path as answers spread over the whole measurement.
    slowest = sorted(zip(latencies, sent_at, strict=True), reverse=True)[:8]
    return {
        "rate": rate,
        "slowest": [[round(t - start, 3), round(v * 1e3, 1)] for v, t in slowest],
        "scheduled": total,
        "completed": len(latencies),
        "errors": errors,
        "unfinished": len(unfinished),
        "latencies_ms": [round(v * 1e3, 3) for v in latencies + unfinished],
        "send_lag_p99_ms": percentile(lags, 99) * 1e3,
    }


def generator_main(spec: dict[str, Any]) -> None:
    """Run one load and print its result as JSON, with the CPU seconds the generator itself used
    (a generator near 1.0 core is the bottleneck, not the server)."""
    cpu = time.process_time()
    if spec["kind"] == "closed":
        result = asyncio.run(
            closed_loop(spec["port"], spec["path"], spec["token"], spec["connections"], spec["seconds"])
        )
    else:
        result = asyncio.run(
            open_loop(spec["port"], spec["path"], spec["token"], spec["connections"], spec["rate"], spec["seconds"])
        )
    result["generator_cpu_s"] = time.process_time() - cpu
    json.dump(result, sys.stdout)


# =========================================================================================
# Processes: every one started here is registered and killed on exit
# =========================================================================================

STARTED: list[subprocess.Popen[Any]] = []


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when this script dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start a process in its own process group (so uvicorn's workers go with it) and register it."""
    proc = subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)
    STARTED.append(proc)
    return proc


def stop(proc: subprocess.Popen[Any], grace_s: float = 5.0) -> None:
    """SIGTERM to the process group, SIGKILL after `grace_s`."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    else:  # the leader is gone; its workers might not be
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if proc in STARTED:
        STARTED.remove(proc)


def stop_all() -> None:
    for proc in list(reversed(STARTED)):
        stop(proc)


def cpu_by_process(pgid: int | None = None, marker: str | None = None) -> dict[int, float] | None:
    """CPU seconds (user + system) used so far by each live process of process group `pgid`
    (uvicorn and its workers), or whose command line names `marker` (the PostgreSQL backends
    of our throwaway database); None where there is no Linux /proc."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    found: dict[int, float] = {}
    for entry in entries:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if marker is not None and marker.encode() not in Path(f"/proc/{entry}/cmdline").read_bytes():
                continue
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
        if pgid is None or int(fields[2]) == pgid:  # pgrp is field 5
            found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def importable(module: str) -> bool:
    return subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True, check=False).returncode == 0


def uvicorn_flags() -> list[str]:
    """The flags app and baseline both run under: uvloop/httptools only when installed."""
    flags = ["--no-access-log", "--log-level", "warning"]
    if importable("uvloop"):
        flags += ["--loop", "uvloop"]
    if importable("httptools"):
        flags += ["--http", "httptools"]
    return flags


NODELAY_ISSUE = "https://github.com/Kludex/uvicorn/issues/3149"
NODELAY_LAUNCHER = "--uvicorn-with-nodelay"  # hidden: run uvicorn's CLI with the listener fixed


def uvicorn_loses_nodelay() -> bool | None:
    """Whether this uvicorn's `--workers N` listener has `proto` 0, so that asyncio leaves
    TCP_NODELAY off on every accepted connection and a keep-alive response can wait ~40 ms for
    the client's delayed ACK (Kludex/uvicorn#3149); None when it cannot be told."""
    try:
        import uvicorn

        sock = uvicorn.Config(app="app:app", host=HOST, port=0, log_config=None).bind_socket()
    except Exception:  # any failure: cannot tell
        return None
    try:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP
    finally:
        sock.close()


def uvicorn_with_nodelay(argv: list[str]) -> None:
    """`uvicorn ARGV` with the one-line fix of Kludex/uvicorn#3149: the listener says IPPROTO_TCP."""
    import uvicorn.config
    import uvicorn.main

    original = uvicorn.config.Config.bind_socket

    def bind_socket(self: uvicorn.config.Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]
    uvicorn.main.main(args=argv, prog_name="uvicorn")


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[Any]
    log: Path
    workers: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def server_env(database_url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PICCOLO_CONF", "DB_POOL")}
    env.update(DATABASE_URL=database_url, SECRET_KEY=secret, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def start_server(
    name: str, target: str, workers: int, flags: list[str], env: dict[str, str], logdir: Path, nodelay_fix: bool = False
) -> Server:
    port = free_port()
    log = logdir / f"{name}.log"
    launcher = [str(Path(__file__).resolve()), NODELAY_LAUNCHER] if nodelay_fix else ["-m", "uvicorn"]
    cmd = [PYTHON, *launcher, target, "--host", HOST, "--port", str(port), "--workers", str(workers), *flags]
    if target.startswith("bench_api_baseline:"):
        cmd += ["--app-dir", str(SCRIPTS)]
    with open(log, "wb") as out:
        proc = spawn(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, proc, log, workers)


def wait_ready(server: Server, path: str, timeout_s: float = 60.0) -> None:
    """Until the server answers `path` with any HTTP status (it may want a token)."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            httpx.get(server.url + path, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name} did not come up on port {server.port}:\n{tail}")


# =========================================================================================
# Databases
# =========================================================================================


def run_checked(cmd: list[str], env: dict[str, str], what: str, timeout_s: float = 300.0) -> str:
    proc = spawn(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    finally:
        stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out[-3000:]}")
    return out


def load_park(env: dict[str, str]) -> None:
    """Migrate (`piccolo migrations forwards all`) and load the demo park, as scripts/run does."""
    where = run_checked([PYTHON, "-c", "import app, housing; print(housing.__file__)"], env, "importing the app")
    if not Path(where.strip().splitlines()[-1]).resolve().is_relative_to(ROOT):
        raise RuntimeError(f"`housing` resolves to {where.strip()}, not to {ROOT}: check PYTHONPATH")
    run_checked([PYTHON, "-m", "piccolo.main", "migrations", "forwards", "all"], env, "migrations")
    print("   ", run_checked([PYTHON, str(SCRIPTS / "demo_park.py")], env, "demo park").strip().splitlines()[-1])


@contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    path = tmp / "park.sqlite"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def pg_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_url, timeout=5)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway database `park_bench_<random>` on the server of `admin_url`, dropped after."""
    name = f"park_bench_{uuid.uuid4().hex[:10]}"
    pg_admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_reachable(admin_url: str) -> bool:
    try:
        pg_admin(admin_url, "SELECT 1")
        return True
    except Exception:  # any failure means "not here"
        return False


# =========================================================================================
# Measuring
# =========================================================================================


def login(server: Server) -> dict[str, str]:
    """A token per endpoint, of the person who uses it."""
    import httpx

    tokens: dict[str, str] = {}
    for username in sorted(set(ENDPOINTS.values())):
        answer = httpx.post(
            server.url + "/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30.0
        )
        answer.raise_for_status()
        tokens[username] = str(answer.json()["token"])
    return {path: tokens[username] for path, username in ENDPOINTS.items()}


def check_same_answers(app: Server, baseline: Server, tokens: dict[str, str]) -> None:
    """The baseline must answer what the app answers, or the comparison means nothing."""
    import httpx

    for path in ENDPOINTS:
        headers = {"Authorization": f"Bearer {tokens[path]}"}
        ours = httpx.get(app.url + path, headers=headers, timeout=10.0)
        theirs = httpx.get(baseline.url + path, headers=headers, timeout=10.0)
        if ours.status_code != 200 or theirs.status_code != 200 or ours.json() != theirs.json():
            raise RuntimeError(
                f"{path}: app and baseline answer differently\n app ({ours.status_code}): {ours.text[:600]}\n"
                f" baseline ({theirs.status_code}): {theirs.text[:600]}"
            )
    print(f"    {app.name}: answers match the baseline's on {', '.join(ENDPOINTS)}")


def run_generator(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    proc = spawn(
        [PYTHON, str(Path(__file__).resolve()), "--generator", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    finally:
        stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {err[-2000:]}")
    return dict(json.loads(out))


WRK_LUA = 'wrk.headers["Authorization"] = "Bearer {token}"\nwrk.headers["Accept"] = "application/json"\n'


def run_wrk(server: Server, path: str, token: str, connections: int, seconds: float, tmp: Path) -> dict[str, Any]:
    script = tmp / "auth.lua"
    script.write_text(WRK_LUA.format(token=token))
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script), server.url + path]
    proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    finally:
        stop(proc)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"wrk said:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    total = re.search(r"(\d+) requests in", out)
    return {"rps": float(rps.group(1)), "errors": errors, "requests": int(total.group(1)) if total else None}


@dataclass
class Settings:
    seconds: float
    rounds: int
    connections: int
    open_connections: int
    warmup_s: float
    use_wrk: bool
    tmp: Path
    db_marker: str | None = None  # PostgreSQL: the database name its backends show
    nodelay_fixed_too: bool = False  # also measure 2 processes with uvicorn's listener fixed


SETTLE_S = 0.3  # between measurements: let the last one's stragglers finish


@contextmanager
def cpu_of(server: Server, result: dict[str, Any], db_marker: str | None) -> Iterator[None]:
    """Adds to `result` the cores used during the block (CPU seconds / wall seconds): `server_cores`
    by the server's processes (and `server_split`, per process, when there are several) and, on
    PostgreSQL, `db_cores` by our database's backends."""
    time.sleep(SETTLE_S)
    start = time.perf_counter()
    server_before = cpu_by_process(pgid=server.proc.pid)
    db_before = cpu_by_process(marker=db_marker) if db_marker else None
    yield
    server_after = cpu_by_process(pgid=server.proc.pid)
    db_after = cpu_by_process(marker=db_marker) if db_marker else None
    wall = time.perf_counter() - start
    if server_before is not None and server_after:
        used = {pid: (t - server_before.get(pid, 0.0)) / wall for pid, t in server_after.items()}
        result["server_cores"] = sum(used.values())
        if server.workers > 1:  # the busiest `workers` processes: not the supervisor, not its helpers
            result["server_split"] = sorted(used.values(), reverse=True)[: server.workers]
    if db_before is not None and db_after:
        result["db_cores"] = sum(t - db_before.get(pid, 0.0) for pid, t in db_after.items()) / wall


def throughput(server: Server, path: str, token: str, s: Settings) -> dict[str, Any]:
    cpu: dict[str, Any] = {}
    with cpu_of(server, cpu, s.db_marker):
        result = _throughput(server, path, token, s)
    result.update(cpu)
    if "generator_cpu_s" in result:
        result["generator_cores"] = result["generator_cpu_s"] / result["elapsed_s"]
    return result


def _throughput(server: Server, path: str, token: str, s: Settings) -> dict[str, Any]:
    if s.use_wrk:
        result = run_wrk(server, path, token, s.connections, s.seconds, s.tmp)
    else:
        spec = {"kind": "closed", "port": server.port, "path": path, "token": token}
        result = run_generator({**spec, "connections": s.connections, "seconds": s.seconds}, s.seconds + 60)
    if result["errors"]:
        print(f"    ! {server.name} {path}: {result['errors']} failed requests")
    return result


def latency(server: Server, path: str, token: str, rate: float, s: Settings) -> dict[str, Any]:
    spec = {"kind": "open", "port": server.port, "path": path, "token": token, "rate": rate}
    cpu: dict[str, Any] = {}
    with cpu_of(server, cpu, s.db_marker):
        result = run_generator({**spec, "connections": s.open_connections, "seconds": s.seconds}, 2 * s.seconds + 60)
    result.update(cpu)
    if result["errors"] or result["unfinished"]:
        print(f"    ! {server.name} {path}: {result['errors']} failed, {result['unfinished']} unanswered at the end")
    return result


def cores(result: dict[str, Any]) -> str:
    """`  server 0.97 cores, generator 0.55` when known: who was busy during the measurement."""
    parts = []
    if "server_cores" in result:
        split = "/".join(f"{c:.2f}" for c in result.get("server_split", []))
        parts.append(f"server {result['server_cores']:.2f} cores" + (f" ({split})" if split else ""))
    if "db_cores" in result:
        parts.append(f"database {result['db_cores']:.2f}")
    if "generator_cores" in result:
        parts.append(f"generator {result['generator_cores']:.2f}")
    return ("  " + ", ".join(parts)) if parts else ""


def interleaved(servers: list[Server], round_no: int) -> list[Server]:
    """App, baseline, … in one round; the other way round in the next."""
    return servers if round_no % 2 == 0 else list(reversed(servers))


def warm_up(servers: list[Server], tokens: dict[str, str], s: Settings) -> None:
    """A short closed loop on every server and endpoint: imports, caches and pools get filled."""
    short = Settings(**{**s.__dict__, "seconds": s.warmup_s})
    for server in servers:
        for path in ENDPOINTS:
            throughput(server, path, tokens[path], short)


def throughput_rounds(servers: list[Server], tokens: dict[str, str], s: Settings) -> list[dict[str, Any]]:
    runs = []
    for round_no in range(s.rounds):
        for path in ENDPOINTS:
            for server in interleaved(servers, round_no):
                result = throughput(server, path, tokens[path], s)
                runs.append({"phase": "throughput", "round": round_no, "path": path, "server": server.name, **result})
                print(f"    round {round_no + 1} {path:24} {server.name:17} {result['rps']:8.0f} req/s{cores(result)}")
    return runs


def latency_rounds(
    servers: list[Server], tokens: dict[str, str], ceilings: dict[str, float], s: Settings
) -> list[dict[str, Any]]:
    """Open loop at OPEN_LOOP_SHARE of each endpoint's baseline capacity, interleaved."""
    runs = []
    for path in ENDPOINTS:
        rate = OPEN_LOOP_SHARE * ceilings[path]
        for round_no in range(s.rounds):
            for server in interleaved(servers, round_no):
                result = latency(server, path, tokens[path], rate, s)
                lat = sorted(result["latencies_ms"])
                p50, p99 = percentile(lat, 50), percentile(lat, 99)
                runs.append(
                    {"phase": "latency", "round": round_no, "path": path, "server": server.name, **result}
                    | {"p50_ms": p50, "p99_ms": p99}
                )
                print(
                    f"    round {round_no + 1} {path:24} {server.name:17} {rate:6.0f} req/s offered"
                    f"  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms{cores(result)}"
                    f", generator send lag p99 {result['send_lag_p99_ms']:.1f} ms"
                )
                if p99 > 3 * p50:
                    print("      slowest (sent at s: ms): " + ", ".join(f"{t}: {v}" for t, v in result["slowest"]))
    return runs


def median_rps(runs: list[dict[str, Any]], server: str, path: str) -> float:
    return statistics.median(
        r["rps"] for r in runs if r["phase"] == "throughput" and r["path"] == path and r["server"] == server
    )


APP_2PROC_FIXED = "app-2proc-nodelay"


def measure_engine(engine: str, database_url: str, flags: list[str], s: Settings) -> dict[str, Any]:
    """Load the park, start app (1 and 2 processes) and baseline, check they agree, measure."""
    env = server_env(database_url, secrets.token_urlsafe(48))
    if engine == "postgresql":
        s = replace(s, db_marker=urlsplit(database_url).path.lstrip("/"))
    print(f"\n## {engine} (load average {os.getloadavg()[0]:.2f})")
    load_park(env)
    app1 = start_server("app-1proc", "app:app", 1, flags, env, s.tmp)
    app2 = start_server("app-2proc", "app:app", 2, flags, env, s.tmp)
    base = start_server("baseline", "bench_api_baseline:app", 1, flags, env, s.tmp)
    servers = [app1, base, app2]
    if s.nodelay_fixed_too:
        servers.append(start_server(APP_2PROC_FIXED, "app:app", 2, flags, env, s.tmp, nodelay_fix=True))
    try:
        for server in servers:
            wait_ready(server, "/api/me" if server is base else "/health")
        tokens = login(app1)
        for server in servers:
            if server is not base:
                check_same_answers(server, base, tokens)
        warm_up(servers, tokens, s)
        runs = throughput_rounds(servers, tokens, s)
        ceilings = {path: median_rps(runs, base.name, path) for path in ENDPOINTS}
        runs += latency_rounds([app1, base], tokens, ceilings, s)
    finally:
        for server in servers:
            stop(server.proc)
    return {"engine": engine, "runs": runs, "summary": summarize(engine, runs)}


def summarize(engine: str, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for path in ENDPOINTS:

        def rps(server: str, path: str = path) -> float:
            return median_rps(runs, server, path)

        def lat(server: str, path: str = path) -> list[float]:
            pooled = [
                v
                for r in runs
                if r["phase"] == "latency" and r["path"] == path and r["server"] == server
                for v in r["latencies_ms"]
            ]
            return sorted(pooled)

        def busy(server: str, key: str = "server_cores", path: str = path) -> float | None:
            values = [
                r[key]
                for r in runs
                if r["phase"] == "throughput" and r["path"] == path and r["server"] == server and key in r
            ]
            return statistics.median(values) if values else None

        def has(server: str) -> bool:
            return any(r["server"] == server for r in runs)

        app_lat, base_lat = lat("app-1proc"), lat("baseline")
        rate = next(r["rate"] for r in runs if r["phase"] == "latency" and r["path"] == path)
        rows.append(
            {
                "endpoint": f"GET {path}",
                "engine": engine,
                "app_rps": rps("app-1proc"),
                "baseline_rps": rps("baseline"),
                "ratio": rps("app-1proc") / rps("baseline"),
                "offered_rps": rate,
                "app_p50_ms": percentile(app_lat, 50),
                "app_p99_ms": percentile(app_lat, 99),
                "baseline_p50_ms": percentile(base_lat, 50),
                "baseline_p99_ms": percentile(base_lat, 99),
                "p99_ratio": percentile(app_lat, 99) / percentile(base_lat, 99),
                "app_2proc_rps": rps("app-2proc"),
                "two_process_gain": rps("app-2proc") / rps("app-1proc"),
                "app_cores": busy("app-1proc"),
                "baseline_cores": busy("baseline"),
                "app_2proc_cores": busy("app-2proc"),
                "app_2proc_nodelay_rps": rps(APP_2PROC_FIXED) if has(APP_2PROC_FIXED) else None,
                "app_db_cores": busy("app-1proc", "db_cores"),
                "baseline_db_cores": busy("baseline", "db_cores"),
            }
        )
    return rows


# =========================================================================================
# Report
# =========================================================================================


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def fmt_cores(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def per_request(cores: float | None, rps: float) -> str:
    return "–" if cores is None or not rps else f"{cores / rps * 1e3:.2f} ms"


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"| endpoint | engine | app req/s | baseline req/s | ratio (target ≥ {TARGET_RATIO:.0%}) "
        f"| app p99 | baseline p99 | p99 ratio (target ≤ {TARGET_P99:g}×) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['endpoint']} | {r['engine']} | {r['app_rps']:.0f} | {r['baseline_rps']:.0f} "
            f"| {r['ratio']:.0%} {mark(r['ratio'] >= TARGET_RATIO)} | {r['app_p99_ms']:.1f} ms "
            f"| {r['baseline_p99_ms']:.1f} ms | {r['p99_ratio']:.1f}× {mark(r['p99_ratio'] <= TARGET_P99)} |"
        )
    overloaded = [
        f"{r['endpoint']} on {r['engine']} ({r['offered_rps']:.0f} > {r['app_rps']:.0f} req/s)"
        for r in rows
        if r["offered_rps"] > r["app_rps"]
    ]
    if overloaded:
        lines += [
            "",
            "Offered load above the app's capacity, so its latency is mostly queueing: " + "; ".join(overloaded),
        ]
    lines += [
        "",
        "| endpoint | engine | offered load | app p50 | baseline p50 |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['endpoint']} | {r['engine']} | {r['offered_rps']:.0f} req/s "
            f"| {r['app_p50_ms']:.1f} ms | {r['baseline_p50_ms']:.1f} ms |"
        )
    lines += [
        "",
        "| endpoint | engine | app, 1 process | app, 2 processes | gain | cores used by 1 / 2 processes "
        "| 2 processes, TCP_NODELAY restored | gain |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        fixed = r["app_2proc_nodelay_rps"]
        lines.append(
            f"| {r['endpoint']} | {r['engine']} | {r['app_rps']:.0f} req/s | {r['app_2proc_rps']:.0f} req/s "
            f"| {r['two_process_gain']:.2f}× | {fmt_cores(r['app_cores'])} / {fmt_cores(r['app_2proc_cores'])} "
            + (f"| {fixed:.0f} req/s | {fixed / r['app_rps']:.2f}× |" if fixed else "| – | – |")
        )
    if any(r["app_2proc_nodelay_rps"] for r in rows):
        lines += [
            "",
            "This uvicorn's `--workers N` leaves TCP_NODELAY off on accepted connections (its listener says",
            f"proto 0; {NODELAY_ISSUE}), so keep-alive answers can wait ~40 ms for the client's delayed ACK;",
            "the last columns run the same app with that one-line fix, to show what a second process can give.",
        ]
    lines += [
        "",
        "CPU per request in the closed loop (server process; database backends on PostgreSQL):",
        "",
        "| endpoint | engine | app | baseline | app database | baseline database |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['endpoint']} | {r['engine']} | {per_request(r['app_cores'], r['app_rps'])} "
            f"| {per_request(r['baseline_cores'], r['baseline_rps'])} "
            f"| {per_request(r['app_db_cores'], r['app_rps'])} "
            f"| {per_request(r['baseline_db_cores'], r['baseline_rps'])} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "commit": commit.stdout.strip(),
    }


# =========================================================================================
# Command line
# =========================================================================================


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections (default 16)")
    parser.add_argument("--open-connections", type=int, default=32, help="open-loop connection pool (default 32)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the raw results here")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s per measurement, 1 round")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_ADMIN_URL),
        help="a PostgreSQL server's maintenance database; a throwaway database is made beside it",
    )
    parser.add_argument(
        "--no-wrk", action="store_true", help="use the Python closed-loop generator even if wrk is here"
    )
    parser.add_argument("--table", type=Path, metavar="JSON", help="only print the tables of an earlier --json")
    parser.add_argument(
        "--endpoint",
        action="append",
        choices=list(ENDPOINTS),
        help="measure only this endpoint (repeatable; default all) — to look into one row's tail",
    )
    parser.add_argument("--generator", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 2.0, 1
    if not (0.5 <= args.seconds <= 120 and 1 <= args.rounds <= 20 and 1 <= args.connections <= 256):
        parser.error("keep it bounded: --seconds 0.5..120, --rounds 1..20, --connections 1..256")
    return args


def engines(choice: str, pg_url: str) -> list[str]:
    wanted = ["sqlite", "postgresql"] if choice == "both" else [choice]
    if "postgresql" in wanted and not postgres_reachable(pg_url):
        if choice == "postgresql":
            raise SystemExit(f"no PostgreSQL answers at {pg_url} (set --pg-url)")
        print(f"!! PostgreSQL skipped: nothing answers at {pg_url} (set --pg-url)")
        wanted.remove("postgresql")
    return wanted


def main() -> None:
    if sys.argv[1:2] == [NODELAY_LAUNCHER]:
        uvicorn_with_nodelay(sys.argv[2:])
        return
    args = parse_args()
    if args.generator:
        generator_main(json.loads(args.generator))
        return
    if args.table:
        saved = json.loads(args.table.read_text())
        print(markdown([row for e in saved["engines"] for row in e["summary"]]))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    for path in [p for p in ENDPOINTS if args.endpoint and p not in args.endpoint]:
        del ENDPOINTS[path]
    flags = uvicorn_flags()
    loses_nodelay = uvicorn_loses_nodelay()
    use_wrk = bool(shutil.which("wrk")) and not args.no_wrk
    print("# API benchmark: the app beside its hand-written baseline")
    print(f"uvicorn flags (app and baseline): {' '.join(flags)}")
    if "uvloop" not in flags or "httptools" not in flags:
        print("  (uvloop / httptools not installed: uvicorn's defaults, asyncio loop and h11)")
    if use_wrk:
        print("closed-loop generator: wrk (-t1)")
    else:
        print(
            "closed-loop generator: Python asyncio (own process)"
            + ("" if shutil.which("wrk") else "; `apt-get install wrk` (Debian package wrk) for wrk")
        )
    if loses_nodelay:
        print(f"uvicorn --workers N leaves TCP_NODELAY off ({NODELAY_ISSUE}): 2 processes measured as is and fixed")
    print(f"open-loop generator: Python asyncio (own process), {OPEN_LOOP_SHARE:.0%} of the baseline's capacity")
    print(
        f"{args.seconds:g} s per measurement, {args.rounds} round(s), {args.connections} connections; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "generator"},
        "uvicorn_flags": flags,
        "closed_loop_generator": "wrk" if use_wrk else "python-asyncio",
        "uvicorn_workers_lose_tcp_nodelay": loses_nodelay,
        "engines": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bench-api-") as tmpdir:
            tmp = Path(tmpdir)
            s = Settings(
                args.seconds,
                args.rounds,
                args.connections,
                args.open_connections,
                min(1.0, args.seconds / 2),
                use_wrk,
                tmp,
                nodelay_fixed_too=bool(loses_nodelay),
            )
            for engine in engines(args.engine, args.pg_url):
                database = sqlite_database(tmp) if engine == "sqlite" else postgres_database(args.pg_url)
                with database as url:
                    results["engines"].append(measure_engine(engine, url, flags, s))
    finally:
        stop_all()
    rows = [row for e in results["engines"] for row in e["summary"]]
    print("\n" + markdown(rows))
    if args.json:
        for e in results["engines"]:  # raw samples stay out of the file; the percentiles are there
            for run in e["runs"]:
                run.pop("latencies_ms", None)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"\nraw results: {args.json}")


if __name__ == "__main__":
    main()

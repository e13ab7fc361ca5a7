"""Run a command against a throwaway PostgreSQL database: `with_postgres.py -- CMD ...`.

Where the database comes from, in this order:
1. `TEST_DATABASE_URL`, used as given (the tests empty its tables; it is not dropped);
2. a server already answering on 127.0.0.1:5432 (trust auth for `postgres`, as on the
   development and CI machines): a database `park_test_<random>` is created and dropped;
3. a throwaway cluster started from the installed server binaries in a temporary folder
   (as the `postgres` system user when run as root, since the server refuses root);
4. none of these: says so loudly and exits 0, or 1 when `CI` is set (CI must test both).

The database is created and dropped with pytest-postgresql's `DatabaseJanitor`. The command
runs with `DATABASE_URL` pointing at the database; its exit code is this script's.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SKIPPED = 75  # EX_TEMPFAIL: nothing ran


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.insert(0, out)
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


@contextmanager
def _throwaway_cluster(bindir: Path) -> Iterator[int]:
    """initdb + pg_ctl in a temporary folder, as `postgres` when we are root; stopped and removed after."""
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="park-pg-"))
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-A", "trust", "-U", "postgres", "-D", str(data)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}"
    options += " -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _no_commit_wait(port: int, name: str) -> None:
    """A throwaway database need not wait for its commits to reach the disk: the tests commit
    thousands of times while they set up their small parks. Only this database is changed."""
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


@contextmanager
def _throwaway_database(port: int) -> Iterator[str]:
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"park_test_{uuid.uuid4().hex[:10]}"
    deadline = time.monotonic() + 30
    while not _answers("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    janitor = DatabaseJanitor(user="postgres", host="127.0.0.1", port=port, dbname=name)
    janitor.init()
    _no_commit_wait(port, name)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/{name}"
    finally:
        janitor.drop()


@contextmanager
def postgres_url() -> Iterator[tuple[str, str] | None]:
    """(url, where it came from), or None when no PostgreSQL can be had here."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url, "TEST_DATABASE_URL"
        return
    if _answers("127.0.0.1", 5432):
        with _throwaway_database(5432) as url:
            yield url, "the server on 127.0.0.1:5432 (throwaway database)"
        return
    bindir = _server_bindir()
    if bindir is not None:
        with _throwaway_cluster(bindir) as port, _throwaway_database(port) as url:
            yield url, f"a throwaway cluster from {bindir}"
        return
    yield None


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        print("usage: with_postgres.py -- COMMAND ...", file=sys.stderr)
        return 2
    with postgres_url() as found:
        if found is None:
            banner = "!" * 72
            print(
                f"\n{banner}\n!! PostgreSQL SKIPPED: no TEST_DATABASE_URL, no server on 127.0.0.1:5432,\n"
                f"!! and no server binaries (apt-get install postgresql) on this machine.\n{banner}\n"
            )
            return 1 if os.environ.get("CI") else SKIPPED
        url, origin = found
        print(f"PostgreSQL: {origin}", flush=True)
        return subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

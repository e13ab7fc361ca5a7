"""How long importing a workers sheet takes: N rows (default 5,000) of new workers of one firm.

    python scripts/bench_import.py [--rows 5000] [--engine sqlite|postgresql|both] [--pg-url URL]

Makes a throwaway database per engine (a temporary SQLite file, or a database created and
dropped on the PostgreSQL server at --pg-url), migrates it, registers a firm and a staff
account, writes a valid .xlsx of N workers (unique valid GB 11643 ID numbers, mobiles,
employee numbers) in the template's columns, and imports it through the service the route
calls (`housing.excel.imports`), timing its two halves:

- parse + check: reading the workbook, each row decoded into `WorkerCreate` and checked by the
  API's rules, the file's duplicates and the register's (read once), in the transaction;
- write: bulk inserts of the workers and their audit entries, and the commit.

Then it imports a second file of N new workers end to end through `import_workers` (the
public function), and the first file once more (an export of an unchanged register: nothing
written). Target (issue 10): under 10 s for 5,000 rows on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _resident_id(birth: date, order: int) -> str:
    from stdnum.cn import ric

    body = f"421002{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def _sheet(rows: int, first_birth: date, prefix: str, firm: str) -> bytes:
    from housing.excel.columns import WORKER_COLUMNS, WORKERS_SHEET
    from housing.excel.templates import build

    lines = []
    for i in range(rows):
        order = 1 + (i % 998)
        lines.append(
            [
                f"员工{i}",
                "男" if order % 2 else "女",
                _resident_id(first_birth + timedelta(days=i), order),
                f"138{i:08d}",
                f"{prefix}{i:06d}",
                firm,  # staff name the firm on every row
                ["白班", "夜班", "倒班"][i % 3],
                "宿舍",
                date(2024, 1, 1) + timedelta(days=i % 300),
                None,
            ]
        )
    return build([(WORKERS_SHEET, WORKER_COLUMNS, lines)])


def _prepare_env(engine: str, pg_url: str) -> str | None:
    if engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-import-')}/bench.sqlite"
        return None
    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/" + name
    return name


async def _run(rows: int) -> dict[str, float]:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    assert (await run_forwards(app_name="all")).success
    import anyio

    from housing.excel import imports
    from housing.register.accounts import create_account
    from housing.register.tables import Firm, Role, Worker
    from housing.web.access import Viewer
    from housing.web.db import write_transaction

    await Firm.insert(
        Firm(name="荆州华鑫电子科技有限公司", uscc="91421000MA00000010", contact_name="王", contact_phone="13800000000")
    )
    firm = await Firm.select(Firm.id, Firm.name, Firm.uscc).first()
    account_id = await create_account("bench-staff", "bench-passphrase-1", Role.staff)
    viewer = Viewer(account_id, 0, "bench-staff", "staff", None, None, now=datetime.now(UTC))
    first = _sheet(rows, date(1975, 1, 1), "A", firm["name"])
    second = _sheet(rows, date(1975, 1, 1) + timedelta(days=rows + 1), "B", firm["name"])

    started = time.perf_counter()
    decoded, errors = await anyio.to_thread.run_sync(imports._decode_workers, first, viewer, [firm], "zh")
    async with write_transaction():
        existing = await imports._workers_of({firm["id"]})
        holders = await imports._active_holders([r.struct.id_number for r in decoded])
        plan = imports._plan_workers(decoded, existing, holders, viewer, "员工", "zh")
        assert not errors and not plan.errors, (errors + plan.errors)[:3]
        checked = time.perf_counter()
        await imports._write(viewer, plan)
    written = time.perf_counter()
    assert await Worker.count() == rows

    started_2 = time.perf_counter()
    report = await imports.import_workers(viewer, second, "zh")
    finished_2 = time.perf_counter()
    assert report.written == rows and not report.errors, report.errors[:3]

    started_3 = time.perf_counter()
    again = await imports.import_workers(viewer, first, "zh")
    finished_3 = time.perf_counter()
    assert again.written == 0 and not again.errors
    return {
        "parse_check_s": checked - started,
        "write_s": written - checked,
        "total_s": written - started,
        "import_workers_s": finished_2 - started_2,
        "unchanged_reimport_s": finished_3 - started_3,
        "file_kb": len(first) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one engine per process: Piccolo binds the tables to the engine at import
        sys.path.insert(0, str(ROOT))
        result = asyncio.run(_run(args.rows))
        print(" ".join(f"{key}={value:.2f}" for key, value in result.items()))
        return
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        env_before = dict(os.environ)
        database = _prepare_env(engine, args.pg_url)
        try:
            output = (
                subprocess.run(
                    [sys.executable, __file__, "--child", "--rows", str(args.rows)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            figures = dict(item.split("=") for item in output.split())
            print(
                f"{engine:10} {args.rows} rows ({figures['file_kb']} KB): parse+check {figures['parse_check_s']} s, "
                f"write {figures['write_s']} s, total {figures['total_s']} s; "
                f"import_workers end to end {figures['import_workers_s']} s; "
                f"unchanged re-import {figures['unchanged_reimport_s']} s"
            )
        finally:
            if database is not None:
                subprocess.run(["psql", args.pg_url, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
            os.environ.clear()
            os.environ.update(env_before)


if __name__ == "__main__":
    main()

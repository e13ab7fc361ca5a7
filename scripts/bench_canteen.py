"""How fast the canteen takes meal batches, and how fast it settles a big month.

    python scripts/bench_canteen.py [--engine sqlite|postgres|both] [--batches 10]
                                    [--workers 20000] [--meals 60] [--skip-settlement]

Ingest: a throwaway database (a temporary SQLite file; for PostgreSQL a throwaway database made
by scripts/with_postgres.py), migrated, with one canteen, its prices, a subsidy policy, 2,000
workers and a terminal login. The real app (in a test client, over HTTP) then takes
`--batches` batches of 5,000 records, in time order, each worker eating several meals a day;
then one batch of meals that arrive late (earlier in the month than what is kept, so every
worker-month is recomputed). The rate is records per second of wall time, HTTP included.

Settlement (PostgreSQL, or SQLite when asked with --engine sqlite): `--workers` workers ×
`--meals` meals of one month inserted set-based, then `run_month` — the function behind
`POST /api/canteen-settlements/run` — is timed, and its totals are checked against the rows.
Target (issue 11): ≥ 5,000 records/s on both engines; 1.2 M records settled in < 30 s on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CST = timezone(timedelta(hours=8))
INGEST_WORKERS = 2000
BATCH = 5000
MEALS = (("breakfast", 7), ("lunch", 12), ("dinner", 18), ("night", 23))


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    assert (await run_forwards(app_name="all")).success


async def _park(workers: int) -> tuple[int, int]:
    """One firm per 100 workers, the workers, one canteen with prices and a policy; (canteen, staff account)."""
    from canteen.tables import Canteen, CanteenTerminal, MealPrice, SubsidyPolicy
    from housing.register.accounts import create_account
    from housing.register.tables import Firm, Role, Worker

    firms = max(1, workers // 100)
    await Firm.insert(
        *(
            Firm(name=f"企业{i}", uscc=f"91421000MA{i:08d}", contact_name="经理", contact_phone="13800000000")
            for i in range(firms)
        )
    )
    firm_ids = [f["id"] for f in await Firm.select(Firm.id).order_by(Firm.id)]
    now = datetime.now(UTC)
    for start in range(0, workers, 2000):
        await Worker.insert(
            *(
                Worker(
                    firm_id=firm_ids[i % firms],
                    name=f"员工{i}",
                    gender="male",
                    id_number=f"42100219900101{i:04d}"[-18:],
                    mobile="13800000000",
                    employee_no=f"E{i:06d}",
                    created_at=now,
                    hired_on=date(2020, 1, 1),
                )
                for i in range(start, min(workers, start + 2000))
            )
        )
    canteen = (await Canteen.insert(Canteen(name="一食堂")))[0]["id"]
    await MealPrice.insert(
        *(
            MealPrice(canteen_id=canteen, meal_type=t, price_fen=p, valid_from=date(2020, 1, 1))
            for t, p in (("breakfast", 300), ("lunch", 1200), ("dinner", 1000), ("night", 800))
        )
    )
    await SubsidyPolicy.insert(
        SubsidyPolicy(
            name="园区餐补",
            breakfast_fen=200,
            lunch_fen=600,
            dinner_fen=500,
            night_fen=400,
            daily_cap_fen=1000,
            monthly_cap_fen=15000,
            funded_by="park",
            valid_from=date(2020, 1, 1),
        )
    )
    staff = await create_account("benchstaff", "bench-password-1", Role.staff)
    terminal = await create_account("benchterminal", "bench-password-1", Role.terminal)
    await CanteenTerminal.insert(CanteenTerminal(account_id=terminal, canteen_id=canteen))
    return canteen, staff


def _batch(worker_ids: list[int], canteen: int, number: int, day: int, hour_shift: int = 0) -> list[dict[str, object]]:
    records = []
    for k in range(BATCH):
        worker = worker_ids[k % len(worker_ids)]
        meal_type, hour = MEALS[(k // len(worker_ids)) % len(MEALS)]
        when = datetime(2025, 3, day, hour - hour_shift, k % 60, tzinfo=CST)
        records.append(
            {
                "txn_id": f"b{number}-{k}",
                "worker_id": worker,
                "canteen_id": canteen,
                "meal_type": meal_type,
                "at": when.isoformat(),
            }
        )
    return records


async def bench_ingest(batches: int) -> dict[str, float]:
    from litestar.testing import AsyncTestClient
    from piccolo.apps.user.tables import BaseUser

    from app import create_app
    from canteen.tables import MealRecord
    from housing.register.tables import Worker

    BaseUser._pbkdf2_iteration_count = 1_000
    canteen, _ = await _park(INGEST_WORKERS)
    worker_ids = [w["id"] for w in await Worker.select(Worker.id).order_by(Worker.id)]
    async with AsyncTestClient(app=create_app()) as client:
        login = await client.post("/api/auth/login", json={"username": "benchterminal", "password": "bench-password-1"})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        bodies = [{"records": _batch(worker_ids, canteen, n, day=2 + n)} for n in range(batches)]
        started = time.perf_counter()
        for body in bodies:
            response = await client.post("/api/meal-records/batch", json=body, headers=headers)
            assert response.status_code == 200, response.text
            assert all(r["result"] == "accepted" for r in response.json()["results"])
        in_order = time.perf_counter() - started
        late = {"records": _batch(worker_ids, canteen, 9999, day=2, hour_shift=1)}  # before day 2's kept meals
        started = time.perf_counter()
        response = await client.post("/api/meal-records/batch", json=late, headers=headers)
        late_s = time.perf_counter() - started
        assert response.status_code == 200
        again = time.perf_counter()
        response = await client.post("/api/meal-records/batch", json=bodies[0], headers=headers)
        duplicate_s = time.perf_counter() - again
        assert all(r["result"] == "duplicate" for r in response.json()["results"])
    kept = await MealRecord.count()
    assert kept == (batches + 1) * BATCH, kept
    return {
        "records_in_order": batches * BATCH,
        "in_order_records_per_s": batches * BATCH / in_order,
        "late_batch_records_per_s": BATCH / late_s,
        "duplicate_batch_records_per_s": BATCH / duplicate_s,
    }


async def bench_settlement(workers: int, meals: int) -> dict[str, float]:
    from canteen.settlement import run_month
    from canteen.tables import CanteenSettlement
    from housing.register.tables import Worker
    from housing.web.access import Viewer
    from housing.web.db import engine, is_sqlite

    canteen, staff = await _park(workers)
    postgres = not is_sqlite()
    at = "'2025-03-15 04:00:00+00'::timestamptz" if postgres else "'2025-03-15 04:00:00+00:00'"
    day = "'2025-03-15'::date" if postgres else "'2025-03-15'"
    started = time.perf_counter()
    await engine().run_ddl(
        f"WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < {meals - 1}) "
        "INSERT INTO meal_record (canteen_id, txn_id, worker_id, firm_id, meal_type, at, day, month, price_fen, "
        "subsidy_fen, funded_by, policy_id, received_at) "
        f"SELECT {canteen}, 's' || w.id || '-' || g.n, w.id, w.firm_id, "
        "CASE g.n % 3 WHEN 0 THEN 'breakfast' WHEN 1 THEN 'lunch' ELSE 'dinner' END, "
        f"{at}, {day}, '2025-03', 1000, CASE WHEN g.n < 30 THEN 500 ELSE 0 END, "
        f"CASE WHEN w.id % 2 = 0 THEN 'park' ELSE 'firm' END, NULL, {at} FROM worker w CROSS JOIN g"
    )
    if postgres:
        await engine().run_ddl("ANALYZE meal_record")
    loaded = time.perf_counter() - started
    viewer = Viewer(
        account_id=staff,
        user_id=0,
        username="benchstaff",
        role="staff",
        firm_id=None,
        worker_id=None,
        now=datetime(2025, 4, 2, tzinfo=UTC),
    )
    started = time.perf_counter()
    result = await run_month(viewer, "2025-03")
    settle = time.perf_counter() - started
    records = workers * meals
    expected_subsidy = workers * min(meals, 30) * 500
    s = result.settlement
    assert result.created and s.meals == records, s
    assert s.park_subsidy_fen + s.firm_subsidy_fen == expected_subsidy, s
    assert s.revenue_fen == records * 1000 == s.worker_paid_fen + expected_subsidy, s
    assert await CanteenSettlement.count() == 1
    assert await Worker.count() == workers
    return {"records": records, "load_s": loaded, "settle_s": settle}


async def _run(args: argparse.Namespace) -> None:
    from housing.web.db import is_sqlite

    await _migrate()
    name = "sqlite" if is_sqlite() else "postgres"
    if not args.skip_ingest:
        figures = await bench_ingest(args.batches)
        print(
            f"[{name}] ingest: {figures['records_in_order']:,} records in order at "
            f"{figures['in_order_records_per_s']:,.0f} records/s; a late batch (whole months recomputed) "
            f"{figures['late_batch_records_per_s']:,.0f} records/s; a resent batch (all duplicates) "
            f"{figures['duplicate_batch_records_per_s']:,.0f} records/s",
            flush=True,
        )
    if not args.skip_settlement and (name == "postgres" or args.engine == "sqlite"):
        from tests.housing.factories import empty_database

        await empty_database()
        figures = await bench_settlement(args.workers, args.meals)
        print(
            f"[{name}] settlement: {args.workers:,} workers × {args.meals} meals = {figures['records']:,} records "
            f"(loaded in {figures['load_s']:.1f} s) settled in {figures['settle_s']:.2f} s",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batches", type=int, default=10, help="batches of 5,000 records (in time order)")
    parser.add_argument("--workers", type=int, default=20_000, help="workers in the settled month")
    parser.add_argument("--meals", type=int, default=60, help="meals per worker in the settled month")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-settlement", action="store_true")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        asyncio.run(_run(args))
        return 0
    argv = sys.argv[1:]
    passed = [a for i, a in enumerate(argv) if not a.startswith("--engine") and (i == 0 or argv[i - 1] != "--engine")]
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    code = 0
    for name in engines:
        inner = [sys.executable, __file__, "--inner", "--engine", name, *passed]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if name == "sqlite":
            if args.engine == "both":
                inner.append("--skip-settlement")  # the settlement target is PostgreSQL's
            env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-canteen-')}/bench.sqlite"
            command = inner
        else:
            command = [sys.executable, str(ROOT / "scripts" / "with_postgres.py"), "--", *inner]
        env.setdefault("SECRET_KEY", "bench-secret-key-0123456789-0123456789-0123456789")
        code = code or subprocess.run(command, env=env, cwd=ROOT, check=False).returncode
    return code


if __name__ == "__main__":
    sys.exit(main())

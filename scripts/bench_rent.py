"""How long billing a month takes for a large park: N leases (default 5,000) across 150 firms.

    python scripts/bench_rent.py [--leases 5000] [--engine sqlite|postgresql] [--pg-url URL]

Makes a throwaway database (a temporary SQLite file, or a database created and dropped on the
PostgreSQL server at --pg-url), migrates it, inserts a park of N units each under a lease
(a tenth of them starting or ending mid-month, so lines are prorated), then times
`run_month` — the very function behind `POST /api/rent-invoices/run` — and checks the money:
the invoices' totals add up to the lines'. Target (issue 8): under 5 s.
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
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _prepare_env(args: argparse.Namespace) -> str | None:
    if args.engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-rent-')}/bench.sqlite"
        return None
    name = f"bench_rent_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", args.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + "/" + name
    return name


async def _load(leases: int) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    assert (await run_forwards(app_name="all")).success
    from housing.leasing.tables import Lease
    from housing.register.tables import Building, Firm, Unit

    buildings = max(1, leases // 200)
    await Building.insert(*(Building(code=f"B{i:03d}", name=f"楼{i}", floors=20) for i in range(buildings)))
    building_ids = [b["id"] for b in await Building.select(Building.id).order_by(Building.id)]
    await Firm.insert(
        *(
            Firm(name=f"企业{i}", uscc=f"91421000MA{i:08d}", contact_name="经理", contact_phone="13800000000")
            for i in range(150)
        )
    )
    firm_ids = [f["id"] for f in await Firm.select(Firm.id).order_by(Firm.id)]
    units = [
        Unit(
            building_id=building_ids[i % buildings],
            floor=1 + (i // buildings) % 20,
            number=f"U{i:05d}",
            area_centi_m2=2200 + (i * 37) % 4400,
            beds=4,
        )
        for i in range(leases)
    ]
    for start in range(0, len(units), 1000):
        await Unit.insert(*units[start : start + 1000])
    unit_ids = [u["id"] for u in await Unit.select(Unit.id).order_by(Unit.id)]
    now = datetime.now(UTC)
    rows = []
    for i, unit_id in enumerate(unit_ids):
        starts = date(2027, 4, 1 + i % 28) if i % 10 == 0 else date(2026, 1, 1)
        ends = date(2027, 4, 10 + i % 20) if i % 10 == 5 else None
        rows.append(
            Lease(
                unit_id=unit_id,
                firm_id=firm_ids[i % 150],
                gender="male",
                starts_on=starts,
                ends_on=ends,
                rent_rate_fen_per_m2=500,
                created_at=now,
            )
        )
    for start in range(0, len(rows), 1000):
        await Lease.insert(*rows[start : start + 1000])


async def _measure() -> tuple[float, int, int]:
    from housing.billing.rent_invoices import run_month
    from housing.billing.tables import RentInvoiceLine
    from housing.register.accounts import create_account
    from housing.register.tables import Role
    from housing.web.access import Viewer

    account = await create_account("bench-staff", "not-a-login-9", Role.staff)
    staff = Viewer(
        account_id=account,
        user_id=0,
        username="bench-staff",
        role="staff",
        firm_id=None,
        worker_id=None,
        now=datetime.now(UTC),
    )
    started = time.perf_counter()
    result = await run_month(staff, "2027-04")
    seconds = time.perf_counter() - started
    lines = await RentInvoiceLine.select(RentInvoiceLine.amount_fen)
    assert sum(line["amount_fen"] for line in lines) == result.total_fen
    return seconds, len(result.created), len(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=5000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database = _prepare_env(args)
    sys.path.insert(0, str(ROOT))
    try:
        asyncio.run(_load(args.leases))
        seconds, invoices, lines = asyncio.run(_measure())
    finally:
        if database:
            subprocess.run(["psql", args.pg_url, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
    print(f"{args.engine}: billed {lines} leases into {invoices} invoices in {seconds:.2f} s (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

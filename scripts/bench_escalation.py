"""How long one escalation pass takes when many tickets come due at once (e.g. after a long
outage): N open tickets past their deadline, each gets its warning and its overdue notice.

    python scripts/bench_escalation.py --tickets 2000    # a throwaway SQLite file
    DATABASE_URL=postgresql://… python scripts/bench_escalation.py --tickets 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-0123456789")
os.environ.setdefault("UPLOAD_DIR", tempfile.mkdtemp())


async def main(count: int) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from housing.tickets import deadlines
    from housing.tickets.escalation import escalate
    from housing.tickets.tables import Outbox, Ticket
    from tests.housing import factories

    assert (await run_forwards(app_name="all")).success
    await factories.empty_database()
    park = await factories.small_park()
    rows = park.tickets  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    reported = now - timedelta(days=2)
    due = deadlines.ordinary_due(reported)
    tickets = [
        Ticket(
            reporter_account_id=rows.hr1_account,
            firm_id=park.firm1,
            category="repair",
            description=f"bench {i}",
            state="assigned",
            reported_at=reported,
            due_at=due,
            warn_at=deadlines.warning_at(reported, due),
            department_id=rows.department,
            assigned_at=reported,
        )
        for i in range(count)
    ]
    for start in range(0, count, 1000):
        await Ticket.insert(*tickets[start : start + 1000])
    began = time.perf_counter()
    done = await escalate(now)
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = await escalate(now)
    second = time.perf_counter() - began
    print(f"engine: {os.environ['DATABASE_URL'].split(':')[0]}, open overdue tickets: {count}")
    print(f"first pass: {first:.2f} s, {done}")
    print(f"second pass (nothing new): {second:.3f} s, {again}")
    print(f"outbox rows: {await Outbox.count()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=2000)
    asyncio.run(main(parser.parse_args().tickets))

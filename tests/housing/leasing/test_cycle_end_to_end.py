"""The park's quarter through the API, as staff, HR of two firms and a worker: open a period,
file requests, run the solver, read the lines, apply, bed the workers, bill the month."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from tests.housing.factories import new_worker


async def _done(api, run_id: int) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = (await api.get("staff", f"/api/allocation-runs/{run_id}")).json()
        if run["status"] in ("done", "failed"):
            return run
        await asyncio.sleep(0.3)
    raise AssertionError(run)


async def test_a_quarter_from_request_to_rent(api) -> None:
    park = api.park
    today = datetime.now(UTC).date()
    starts = today + timedelta(days=10)
    # Staff open a period a few days ahead.
    period = await api.post(
        "staff",
        "/api/periods",
        json={
            "name": "端到端季度",
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=89)).isoformat(),
            "request_deadline": (today + timedelta(days=3)).isoformat(),
        },
    )
    assert period.status_code == 201, period.text
    period_id = period.json()["id"]
    # Both firms file; firm 2 needs beds for the women it is hiring.
    assert (
        await api.post(
            "hr1", "/api/headcount-requests", json={"period_id": period_id, "male_beds": 4, "female_beds": 0}
        )
    ).status_code == 201
    assert (
        await api.post(
            "hr2", "/api/headcount-requests", json={"period_id": period_id, "male_beds": 0, "female_beds": 6}
        )
    ).status_code == 201
    # Staff run the solver and apply the plan.
    started = await api.post("staff", "/api/allocation-runs", json={"period_id": period_id, "time_limit_s": 3})
    run = await _done(api, started.json()["id"])
    assert run["status"] == "done", run
    hr2_line = (await api.get("hr2", f"/api/allocation-runs/{run['id']}")).json()["lines"]
    assert len(hr2_line) == 1 and hr2_line[0]["granted_female"] >= 6 and hr2_line[0]["short_female"] == 0
    applied = await api.post("staff", f"/api/allocation-runs/{run['id']}/apply")
    assert applied.status_code == 200, applied.text
    assert (await api.get("hr1", f"/api/periods/{period_id}")).json()["state"] == "allocated"
    # HR of firm 2 hires a woman and beds her in its new unit from the first day.
    hired = (await api.post("hr2", "/api/workers", json=new_worker())).json()
    lease = next(
        lease
        for lease in (await api.get("hr2", f"/api/leases?active_on={starts.isoformat()}")).json()["items"]
        if lease["gender"] == "female"
    )
    bedded = await api.post(
        "hr2",
        "/api/bed-assignments",
        json={"worker_id": hired["id"], "unit_id": lease["unit_id"], "bed": 1, "starts_on": starts.isoformat()},
    )
    assert bedded.status_code == 201, bedded.text
    # worker1 still knows its bed (firm 1 kept its unit: it asked for the 4 beds it holds).
    mine = (await api.get("worker1", "/api/me/bed")).json()
    assert mine["unit_number"] == "101" and mine["bed"] == 1
    # Staff bill the period's first month: firm 2 pays for its new unit from the first day.
    month = f"{starts.year}-{starts.month:02d}"
    billed = (await api.post("staff", "/api/rent-invoices/run", json={"month": month})).json()
    firm2 = next(i for i in billed["created"] if i["firm_id"] == park.firm2)
    invoice = (await api.get("hr2", f"/api/rent-invoices/{firm2['id']}")).json()
    line = next(li for li in invoice["lines"] if li["lease_id"] == lease["id"])
    last_day = (date(starts.year + starts.month // 12, starts.month % 12 + 1, 1) - timedelta(days=1)).day
    assert line["days_leased"] == last_day - starts.day + 1 and line["days_in_month"] == last_day
    # The trail names who did what.
    actions = {(e["table_name"], e["action"]) for e in (await api.get("staff", "/api/audit?limit=500")).json()["items"]}
    assert {
        ("period", "create"),
        ("headcount_request", "create"),
        ("allocation_run", "apply"),
        ("bed_assignment", "create"),
        ("rent_invoice", "issue"),
    } <= actions

"""Billing a month through the API: one invoice per firm, one line per lease, exact to the fen,
never twice; voided invoices are re-run; HR sees its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from housing.billing.tables import RentInvoice
from housing.leasing.tables import Lease


async def _lease(park, unit: int, firm: int, starts: date, ends: date | None, gender: str = "male") -> int:
    row = Lease(
        unit_id=unit,
        firm_id=firm,
        gender=gender,
        starts_on=starts,
        ends_on=ends,
        rent_rate_fen_per_m2=500,
        created_at=datetime.now(UTC),
    )
    return int((await Lease.insert(row))[0]["id"])


async def _park_for_april(park) -> None:
    """April 2027: firm 1 holds units[1] (48.21 m²) all month and units[2] (24.33 m²) from the 11th;
    firm 2 holds units[3] (60.10 m², women) until the 10th."""
    await _lease(park, park.units[1], park.firm1, date(2027, 1, 1), None)
    await _lease(park, park.units[2], park.firm1, date(2027, 4, 11), None)
    await Lease.update({Lease.ends_on: date(2027, 4, 10), Lease.starts_on: date(2027, 1, 1)}).where(
        Lease.id == park.lease2
    )


async def test_a_month_is_billed_per_line_and_the_total_is_their_sum(api) -> None:
    park = api.park
    await _park_for_april(park)
    run = await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})
    assert run.status_code == 200, run.text
    result = run.json()
    by_firm = {i["firm_id"]: i for i in result["created"]}
    # firm 1: lease1 (36.50 m², whole month) 18,250 + 48.21 m² whole month 24,105
    #         + 24.33 m² × 500 × 20/30 = 8,110 → 50,465
    assert by_firm[park.firm1]["total_fen"] == 18250 + 24105 + 8110
    # firm 2: 60.10 m² × 500 × 10/30 = 10,016.67 → 10,017
    assert by_firm[park.firm2]["total_fen"] == 10017
    assert result["total_fen"] == 18250 + 24105 + 8110 + 10017
    detail = (await api.get("hr1", f"/api/rent-invoices/{by_firm[park.firm1]['id']}")).json()
    assert sorted((line["days_leased"], line["amount_fen"]) for line in detail["lines"]) == [
        (20, 8110),
        (30, 18250),
        (30, 24105),
    ]
    assert sum(line["amount_fen"] for line in detail["lines"]) == detail["total_fen"]


async def test_running_a_month_again_bills_nobody_twice(api) -> None:
    park = api.park
    await _park_for_april(park)
    first = (await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})).json()
    again = (await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})).json()
    assert again["created"] == [] and again["total_fen"] == 0
    assert {a["invoice_id"] for a in again["already_issued"]} == {i["id"] for i in first["created"]}


async def test_simultaneous_runs_bill_each_firm_once(api) -> None:
    await _park_for_april(api.park)
    headers = await api.headers("staff")
    api.client.cookies.clear()
    responses = await asyncio.gather(
        *(api.client.post("/api/rent-invoices/run", json={"month": "2027-04"}, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    assert sum(len(r.json().get("created", [])) for r in responses if r.status_code == 200) == 2
    assert await RentInvoice.count().where(RentInvoice.month == "2027-04") == 2


async def test_a_voided_invoice_is_run_again_for_its_firm_only(api) -> None:
    park = api.park
    await _park_for_april(park)
    first = (await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})).json()
    firm1_invoice = next(i for i in first["created"] if i["firm_id"] == park.firm1)
    voided = await api.post("staff", f"/api/rent-invoices/{firm1_invoice['id']}/void", json={"reason": "租期录错"})
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    twice = await api.post("staff", f"/api/rent-invoices/{firm1_invoice['id']}/void", json={"reason": "again"})
    assert twice.status_code == 409
    rerun = (await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04", "firm_id": park.firm1})).json()
    assert [i["firm_id"] for i in rerun["created"]] == [park.firm1]
    assert rerun["created"][0]["total_fen"] == firm1_invoice["total_fen"]
    assert await RentInvoice.count().where(RentInvoice.month == "2027-04") == 3  # 2 issued + 1 void


async def test_hr_sees_only_its_own_invoices(api) -> None:
    await _park_for_april(api.park)
    await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})
    mine = (await api.get("hr2", "/api/rent-invoices?month=2027-04")).json()
    assert mine["total"] == 1 and mine["items"][0]["firm_id"] == api.park.firm2
    assert (await api.get("hr2", f"/api/rent-invoices/{api.park.invoice1}")).status_code == 404


async def test_a_bad_month_is_named(api) -> None:
    for month in ["2027-13", "2027-4", "April"]:
        response = await api.post("staff", "/api/rent-invoices/run", json={"month": month})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "month"


async def test_the_month_downloads_as_a_sheet_with_chinese_headers_and_exact_yuan(api) -> None:
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    await _park_for_april(api.park)
    await api.post("staff", "/api/rent-invoices/run", json={"month": "2027-04"})
    response = await api.get("staff", "/api/rent-invoices/export?month=2027-04")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    summary, detail = book["账单"], book["明细"]
    assert [c.value for c in summary[1]][:4] == ["账单号", "企业", "月份", "金额（元）"]
    totals = sorted(Decimal(str(row[3])) for row in summary.iter_rows(min_row=2, values_only=True))
    assert totals == [Decimal("100.17"), Decimal("504.65")]
    assert detail.max_row == 1 + 4  # four lines
    # HR downloads only its own firm's.
    mine = load_workbook(io.BytesIO((await api.get("hr2", "/api/rent-invoices/export?month=2027-04")).content))
    assert mine["账单"].max_row == 2

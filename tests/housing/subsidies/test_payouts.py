"""Paying a month through the API: only a month that has ended in Shanghai; one payment per
approved application, for its eligible days, rounded once; never twice, even when run twice
at once; back pay for an application approved since; who sees what; the finance sheet."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from housing.leasing.tables import BedAssignment
from housing.subsidies.tables import RentalSubsidyApplication, RentalSubsidyPayout
from housing.web.tables import AuditEntry
from tests.housing.factories import PDF
from tests.housing.subsidies.conftest import add_worker

RUN = "/api/subsidy-payouts/run"
LIST = "/api/subsidy-payouts"


async def _approve(application_id: int, **fields: object) -> None:
    values = {
        "status": "approved",
        "decided_at": datetime(2027, 1, 15, tzinfo=UTC),
        "decided_by": "staff",
        "monthly_rent_fen": 80000,
        "lease_start": date(2026, 6, 1),
        "lease_end": date(2027, 12, 31),
        "submitted_on": date(2026, 12, 15),
        **fields,
    }
    await RentalSubsidyApplication.update(
        {RentalSubsidyApplication._meta.get_column_by_name(k): v for k, v in values.items()}
    ).where(RentalSubsidyApplication.id == application_id)


async def _new_application(worker_id: int, status: str = "approved", **fields: object) -> int:
    row = RentalSubsidyApplication(
        worker_id=worker_id,
        address="荆州市沙市区园林路 1 号",
        landlord="钱先生",
        monthly_rent_fen=80000,
        lease_start=date(2026, 6, 1),
        lease_end=date(2027, 12, 31),
        status=status,
        submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
        submitted_on=date(2026, 12, 1),
        decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        decided_by="staff",
    )
    application_id = int((await RentalSubsidyApplication.insert(row))[0]["id"])
    if fields:
        await _approve(application_id, status=status, **fields)
    return application_id


@pytest.fixture
async def january(sub, clock):
    """January 2027, paid on 1 February (Shanghai):

    - A, application1 (firm 1): 800 CNY rent, the whole month → 31 days, 30,000 fen;
    - B, application2 (firm 2): 500 CNY rent, applied 11 January → 21 days, 25,000 × 21 ÷ 31 = 16,935;
    - C, worker3's (firm 1): 800 CNY, in a dorm bed 5–14 January → 21 days, 30,000 × 21 ÷ 31 = 20,323;
    - worker3's earlier rejected application and worker1's withdrawn one (2021) earn nothing.
    """
    park = sub.park
    await _approve(park.application1)
    await _approve(park.application2, monthly_rent_fen=50000, submitted_on=date(2027, 1, 11))
    await _new_application(sub.worker3, status="rejected")
    c = await _new_application(sub.worker3)
    await BedAssignment.insert(
        BedAssignment(
            lease_id=park.lease1,
            unit_id=park.units[0],
            bed=2,
            worker_id=sub.worker3,
            starts_on=date(2027, 1, 5),
            ends_on=date(2027, 1, 14),
            created_at=datetime.now(UTC),
        )
    )
    clock.to_park_day(date(2027, 2, 1), hour=9)
    sub.c = c
    return sub


async def test_a_month_is_paid_once_it_has_ended_in_shanghai(january, clock) -> None:
    clock.to_park_day(date(2027, 1, 31), hour=23, minute=59)  # 15:59 UTC on the 31st
    early = await january.post("staff", RUN, json={"month": "2027-01"})
    assert early.status_code == 409 and early.json()["errors"][0]["field"] == "month"
    assert "2027-02-01" in early.json()["detail"]
    assert (await january.post("staff", RUN, json={"month": "2027-03"})).status_code == 409
    assert await RentalSubsidyPayout.count().where(RentalSubsidyPayout.month == "2027-01") == 0

    clock.to_park_day(date(2027, 2, 1), hour=0, minute=1)  # still 31 January in UTC
    paid = await january.post("staff", RUN, json={"month": "2027-01"})
    assert paid.status_code == 200, paid.text


async def test_each_approved_application_is_paid_for_its_eligible_days(january) -> None:
    park = january.park
    result = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    by_application = {p["application_id"]: p for p in result["created"]}
    assert {a: (p["days"], p["amount_fen"]) for a, p in by_application.items()} == {
        park.application1: (31, 30000),
        park.application2: (21, 16935),
        january.c: (21, 20323),
    }
    assert result["total_fen"] == 30000 + 16935 + 20323
    a = by_application[park.application1]
    assert (a["firm_id"], a["worker_id"], a["days_in_month"], a["month"]) == (
        park.firm1,
        park.firm1_other,
        31,
        "2027-01",
    )
    assert a["segments"] == [{"policy_id": park.policy1, "days": 31, "monthly_amount_fen": "30000"}]
    assert result["already_paid"] == [] and result["nothing_due"] == []
    audited = await AuditEntry.select(AuditEntry.row_id, AuditEntry.username).where(
        (AuditEntry.table_name == "rental_subsidy_payout") & (AuditEntry.action == "pay")
    )
    assert sorted(e["row_id"] for e in audited) == sorted(p["id"] for p in result["created"])
    assert {e["username"] for e in audited} == {"staff"}


async def test_running_a_month_again_pays_nothing_twice_and_pays_what_is_missing(january) -> None:
    first = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    again = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    assert again["created"] == [] and again["total_fen"] == 0
    assert {p["payout_id"] for p in again["already_paid"]} == {p["id"] for p in first["created"]}

    # approved since the run, applied 20 January: the rerun pays it alone, from the 20th
    # (12 days, 30,000 × 12 ÷ 31 = 11,612.90 → 11,613)
    late_worker = await add_worker(january.park.firm2, "孙浩", 73)
    late = await _new_application(late_worker, submitted_on=date(2027, 1, 20))
    third = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    assert [(p["application_id"], p["days"], p["amount_fen"]) for p in third["created"]] == [(late, 12, 11613)]
    assert len(third["already_paid"]) == 3
    assert await RentalSubsidyPayout.count().where(RentalSubsidyPayout.month == "2027-01") == 4


async def test_simultaneous_runs_pay_each_application_once(january) -> None:
    headers = await january.headers("staff")
    january.client.cookies.clear()
    responses = await asyncio.gather(
        *(january.client.post(RUN, json={"month": "2027-01"}, headers=headers) for _ in range(4))
    )
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    assert sum(len(r.json().get("created", [])) for r in responses if r.status_code == 200) == 3
    assert await RentalSubsidyPayout.count().where(RentalSubsidyPayout.month == "2027-01") == 3


async def test_the_database_keeps_one_payment_per_application_and_month(january) -> None:
    await january.post("staff", RUN, json={"month": "2027-01"})
    row = await RentalSubsidyPayout.select().where(RentalSubsidyPayout.month == "2027-01").first()
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await RentalSubsidyPayout.insert(RentalSubsidyPayout(**{k: v for k, v in row.items() if k != "id"}))


async def test_a_policy_change_mid_month_splits_the_payment(january) -> None:
    park = january.park
    assert (
        await january.patch("staff", f"/api/subsidy-policies/{park.policy1}", json={"valid_to": "2027-01-15"})
    ).status_code == 200
    body = {"name": "2027 年 1 月 16 日起", "share_percent": 60, "cap_fen": 40000, "valid_from": "2027-01-16"}
    new = (await january.post("staff", "/api/subsidy-policies", json={**body, "valid_to": "2099-12-31"})).json()
    result = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    a = next(p for p in result["created"] if p["application_id"] == park.application1)
    # rent 800 CNY: 30,000 for 15 days, then min(48,000, 40,000) = 40,000 for 16 days:
    # (30,000 × 15 + 40,000 × 16) ÷ 31 = 1,090,000 ÷ 31 = 35,161.29 → 35,161
    assert (a["days"], a["amount_fen"]) == (31, 35161)
    assert a["segments"] == [
        {"policy_id": park.policy1, "days": 15, "monthly_amount_fen": "30000"},
        {"policy_id": new["id"], "days": 16, "monthly_amount_fen": "40000"},
    ]
    # January is paid now: neither policy may change its January days any more
    again = await january.patch("staff", f"/api/subsidy-policies/{new['id']}", json={"valid_from": "2027-01-20"})
    assert again.status_code == 409


async def test_who_sees_which_payments(january) -> None:
    park = january.park
    await january.post("staff", RUN, json={"month": "2027-01"})

    async def seen(role: str, **params: object) -> set[int]:
        response = await january.get(role, LIST, params={"month": "2027-01", **params})
        assert response.status_code == 200, response.text
        return {p["application_id"] for p in response.json()["items"]}

    assert await seen("staff") == {park.application1, park.application2, january.c}
    assert await seen("staff", firm_id=park.firm2) == {park.application2}
    assert await seen("hr1") == {park.application1, january.c}
    assert await seen("hr2") == {park.application2}
    assert await seen("hr1", firm_id=park.firm2) == set()
    assert await seen("worker2") == {park.application1}
    assert await seen("worker4") == {park.application2}
    assert await seen("worker1") == set()  # its 2020 payment is another month
    assert (await january.get("worker1", LIST)).json()["total"] == 1


async def test_an_approved_application_through_the_api_is_paid_from_its_submission(sub, clock) -> None:
    clock.to_park_day(date(2027, 1, 11), hour=10)
    body = {
        "address": "荆州市荆州区东门路 9 号",
        "landlord": "冯女士",
        "monthly_rent_fen": 70000,
        "lease_start": "2027-01-01",
        "lease_end": "2027-12-31",
    }
    created = (await sub.post("worker3", "/api/subsidy-applications", json=body)).json()
    assert created["submitted_on"] == "2027-01-11"
    path = f"/api/subsidy-applications/{created['id']}"
    assert (await sub.post("hr1", f"{path}/confirm")).status_code == 200
    files = {"contract": ("contract.pdf", PDF, "application/pdf")}
    assert (await sub.post("worker3", f"{path}/contract", files=files)).status_code == 200
    clock.to_park_day(date(2027, 1, 25), hour=10)
    assert (await sub.post("staff", f"{path}/approve")).status_code == 200
    clock.to_park_day(date(2027, 2, 1), hour=10)
    result = (await sub.post("staff", RUN, json={"month": "2027-01"})).json()
    # rent 700 CNY: 350 a month under the 300 cap → 30,000; 11–31 January is 21 days → 20,323
    assert [(p["application_id"], p["days"], p["amount_fen"]) for p in result["created"]] == [
        (created["id"], 21, 20323)
    ]


async def test_approved_but_no_eligible_day_is_named_not_paid(january) -> None:
    await _approve(january.park.application2, lease_start=date(2027, 1, 1), lease_end=date(2027, 1, 31))
    await BedAssignment.insert(
        BedAssignment(
            lease_id=january.park.lease1,
            unit_id=january.park.units[0],
            bed=3,
            worker_id=january.park.firm2_worker,
            starts_on=date(2026, 12, 1),
            ends_on=date(2027, 2, 28),
            created_at=datetime.now(UTC),
        )
    )
    result = (await january.post("staff", RUN, json={"month": "2027-01"})).json()
    assert [n["application_id"] for n in result["nothing_due"]] == [january.park.application2]
    assert january.park.application2 not in {p["application_id"] for p in result["created"]}


async def test_the_month_downloads_for_the_finance_office(january) -> None:
    from openpyxl import load_workbook

    await january.post("staff", RUN, json={"month": "2027-01"})
    response = await january.get("staff", "/api/subsidy-payouts/export", params={"month": "2027-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    detail, per_firm = book["补贴发放"], book["按企业汇总"]
    headers = [c.value for c in detail[1]]
    assert headers[:4] == ["发放编号", "月份", "企业", "员工"] and "补贴金额（元）" in headers
    amounts = sorted(
        Decimal(str(row[headers.index("补贴金额（元）")])) for row in detail.iter_rows(min_row=2, values_only=True)
    )
    assert amounts == [Decimal("169.35"), Decimal("203.23"), Decimal("300.00")]
    totals = {row[0]: (row[1], Decimal(str(row[2]))) for row in per_firm.iter_rows(min_row=2, values_only=True)}
    assert sorted(totals.values()) == [(1, Decimal("169.35")), (2, Decimal("503.23"))]
    for role in ("hr1", "worker2"):
        assert (await january.get(role, "/api/subsidy-payouts/export", params={"month": "2027-01"})).status_code == 403

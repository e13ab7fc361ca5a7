"""Monthly settlement: sums per firm, canteen and worker; once per month; who reads what."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from canteen.tables import CanteenSettlement, SettlementLine
from tests.canteen.conftest import Canteens, at, meal, post_batch

SUMS = ("meals", "park_subsidy_fen", "firm_subsidy_fen", "worker_paid_fen", "revenue_fen")


async def _eat(api: Any, c: Canteens) -> None:
    """worker1 (firm 1): lunch 1200 − 600 and dinner 1000 − 400 in canteen 1; firm 2's worker:
    lunch 1300 − 600 in canteen 2, funded by its firm (a firm-2 policy)."""
    p = api.park
    body = {
        "name": "楚天餐补",
        "lunch_fen": 600,
        "daily_cap_fen": 1000,
        "monthly_cap_fen": 15000,
        "funded_by": "firm",
        "valid_from": "2025-01-01",
        "firm_ids": [p.firm2],
    }
    assert (await api.post("staff", "/api/canteen-subsidy-policies", json=body)).status_code == 201
    await post_batch(
        api,
        [meal("a", p.worker1, c.canteen1, "lunch", at(3, 12)), meal("b", p.worker1, c.canteen1, "dinner", at(3, 18))],
    )
    await post_batch(api, [meal("c", p.firm2_worker, c.canteen2, "lunch", at(4, 12))], role="canteen2")


def _sums(line: dict[str, Any]) -> tuple[int, ...]:
    return tuple(line[k] for k in SUMS)


async def test_a_month_is_settled_in_sums_per_firm_canteen_and_worker(api: Any, canteens: Canteens) -> None:
    p = api.park
    await _eat(api, canteens)
    response = await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] is True
    assert _sums(body["settlement"]) == (3, 1000, 600, 1200 + 700, 3500)
    firms = (await api.get("staff", "/api/canteen-settlements/firms?month=2025-03")).json()
    assert {f["firm_id"]: _sums(f) for f in firms} == {
        p.firm1: (2, 1000, 0, 1200, 2200),
        p.firm2: (1, 0, 600, 700, 1300),
    }
    canteens_rows = (await api.get("staff", "/api/canteen-settlements/canteens?month=2025-03")).json()
    assert {c["canteen_id"]: c["revenue_fen"] for c in canteens_rows} == {
        canteens.canteen1: 2200,
        canteens.canteen2: 1300,
    }
    for row in canteens_rows:  # revenue = paid by workers + subsidies
        assert row["revenue_fen"] == row["worker_paid_fen"] + row["park_subsidy_fen"] + row["firm_subsidy_fen"]
    workers = (await api.get("staff", "/api/canteen-settlements/workers?month=2025-03")).json()
    assert {w["worker_id"]: _sums(w) for w in workers} == {
        p.worker1: (2, 1000, 0, 1200, 2200),
        p.firm2_worker: (1, 0, 600, 700, 1300),
    }


async def test_settling_again_settles_nothing_twice(api: Any, canteens: Canteens) -> None:
    await _eat(api, canteens)
    first = await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})
    again = await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["settlement"] == first.json()["settlement"]
    assert await CanteenSettlement.count() == 1
    assert await SettlementLine.count() == 2 + 2 + 2


async def test_only_a_month_that_has_ended(api: Any, canteens: Canteens) -> None:
    response = await api.post("staff", "/api/canteen-settlements/run", json={"month": "2099-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "month"
    bad = await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-13"})
    assert bad.status_code == 422
    assert await CanteenSettlement.count() == 0


async def test_hr_and_workers_see_only_their_own_rows(api: Any, canteens: Canteens) -> None:
    p = api.park
    await _eat(api, canteens)
    await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})
    hr1 = (await api.get("hr1", "/api/canteen-settlements/firms?month=2025-03")).json()
    assert [f["firm_id"] for f in hr1] == [p.firm1]
    hr2 = (await api.get("hr2", "/api/canteen-settlements/workers?month=2025-03")).json()
    assert [w["worker_id"] for w in hr2] == [p.firm2_worker]
    own = (await api.get("worker1", "/api/canteen-settlements/workers?month=2025-03")).json()
    assert [w["worker_id"] for w in own] == [p.worker1]
    assert (await api.get("worker1", "/api/canteen-settlements/firms?month=2025-03")).status_code == 403
    assert (await api.get("hr1", "/api/canteen-settlements/canteens?month=2025-03")).status_code == 403
    assert (await api.get("staff", "/api/canteen-settlements/firms?month=2025-02")).status_code == 404


async def test_the_xlsx_has_chinese_headers_and_hr_gets_its_own_firm(api: Any, canteens: Canteens) -> None:
    await _eat(api, canteens)
    await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})
    staff = await api.get("staff", "/api/canteen-settlements/export?month=2025-03")
    assert staff.status_code == 200
    book = load_workbook(io.BytesIO(staff.content))
    assert book.sheetnames == ["企业", "食堂", "员工对账单"]
    assert [c.value for c in book["企业"][1]] == [
        "企业",
        "餐次",
        "园区补贴（元）",
        "企业补贴（元）",
        "个人支付（元）",
        "营业额（元）",
    ]
    assert book["企业"].max_row == 3
    hr = load_workbook(io.BytesIO((await api.get("hr1", "/api/canteen-settlements/export?month=2025-03")).content))
    assert hr.sheetnames == ["企业", "员工对账单"]
    assert hr["企业"].max_row == 2 and hr["企业"]["A2"].value == "荆州华鑫电子科技有限公司"
    assert hr["企业"]["C2"].value == 10 and hr["企业"]["C2"].number_format == "#,##0.00"  # 1000 fen in yuan

"""Quarterly surveys (one answer per firm) and the reports: the month, the weekly .xlsx, the ledger."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from housing.tickets.tables import SurveyAnswer
from tests.housing.conftest import Api
from tests.housing.tickets.conftest import MovableClock
from tests.housing.tickets.test_tickets_api import act, report, to_resolved

ANSWER = {"housing": 5, "canteen": 3, "repairs": 4, "subsidies": 2, "comment": "食堂菜品可以再丰富些"}


async def test_each_firm_answers_once_and_staff_see_the_results(tapi: Api) -> None:
    opened = await tapi.post("staff", "/api/surveys", json={"quarter": "2027-Q1"})
    assert opened.status_code == 201 and opened.json()["status"] == "open"
    survey = opened.json()["id"]
    twice = await tapi.post("staff", "/api/surveys", json={"quarter": "2027-Q1"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "quarter"
    bad = await tapi.post("staff", "/api/surveys", json={"quarter": "2027-Q5"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quarter"

    assert (await tapi.post("hr1", f"/api/surveys/{survey}/answers", json=ANSWER)).status_code == 201
    again = await tapi.post("hr1", f"/api/surveys/{survey}/answers", json={**ANSWER, "housing": 1})
    assert again.status_code == 409
    out_of_range = await tapi.post("hr2", f"/api/surveys/{survey}/answers", json={**ANSWER, "canteen": 6})
    assert out_of_range.status_code == 422 and out_of_range.json()["errors"][0]["field"] == "canteen"
    answer2 = {"housing": 4, "canteen": 4, "repairs": 5, "subsidies": 3}
    assert (await tapi.post("hr2", f"/api/surveys/{survey}/answers", json=answer2)).status_code == 201

    own = (await tapi.get("hr1", f"/api/surveys/{survey}/answers")).json()["items"]
    assert [a["firm_id"] for a in own] == [tapi.park.firm1]
    assert len((await tapi.get("staff", f"/api/surveys/{survey}/answers")).json()["items"]) == 2
    results = (await tapi.get("staff", f"/api/surveys/{survey}/results")).json()
    assert results["answers"] == 2
    assert results["averages"] == {"housing": "4.50", "canteen": "3.50", "repairs": "4.50", "subsidies": "2.50"}
    assert results["satisfied_share"]["canteen"] == "0.50"

    assert (await tapi.post("staff", f"/api/surveys/{survey}/close")).status_code == 200
    assert (await tapi.post("staff", f"/api/surveys/{survey}/close")).status_code == 409
    t = tapi.park.tickets  # type: ignore[attr-defined]
    late = await tapi.post("hr1", f"/api/surveys/{t.survey_closed}/answers", json=ANSWER)
    assert late.status_code == 409


async def test_two_answers_at_once_one_is_kept(tapi: Api) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    headers = await tapi.headers("hr1")
    tapi.client.cookies.clear()

    async def answer() -> int:
        response = await tapi.client.post(f"/api/surveys/{t.survey_open}/answers", json=ANSWER, headers=headers)
        return int(response.status_code)

    assert sorted(await asyncio.gather(answer(), answer())) == [201, 409]
    assert await SurveyAnswer.count().where(SurveyAnswer.survey_id == t.survey_open) == 1


async def month_of(api: Api, month: str) -> dict[str, Any]:
    response = await api.get("staff", f"/api/ticket-reports?month={month}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_the_month_report_counts_what_was_received(tapi: Api, clock: MovableClock) -> None:
    clock.now = datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
    on_time = await report(tapi, "hr1")
    late = await report(tapi, "hr1", category="dorm")
    await to_resolved(tapi, on_time["id"])
    clock.move(hours=3)
    await act(tapi, "hr1", on_time["id"], "close", {"rating": 5})
    await act(tapi, "staff", late["id"], "sort", {"severity": "ordinary"})
    clock.move(hours=30)
    month = await month_of(tapi, "2027-03")
    repair = next(c for c in month["categories"] if c["category"] == "repair")
    dorm = next(c for c in month["categories"] if c["category"] == "dorm")
    assert repair == {
        "category": "repair",
        "received": 1,
        "closed": 1,
        "closed_on_time": 1,
        "overdue": 0,
        "median_hours_to_close": 3.0,
        "p90_hours_to_close": 3.0,
        "response_rate": 1.0,
        "resolution_rate": 1.0,
        "satisfaction_rate": 1.0,
    }
    assert dorm["received"] == 1 and dorm["overdue"] == 1 and dorm["response_rate"] == 0.0
    assert month["total"]["received"] == 2 and month["total"]["resolution_rate"] == 0.5
    assert (await month_of(tapi, "2027-04"))["total"]["received"] == 0
    assert (await tapi.get("staff", "/api/ticket-reports?month=2027-13")).status_code in (400, 422)


async def test_the_weekly_summary_is_an_xlsx_with_chinese_headers(tapi: Api, clock: MovableClock) -> None:
    clock.now = datetime(2027, 3, 9, 2, 0, tzinfo=UTC)  # Tuesday of 2027-W10
    await report(tapi, "worker1")
    response = await tapi.get("staff", "/api/ticket-reports/weekly.xlsx?week=2027-W10")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary, detail = book["汇总"], book["明细"]
    assert [c.value for c in summary[1]][:5] == ["类别", "受理数", "办结数", "按期办结数", "超期数"]
    assert summary["A7"].value == "合计" and summary["B7"].value == 1
    assert detail["C2"].value == "荆州华鑫电子科技有限公司" and detail["D2"].value == "B01-101"
    no_week = await tapi.get("staff", "/api/ticket-reports/weekly.xlsx?week=2027-W53")
    assert no_week.status_code == 422 and no_week.json()["errors"][0]["field"] == "week"


async def test_the_ledger_is_the_firms_own_with_every_step(tapi: Api, clock: MovableClock) -> None:
    mine = await report(tapi, "hr1")
    theirs = await report(tapi, "hr2")
    await to_resolved(tapi, mine["id"])
    ledger = (await tapi.get("hr1", "/api/ticket-reports/ledger?limit=500")).json()["items"]
    ids = {t["id"] for t in ledger}
    assert mine["id"] in ids and theirs["id"] not in ids
    entry = next(t for t in ledger if t["id"] == mine["id"])
    assert [e["to_state"] for e in entry["history"]] == ["new", "sorted", "assigned", "in_progress", "resolved"]
    firm2 = (await tapi.get("hr2", "/api/ticket-reports/ledger?firm_id=1")).json()["items"]
    assert {t["id"] for t in firm2} == {theirs["id"]}  # HR cannot choose another firm
    staff = (await tapi.get("staff", f"/api/ticket-reports/ledger?firm_id={tapi.park.firm2}")).json()["items"]
    assert {t["id"] for t in staff} == {theirs["id"]}
    assert clock.now - timedelta(days=1) < datetime.fromisoformat(entry["reported_at"])

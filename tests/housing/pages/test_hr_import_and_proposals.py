"""The HR desk's Excel import and the solver's bed proposals, without a browser: the pages call
the API's own import and proposal functions, show their answers (a per-row report, a 409's
words), keep to the firm, and refuse a post without the CSRF token."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from housing.leasing.tables import BedAssignment, BedProposal
from housing.register.tables import Worker
from tests.housing import factories
from tests.housing.excel.helpers import WORKER_HEADERS, workers_book
from tests.housing.factories import resident_id
from tests.housing.pages.conftest import Browser, field_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(**cells: Any) -> list[Any]:
    """A good row of the workers sheet, some cells replaced (by header)."""
    good = {
        "姓名": "王芳",
        "性别": "女",
        "身份证号": resident_id(date(2000, 1, 2), 44),
        "手机号": "13700002222",
        "工号": "N100",
        "企业": None,
        "班次": "夜班",
        "住宿": "宿舍",
        "入职日期": "2024-03-01",
        "离职日期": None,
    }
    good.update(cells)
    return [good[h] for h in WORKER_HEADERS]


async def upload(browser: Browser, data: bytes, *, csrf: bool = True, name: str = "workers.xlsx") -> Any:
    if csrf and not browser.token:
        await browser.get("/hr/workers")
    fields = {"_csrf_token": browser.token} if csrf else {}
    return await browser.client.post(
        "/hr/workers/import", data=fields, files={"file": (name, data, XLSX)}, follow_redirects=False
    )


def report_rows(html: str) -> list[tuple[str, str, str]]:
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)


async def test_the_workers_page_links_the_template_and_the_export_and_they_download(browser: Browser) -> None:
    await browser.log_in("hr1")
    page = (await browser.get("/hr/workers")).text
    assert 'href="/api/workers/import-template"' in page and 'href="/api/workers/export"' in page
    assert 'enctype="multipart/form-data"' in page
    for link in ("/api/workers/import-template", "/api/workers/export"):
        sheet = await browser.get(link)  # the API's routes take the page's login cookie
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK", link


async def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(browser: Browser, counts: Any) -> None:
    await browser.log_in("hr1")
    before = await counts()
    data = workers_book(row(), row(姓名="李雷", 性别="男", 身份证号="421002199906070559", 工号="N101"))
    response = await upload(browser, data)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html")  # a page, under the pages' CSP
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "未导入任何员工" in response.text
    assert report_rows(response.text) == [("3", "身份证号", "身份证号码无效（校验位或出生日期不正确）。")]
    assert await counts() == before  # not even the good row 2

    fixed = workers_book(row(), row(姓名="李雷", 性别="男", 身份证号=resident_id(date(1999, 6, 7), 55), 工号="N101"))
    response = await upload(browser, fixed)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/hr/workers?done=imported&n=2"
    page = (await browser.get(response.headers["location"])).text
    assert "已导入 2 名员工" in page and "李雷" in page and "王芳" in page
    rows = await Worker.select(Worker.firm_id).where(Worker.employee_no.is_in(["N100", "N101"]))
    assert {r["firm_id"] for r in rows} == {browser.park.firm1} and len(rows) == 2


async def test_the_import_notice_and_report_in_english(browser: Browser) -> None:
    await browser.log_in("hr1")
    await browser.get("/hr/workers?lang=en")
    response = await upload(browser, workers_book(row(性别="未知")))
    assert response.status_code == 422 and "no worker was imported" in response.text
    response = await upload(browser, workers_book(row()))
    page = (await browser.get(response.headers["location"])).text
    assert "Imported 1 workers" in page


async def test_a_file_that_is_not_xlsx_or_no_file_is_the_api_s_message_next_to_the_field(
    browser: Browser, counts: Any
) -> None:
    await browser.log_in("hr1")
    before = await counts()
    response = await upload(browser, b"name,gender\n", name="workers.csv")
    assert response.status_code == 415  # the API's status for a file that is not an .xlsx
    assert ".xlsx" in field_errors(response.text)["file"]
    response = await browser.post("/hr/workers/import", {})  # a form without any file
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "file" in field_errors(response.text)
    assert await counts() == before


async def test_an_import_without_the_csrf_token_is_refused(browser: Browser, counts: Any) -> None:
    await browser.log_in("hr1")
    before = await counts()
    response = await upload(browser, workers_book(row()), csrf=False)
    assert response.status_code == 403
    assert await counts() == before
    proposals = await BedProposal.count()
    assert (await browser.post("/hr/beds/proposals", {}, csrf=False)).status_code == 403
    assert await BedProposal.count() == proposals


def _open_beds() -> Any:
    return BedAssignment.select(BedAssignment.worker_id, BedAssignment.unit_id, BedAssignment.bed).where(
        BedAssignment.ends_on.is_null()
    )


async def test_hr_asks_for_a_proposal_sees_it_and_confirming_makes_the_beds(browser: Browser) -> None:
    park = browser.park
    newcomers = await factories.men_of_firm(park.firm1, 2)
    await browser.log_in("hr1")
    board = (await browser.get("/hr/beds")).text
    assert 'action="/hr/beds/proposals"' in board and 'name="starts_on"' in board
    made = await browser.post("/hr/beds/proposals", {"starts_on": ""})  # blank: today
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    assert re.fullmatch(r"/hr/beds/proposals/\d+", where)
    shown = await browser.get(where)
    page = shown.text
    assert shown.status_code == 200 and "script-src 'self'" in shown.headers["content-security-policy"]
    assert ' style="' not in page and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "新工0" in page and "新工1" in page and "张伟" in page
    assert page.count("新安排") == 2 and "保留原床位" in page
    assert "每个人都有床位" in page and 'id="confirm-proposal"' in page

    confirmed = await browser.post(where + "/confirm", {})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == where + "?done=confirmed"
    page = (await browser.get(confirmed.headers["location"])).text
    assert "方案已确认" in page and 'id="confirm-proposal"' not in page
    held = {r["worker_id"] for r in await _open_beds()}
    assert set(newcomers) <= held


async def test_a_stale_proposal_shows_the_api_s_409_and_a_way_to_ask_again(browser: Browser) -> None:
    park = browser.park
    first, _ = await factories.men_of_firm(park.firm1, 2)
    await browser.log_in("hr1")
    where = (await browser.post("/hr/beds/proposals", {})).headers["location"]
    by_hand = {"worker_id": str(first), "unit_id": str(park.units[0]), "bed": "4"}
    put = await browser.post("/hr/beds", by_hand)
    assert put.status_code == 303
    before = sorted(map(str, await _open_beds()))
    stale = await browser.post(where + "/confirm", {})
    assert stale.status_code == 409
    assert "重新生成" in stale.text and 'id="ask-again"' in stale.text
    assert sorted(map(str, await _open_beds())) == before
    day = re.search(r'name="starts_on" value="([0-9-]+)"', stale.text)
    assert day is not None  # the ask-again form: the same first night (or the park's today)
    again = await browser.post("/hr/beds/proposals", {"starts_on": day.group(1)})
    assert again.status_code == 303 and again.headers["location"] != where


async def test_a_proposal_in_the_past_is_the_api_s_message_next_to_the_date(browser: Browser) -> None:
    await browser.log_in("hr1")
    response = await browser.post("/hr/beds/proposals", {"starts_on": "2020-01-01"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")  # a refused form is a page, not JSON
    assert "不能早于今天" in field_errors(response.text)["starts_on"]
    response = await browser.post("/hr/beds/proposals", {"starts_on": "not-a-day"})
    assert response.status_code == 422 and "starts_on" in field_errors(response.text)


async def test_another_firm_s_proposal_is_not_found_for_page_and_confirm(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr2")
    assert (await browser.get(f"/hr/beds/proposals/{park.proposal1}")).status_code == 404
    response = await browser.post(f"/hr/beds/proposals/{park.proposal1}/confirm", {})
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    status = await BedProposal.select(BedProposal.status).where(BedProposal.id == park.proposal1).first()
    assert status is not None and status["status"] == "proposed"

"""The staff console's register import (.xlsx in, per-row report out, all or nothing) and the
trade-off curve on the run pages (start, draw, choose a point, apply it)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from housing.leasing.tables import HeadcountRequest, Move
from housing.register.tables import Building, Firm, Unit
from tests.housing.excel.helpers import upload, xlsx
from tests.housing.factories import credit_code
from tests.housing.pages.conftest import Browser, field_errors

BUILDING_HEADERS = ["楼栋编号", "楼栋名称", "层数", "性别限制"]
UNIT_HEADERS = ["楼栋编号", "楼层", "房号", "面积（m²）", "床位数", "状态", "租金单价（元/m²·月）"]
FIRM_HEADERS = ["企业名称", "统一社会信用代码", "联系人", "联系电话", "重点企业"]


def strict_csp_clean(html: str) -> bool:
    """Nothing the Content-Security-Policy would block: no style attribute, no inline script."""
    return ' style="' not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def report_rows(html: str) -> list[tuple[str, str, str]]:
    """(sheet, row, column) of each line of the page's import report."""
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    return re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td><td>([^<]*)</td>", table)


async def test_staff_home_links_the_register_page_with_the_template_and_export(browser: Browser) -> None:
    await browser.log_in("staff")
    assert 'href="/staff/register"' in (await browser.get("/staff")).text
    page = (await browser.get("/staff/register")).text
    assert 'href="/api/register/import-template"' in page and 'href="/api/register/export"' in page
    assert 'enctype="multipart/form-data"' in page and 'name="_csrf_token"' in page
    assert strict_csp_clean(page)
    template = await browser.get("/api/register/import-template")  # the API's route, with the login cookie
    assert template.status_code == 200 and template.content.startswith(b"PK")
    assert (await browser.get("/api/register/export")).status_code == 200


async def test_a_good_workbook_is_imported_and_the_page_says_how_many_rows(browser: Browser, counts: Any) -> None:
    await browser.log_in("staff")
    before = await counts()
    data = xlsx(
        {
            "楼栋": [BUILDING_HEADERS, ["B10", "员工之家10号楼", 5, "女"]],
            "房间": [UNIT_HEADERS, ["B10", 1, "101", 36.5, 4, "可用", 5]],
            "企业": [FIRM_HEADERS, ["荆州新星科技有限公司", credit_code(77), "周先生", "13800001111", "否"]],
        }
    )
    response = await browser.post("/staff/register", {}, **upload(data, "register.xlsx"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/staff/register?written=3"
    assert "导入完成：写入 3 行" in (await browser.get(response.headers["location"])).text
    building = await Building.select(Building.id).where(Building.code == "B10").first()
    assert await Unit.count().where((Unit.building_id == building["id"]) & (Unit.number == "101")) == 1
    assert await Firm.count().where(Firm.uscc == credit_code(77)) == 1
    assert (await counts())["audit_entry"] == before["audit_entry"] + 3


async def test_bad_rows_are_listed_by_sheet_row_and_column_and_nothing_is_written(
    browser: Browser, counts: Any
) -> None:
    await browser.log_in("staff")
    before = await counts()
    data = xlsx(
        {
            "楼栋": [BUILDING_HEADERS, ["B10", "员工之家10号楼", 5, None], ["B11", "十一号楼", "五", None]],
            "房间": [UNIT_HEADERS, ["B10", 6, "601", 30, 4, None, None], ["B10", 1, "102", 30, 4, None, None]],
            "企业": [FIRM_HEADERS, ["荆州新星科技有限公司", "91421000MA0000077Z", "周先生", "13800001111", None]],
        }
    )
    response = await browser.post("/staff/register", {}, **upload(data, "register.xlsx"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html"), response.text
    assert "什么都没有写入" in response.text and strict_csp_clean(response.text)
    assert sorted(report_rows(response.text)) == [
        ("企业", "2", "统一社会信用代码"),
        ("房间", "2", "楼层"),
        ("楼栋", "3", "层数"),
    ]
    assert await counts() == before
    english = await browser.post("/staff/register?lang=en", {}, **upload(data, "register.xlsx"))
    assert english.status_code == 422 and "nothing was written" in english.text


async def test_a_file_that_is_not_xlsx_or_no_file_is_named_next_to_the_field(browser: Browser, counts: Any) -> None:
    await browser.log_in("staff")
    before = await counts()
    csv = await browser.post("/staff/register", {}, files={"file": ("register.csv", b"a,b\n1,2\n", "text/csv")})
    assert csv.status_code == 415 and "file" in field_errors(csv.text)
    missing = await browser.post("/staff/register", {"note": "no file"})
    assert missing.status_code == 422 and "file" in field_errors(missing.text)
    assert await counts() == before


async def test_the_register_upload_without_the_csrf_token_is_refused(browser: Browser, counts: Any) -> None:
    await browser.log_in("staff")
    await browser.get("/staff/register")
    before = await counts()
    data = xlsx({"企业": [FIRM_HEADERS, ["荆州新星科技有限公司", credit_code(77), "周先生", "13800001111", None]]})
    refused = await browser.post("/staff/register", {}, csrf=False, **upload(data))
    assert refused.status_code == 403 and "刷新页面" in refused.text
    assert await counts() == before


async def test_hr_and_workers_cannot_import_the_register(browser: Browser) -> None:
    await browser.log_in("hr1")
    assert (await browser.get("/staff/register")).status_code == 403
    data = xlsx({"企业": [FIRM_HEADERS, ["荆州新星科技有限公司", credit_code(77), "周先生", "13800001111", None]]})
    assert (await browser.post("/staff/register", {}, **upload(data))).status_code == 403
    assert await Firm.count().where(Firm.uscc == credit_code(77)) == 0


async def _finished(browser: Browser, run_page: str) -> str:
    for _ in range(120):
        fragment = (await browser.get(run_page + "/progress")).text
        if "data-poll" not in fragment:
            return fragment
        await asyncio.sleep(0.25)
    raise AssertionError(f"{run_page} did not finish")


async def test_staff_start_a_tradeoff_run_choose_a_point_and_apply_it(browser: Browser) -> None:
    park = browser.park
    await HeadcountRequest.insert(
        HeadcountRequest(
            period_id=park.period_open, firm_id=park.firm2, male_beds=6, female_beds=0, updated_at=datetime.now(UTC)
        )
    )
    await browser.log_in("staff")
    home = (await browser.get("/staff")).text
    assert 'name="tradeoff"' in home and 'name="points" value="5"' in home and 'name="max_displaced_workers"' in home
    both = {"period_id": park.period_open, "tradeoff": "true", "max_displaced_workers": "3"}
    refused = await browser.post("/staff/runs", both)
    assert refused.status_code == 422 and "max_displaced_workers" in field_errors(refused.text)
    too_many = await browser.post("/staff/runs", {"period_id": park.period_open, "tradeoff": "true", "points": "12"})
    assert too_many.status_code == 422 and "points" in field_errors(too_many.text)
    body = {"period_id": park.period_open, "time_limit_s": "4", "tradeoff": "true", "points": "3"}
    started = await browser.post("/staff/runs", body)
    assert started.status_code == 303
    run_page = started.headers["location"]
    assert 'data-status="done"' in await _finished(browser, run_page)

    review = (await browser.get(run_page)).text
    svg = review.split('<svg class="chart curve"')[1].split("</svg>")[0]
    assert len(re.findall(r"<circle ", svg)) == 3 and "chosen" not in svg  # one marker per point
    assert "需搬迁人数" in svg and "缺额罚分" in svg and strict_csp_clean(review)
    assert len(re.findall(r'class="choose-point"', review)) == 3 and "尚未选定方案点" in review

    # applying before a point is chosen: the API's message
    early = await browser.post(run_page + "/apply", {})
    assert early.status_code == 409 and "请先选择要执行的点" in early.text
    assert early.headers["content-type"].startswith("text/html")

    bad = await browser.post(run_page + "/choose", {"point": "7"})
    assert bad.status_code == 422 and "point" in field_errors(bad.text)
    chosen = await browser.post(run_page + "/choose", {"point": "0"})
    assert chosen.status_code == 303 and chosen.headers["location"].endswith("?done=chosen")
    review = (await browser.get(chosen.headers["location"])).text
    assert "已选定方案点" in review
    svg = review.split('<svg class="chart curve"')[1].split("</svg>")[0]
    assert len(re.findall(r'class="curve-point chosen"', svg)) == 1
    moves = re.search(r'class="curve-point chosen" data-moves="(\d+)"', svg)
    assert moves is not None
    lines = review.split('id="run-lines"')[1].split("</table>")[0]
    to_move = sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td>\s*<td>', lines))
    assert to_move == int(moves.group(1))  # the firm table shows the chosen point's lines

    confirm = (await browser.get(run_page + "/apply")).text
    assert "方案点 #0" in confirm
    applied = await browser.post(run_page + "/apply", {})
    assert applied.status_code == 303
    run_id = int(run_page.rsplit("/", 1)[1])
    assert await Move.count().where(Move.run_id == run_id) == to_move
    after = (await browser.get(run_page)).text
    assert "choose-point" not in after  # an applied run's point is settled
    assert (await browser.post(run_page + "/choose", {"point": "1"})).status_code == 409


async def test_the_run_pages_follow_the_language_switch(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("staff")
    started = await browser.post("/staff/runs", {"period_id": park.period_open, "time_limit_s": "2"})
    run_page = started.headers["location"]
    await _finished(browser, run_page)
    english = (await browser.get(run_page + "?lang=en")).text
    lines = english.split('id="run-lines"')[1].split("</table>")[0]
    assert not re.search(r"[\u4e00-\u9fff]{2,}", re.sub(r"<td>[^<]*有限公司[^<]*", "", lines)), lines
    assert "权衡曲线" not in english

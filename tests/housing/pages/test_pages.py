"""The pages, without a browser: each role's pages render, forms go through the API's rules,
tenancy holds, CSRF and the login throttle work, the language switch sticks."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from housing.leasing.tables import BedAssignment, HeadcountRequest, Move
from housing.register.tables import Worker
from housing.web.db import json_value
from tests.housing.factories import new_worker
from tests.housing.pages.conftest import Browser, field_errors

PAGES = {
    "staff": [
        "/staff",
        "/staff/rooms",
        "/staff/rooms?date=2020-01-01",
        "/staff/charts",
        "/staff/invoices",
        "/staff/audit",
        "/staff/audit?table=worker&since=2020-01-01&until=2030-01-01",
    ],
    "hr1": ["/hr", "/hr/workers", "/hr/workers?q=张", "/hr/beds", "/hr/invoices"],
    "worker1": ["/my"],
}


@pytest.mark.parametrize("role", sorted(PAGES))
async def test_every_page_renders_for_its_role_under_the_strict_csp(browser: Browser, role: str) -> None:
    response = await browser.log_in(role)
    assert response.status_code == 303
    home = response.headers["location"]
    assert home == {"staff": "/staff", "hr1": "/hr", "worker1": "/my"}[role]
    for path in PAGES[role]:
        page = await browser.get(path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        # nothing the CSP would block: no inline style attribute, no inline script
        assert ' style="' not in page.text, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert "http://" not in page.text.replace("http://www.w3.org/2000/svg", ""), path
    assert (await browser.get("/", follow_redirects=False)).headers["location"] == home


async def test_logged_out_goes_to_the_login_form_and_the_docs_still_work(browser: Browser) -> None:
    assert (await browser.get("/", follow_redirects=False)).headers["location"] == "/login"
    assert (await browser.get("/hr", follow_redirects=False)).headers["location"] == "/login"
    assert (await browser.get("/login")).status_code == 200
    assert (await browser.get("/schema")).status_code == 200
    assert (await browser.get("/static/pages/pages.css")).status_code == 200
    assert (await browser.get("/static/pages/pages.js")).status_code == 200


async def test_worker_sees_own_bed_and_roommates(browser: Browser) -> None:
    await browser.log_in("worker1")
    page = (await browser.get("/my")).text
    assert "B01-101" in page and "1 号床" in page and "张伟" in page
    assert "陈静" not in page and "刘强" not in page  # nobody else's record


async def test_worker_and_hr_cannot_open_other_roles_pages(browser: Browser) -> None:
    await browser.log_in("worker1")
    assert (await browser.get("/hr")).status_code == 403
    assert (await browser.get("/staff")).status_code == 403
    browser.client.cookies.clear()
    await browser.log_in("hr1")
    assert (await browser.get("/staff/rooms")).status_code == 403
    assert (await browser.get("/my")).status_code == 403


async def test_hr_sees_only_its_own_firm(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr2")
    assert "张伟" not in (await browser.get("/hr/workers")).text
    assert "刘强" in (await browser.get("/hr/workers")).text
    assert (await browser.get(f"/hr/workers/{park.worker1}")).status_code == 404
    assert (await browser.get(f"/hr/beds/{park.units[0]}")).status_code == 404  # firm 1's unit
    assert "张伟" not in (await browser.get("/hr/beds")).text
    assert "荆州华鑫" not in (await browser.get("/hr/invoices")).text
    # a post naming another firm's worker or bed changes nothing
    moved = await browser.post(f"/hr/beds/{park.bed1}/out", {})
    assert moved.status_code == 404
    assert await BedAssignment.count().where(BedAssignment.ends_on.is_null()) == 1
    edited = await browser.post(f"/hr/workers/{park.worker1}", {"name": "改名"})
    assert edited.status_code == 404
    assert (await Worker.select(Worker.name).where(Worker.id == park.worker1).first())["name"] == "张伟"


async def test_a_form_post_without_the_csrf_token_is_refused(browser: Browser, counts: Any) -> None:
    await browser.log_in("hr1")
    before = await counts()
    response = await browser.post("/hr/workers", new_worker(), csrf=False)
    assert response.status_code == 403
    assert "刷新页面" in response.text
    wrong = await browser.client.post(
        "/hr/workers", data={**new_worker(), "_csrf_token": "0" * 64}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert await counts() == before


async def test_login_form_refuses_wrong_password_and_throttles_like_the_api(browser: Browser) -> None:
    for _ in range(5):
        wrong = await browser.log_in("hr1", "wrong-password")
        assert wrong.status_code == 401
        assert "用户名或密码错误" in wrong.text
    throttled = await browser.log_in("hr1")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "登录失败次数过多" in throttled.text
    assert "token" not in browser.client.cookies


async def test_logout_ends_the_session(browser: Browser) -> None:
    await browser.log_in("worker1")
    assert (await browser.get("/my")).status_code == 200
    cookie = browser.client.cookies["token"]
    out = await browser.post("/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    browser.client.cookies.set("token", cookie)  # the old cookie no longer works
    assert (await browser.get("/my", follow_redirects=False)).status_code == 302


async def test_hr_files_the_request_and_bad_input_is_shown_next_to_the_field(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr1")
    form = {"period_id": park.period_open, "request_id": park.request1, "male_beds": "-1", "female_beds": "3"}
    bad = await browser.post("/hr/request", form)
    assert bad.status_code == 422
    assert "male_beds" in field_errors(bad.text)
    row = await HeadcountRequest.select().where(HeadcountRequest.id == park.request1).first()
    assert (row["male_beds"], row["female_beds"]) == (6, 2)  # nothing half-written
    good = await browser.post("/hr/request", {**form, "male_beds": "4"})
    assert good.status_code == 303 and good.headers["location"] == "/hr?done=request"
    row = await HeadcountRequest.select().where(HeadcountRequest.id == park.request1).first()
    assert (row["male_beds"], row["female_beds"]) == (4, 3)
    assert "申请已保存" in (await browser.get(good.headers["location"])).text


def json_list(value: Any) -> list[int]:
    return list(json_value(value) or [])


async def test_hr_chooses_buildings_and_a_rent_cap_in_yuan_and_can_take_them_back(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr1")
    page = (await browser.get("/hr")).text
    offered = set(re.findall(r'name="building_ids" value="(\d+)"', page))
    assert {str(park.building_any), str(park.building_female), str(park.building_empty)} <= offered
    form = {"period_id": park.period_open, "request_id": park.request1, "male_beds": "6", "female_beds": "2"}
    chosen = [str(park.building_any), str(park.building_female)]
    saved = await browser.post("/hr/request", {**form, "building_ids": chosen, "max_monthly_rent_yuan": "1500.50"})
    assert saved.status_code == 303, saved.text
    row = await HeadcountRequest.select().where(HeadcountRequest.id == park.request1).first()
    assert sorted(json_list(row["building_ids"])) == sorted(int(b) for b in chosen)
    assert row["max_monthly_rent_fen"] == 150050
    page = (await browser.get("/hr")).text
    assert f'value="{park.building_any}" checked' in page and 'value="1500.50"' in page
    bad = await browser.post("/hr/request", {**form, "building_ids": chosen, "max_monthly_rent_yuan": "12.345"})
    assert bad.status_code == 422 and "max_monthly_rent_yuan" in field_errors(bad.text)
    unknown = await browser.post("/hr/request", {**form, "building_ids": ["999999"]})
    assert unknown.status_code == 422 and "building_ids" in field_errors(unknown.text)
    row = await HeadcountRequest.select().where(HeadcountRequest.id == park.request1).first()
    assert row["max_monthly_rent_fen"] == 150050  # refused posts changed nothing
    cleared = await browser.post("/hr/request", form)  # nothing ticked, no cap: any building, no cap
    assert cleared.status_code == 303
    row = await HeadcountRequest.select().where(HeadcountRequest.id == park.request1).first()
    assert row["building_ids"] in (None, "null") and row["max_monthly_rent_fen"] is None


async def test_hr_adds_edits_and_deactivates_a_worker_through_the_api_rules(browser: Browser) -> None:
    await browser.log_in("hr1")
    bad = await browser.post("/hr/workers", new_worker(id_number="110101199001011234"))
    assert bad.status_code == 422
    assert "身份证" in field_errors(bad.text)["id_number"]
    other_firm = await browser.post("/hr/workers", {**new_worker(), "firm_id": browser.park.firm2})
    assert other_firm.status_code == 403 and "firm_id" in field_errors(other_firm.text)  # the API's answer
    assert await Worker.count().where(Worker.employee_no == "N001") == 0
    added = await browser.post("/hr/workers", new_worker())
    assert added.status_code == 303
    worker = await Worker.select().where(Worker.employee_no == "N001").first()
    assert worker["firm_id"] == browser.park.firm1
    page = await browser.get(f"/hr/workers/{worker['id']}")
    assert "**********" in page.text  # the ID number is masked for HR
    edited = await browser.post(f"/hr/workers/{worker['id']}", {"mobile": "13700002222", "id_number": "4210**"})
    assert edited.status_code == 303
    assert (await Worker.select(Worker.mobile).where(Worker.id == worker["id"]).first())["mobile"] == "13700002222"
    gone = await browser.post(f"/hr/workers/{worker['id']}/active", {"active": "false"})
    assert gone.status_code == 303
    assert not (await Worker.select(Worker.active).where(Worker.id == worker["id"]).first())["active"]


async def test_hr_puts_a_worker_into_a_bed_and_moves_them_out(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr1")
    taken = await browser.post("/hr/beds", {"unit_id": park.units[0], "worker_id": park.firm1_other, "bed": 1})
    assert taken.status_code in (409, 422)  # a woman in a men's unit, in a taken bed: the API's answer
    assert field_errors(taken.text)
    mover = await Worker.insert(
        Worker(**{**new_worker(gender="male", id_number="421002199001011236"), "firm_id": park.firm1})
    )
    worker_id = mover[0]["id"]
    page = (await browser.get("/hr/beds")).text
    assert f'<option value="{worker_id}">' in page
    put = await browser.post("/hr/beds", {"unit_id": park.units[0], "worker_id": worker_id, "bed": 3})
    assert put.status_code == 303, put.text
    board = (await browser.get("/hr/beds")).text
    assert "新员工" in board
    held = await BedAssignment.select().where(BedAssignment.worker_id == worker_id).first()
    out = await browser.post(f"/hr/beds/{held['id']}/out", {})
    assert out.status_code == 303
    assert (
        await BedAssignment.count().where((BedAssignment.worker_id == worker_id) & BedAssignment.ends_on.is_null()) == 0
    )


async def test_staff_start_a_run_watch_it_and_apply_after_confirming(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("staff")
    bad = await browser.post("/staff/runs", {"period_id": park.period_open, "time_limit_s": "0"})
    assert bad.status_code == 422 and "time_limit_s" in field_errors(bad.text)
    started = await browser.post("/staff/runs", {"period_id": park.period_open, "time_limit_s": "2"})
    assert started.status_code == 303
    run_page = started.headers["location"]
    for _ in range(60):
        fragment = (await browser.get(run_page + "/progress")).text
        if "data-poll" not in fragment:
            break
        await asyncio.sleep(0.25)
    assert 'data-status="done"' in fragment
    review = (await browser.get(run_page)).text
    assert "荆州华鑫电子科技有限公司" in review and 'id="apply-link"' in review
    confirm = (await browser.get(run_page + "/apply")).text
    assert "套房间签新租约" in confirm
    applied = await browser.post(run_page + "/apply", {})
    assert applied.status_code == 303
    assert "方案已应用" in (await browser.get(applied.headers["location"])).text
    again = await browser.post(run_page + "/apply", {})
    assert again.status_code == 409 and "已应用" in again.text
    # HR reads its own firm's line of the run, and no other firm's
    browser.client.cookies.clear()
    await browser.log_in("hr2")
    assert "荆州华鑫电子科技有限公司" not in (await browser.get("/hr")).text
    browser.client.cookies.clear()
    await browser.log_in("hr1")
    line = (await browser.get("/hr")).text.split('id="run-line"')[1].split("</section>")[0]
    assert "已应用" in line and "分到" in line


async def test_the_room_map_colours_units_by_firm_for_any_day(browser: Browser) -> None:
    await browser.log_in("staff")
    today = (await browser.get("/staff/rooms")).text
    assert "荆州华鑫电子科技有限公司" in today and "1/4" in today
    assert re.search(r'class="room firm-\d+"', today)
    before = (await browser.get("/staff/rooms?date=2000-01-01")).text
    assert "1/4" not in before and 'class="room vacant"' in before
    assert (await browser.get("/staff/rooms?date=not-a-day")).status_code == 422  # as the API answers


async def test_english_switch_sticks_in_a_cookie(browser: Browser) -> None:
    await browser.log_in("worker1")
    english = await browser.get("/my?lang=en")
    assert "My room" in english.text and "Roommates" in english.text
    assert browser.client.cookies.get("lang") == "en"
    assert "My room" in (await browser.get("/my")).text
    assert "我的宿舍" in (await browser.get("/my?lang=zh")).text


async def test_worker_sees_a_pending_move_with_its_deadline(browser: Browser) -> None:
    park = browser.park
    await Move.insert(
        Move(
            run_id=park.run1,
            worker_id=park.worker1,
            firm_id=park.firm1,
            bed_assignment_id=park.bed1,
            unit_id=park.units[0],
            bed=1,
            deadline=date(2027, 1, 14),
            created_at=datetime.now(UTC),
        )
    )
    await browser.log_in("worker1")
    move = (await browser.get("/my")).text
    assert 'id="my-move"' in move and "2027-01-14" in move and "待本企业 HR 安排" in move

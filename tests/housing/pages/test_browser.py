"""Real-browser tests: Playwright driving the system's Chromium against the app served on a free
local port (uvicorn in a thread, on the test database with the small park).

Playwright's own browser download cannot work on the park's network, so the browser is the
distribution's (`/usr/bin/chromium`, or `CHROMIUM`). Without it these tests are skipped with a
loud reason locally and fail under CI (`CI=true`). Every request the pages make is recorded and
must stay on the server. `UPDATE_SCREENSHOTS=1` refreshes the README's screenshots.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from housing.register.tables import Worker
from tests.housing import factories
from tests.housing.factories import new_worker

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1100, "height": 760}


def _need_browser() -> Any:
    """Playwright's async API, or a loud skip (a failure under CI)."""
    problem = None
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[test]')"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run: {problem}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {problem}")
    return async_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(park: factories.Park) -> Iterator[str]:
    """The app on a free port in a thread of this process, with its job runner (runs are real)."""
    import uvicorn

    from app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    async_playwright = _need_browser()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


async def _page(chromium: Any, viewport: dict[str, int], hosts: set[str]) -> Any:
    context = await chromium.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    page = await context.new_page()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or request.url))
    return page


async def _log_in(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", factories.PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")


async def _screenshot(page: Any, name: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name))


async def test_worker_sees_their_bed_on_a_phone(server: str, chromium: Any) -> None:
    hosts: set[str] = set()
    page = await _page(chromium, PHONE, hosts)
    await _log_in(page, server, "worker1")
    await page.wait_for_url(f"{server}/my")
    card = page.locator("#my-bed")
    assert "B01-101" in await card.inner_text()
    assert "1 号床" in await card.inner_text()
    # nothing wider than the phone: no sideways scrolling
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await _screenshot(page, "worker.png")
    assert hosts == {"127.0.0.1"}


async def test_hr_files_a_request_and_puts_a_worker_into_a_bed(
    server: str, chromium: Any, park: factories.Park
) -> None:
    man = new_worker(name="王磊", gender="male", id_number=factories.resident_id(date(1996, 4, 1), 51))
    await Worker.insert(Worker(**{**man, "firm_id": park.firm1}))
    hosts: set[str] = set()
    page = await _page(chromium, DESKTOP, hosts)
    await _log_in(page, server, "hr1")
    await page.wait_for_url(f"{server}/hr")
    await page.fill("input[name=male_beds]", "5")
    await page.click("#request button[type=submit]")
    await page.wait_for_url(f"{server}/hr?done=request")
    assert "申请已保存" in await page.locator(".notice").inner_text()
    assert await page.input_value("input[name=male_beds]") == "5"
    await _screenshot(page, "hr.png")
    await page.goto(f"{server}/hr/beds")
    form = page.locator("form.put-in-bed").first
    await form.locator("select[name=worker_id]").select_option(label="王磊（N001）")
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(f"{server}/hr/beds?done=bed")
    assert "王磊" in await page.locator(".units").inner_text()
    await _import_workers_with_one_bad_row_then_fixed(page, server)
    await _confirm_the_solver_s_bed_proposal(page, server)
    assert hosts == {"127.0.0.1"}


# --- pages-hr feature: HR imports a workers sheet (one bad row, then fixed) ---
async def _import_workers_with_one_bad_row_then_fixed(page: Any, server: str) -> None:
    """The clerk uploads a sheet with one bad ID number: the row's error, nothing written; fixed,
    the same sheet imports and the new workers are on the list."""
    from tests.housing.excel.helpers import workers_book

    def sheet(id_number: str) -> dict[str, Any]:
        good = ["赵敏", "女", factories.resident_id(date(2001, 3, 4), 62), "13700005555", "N201", None, "白班", "宿舍"]
        other = ["钱坤", "男", id_number, "13700006666", "N202", None, "夜班", "宿舍"]
        data = workers_book(good + [None, None], other + [None, None])
        return {"name": "员工.xlsx", "mimeType": "application/vnd.ms-excel", "buffer": data}

    before = await Worker.count()
    await page.goto(f"{server}/hr/workers")
    assert await page.get_attribute("#workers-template", "href") == "/api/workers/import-template"
    await page.set_input_files("#import-workers input[name=file]", files=[sheet("421002199807080000")])
    await page.click("#import-workers button[type=submit]")
    await page.wait_for_selector("#import-errors")
    assert "3\t身份证号" in await page.locator("#import-errors tbody").inner_text()
    assert await Worker.count() == before  # nothing written, not even the good row
    await page.set_input_files(
        "#import-workers input[name=file]", files=[sheet(factories.resident_id(date(1998, 7, 8), 63))]
    )
    await page.click("#import-workers button[type=submit]")
    await page.wait_for_url(f"{server}/hr/workers?done=imported&n=2")
    assert "已导入 2 名员工" in await page.locator(".notice").inner_text()
    listed = await page.locator("#workers").inner_text()
    assert "赵敏" in listed and "钱坤" in listed
    assert await Worker.count() == before + 2


async def _confirm_the_solver_s_bed_proposal(page: Any, server: str) -> None:
    """The bed board's "let the system assign beds": the proposal, then confirmed, then the bed."""
    await page.goto(f"{server}/hr/beds")
    await page.click("#propose-beds button[type=submit]")
    await page.wait_for_url(f"{server}/hr/beds/proposals/*", timeout=20_000)
    assert "钱坤" in await page.locator("#proposal-beds").inner_text()
    await page.click("#confirm-proposal button[type=submit]")
    await page.wait_for_url("**/hr/beds/proposals/*?done=confirmed")
    assert "方案已确认" in await page.locator(".notice").inner_text()
    await page.goto(f"{server}/hr/beds")
    assert "钱坤" in await page.locator(".units").inner_text()


# --- end pages-hr feature ---


async def test_staff_run_apply_room_map_and_invoice_sheet(server: str, chromium: Any, tmp_path: Path) -> None:
    hosts: set[str] = set()
    page = await _page(chromium, DESKTOP, hosts)
    await _log_in(page, server, "staff")
    await page.wait_for_url(f"{server}/staff")
    await _screenshot(page, "staff.png")
    await page.fill("#start-run input[name=time_limit_s]", "2")
    await page.click("#start-run button[type=submit]")
    await page.wait_for_url(f"{server}/staff/runs/*")
    # the page's script polls the progress fragment, then reloads with the review
    await page.wait_for_selector("#apply-link", timeout=30_000)
    assert "荆州华鑫电子科技有限公司" in await page.locator("#run-lines").inner_text()
    await page.click("#apply-link")
    assert "套房间签新租约" in await page.locator("#apply-summary").inner_text()
    await page.click("#apply-confirm")
    await page.wait_for_url("**/staff/runs/*?done=applied")
    await page.goto(f"{server}/staff/rooms")
    assert await page.locator(".room").count() == 4
    assert "1/4" in await page.locator("#building-B01").inner_text()
    await page.goto(f"{server}/staff/invoices")
    async with page.expect_download() as download_info:
        await page.click("#export-invoices")
    download = await download_info.value
    saved = tmp_path / "invoices.xlsx"
    await download.save_as(str(saved))
    assert download.suggested_filename.endswith(".xlsx")
    assert saved.read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    assert hosts == {"127.0.0.1"}


def test_screenshots_stay_small() -> None:
    for shot in SCREENSHOTS.glob("*.png") if SCREENSHOTS.exists() else []:
        assert shot.stat().st_size <= 150_000, shot


# --- staff console: trade-off curve and register import ---
async def test_staff_choose_a_point_on_the_curve_and_see_a_bad_register_row(
    server: str, chromium: Any, tmp_path: Path
) -> None:
    from tests.housing.excel.helpers import xlsx

    hosts: set[str] = set()
    page = await _page(chromium, DESKTOP, hosts)
    await _log_in(page, server, "staff")
    await page.wait_for_url(f"{server}/staff")
    await page.fill("#start-run input[name=time_limit_s]", "2")
    await page.check("#start-run input[name=tradeoff]")
    await page.fill("#start-run input[name=points]", "3")
    await page.click("#start-run button[type=submit]")
    await page.wait_for_url(f"{server}/staff/runs/*")
    await page.wait_for_selector("#curve svg", timeout=30_000)
    assert await page.locator("#curve svg circle").count() == 3
    box = await page.locator("#curve svg").bounding_box()
    assert box is not None and box["width"] > 300  # drawn, not blocked by the CSP
    if os.environ.get("CURVE_SCREENSHOT"):
        await page.screenshot(path=os.environ["CURVE_SCREENSHOT"], full_page=True)
    await page.locator("#curve-points tr[data-point='0'] button.choose-point").click()
    await page.wait_for_url("**/staff/runs/*?done=chosen")
    assert await page.locator("#curve svg circle.chosen").count() == 1
    await page.goto(f"{server}/staff/register")
    sheet = tmp_path / "register.xlsx"
    sheet.write_bytes(xlsx({"楼栋": [["楼栋编号", "楼栋名称", "层数", "性别限制"], ["B11", "十一号楼", "五", None]]}))
    await page.set_input_files("#register-import input[name=file]", str(sheet))
    await page.click("#register-import button[type=submit]")
    await page.wait_for_selector("#import-errors")
    assert "层数" in await page.locator("#import-errors").inner_text()
    assert hosts == {"127.0.0.1"}


# --- end staff console: trade-off curve and register import ---


# --- service tickets: a worker reports with a photo from a phone; staff read the weekly summary ---
async def test_worker_reports_a_problem_with_a_photo_and_staff_see_it_in_the_week(
    server: str, chromium: Any, tmp_path: Path
) -> None:
    from tests.housing.tickets.rows import PNG

    hosts: set[str] = set()
    page = await _page(chromium, PHONE, hosts)
    await _log_in(page, server, "worker1")
    await page.wait_for_url(f"{server}/my")
    await page.click(".tickets-link a[href='/tickets']")
    await page.select_option("#report select[name=category]", "repair")
    await page.fill("#report textarea[name=description]", "热水器不出热水")
    photo = tmp_path / "heater.png"
    photo.write_bytes(PNG)
    await page.set_input_files("#report input[name=photo]", str(photo))
    await page.click("#report button[type=submit]")
    await page.wait_for_url("**/tickets/*?done=reported")
    ticket_id = page.url.rsplit("/", 1)[1].split("?")[0]
    assert await page.locator("#photos img").count() == 1
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    staff = await _page(chromium, DESKTOP, hosts)
    await _log_in(staff, server, "staff")
    await staff.wait_for_url(f"{server}/staff")
    await staff.goto(f"{server}/staff/tickets")
    await staff.click("#weekly-page")
    await staff.wait_for_selector("#week-tickets")
    row = staff.locator(f"#week-tickets tr[data-ticket='{ticket_id}']")
    assert "报修" in await row.inner_text() and "B01-101" in await row.inner_text()
    assert await staff.locator("#week-summary svg").count() == 1
    assert hosts == {"127.0.0.1"}


# --- end service tickets ---

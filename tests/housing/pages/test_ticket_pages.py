"""The service-ticket pages without a browser: a worker reports through the form and follows
its ticket, staff walk it through sort/assign/start/resolve on the ticket page, the reporter
closes it with a rating; the API's rules (tenancy, legal steps, CSRF) show up as pages."""

from __future__ import annotations

import re
from typing import Any

from housing.leasing.tables import Lease
from housing.tickets.tables import Notification, Ticket, TicketPhoto
from tests.housing.pages.conftest import Browser, field_errors
from tests.housing.tickets.rows import JPEG, PDF, PNG

NEW_PAGES = ["/tickets", "/inbox"]


def location_id(response: Any) -> int:
    found = re.match(r"^/tickets/(\d+)\?done=reported$", response.headers["location"])
    assert found, response.headers.get("location")
    return int(found.group(1))


def no_inline_code(html: str) -> None:
    assert ' style="' not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


async def report_as_worker(browser: Browser, description: str = "卫生间水龙头漏水") -> int:
    await browser.log_in("worker1")
    await browser.get("/tickets")
    response = await browser.post("/tickets", {"category": "repair", "urgency": "urgent", "description": description})
    assert response.status_code == 303, response.text
    return location_id(response)


async def test_a_worker_reports_through_the_form_and_sees_the_ticket(browser: Browser) -> None:
    ticket_id = await report_as_worker(browser)
    row = await Ticket.select().where(Ticket.id == ticket_id).first()
    assert row is not None and row["unit_id"] == browser.park.units[0]  # the API filled in its room
    assert row["worker_id"] == browser.park.worker1 and row["state"] == "new"
    page = await browser.get(f"/tickets/{ticket_id}?done=reported")
    assert page.status_code == 200 and "卫生间水龙头漏水" in page.text and "已提交工单" in page.text
    assert 'data-step="' not in page.text  # a worker takes no step on a new ticket
    listing = (await browser.get("/tickets")).text
    assert f'data-ticket="{ticket_id}"' in listing
    # a worker sees only its own: hr1's seeded ticket is not in its list
    assert f'data-ticket="{browser.park.tickets.sorted}"' not in listing


async def test_a_blank_description_is_the_api_s_message_next_to_the_field(browser: Browser) -> None:
    await browser.log_in("worker1")
    before = await Ticket.count()
    response = await browser.post("/tickets", {"category": "repair", "description": ""})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "description" in field_errors(response.text)
    response = await browser.post("/tickets", {"category": "leak", "description": "x"})
    assert response.status_code == 422 and "category" in field_errors(response.text)
    assert await Ticket.count() == before


async def test_staff_walk_the_ticket_through_the_pages_and_the_reporter_closes_with_a_rating(
    browser: Browser,
) -> None:
    ticket_id = await report_as_worker(browser)
    browser.client.cookies.clear()
    browser.token = ""
    await browser.log_in("staff")
    page = (await browser.get(f"/tickets/{ticket_id}")).text
    assert 'data-step="sort"' in page
    # an illegal step answers the API's 409, worded on the ticket page
    refused = await browser.post(f"/tickets/{ticket_id}/start", {"note": ""})
    assert refused.status_code == 409 and "新提交" in refused.text
    no_inline_code(refused.text)
    steps = [
        ("sort", {"category": "repair", "severity": "ordinary", "note": "水管"}, "sorted"),
        ("assign", {"handler_account_id": str(browser.park.tickets.staff_account), "note": ""}, "assigned"),
        ("start", {"note": "上门"}, "in_progress"),
        ("resolve", {"resolution": "已更换水龙头"}, "resolved"),
    ]
    for action, form, state in steps:
        response = await browser.post(f"/tickets/{ticket_id}/{action}", form)
        assert response.status_code == 303, (action, response.text)
        assert response.headers["location"] == f"/tickets/{ticket_id}?done=step"
        row = await Ticket.select(Ticket.state).where(Ticket.id == ticket_id).first()
        assert row is not None and row["state"] == state, action
    page = (await browser.get(f"/tickets/{ticket_id}")).text
    assert "已更换水龙头" in page and 'data-step="close"' not in page  # staff did not report it

    browser.client.cookies.clear()
    browser.token = ""
    await browser.log_in("worker1")
    page = (await browser.get(f"/tickets/{ticket_id}")).text
    assert 'data-step="close"' in page and 'data-step="reopen"' in page
    bad = await browser.post(f"/tickets/{ticket_id}/close", {"rating": "6"})
    assert bad.status_code == 422 and "rating" in field_errors(bad.text)
    done = await browser.post(f"/tickets/{ticket_id}/close", {"rating": "4", "comment": "很快"})
    assert done.status_code == 303, done.text
    row = await Ticket.select(Ticket.state, Ticket.rating).where(Ticket.id == ticket_id).first()
    assert row == {"state": "closed", "rating": 4}
    page = (await browser.get(f"/tickets/{ticket_id}")).text
    assert "已办结" in page and "很快" in page
    # the history (ledger) shows every step
    history = page.split('id="history"', 1)[1]
    for action in ("sort", "assign", "start", "resolve", "close"):
        assert f"<td>{action}</td>" in history, action


async def test_a_worker_may_not_take_a_staff_step(browser: Browser) -> None:
    ticket_id = await report_as_worker(browser)
    response = await browser.post(f"/tickets/{ticket_id}/sort", {"severity": "ordinary"})
    assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
    row = await Ticket.select(Ticket.state).where(Ticket.id == ticket_id).first()
    assert row is not None and row["state"] == "new"


async def test_another_firm_s_ticket_is_the_404_page_for_hr(browser: Browser) -> None:
    await browser.log_in("hr2")
    for path in (f"/tickets/{browser.park.tickets.new}", f"/tickets/{browser.park.tickets.resolved}"):
        page = await browser.get(path)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "未找到该页面" in page.text
    refused = await browser.post(f"/tickets/{browser.park.tickets.resolved}/close", {"rating": "5"})
    assert refused.status_code == 404
    listing = (await browser.get("/tickets")).text
    assert f'data-ticket="{browser.park.tickets.new}"' not in listing


async def test_hr_sees_its_firm_s_tickets(browser: Browser) -> None:
    await browser.log_in("hr1")
    listing = (await browser.get("/tickets")).text
    for ticket_id in (browser.park.tickets.new, browser.park.tickets.sorted, browser.park.tickets.resolved):
        assert f'data-ticket="{ticket_id}"' in listing


async def test_posts_without_the_csrf_token_are_refused(browser: Browser) -> None:
    await browser.log_in("staff")
    before = await Ticket.count()
    response = await browser.post("/tickets", {"category": "repair", "description": "x"}, csrf=False)
    assert response.status_code == 403
    assert await Ticket.count() == before
    new = browser.park.tickets.new
    response = await browser.post(f"/tickets/{new}/sort", {"severity": "ordinary"}, csrf=False)
    assert response.status_code == 403
    row = await Ticket.select(Ticket.state).where(Ticket.id == new).first()
    assert row is not None and row["state"] == "new"


async def test_the_inbox_lists_and_marks_read(browser: Browser) -> None:
    note = browser.park.tickets.notice_hr1
    await browser.log_in("hr1")
    page = (await browser.get("/inbox")).text
    assert f'data-note="{note}"' in page and f'action="/inbox/{note}/read"' in page
    unread = int(re.search(r'id="unread">(\d+)<', page).group(1))  # type: ignore[union-attr]
    assert unread >= 1
    response = await browser.post(f"/inbox/{note}/read", {})
    assert response.status_code == 303 and response.headers["location"] == "/inbox?done=read"
    row = await Notification.select(Notification.read_at).where(Notification.id == note).first()
    assert row is not None and row["read_at"] is not None
    page = (await browser.get("/inbox")).text
    assert int(re.search(r'id="unread">(\d+)<', page).group(1)) == unread - 1  # type: ignore[union-attr]
    # another's message is not mine to mark
    browser.client.cookies.clear()
    browser.token = ""
    await browser.log_in("worker1")
    assert (await browser.post(f"/inbox/{note}/read", {})).status_code == 404


async def test_the_staff_board_shows_new_due_and_the_month_report(browser: Browser) -> None:
    await browser.log_in("staff")
    page = await browser.get("/staff/tickets")
    assert page.status_code == 200
    html = page.text
    new_section = html.split('id="board-new"', 1)[1].split("</section>", 1)[0]
    assert f'data-ticket="{browser.park.tickets.new}"' in new_section
    assert f'data-ticket="{browser.park.tickets.sorted}"' not in new_section
    assert "<svg" in html and 'class="chart-bar"' in html
    link = re.search(r'href="(/api/ticket-reports/weekly\.xlsx\?week=[^"]+)"', html)
    assert link
    sheet = await browser.get(link.group(1))
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert (await browser.get("/staff/tickets?month=2026-13")).status_code == 422


async def test_every_new_page_renders_under_the_csp_in_both_languages(browser: Browser) -> None:
    for role, extra in (("worker1", []), ("hr1", []), ("staff", ["/staff/tickets"])):
        browser.client.cookies.clear()
        browser.token = ""
        await browser.log_in(role)
        for path in [*NEW_PAGES, f"/tickets/{browser.park.tickets.new}", *extra]:
            for lang in ("zh", "en"):
                page = await browser.get(f"{path}?lang={lang}")
                assert page.status_code == 200, (role, path)
                assert "script-src 'self'" in page.headers["content-security-policy"]
                no_inline_code(page.text)
        home = (await browser.get({"worker1": "/my", "hr1": "/hr", "staff": "/staff"}[role])).text
        assert 'href="/tickets"' in home and 'href="/inbox"' in home


# --- photos, pick lists and the weekly summary (issue 12's last page gaps) ---


async def test_a_worker_reports_with_a_photo_and_a_bad_file_leaves_nothing(browser: Browser) -> None:
    await browser.log_in("worker1")
    await browser.get("/tickets")
    before = await Ticket.count()
    bad = await browser.post(
        "/tickets",
        {"category": "repair", "description": "热水器不热"},
        files={"photo": ("heater.png", PDF, "image/png")},  # a PDF named .png: judged by its bytes
    )
    assert bad.status_code == 415 and "photo" in field_errors(bad.text)
    assert await Ticket.count() == before  # the photo is checked before the ticket is written
    good = await browser.post(
        "/tickets",
        {"category": "repair", "description": "热水器不热"},
        files={"photo": ("heater.png", PNG, "image/png")},
    )
    ticket_id = location_id(good)
    assert await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket_id) == 1
    page = (await browser.get(f"/tickets/{ticket_id}")).text
    assert f'src="/api/tickets/{ticket_id}/photos/1"' in page
    photo = await browser.client.get(f"/api/tickets/{ticket_id}/photos/1")
    assert photo.status_code == 200 and photo.content == PNG
    # an untouched file input sends an empty part: a report without a photo
    plain = await browser.post(
        "/tickets",
        {"category": "dorm", "description": "门锁坏了"},
        files={"photo": ("", b"", "application/octet-stream")},
    )
    assert await TicketPhoto.count().where(TicketPhoto.ticket_id == location_id(plain)) == 0


async def test_photos_are_added_on_the_ticket_page_by_those_who_see_it(browser: Browser) -> None:
    ticket = browser.park.tickets.sorted  # hr1 reported it
    await browser.log_in("hr1")
    page = (await browser.get(f"/tickets/{ticket}")).text
    assert 'id="photo-form"' in page
    added = await browser.post(f"/tickets/{ticket}/photos", {}, files={"photo": ("a.jpg", JPEG, "image/jpeg")})
    assert added.status_code == 303 and added.headers["location"] == f"/tickets/{ticket}?done=photo"
    assert await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket) == 1
    refused = await browser.post(f"/tickets/{ticket}/photos", {}, files={"photo": ("a.pdf", PDF, "application/pdf")})
    assert refused.status_code == 415 and "photo" in field_errors(refused.text)
    missing = await browser.post(f"/tickets/{ticket}/photos", {})
    assert missing.status_code in (415, 422)
    no_token = await browser.post(
        f"/tickets/{ticket}/photos", {}, csrf=False, files={"photo": ("a.jpg", JPEG, "image/jpeg")}
    )
    assert no_token.status_code == 403
    assert await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket) == 1
    browser.client.cookies.clear()
    browser.token = ""
    await browser.log_in("hr2")
    other = await browser.post(f"/tickets/{ticket}/photos", {}, files={"photo": ("a.jpg", JPEG, "image/jpeg")})
    assert other.status_code == 404
    assert await TicketPhoto.count().where(TicketPhoto.ticket_id == ticket) == 1


async def test_the_assign_form_offers_staff_and_departments_by_name(browser: Browser) -> None:
    rows = browser.park.tickets
    await browser.log_in("staff")
    page = (await browser.get(f"/tickets/{rows.sorted}")).text
    form = page.split('data-step="assign"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{rows.staff_account}"' in form and ">staff<" in form
    assert f'<option value="{rows.department}"' in form and "维修一组" in form
    assert f'<option value="{rows.hr1_account}"' not in form  # HR is no handler
    response = await browser.post(f"/tickets/{rows.sorted}/assign", {"department_id": str(rows.department)})
    assert response.status_code == 303
    row = await Ticket.select(Ticket.state, Ticket.department_id).where(Ticket.id == rows.sorted).first()
    assert row == {"state": "assigned", "department_id": rows.department}


async def test_hr_picks_one_of_its_leased_units_when_reporting(browser: Browser) -> None:
    await browser.log_in("hr1")
    page = (await browser.get("/tickets")).text
    select = page.split('id="report-unit"', 1)[1].split("</select>", 1)[0]
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select)}
    leased = {
        r["unit_id"]
        for r in await Lease.select(Lease.unit_id).where(Lease.firm_id == browser.park.firm1)
        if r["unit_id"] is not None
    }
    assert offered and offered <= leased
    others = {r["unit_id"] for r in await Lease.select(Lease.unit_id).where(Lease.firm_id != browser.park.firm1)}
    assert not offered & others
    unit = min(offered)
    response = await browser.post("/tickets", {"category": "repair", "description": "空调漏水", "unit_id": str(unit)})
    row = await Ticket.select(Ticket.unit_id, Ticket.firm_id).where(Ticket.id == location_id(response)).first()
    assert row == {"unit_id": unit, "firm_id": browser.park.firm1}


async def test_the_weekly_summary_page_shows_the_week_s_tickets_and_figures(browser: Browser) -> None:
    rows = browser.park.tickets
    await browser.log_in("staff")
    board = (await browser.get("/staff/tickets")).text
    week = re.search(r'href="/staff/tickets/weekly\?week=(\d{4}-W\d{2})" id="weekly-page"', board)
    assert week, "the board links this week's summary"
    page = await browser.get(f"/staff/tickets/weekly?week={week.group(1)}")
    assert page.status_code == 200
    no_inline_code(page.text)
    listed = {int(i) for i in re.findall(r'<tr data-ticket="(\d+)">', page.text)}
    received = {r["id"] for r in await Ticket.select(Ticket.id)}  # the seeded tickets were all reported now
    assert listed == received
    repair = re.search(r'<tr data-category="repair"><td>[^<]*</td><td>(\d+)</td>', page.text)
    assert repair and int(repair.group(1)) == await Ticket.count().where(Ticket.category == "repair")
    assert "<svg" in page.text and f"weekly.xlsx?week={week.group(1)}" in page.text
    empty = (await browser.get("/staff/tickets/weekly?week=2020-W01")).text
    assert "<tr data-ticket=" not in empty and 'href="/staff/tickets/weekly?week=2019-W52"' in empty
    for bad in ("2027-W99", "2027-W53"):  # no 99th week; 2027 has 52
        refused = await browser.get(f"/staff/tickets/weekly?week={bad}")
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html"), bad
    english = (await browser.get(f"/staff/tickets/weekly?week={week.group(1)}&lang=en")).text
    assert "Weekly ticket summary" in english
    assert rows.new in listed

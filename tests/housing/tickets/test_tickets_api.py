"""Reporting, tenancy and the loop through the API, with the clock moved by hand."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from housing.leasing.tables import BedAssignment
from housing.tickets.tables import Ticket, TicketEvent
from housing.web.tables import AuditEntry
from tests.housing.conftest import Api
from tests.housing.tickets.conftest import MovableClock
from tests.housing.tickets.rows import JPEG, PDF, PNG


async def report(api: Api, role: str, **body: Any) -> dict[str, Any]:
    response = await api.post(role, "/api/tickets", json={"category": "repair", "description": "热水器坏了", **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def act(api: Api, role: str, ticket_id: int, action: str, body: dict[str, Any] | None = None) -> Any:
    return await api.post(role, f"/api/tickets/{ticket_id}/{action}", json=body or {})


async def to_resolved(api: Api, ticket_id: int) -> None:
    t = api.park.tickets  # type: ignore[attr-defined]
    assert (await act(api, "staff", ticket_id, "sort", {"severity": "ordinary"})).status_code == 200
    assert (await act(api, "staff", ticket_id, "assign", {"department_id": t.department})).status_code == 200
    assert (await act(api, "staff", ticket_id, "start", {"note": "已到现场"})).status_code == 200
    assert (await act(api, "staff", ticket_id, "resolve", {"resolution": "更换加热管"})).status_code == 200


async def test_a_worker_reports_for_its_own_room_and_the_unit_is_filled_in(tapi: Api) -> None:
    ticket = await report(tapi, "worker1")
    assert ticket["unit_id"] == tapi.park.units[0] and ticket["unit"] == "B01-101"
    assert ticket["firm_id"] == tapi.park.firm1 and ticket["worker_id"] == tapi.park.worker1
    assert ticket["state"] == "new" and ticket["history"][0]["to_state"] == "new"
    refused = await tapi.post(
        "worker1", "/api/tickets", json={"category": "repair", "description": "x", "unit_id": tapi.park.units[1]}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "unit_id"


async def test_a_worker_without_a_bed_reports_a_general_matter(tapi: Api, clock: MovableClock) -> None:
    await BedAssignment.update({BedAssignment.ends_on: clock.now.date() - timedelta(days=2)}).where(
        BedAssignment.id == tapi.park.bed1
    )
    ticket = await report(tapi, "worker1", category="canteen")
    assert ticket["unit_id"] is None and ticket["category"] == "canteen"


async def test_hr_reports_for_units_its_firm_leases_now_and_never_chooses_the_firm(tapi: Api) -> None:
    ok = await report(tapi, "hr1", unit_id=tapi.park.units[0])
    assert ok["unit_id"] == tapi.park.units[0] and ok["firm_id"] == tapi.park.firm1
    general = await report(tapi, "hr2", category="subsidy")
    assert general["firm_id"] == tapi.park.firm2 and general["unit_id"] is None
    not_theirs = await tapi.post(
        "hr2", "/api/tickets", json={"category": "repair", "description": "x", "unit_id": tapi.park.units[0]}
    )
    assert not_theirs.status_code == 422 and not_theirs.json()["errors"][0]["field"] == "unit_id"
    # firm 2's lease starts in a year: not leased *now*
    future = await tapi.post(
        "hr2", "/api/tickets", json={"category": "repair", "description": "x", "unit_id": tapi.park.units[3]}
    )
    assert future.status_code == 422
    chose = await tapi.post(
        "hr1", "/api/tickets", json={"category": "repair", "description": "x", "firm_id": tapi.park.firm2}
    )
    assert chose.status_code == 422 and chose.json()["errors"][0]["field"] == "firm_id"


async def test_staff_reports_for_anyone(tapi: Api) -> None:
    ticket = await report(tapi, "staff", worker_id=tapi.park.firm2_worker)
    assert ticket["firm_id"] == tapi.park.firm2 and ticket["worker_id"] == tapi.park.firm2_worker
    bad = await tapi.post("staff", "/api/tickets", json={"category": "repair", "description": "x", "unit_id": 999999})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "unit_id"


async def test_bad_input_names_the_field_and_writes_nothing(tapi: Api) -> None:
    before = await Ticket.count()
    for body, field in [
        ({"category": "plumbing", "description": "x"}, "category"),
        ({"category": "repair", "description": ""}, "description"),
        ({"category": "repair", "description": "   "}, "description"),
        ({"category": "repair", "description": "x", "urgency": "now"}, "urgency"),
    ]:
        response = await tapi.post("hr1", "/api/tickets", json=body)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, response.text
    assert await Ticket.count() == before


async def test_tenancy_worker_sees_its_own_hr_its_firms_staff_all(tapi: Api) -> None:
    mine = await report(tapi, "worker1")
    firm2 = await report(tapi, "hr2")
    ids = {
        role: {t["id"] for t in (await tapi.get(role, "/api/tickets?limit=500")).json()["items"]}
        for role in ("staff", "hr1", "hr2", "worker1")
    }
    reporters = await Ticket.select(Ticket.reporter_account_id).where(Ticket.id.is_in(list(ids["worker1"])))
    assert mine["id"] in ids["worker1"]
    assert {r["reporter_account_id"] for r in reporters} == {tapi.park.worker1_account}
    assert mine["id"] in ids["hr1"] and firm2["id"] not in ids["hr1"]
    assert ids["hr2"] == {firm2["id"]}
    assert ids["staff"] >= ids["hr1"] | ids["hr2"]
    # hr1's tickets are not the worker's: 404, the same as a missing one
    t = tapi.park.tickets  # type: ignore[attr-defined]
    assert (await tapi.get("worker1", f"/api/tickets/{t.sorted}")).status_code == 404
    assert (await tapi.get("hr2", f"/api/tickets/{mine['id']}")).status_code == 404


async def test_the_whole_loop_is_recorded_in_the_ledger(tapi: Api, clock: MovableClock) -> None:
    ticket = await report(tapi, "hr1")
    await to_resolved(tapi, ticket["id"])
    clock.move(hours=2)
    closed = await act(tapi, "hr1", ticket["id"], "close", {"rating": 4, "comment": "很及时"})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["state"] == "closed" and body["rating"] == 4 and body["rating_comment"] == "很及时"
    steps = [(e["action"], e["from_state"], e["to_state"], e["actor"]) for e in body["history"]]
    assert steps == [
        ("report", "", "new", "hr1"),
        ("sort", "new", "sorted", "staff"),
        ("assign", "sorted", "assigned", "staff"),
        ("start", "assigned", "in_progress", "staff"),
        ("resolve", "in_progress", "resolved", "staff"),
        ("close", "resolved", "closed", "hr1"),
    ]
    assert body["due_at"].endswith("+08:00")  # shown in park time
    reported, due = datetime.fromisoformat(body["reported_at"]), datetime.fromisoformat(body["due_at"])
    assert due - reported == timedelta(hours=24)
    audited = await AuditEntry.select(AuditEntry.action, AuditEntry.username).where(
        (AuditEntry.table_name == "ticket") & (AuditEntry.row_id == ticket["id"])
    )
    assert [a["action"] for a in audited] == ["create", "sort", "assign", "start", "resolve", "close"]


async def test_illegal_transitions_answer_409_naming_the_state(tapi: Api) -> None:
    ticket = await report(tapi, "hr1")
    closing_new = await act(tapi, "hr1", ticket["id"], "close", {"rating": 5})
    assert closing_new.status_code == 409
    assert "新提交" in closing_new.json()["detail"]
    english = await tapi.post(
        "staff", f"/api/tickets/{ticket['id']}/resolve", json={"resolution": "x"}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 409 and "new" in english.json()["detail"]
    assert (await act(tapi, "staff", ticket["id"], "start")).status_code == 409


async def test_a_wrong_role_gets_403(tapi: Api) -> None:
    ticket = await report(tapi, "worker1")
    assert (await act(tapi, "worker1", ticket["id"], "sort", {"severity": "ordinary"})).status_code == 403
    t = tapi.park.tickets  # type: ignore[attr-defined]
    assign = await act(tapi, "worker1", t.sorted, "assign", {"department_id": t.department})
    assert assign.status_code == 403
    assert (await act(tapi, "hr1", t.sorted, "assign", {"department_id": t.department})).status_code == 403
    # staff can see a resolved ticket but did not report it
    assert (await act(tapi, "staff", t.resolved, "close", {"rating": 5})).status_code == 403


async def test_rating_twice_is_409(tapi: Api) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    assert (await act(tapi, "hr1", t.resolved, "close", {"rating": 5})).status_code == 200
    again = await act(tapi, "hr1", t.resolved, "close", {"rating": 1})
    assert again.status_code == 409
    assert (await Ticket.select(Ticket.rating).where(Ticket.id == t.resolved).first())["rating"] == 5
    assert (await act(tapi, "hr1", t.resolved, "close", {"rating": 6})).status_code == 422


async def test_reassigning_keeps_the_clock(tapi: Api, clock: MovableClock) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    ticket = await report(tapi, "hr1")
    due = ticket["due_at"]
    await act(tapi, "staff", ticket["id"], "sort", {"severity": "ordinary"})
    await act(tapi, "staff", ticket["id"], "assign", {"department_id": t.department})
    clock.move(hours=10)
    plain = await act(tapi, "staff", ticket["id"], "assign", {"handler_account_id": t.staff_account})
    assert plain.status_code == 409  # already assigned: say reassign
    moved = await act(tapi, "staff", ticket["id"], "assign", {"handler_account_id": t.staff_account, "reassign": True})
    assert moved.status_code == 200 and moved.json()["due_at"] == due
    assert moved.json()["handler_account_id"] == t.staff_account


async def test_a_major_ticket_gets_its_stated_deadline_and_the_reporter_is_told(tapi: Api, clock: MovableClock) -> None:
    ticket = await report(tapi, "hr1")
    missing = await act(tapi, "staff", ticket["id"], "sort", {"severity": "major"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "due_at"
    due = (clock.now + timedelta(days=10)).isoformat()
    sorted_ = await act(tapi, "staff", ticket["id"], "sort", {"severity": "major", "due_at": due})
    assert sorted_.status_code == 200
    body = sorted_.json()
    assert body["severity"] == "major"
    assert datetime.fromisoformat(body["due_at"]) == clock.now + timedelta(days=10)
    assert datetime.fromisoformat(body["warn_at"]) == clock.now + timedelta(days=8)
    inbox = (await tapi.get("hr1", "/api/notifications?unread=true")).json()["items"]
    assert any(n["ticket_id"] == ticket["id"] and n["kind"] == "ticket_due" for n in inbox)
    past = await act(tapi, "staff", ticket["id"], "sort", {"severity": "major", "due_at": clock.now.isoformat()})
    assert past.status_code == 422


async def test_reopen_within_7_days_same_handler_and_refused_after(tapi: Api, clock: MovableClock) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    ticket = await report(tapi, "hr1")
    await to_resolved(tapi, ticket["id"])
    clock.move(days=6, hours=23)
    reopened = await act(tapi, "hr1", ticket["id"], "reopen", {"note": "又不出热水了"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "in_progress" and reopened.json()["department_id"] == t.department
    await act(tapi, "staff", ticket["id"], "resolve", {"resolution": "再次维修"})
    clock.move(days=7)
    late = await act(tapi, "hr1", ticket["id"], "reopen", {"note": "还是坏"})
    assert late.status_code == 409
    assert "7" in late.json()["detail"]


async def test_concurrent_assigns_one_wins(tapi: Api) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    await tapi.token("staff")
    headers = await tapi.headers("staff")
    tapi.client.cookies.clear()

    async def assign(body: dict[str, Any]) -> int:
        response = await tapi.client.post(f"/api/tickets/{t.sorted}/assign", json=body, headers=headers)
        return int(response.status_code)

    statuses = await asyncio.gather(
        assign({"department_id": t.department}), assign({"handler_account_id": t.staff_account})
    )
    assert sorted(statuses) == [200, 409]
    events = await TicketEvent.count().where((TicketEvent.ticket_id == t.sorted) & (TicketEvent.action == "assign"))
    assert events == 1


async def test_photos_images_only_for_those_who_see_the_ticket(tapi: Api) -> None:
    ticket = await report(tapi, "worker1")
    path = f"/api/tickets/{ticket['id']}/photos"
    png = await tapi.post("worker1", path, files={"photo": ("heater.png", PNG, "image/png")})
    assert png.status_code == 201 and png.json()["n"] == 1 and png.json()["media_type"] == "image/png"
    jpeg = await tapi.post("hr1", path, files={"photo": ("a.jpg", JPEG, "image/jpeg")})
    assert jpeg.status_code == 201 and jpeg.json()["n"] == 2
    pdf = await tapi.post("worker1", path, files={"photo": ("heater.png", PDF, "image/png")})
    assert pdf.status_code == 415 and pdf.json()["errors"][0]["field"] == "photo"
    junk = await tapi.post("worker1", path, files={"photo": ("x.png", b"MZ\x90junk", "image/png")})
    assert junk.status_code == 415
    missing = await tapi.post("worker1", path, files={"other": ("x.png", PNG, "image/png")})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "photo"
    assert (await tapi.post("hr2", path, files={"photo": ("x.png", PNG, "image/png")})).status_code == 404
    first = await tapi.get("staff", f"{path}/1")
    assert first.status_code == 200 and first.content == PNG and first.headers["content-type"] == "image/png"
    assert (await tapi.get("hr2", f"{path}/1")).status_code == 404
    assert (await tapi.get("worker1", f"{path}/3")).status_code == 404
    detail = (await tapi.get("worker1", f"/api/tickets/{ticket['id']}")).json()
    assert detail["photos"] == 2

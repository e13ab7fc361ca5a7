"""The scheduler pass with a moved clock: the 80 % warning, overdue, auto-close, the outbox —
exactly once, across restarts, and never inside a request."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from housing.tickets.escalation import escalate
from housing.tickets.notifications import OutboundMessage
from housing.tickets.tables import Escalation, Notification, Outbox, Ticket
from tests.housing.conftest import Api
from tests.housing.tickets.conftest import MovableClock, make_app
from tests.housing.tickets.test_tickets_api import act, report, to_resolved


class Recording:
    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("SMS gateway down")
        self.sent.append(message)


async def assigned_ticket(api: Api) -> dict[str, Any]:
    t = api.park.tickets  # type: ignore[attr-defined]
    ticket = await report(api, "hr1")
    await act(api, "staff", ticket["id"], "sort", {"severity": "ordinary"})
    await act(api, "staff", ticket["id"], "assign", {"department_id": t.department})
    return ticket


async def supervisor_notices(api: Api, ticket_id: int) -> list[str]:
    t = api.park.tickets  # type: ignore[attr-defined]
    rows = await Notification.select(Notification.kind).where(
        (Notification.account_id == t.staff_account) & (Notification.ticket_id == ticket_id)
    )
    return sorted(r["kind"] for r in rows)


async def test_warning_at_80_percent_then_overdue_each_once(tapi: Api, clock: MovableClock) -> None:
    ticket = await assigned_ticket(tapi)
    start = clock.now
    await escalate(start + timedelta(hours=19, minutes=11))
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned"]
    done = await escalate(start + timedelta(hours=19, minutes=12))
    assert done["warning"] >= 1
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned", "ticket_warning"]
    clock.move(hours=20)
    soon = (await tapi.get("staff", "/api/tickets?due=soon")).json()["items"]
    assert ticket["id"] in {x["id"] for x in soon}
    await escalate(start + timedelta(hours=23))  # again: nothing new
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned", "ticket_warning"]
    await escalate(start + timedelta(hours=24))
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned", "ticket_overdue", "ticket_warning"]
    row = await Ticket.select(Ticket.is_overdue, Ticket.state).where(Ticket.id == ticket["id"]).first()
    assert row == {"is_overdue": True, "state": "assigned"}  # a flag, not a state
    clock.move(hours=5)
    board = (await tapi.get("staff", "/api/tickets?due=overdue")).json()["items"]
    assert ticket["id"] in {x["id"] for x in board}
    detail = (await tapi.get("hr1", f"/api/tickets/{ticket['id']}")).json()
    assert detail["is_overdue"] is True and detail["escalations"] == ["warning", "overdue"]
    # the supervisor's inbox shows it
    inbox = (await tapi.get("staff", "/api/notifications?unread=true&limit=500")).json()["items"]
    assert any(n["kind"] == "ticket_overdue" and n["ticket_id"] == ticket["id"] for n in inbox)


async def test_a_pass_after_a_restart_catches_up_and_a_fresh_app_sends_nothing_twice(
    tapi: Api, clock: MovableClock
) -> None:
    ticket = await assigned_ticket(tapi)
    start = clock.now
    await escalate(start + timedelta(hours=20))  # the warning went out, then the process stopped
    clock.move(hours=30)
    # a fresh app (a restarted process) runs its first pass on start-up, twice at once for good measure
    async with AsyncTestClient(app=make_app(clock)):
        await asyncio.gather(escalate(clock.now), escalate(clock.now))
    await escalate(clock.now)
    kinds = await Escalation.select(Escalation.kind).where(Escalation.ticket_id == ticket["id"])
    assert sorted(k["kind"] for k in kinds) == ["overdue", "warning"]
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned", "ticket_overdue", "ticket_warning"]
    outbox = await Outbox.count().where(Outbox.message.like("%#" + str(ticket["id"]) + " %"))
    assert outbox == 3  # assigned, warning, overdue: one send each


async def test_a_pass_that_missed_both_moments_sends_both_once(tapi: Api, clock: MovableClock) -> None:
    ticket = await assigned_ticket(tapi)
    await escalate(clock.now + timedelta(days=3))
    await escalate(clock.now + timedelta(days=4))
    assert await supervisor_notices(tapi, ticket["id"]) == ["ticket_assigned", "ticket_overdue", "ticket_warning"]


async def test_an_unassigned_late_ticket_is_flagged_on_the_board(tapi: Api, clock: MovableClock) -> None:
    ticket = await report(tapi, "worker1")
    await escalate(clock.now + timedelta(hours=25))
    clock.move(hours=25)
    board = (await tapi.get("staff", "/api/tickets?due=overdue&state=new")).json()["items"]
    assert ticket["id"] in {x["id"] for x in board}
    assert (await tapi.get("worker1", f"/api/tickets/{ticket['id']}")).json()["is_overdue"] is True


async def test_a_resolved_ticket_closes_by_itself_after_7_days_unrated(tapi: Api, clock: MovableClock) -> None:
    ticket = await report(tapi, "hr1")
    await to_resolved(tapi, ticket["id"])
    await escalate(clock.now + timedelta(days=6, hours=23))
    assert (await Ticket.select(Ticket.state).where(Ticket.id == ticket["id"]).first())["state"] == "resolved"
    await escalate(clock.now + timedelta(days=7))
    clock.move(days=7)
    body = (await tapi.get("hr1", f"/api/tickets/{ticket['id']}")).json()
    assert body["state"] == "closed" and body["rating"] is None and body["auto_closed"] is True
    assert body["history"][-1]["actor"] == "system" and body["history"][-1]["to_state"] == "closed"
    assert (await act(tapi, "hr1", ticket["id"], "reopen", {})).status_code == 409
    await escalate(clock.now + timedelta(days=1))
    closes = [e for e in (await tapi.get("hr1", f"/api/tickets/{ticket['id']}")).json()["history"]]
    assert sum(e["action"] == "auto_close" for e in closes) == 1


async def test_a_failing_channel_never_breaks_the_request_and_is_retried(tapi: Api, clock: MovableClock) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    channel = Recording(fail=1)
    tapi.client.app.state.outbound = channel
    ticket = await report(tapi, "hr1")
    await act(tapi, "staff", ticket["id"], "sort", {"severity": "ordinary"})
    response = await act(tapi, "staff", ticket["id"], "assign", {"handler_account_id": t.staff_account})
    assert response.status_code == 200  # the request only queued the message
    pending = await Outbox.select(Outbox.id).where(Outbox.status == "pending")
    assert pending

    first = await escalate(clock.now, channel)
    assert first["failed"] == 1 and first["sent"] == 0
    row = await Outbox.select().where(Outbox.id == pending[0]["id"]).first()
    assert row["status"] == "pending" and row["attempts"] == 1 and "gateway" in row["last_error"]
    # not before its back-off
    again = await escalate(clock.now + timedelta(seconds=30), channel)
    assert again["sent"] == 0 and again["failed"] == 0
    later = await escalate(clock.now + timedelta(minutes=2), channel)
    assert later["sent"] >= 1 and not channel.fail
    row = await Outbox.select().where(Outbox.id == pending[0]["id"]).first()
    assert row["status"] == "sent" and row["attempts"] == 2
    assert len({m.outbox_id for m in channel.sent}) == len(channel.sent)  # none sent twice


@pytest.mark.parametrize("attempts", [8])
async def test_a_send_is_given_up_after_its_last_attempt(tapi: Api, clock: MovableClock, attempts: int) -> None:
    ticket = await report(tapi, "hr1")
    await to_resolved(tapi, ticket["id"])  # notifies the reporter
    queued = [r["id"] for r in await Outbox.select(Outbox.id)]
    channel = Recording(fail=10_000)
    moment = clock.now
    for _ in range(attempts + 2):
        moment += timedelta(hours=2)
        await escalate(moment, channel)
    rows = await Outbox.select(Outbox.status, Outbox.attempts).where(Outbox.id.is_in(queued))
    assert rows and all(r == {"status": "failed", "attempts": attempts} for r in rows)


async def test_the_inbox_is_ones_own_with_an_unread_count(tapi: Api) -> None:
    t = tapi.park.tickets  # type: ignore[attr-defined]
    assert (await tapi.get("hr1", "/api/notifications/unread-count")).json() == {"unread": 1}
    assert (await tapi.get("hr2", "/api/notifications")).json()["items"] == []
    assert (await tapi.post("hr2", f"/api/notifications/{t.notice_hr1}/read")).status_code == 404
    read = await tapi.post("hr1", f"/api/notifications/{t.notice_hr1}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await tapi.get("hr1", "/api/notifications/unread-count")).json() == {"unread": 0}


async def test_the_pass_runs_in_the_server_process_only_where_jobs_run(park: object, clock: MovableClock) -> None:
    import dataclasses

    from app import create_app
    from housing.settings import Settings

    with_jobs = create_app(settings=dataclasses.replace(Settings.from_env(), run_jobs=True), clock=clock)
    async with AsyncTestClient(app=with_jobs):
        task = with_jobs.state.ticket_scheduler.task
        assert task is not None and not task.done()
    assert task.done()  # stopped with the app
    without = make_app(clock)
    async with AsyncTestClient(app=without):
        assert getattr(without.state, "ticket_scheduler", None) is None

"""The scheduler pass: escalate tickets nearing or past their deadline, close confirmed-by-
silence tickets, and deliver queued outbound messages.

`escalate(now)` is a plain async function: the in-process scheduler calls it every minute
(started with the app when `RUN_JOBS` is on, beside the job runner), tests call it directly
with a moved clock. Its state lives only in the database:

- each escalation is a row unique per (ticket, kind) — `warning` at 80 % of the time,
  `overdue` at the deadline — inserted with `ON CONFLICT DO NOTHING` in the same transaction
  as its notifications, so a restart, two passes at once or two processes never notify twice,
  and a pass after a restart catches up on everything that came due meanwhile;
- the overdue flag is set on the ticket in that transaction too;
- a resolved ticket the reporter did not confirm within 7 days is closed by a conditional
  UPDATE (`… WHERE state = 'resolved'`), unrated, with a history row by "system".

Who is told: the department's supervisor when the ticket is assigned to a department, else its
handler; an unassigned ticket has nobody to tell yet and shows on the staff board
(`GET /api/tickets?due=soon|overdue`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from litestar import Litestar

from housing.tickets import deadlines
from housing.tickets.notifications import LogChannel, OutboundChannel, deliver, notify
from housing.tickets.tables import Escalation, Ticket, TicketEvent
from housing.web import audit
from housing.web.clock import Clock, as_datetime
from housing.web.db import write_transaction

log = logging.getLogger("housing.tickets")

PASS_EVERY_S = 60.0
BATCH = 200

_CLAIM = (
    "INSERT INTO escalation (ticket_id, kind, at, notified_account_id) VALUES ({}, {}, {}, {}) "
    "ON CONFLICT (ticket_id, kind) DO NOTHING RETURNING id"
)


async def _recipient(ticket: dict[str, Any]) -> int | None:
    return ticket["supervisor_account_id"] or ticket["handler_account_id"]


async def _escalate_one(ticket: dict[str, Any], kind: str, now: datetime) -> bool:
    """One escalation, exactly once: the unique row, the flag and the notice (inside the
    batch's transaction, so they land together or not at all)."""
    from housing.tickets.tickets import bilingual, local_text

    told = await _recipient(ticket)
    claimed = await Escalation.raw(_CLAIM, ticket["id"], kind, now, told)
    if not claimed:  # another pass or process got there first
        return False
    if kind == "overdue":
        await Ticket.update({Ticket.is_overdue: True}).where(Ticket.id == ticket["id"])
    if told is not None:
        key = "notice_ticket_warning" if kind == "warning" else "notice_ticket_overdue"
        due = local_text(as_datetime(ticket["due_at"]))
        await notify(told, f"ticket_{kind}", bilingual(key, id=ticket["id"], due=due), now, ticket["id"])
    await audit.record_system(
        now, "ticket", ticket["id"], f"escalate_{kind}", after={"escalation": kind, "notified_account_id": told}
    )
    return True


async def _escalate_batch(batch: list[dict[str, Any]], kind: str, now: datetime) -> int:
    """A batch in one transaction (in ticket order, so two processes lock rows in the same order)."""
    done = 0
    async with write_transaction():
        for ticket in batch:
            done += await _escalate_one(ticket, kind, now)
    return done


async def _due(kind: str, now: datetime) -> list[dict[str, Any]]:
    """Open tickets past their warning (or deadline) with no escalation of that kind yet."""
    moment = Ticket.warn_at if kind == "warning" else Ticket.due_at
    done = Escalation.select(Escalation.ticket_id).where(Escalation.kind == kind)
    return await (  # type: ignore[no-any-return]
        Ticket.select(
            Ticket.id,
            Ticket.due_at,
            Ticket.handler_account_id,
            Ticket.department_id.supervisor_account_id.as_alias("supervisor_account_id"),
        )
        .where(Ticket.state.is_in(list(deadlines.OPEN_STATES)) & (moment <= now) & Ticket.id.not_in(done))
        .order_by(Ticket.id)
        .limit(BATCH)
    )


async def _auto_close(now: datetime) -> int:
    from housing.tickets.tickets import bilingual

    closed = 0
    cutoff = now - deadlines.CONFIRM_WINDOW
    rows = await (
        Ticket.select(Ticket.id, Ticket.reporter_account_id, Ticket.resolved_at)
        .where((Ticket.state == "resolved") & (Ticket.resolved_at <= cutoff))
        .order_by(Ticket.id)
        .limit(BATCH)
    )
    for row in rows:
        if not deadlines.closes_by_itself("resolved", as_datetime(row["resolved_at"]), now):
            continue
        async with write_transaction():
            updated = await (
                Ticket.update({Ticket.state: "closed", Ticket.closed_at: now, Ticket.auto_closed: True})
                .where((Ticket.id == row["id"]) & (Ticket.state == "resolved"))
                .returning(Ticket.id)
            )
            if not updated:
                continue
            await TicketEvent.insert(
                TicketEvent(
                    ticket_id=row["id"],
                    at=now,
                    account_id=None,
                    actor=audit.SYSTEM,
                    action="auto_close",
                    from_state="resolved",
                    to_state="closed",
                    note="7 天未确认，自动办结 / not confirmed within 7 days, closed unrated",
                )
            )
            await notify(
                row["reporter_account_id"],
                "ticket_auto_closed",
                bilingual("notice_ticket_auto_closed", id=row["id"]),
                now,
                row["id"],
            )
            await audit.record_system(
                now, "ticket", row["id"], "auto_close", before={"state": "resolved"}, after={"state": "closed"}
            )
        closed += 1
    return closed


async def escalate(now: datetime, channel: OutboundChannel | None = None) -> dict[str, int]:
    """One pass; safe to run twice, concurrently, or after any gap. Returns what it did."""
    done = {"warning": 0, "overdue": 0, "auto_closed": 0}
    for kind in ("warning", "overdue"):
        while True:
            batch = await _due(kind, now)
            if batch:
                done[kind] += await _escalate_batch(batch, kind, now)
            if len(batch) < BATCH:
                break
    done["auto_closed"] = await _auto_close(now)
    delivered = await deliver(channel or LogChannel(), now)
    return {**done, **delivered}


class Scheduler:
    """The in-process periodic task: one pass a minute, for as long as the app runs."""

    def __init__(self, clock: Clock, every_s: float = PASS_EVERY_S) -> None:
        self.clock = clock
        self.every_s = every_s
        self.task: asyncio.Task[None] | None = None
        self.stopping: asyncio.Event | None = None

    def start(self, app: Litestar) -> None:
        self.stopping = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._loop(app, self.stopping))

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let a pass that is under way finish (a pass cut in the middle of a database call
        leaves its connection's thread answering a closed event loop), then end the loop."""
        if self.task is None or self.stopping is None:
            return
        self.stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), grace_s)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.task = None

    async def _loop(self, app: Litestar, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await escalate(self.clock(), getattr(app.state, "outbound", None))
            except Exception:  # the loop must outlive a database hiccup
                log.exception("ticket escalation pass")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.every_s)


async def start_scheduler(app: Litestar) -> None:
    """On start-up, where background work runs (`RUN_JOBS`): the first pass catches up at once."""
    if app.state.settings.run_jobs:
        scheduler = Scheduler(app.state.clock)
        app.state.ticket_scheduler = scheduler
        scheduler.start(app)


async def stop_scheduler(app: Litestar) -> None:
    scheduler = getattr(app.state, "ticket_scheduler", None)
    if scheduler is not None:
        await scheduler.stop()

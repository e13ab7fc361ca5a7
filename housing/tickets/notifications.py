"""Notifications: an in-app inbox per account, and an outbound channel (SMS, WeChat …).

`notify(...)` is called inside the caller's write transaction: it writes the inbox message and
queues the same text in the outbox, so a notification exists exactly when the write that
caused it does. Nothing is sent during a request: the scheduler pass (`deliver`) takes due
outbox rows one at a time, claims each with a conditional UPDATE (safe with several
processes), sends it on the channel outside any transaction, and on failure retries later with
a growing back-off, giving up after `MAX_ATTEMPTS`. A slow or broken SMS gateway therefore
never slows or breaks a request.

The channel is pluggable (`OutboundChannel`: one `send` coroutine); the default writes to the
log. A deployment sets `app.state.outbound` to an SMS or WeChat channel.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import msgspec
from litestar import Controller, Request, get, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery

from housing.tickets.deadlines import MAX_ATTEMPTS, next_attempt
from housing.tickets.tables import Notification, Outbox
from housing.web import resource
from housing.web.access import EVERYONE, Viewer, allow, viewer_of
from housing.web.clock import as_datetime
from housing.web.db import write_transaction
from housing.web.resource import PageDep, PathId, Row

log = logging.getLogger("housing.notifications")

CLAIM_FOR = timedelta(minutes=5)  # a claimed send not finished by then is tried again


class OutboundMessage(msgspec.Struct):
    account_id: int
    message: str
    outbox_id: int


class OutboundChannel(Protocol):
    async def send(self, message: OutboundMessage) -> None:
        """Deliver or raise; a raise means "try again later"."""


class LogChannel:
    """The default channel: the message goes to the log (no gateway needed to run the park)."""

    async def send(self, message: OutboundMessage) -> None:
        log.info("notify account %s: %s", message.account_id, message.message)


async def notify(account_id: int, kind: str, message: str, now: datetime, ticket_id: int | None = None) -> int:
    """An inbox message and its outbound copy; call inside the write's transaction."""
    inserted = await Notification.insert(
        Notification(account_id=account_id, ticket_id=ticket_id, kind=kind, message=message[:500], created_at=now)
    )
    notification_id = int(inserted[0]["id"])
    await Outbox.insert(
        Outbox(
            notification_id=notification_id,
            account_id=account_id,
            message=message[:500],
            next_attempt_at=now,
            created_at=now,
        )
    )
    return notification_id


_CLAIM = (
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = {} "
    "WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT 1) AND status = 'pending' AND next_attempt_at <= {} "
    "RETURNING id, account_id, message, attempts"
)


async def _claim(now: datetime) -> dict[str, Any] | None:
    """The oldest due pending send, claimed in one statement: its next attempt is pushed out
    first, so a second process (or a pass that dies mid-send) leaves it alone until the claim
    runs out. When two processes pick the same row, the second finds it no longer due and
    looks again."""
    for _ in range(10):
        # a read first: a pass with nothing to send writes nothing (and takes no write lock)
        if not await Outbox.exists().where((Outbox.status == "pending") & (Outbox.next_attempt_at <= now)):
            return None
        rows = await Outbox.raw(_CLAIM, now + CLAIM_FOR, now, now)
        if rows:
            return rows[0]  # type: ignore[no-any-return]
    return None


async def deliver(channel: OutboundChannel, now: datetime, limit: int = 500) -> dict[str, int]:
    """Send what is due, one claimed row at a time; failures are rescheduled, never raised."""
    sent = failed = 0
    for _ in range(limit):
        row = await _claim(now)
        if row is None:
            break
        try:
            await channel.send(
                OutboundMessage(account_id=row["account_id"], message=row["message"], outbox_id=row["id"])
            )
        except Exception as error:  # the gateway's problem must not stop the pass
            failed += 1
            gave_up = row["attempts"] >= MAX_ATTEMPTS
            log.warning("outbound send %s failed (attempt %s): %s", row["id"], row["attempts"], error)
            await Outbox.update(
                {
                    Outbox.status: "failed" if gave_up else "pending",
                    Outbox.next_attempt_at: next_attempt(row["attempts"], now),
                    Outbox.last_error: f"{type(error).__name__}: {error}"[:500],
                }
            ).where(Outbox.id == row["id"])
            continue
        sent += 1
        await Outbox.update({Outbox.status: "sent", Outbox.sent_at: now}).where(Outbox.id == row["id"])
    return {"sent": sent, "failed": failed}


# --- the inbox API ---


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    message: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


class UnreadOut(msgspec.Struct):
    unread: int


class ReadAllOut(msgspec.Struct):
    marked: int


def to_out(row: Row, viewer: Viewer) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        message=row["message"],
        ticket_id=row["ticket_id"],
        created_at=as_datetime(row["created_at"]),
        read_at=as_datetime(row["read_at"]) if row["read_at"] is not None else None,
    )


INBOX = resource.Resource(
    table=Notification,
    columns=[
        Notification.id,
        Notification.kind,
        Notification.message,
        Notification.ticket_id,
        Notification.created_at,
        Notification.read_at,
    ],
    to_out=to_out,
    scope=lambda viewer: Notification.account_id == viewer.account_id,  # own inbox only, every role
)


async def unread_count(account_id: int) -> int:
    return int(
        await Notification.count().where((Notification.account_id == account_id) & Notification.read_at.is_null())
    )


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications · 消息"]

    @get("/", opt=allow(EVERYONE))
    async def list_notifications(
        self, request: Request[Any, Any, Any], page: PageDep, unread: FromQuery[bool | None] = None
    ) -> OffsetPagination[NotificationOut]:
        """The caller's own inbox, oldest first; `unread=true` for the unread ones."""
        filters = [Notification.read_at.is_null()] if unread else []
        return await resource.list_page(INBOX, viewer_of(request), page, filters)

    @get("/unread-count", opt=allow(EVERYONE))
    async def unread(self, request: Request[Any, Any, Any]) -> UnreadOut:
        """How many of the caller's messages are unread (the badge on the bell)."""
        return UnreadOut(unread=await unread_count(viewer_of(request).account_id))

    @post("/{notification_id:int}/read", status_code=200, opt=allow(EVERYONE, own_account=True))
    async def mark_read(self, request: Request[Any, Any, Any], notification_id: PathId) -> NotificationOut:
        """Mark one of the caller's messages read (reading twice changes nothing)."""
        viewer = viewer_of(request)
        async with write_transaction():
            row = await resource.fetch_row(INBOX, viewer, notification_id)
            if row["read_at"] is None:
                await Notification.update({Notification.read_at: viewer.now}).where(
                    (Notification.id == notification_id) & (Notification.account_id == viewer.account_id)
                )
        return await resource.fetch(INBOX, viewer, notification_id)

    @post("/read-all", status_code=200, opt=allow(EVERYONE, own_account=True))
    async def mark_all_read(self, request: Request[Any, Any, Any]) -> ReadAllOut:
        viewer = viewer_of(request)
        async with write_transaction():
            rows = await (
                Notification.update({Notification.read_at: viewer.now})
                .where((Notification.account_id == viewer.account_id) & Notification.read_at.is_null())
                .returning(Notification.id)
            )
        return ReadAllOut(marked=len(rows))

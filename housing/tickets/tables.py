"""Service tickets' tables: the ticket, its history (the ledger), photos, escalations, the
inbox and outbox of notifications, and the quarterly satisfaction surveys.

What must never happen twice is the database's job (unique indexes made in a raw migration of
their own, on both engines): one escalation per ticket and kind — so a restart or a second
process never notifies twice — and one survey answer per firm and survey.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from housing.register.tables import Account, Department, Firm, Unit, Worker


class Ticket(Table):
    """A problem reported by a worker, HR or staff. `state` walks new → sorted → assigned →
    in_progress → resolved → closed; `due_at` and `warn_at` (80 % of the time) are fixed when it
    is reported (ordinary: 24 h) or sorted as major, and reassigning never moves them."""

    id: Serial
    reporter_account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=True, index=True)
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=True, index=True)
    unit_id = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=True)
    category = Varchar(length=16)  # repair | dorm | canteen | subsidy | other
    urgency = Varchar(length=8, default="normal")  # normal | urgent
    description = Text()
    state = Varchar(length=12, default="new", index=True)
    severity = Varchar(length=8, default="ordinary")  # ordinary | major
    reported_at = Timestamptz()
    warn_at = Timestamptz()
    due_at = Timestamptz(index=True)
    is_overdue = Boolean(default=False)
    handler_account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True, index=True)
    department_id = ForeignKey(references=Department, on_delete=OnDelete.restrict, null=True, index=True)
    assigned_at = Timestamptz(null=True, default=None)  # the first assignment (response time)
    resolved_at = Timestamptz(null=True, default=None)  # the latest resolution
    closed_at = Timestamptz(null=True, default=None)
    resolution = Text(default="")
    rating = Integer(null=True, default=None)
    rating_comment = Varchar(length=500, default="")
    auto_closed = Boolean(default=False)


class TicketEvent(Table):
    """One step of a ticket's history: who, when, from which state to which, and a note."""

    id: Serial
    ticket_id = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, null=False, index=True)
    at = Timestamptz()
    account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True)  # null: the system
    actor = Varchar(length=150)
    action = Varchar(length=16)
    from_state = Varchar(length=12, default="")
    to_state = Varchar(length=12)
    note = Text(default="")


class TicketPhoto(Table):
    id: Serial
    ticket_id = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, null=False, index=True)
    token = Varchar(length=64)
    media_type = Varchar(length=32)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_at = Timestamptz()
    account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)


class Escalation(Table):
    """An escalation that happened: `warning` at 80 % of the time, `overdue` at the deadline.
    Unique per (ticket, kind): the row is the proof it was sent."""

    id: Serial
    ticket_id = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, null=False, index=True)
    kind = Varchar(length=8)
    at = Timestamptz()
    notified_account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=True)


class Notification(Table):
    """One message in an account's in-app inbox."""

    id: Serial
    account_id = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False, index=True)
    ticket_id = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, null=True)
    kind = Varchar(length=24)
    message = Varchar(length=500)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class Outbox(Table):
    """A message to send on the outbound channel (SMS, WeChat; a log by default), queued in the
    same transaction as its notification and delivered by the scheduler pass with retries."""

    id: Serial
    notification_id = ForeignKey(references=Notification, on_delete=OnDelete.cascade, null=False, index=True)
    account_id = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    message = Varchar(length=500)
    status = Varchar(length=8, default="pending", index=True)  # pending | sent | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class Survey(Table):
    """A quarter's satisfaction survey (`2027-Q1`), open until staff close it."""

    id: Serial
    quarter = Varchar(length=7, unique=True)
    status = Varchar(length=8, default="open")  # open | closed
    opened_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)


class SurveyAnswer(Table):
    """A firm's one answer to a survey: the park's service rated 1–5 in four areas."""

    id: Serial
    survey_id = ForeignKey(references=Survey, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False)
    housing = Integer()
    canteen = Integer()
    repairs = Integer()
    subsidies = Integer()
    comment = Varchar(length=500, default="")
    answered_at = Timestamptz()

"""The tickets of the small park: one in each state of the loop, a department, a photo, an
unread notice and two surveys — what the role × route matrix needs to find."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from housing.register.tables import Account, Department
from housing.settings import Settings
from housing.tickets import deadlines
from housing.tickets.tables import Notification, Survey, Ticket, TicketEvent, TicketPhoto
from housing.web import uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@dataclass
class TicketRows:
    department: int
    staff_account: int
    hr1_account: int
    new: int  # reported by worker1 for its room (firm 1)
    sorted: int  # reported by hr1
    assigned: int
    in_progress: int
    resolved: int  # reported by hr1, resolved an hour ago
    notice_hr1: int  # an unread notice in hr1's inbox
    survey_open: int
    survey_closed: int


async def _account(username: str) -> int:
    row = await Account.select(Account.id).where(Account.user_id.username == username).first()
    assert row is not None
    return int(row["id"])


async def ticket_rows(park: Any) -> TicketRows:
    now = datetime.now(UTC)
    staff, hr1, worker1 = await _account("staff"), await _account("hr1"), await _account("worker1")
    department = (await Department.insert(Department(name="维修一组", supervisor_account_id=staff)))[0]["id"]

    async def ticket(state: str, reporter: int, **extra: Any) -> int:
        due = deadlines.ordinary_due(now)
        values: dict[str, Any] = {
            "reporter_account_id": reporter,
            "firm_id": park.firm1,
            "category": "repair",
            "description": f"示例工单（{state}）",
            "state": state,
            "reported_at": now,
            "due_at": due,
            "warn_at": deadlines.warning_at(now, due),
            **extra,
        }
        if state in ("assigned", "in_progress", "resolved"):
            values |= {"handler_account_id": staff, "department_id": department, "assigned_at": now}
        ticket_id = int((await Ticket.insert(Ticket(**values)))[0]["id"])
        await TicketEvent.insert(
            TicketEvent(ticket_id=ticket_id, at=now, actor="seed", action="report", from_state="", to_state=state)
        )
        return ticket_id

    new = await ticket("new", worker1, worker_id=park.worker1, unit_id=park.units[0])
    rows = TicketRows(
        department=department,
        staff_account=staff,
        hr1_account=hr1,
        new=new,
        sorted=await ticket("sorted", hr1),
        assigned=await ticket("assigned", hr1),
        in_progress=await ticket("in_progress", hr1),
        resolved=await ticket("resolved", hr1, resolved_at=now - timedelta(hours=1), resolution="已更换"),
        notice_hr1=int(
            (
                await Notification.insert(
                    Notification(account_id=hr1, kind="ticket_resolved", message="工单已处理", created_at=now)
                )
            )[0]["id"]
        ),
        survey_open=int((await Survey.insert(Survey(quarter="2020-Q1", opened_at=now)))[0]["id"]),
        survey_closed=int(
            (await Survey.insert(Survey(quarter="2019-Q4", status="closed", opened_at=now, closed_at=now)))[0]["id"]
        ),
    )
    stored = uploads.store(Settings.from_env().upload_dir, "ticket-photos", PNG, "photo")
    await TicketPhoto.insert(
        TicketPhoto(
            ticket_id=new,
            token=stored.token,
            media_type=stored.media_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_at=now,
            account_id=worker1,
        )
    )
    return rows

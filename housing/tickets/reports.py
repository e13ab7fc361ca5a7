"""Ticket reports: the monthly review per category, the weekly summary as .xlsx, a firm's ledger.

A report covers the tickets *received* in its period (reported within the park's calendar
month or ISO week, Asia/Shanghai), counted as they stand when the report is asked for:

- `received`: tickets reported in the period;
- `closed`: of those, the ones now closed (confirmed by the reporter or closed by themselves);
- `closed_on_time`: closed tickets whose (last) resolution came no later than their deadline;
- `overdue`: tickets that missed their deadline — resolved after it, or still unresolved past it;
- `median_hours_to_close`, `p90_hours_to_close`: hours from report to close over the closed
  tickets (the median of the middle two when even; p90 by nearest rank: the ⌈0.9·n⌉-th
  smallest); null when none closed;
- `response_rate` = tickets assigned within the first 80 % of their time (first assignment at
  or before the warning time) ÷ received;
- `resolution_rate` = closed ÷ received;
- `satisfaction_rate` = ratings of 4 or 5 ÷ ratings given (tickets closed by themselves carry
  no rating and do not count); null when nobody rated.

Rates are fractions 0–1 to four decimals, null when their denominator is 0. The functions
below are pure (plain rows in, numbers out) so a test works an example by hand.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.pagination import OffsetPagination
from litestar.params import QueryParameter

from housing.excel.sheets import XLSX, Column, Sheet, workbook, xlsx_response
from housing.tickets import deadlines
from housing.tickets.tables import Ticket, TicketEvent
from housing.tickets.tickets import TICKETS, EventOut, TicketOut, _local
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, as_datetime, park_day_start
from housing.web.problems import invalid
from housing.web.resource import PageDep

MONTH_PATTERN = r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$"
WEEK_PATTERN = r"^(19|20|21)\d\d-W(0[1-9]|[1-4]\d|5[0-3])$"
CATEGORIES = ("repair", "dorm", "canteen", "subsidy", "other")
CATEGORY_ZH = {
    "repair": "维修",
    "dorm": "宿舍管理",
    "canteen": "食堂",
    "subsidy": "补贴",
    "other": "其他",
    "all": "合计",
}


@dataclass(frozen=True)
class Facts:
    """What a report needs of one ticket."""

    category: str
    state: str
    reported_at: datetime
    warn_at: datetime
    due_at: datetime
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None


class CategoryStats(msgspec.Struct):
    category: str
    received: int
    closed: int
    closed_on_time: int
    overdue: int
    median_hours_to_close: float | None
    p90_hours_to_close: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None


class MonthReport(msgspec.Struct):
    month: str
    categories: list[CategoryStats]
    total: CategoryStats


class WeekTicket(msgspec.Struct):
    """One line of the weekly summary's detail: what a park office reads out at its weekly meeting."""

    id: int
    category: str
    firm_name: str
    unit: str
    state: str
    reported_at: datetime
    due_at: datetime
    closed_at: datetime | None
    missed_deadline: bool
    rating: int | None


class WeekReport(msgspec.Struct):
    week: str
    first_day: date
    last_day: date
    categories: list[CategoryStats]
    total: CategoryStats
    tickets: list[WeekTicket]


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def missed_deadline(t: Facts, now: datetime) -> bool:
    if t.resolved_at is not None and t.state in ("resolved", "closed"):
        return t.resolved_at > t.due_at
    return deadlines.is_overdue(t.state, t.due_at, now)


def stats(category: str, tickets: Iterable[Facts], now: datetime) -> CategoryStats:
    rows = list(tickets)
    closed = [t for t in rows if t.state == "closed"]
    hours = [(t.closed_at - t.reported_at).total_seconds() / 3600 for t in closed if t.closed_at is not None]
    ratings = [t.rating for t in rows if t.rating is not None]
    responded = [t for t in rows if t.assigned_at is not None and t.assigned_at <= t.warn_at]
    median = statistics.median(hours) if hours else None
    top = p90(hours)
    return CategoryStats(
        category=category,
        received=len(rows),
        closed=len(closed),
        closed_on_time=sum(deadlines.on_time(t.resolved_at, t.due_at) for t in closed),
        overdue=sum(missed_deadline(t, now) for t in rows),
        median_hours_to_close=None if median is None else round(median, 1),
        p90_hours_to_close=None if top is None else round(top, 1),
        response_rate=rate(len(responded), len(rows)),
        resolution_rate=rate(len(closed), len(rows)),
        satisfaction_rate=rate(sum(r >= 4 for r in ratings), len(ratings)),
    )


def by_category(tickets: Sequence[Facts], now: datetime) -> tuple[list[CategoryStats], CategoryStats]:
    per = [stats(c, [t for t in tickets if t.category == c], now) for c in CATEGORIES]
    return per, stats("all", tickets, now)


def month_range(month: str) -> tuple[datetime, datetime]:
    """The park month's first instant and the next month's, in UTC."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return park_day_start(first), park_day_start(following)


def week_of(moment: datetime) -> str:
    """The park's ISO week of an instant, as `2027-W10`."""
    year, number, _ = moment.astimezone(PARK_TZ).isocalendar()
    return f"{year}-W{number:02d}"


def shift_week(week: str, weeks: int) -> str:
    """The ISO week `weeks` before (negative) or after this one."""
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + timedelta(weeks=weeks)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def week_range(week: str) -> tuple[datetime, datetime]:
    """An ISO week (Monday to Sunday, park days) as UTC instants."""
    year, number = int(week[:4]), int(week[6:])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise invalid("week", "week_invalid") from None
    return park_day_start(monday), park_day_start(monday + timedelta(days=7))


FACT_COLUMNS = [
    Ticket.id,
    Ticket.category,
    Ticket.state,
    Ticket.reported_at,
    Ticket.warn_at,
    Ticket.due_at,
    Ticket.assigned_at,
    Ticket.resolved_at,
    Ticket.closed_at,
    Ticket.rating,
]


def _opt(value: Any) -> datetime | None:
    return None if value is None else as_datetime(value)


def facts_of(row: dict[str, Any]) -> Facts:
    return Facts(
        category=row["category"],
        state=row["state"],
        reported_at=as_datetime(row["reported_at"]),
        warn_at=as_datetime(row["warn_at"]),
        due_at=as_datetime(row["due_at"]),
        assigned_at=_opt(row["assigned_at"]),
        resolved_at=_opt(row["resolved_at"]),
        closed_at=_opt(row["closed_at"]),
        rating=row["rating"],
    )


async def received_between(start: datetime, end: datetime, extra: list[Any] | None = None) -> list[dict[str, Any]]:
    return await (  # type: ignore[no-any-return]
        Ticket.select(*FACT_COLUMNS, *(extra or []))
        .where((Ticket.reported_at >= start) & (Ticket.reported_at < end))
        .order_by(Ticket.id)
    )


async def month_report(month: str, now: datetime) -> MonthReport:
    start, end = month_range(month)
    facts = [facts_of(r) for r in await received_between(start, end)]
    per, total = by_category(facts, now)
    return MonthReport(month=month, categories=per, total=total)


SUMMARY_COLUMNS = [
    Column("类别", 10),
    Column("受理数", 8),
    Column("办结数", 8),
    Column("按期办结数", 10),
    Column("超期数", 8),
    Column("办结时长中位数（小时）", 20),
    Column("办结时长P90（小时）", 18),
    Column("响应率", 8),
    Column("解决率", 8),
    Column("满意率", 8),
]
DETAIL_COLUMNS = [
    Column("工单号", 8),
    Column("类别", 10),
    Column("企业", 30),
    Column("房间", 10),
    Column("状态", 8),
    Column("提交时间", 18),
    Column("办理期限", 18),
    Column("办结时间", 18),
    Column("是否超期", 8),
    Column("评分", 6),
]
STATE_ZH = {
    "new": "新提交",
    "sorted": "已分类",
    "assigned": "已交办",
    "in_progress": "处理中",
    "resolved": "已解决",
    "closed": "已办结",
}


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M")


def _summary_row(s: CategoryStats) -> list[Any]:
    return [
        CATEGORY_ZH.get(s.category, s.category),
        s.received,
        s.closed,
        s.closed_on_time,
        s.overdue,
        s.median_hours_to_close,
        s.p90_hours_to_close,
        s.response_rate,
        s.resolution_rate,
        s.satisfaction_rate,
    ]


async def week_report(week: str, now: datetime) -> WeekReport:
    """The weekly summary (周报): per category, and each ticket received that week — the page
    and the .xlsx read the same figures."""
    start, end = week_range(week)
    rows = await received_between(
        start,
        end,
        [
            Ticket.firm_id.name.as_alias("firm_name"),
            Ticket.unit_id.number.as_alias("unit_number"),
            Ticket.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
        ],
    )
    facts = [facts_of(r) for r in rows]
    per, total = by_category(facts, now)
    tickets = [
        WeekTicket(
            id=r["id"],
            category=f.category,
            firm_name=r["firm_name"] or "",
            unit=f"{r['building_code']}-{r['unit_number']}" if r["unit_number"] else "",
            state=f.state,
            reported_at=f.reported_at,
            due_at=f.due_at,
            closed_at=f.closed_at,
            missed_deadline=missed_deadline(f, now),
            rating=f.rating,
        )
        for r, f in zip(rows, facts, strict=True)
    ]
    first = start.astimezone(PARK_TZ).date()
    return WeekReport(week, first, first + timedelta(days=6), per, total, tickets)


async def weekly_workbook(week: str, now: datetime) -> bytes:
    report = await week_report(week, now)
    summary = Sheet("汇总", SUMMARY_COLUMNS, [_summary_row(s) for s in [*report.categories, report.total]])
    detail = Sheet(
        "明细",
        DETAIL_COLUMNS,
        [
            [
                t.id,
                CATEGORY_ZH.get(t.category, t.category),
                t.firm_name,
                t.unit,
                STATE_ZH.get(t.state, t.state),
                _when(t.reported_at),
                _when(t.due_at),
                _when(t.closed_at),
                "是" if t.missed_deadline else "否",
                t.rating,
            ]
            for t in report.tickets
        ],
    )
    return await workbook([summary, detail])


async def ledger(viewer: Viewer, page: resource.Page, firm_id: int | None) -> OffsetPagination[TicketOut]:
    """A firm's tickets, each with its whole history (HR: its own firm; staff: any, or all)."""
    filters = [] if viewer.is_hr else [resource.equals(Ticket.firm_id, firm_id)]
    result = await resource.list_page(TICKETS, viewer, page, filters)
    ids = [t.id for t in result.items]
    events = await (
        TicketEvent.select(
            TicketEvent.ticket_id,
            TicketEvent.at,
            TicketEvent.actor,
            TicketEvent.action,
            TicketEvent.from_state,
            TicketEvent.to_state,
            TicketEvent.note,
        )
        .where(TicketEvent.ticket_id.is_in(ids or [0]))
        .order_by(TicketEvent.id)
    )
    history: dict[int, list[EventOut]] = {i: [] for i in ids}
    for e in events:
        ticket_id = e.pop("ticket_id")
        history[ticket_id].append(EventOut(**{**e, "at": _local(e["at"])}))
    for ticket in result.items:
        ticket.history = history[ticket.id]
    return result


class TicketReportController(Controller):
    path = "/ticket-reports"
    tags = ["ticket reports · 工单统计"]

    @get("/", opt=allow(STAFF))
    async def monthly(
        self,
        request: Request[Any, Any, Any],
        month: Annotated[str, QueryParameter(pattern=MONTH_PATTERN, description="YYYY-MM (park month)")],
    ) -> MonthReport:
        """The month's review per category: received, closed, on time, overdue, hours to close,
        and the response, resolution and satisfaction rates (fractions 0–1)."""
        return await month_report(month, viewer_of(request).now)

    @get("/weekly.xlsx", opt=allow(STAFF), media_type=XLSX)
    async def weekly(
        self,
        request: Request[Any, Any, Any],
        week: Annotated[str, QueryParameter(pattern=WEEK_PATTERN, description="ISO week, e.g. 2027-W10")],
    ) -> Response[bytes]:
        """The week's summary per category and its tickets, as an .xlsx with Chinese headers."""
        data = await weekly_workbook(week, viewer_of(request).now)
        return xlsx_response(data, f"工单周报-{week}.xlsx")

    @get("/ledger", opt=allow(STAFF_HR))
    async def firm_ledger(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        firm_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only")] = None,
    ) -> OffsetPagination[TicketOut]:
        """The firm's ledger (台账): its tickets with every step; HR sees its own firm's."""
        return await ledger(viewer_of(request), page, firm_id)

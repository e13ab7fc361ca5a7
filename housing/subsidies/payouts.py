"""Monthly rental subsidy payouts (`/api/subsidy-payouts`): staff pay a month that has ended.

`POST /api/subsidy-payouts/run {"month": "2027-01"}` makes one payment per approved
application for the month, for its eligible days (`eligibility.py`) at the policies in force
on those days (`money.py`), in one transaction. Only a month that has ended in the park
(Asia/Shanghai, by the app's clock) can be paid. Running a month again pays nothing twice — the
database keeps one payment per application and month — and pays what is missing (an
application approved since, for days from its submission), naming what was already paid.

Staff see every payment and download a month as .xlsx for the finance office; HR sees its own
firm's (the worker's firm when paid); a worker its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.billing.money import MONTH_PATTERN, month_bounds
from housing.excel.sheets import XLSX, Column, Sheet, workbook, xlsx_response
from housing.leasing.tables import BedAssignment
from housing.subsidies import eligibility, money
from housing.subsidies.policies import lock_subsidy_money, policies_between
from housing.subsidies.tables import ApplicationStatus, RentalSubsidyApplication, RentalSubsidyPayout
from housing.web import audit, resource
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, as_date, as_datetime, park_day
from housing.web.db import json_value, write_transaction
from housing.web.problems import FieldError, Problem, unique_field
from housing.web.resource import PageDep, Row

Month = Annotated[str, msgspec.Meta(pattern=MONTH_PATTERN, description="YYYY-MM")]
INSERT_BATCH = 1000


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    month: Month


class SegmentOut(msgspec.Struct):
    policy_id: int
    days: int
    monthly_amount_fen: Decimal  # exact: min(rent × share, cap), before proration and rounding


class PayoutOut(msgspec.Struct):
    id: int
    month: str
    application_id: int
    worker_id: int
    worker_name: str
    employee_no: str
    firm_id: int
    firm_name: str
    days: int
    days_in_month: int
    monthly_rent_fen: int
    amount_fen: int
    segments: list[SegmentOut]
    paid_at: datetime


class AlreadyPaid(msgspec.Struct):
    application_id: int
    worker_id: int
    payout_id: int


class NothingDue(msgspec.Struct):
    application_id: int
    worker_id: int


class RunResult(msgspec.Struct):
    month: str
    created: list[PayoutOut]
    already_paid: list[AlreadyPaid]
    nothing_due: list[NothingDue]  # approved, but no eligible day in the month
    total_fen: int


def _segments(value: Any) -> list[SegmentOut]:
    items = json_value(value)
    return [
        SegmentOut(policy_id=s["policy_id"], days=s["days"], monthly_amount_fen=Decimal(s["monthly_amount_fen"]))
        for s in items or []
    ]


def to_out(row: Row, viewer: Viewer) -> PayoutOut:
    return PayoutOut(
        id=row["id"],
        month=row["month"],
        application_id=row["application_id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        employee_no=row["employee_no"],
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        days=row["days"],
        days_in_month=row["days_in_month"],
        monthly_rent_fen=row["monthly_rent_fen"],
        amount_fen=row["amount_fen"],
        segments=_segments(row["segments"]),
        paid_at=as_datetime(row["paid_at"]),
    )


def scope(viewer: Viewer) -> Combinable | None:
    """Staff: every payment; HR: its firm's; a worker: its own."""
    if viewer.is_staff:
        return None
    if viewer.is_hr:
        return RentalSubsidyPayout.firm_id == viewer.firm_id
    return RentalSubsidyPayout.worker_id == viewer.worker_id


PAYOUTS = resource.Resource(
    table=RentalSubsidyPayout,
    columns=[
        RentalSubsidyPayout.id,
        RentalSubsidyPayout.month,
        RentalSubsidyPayout.application_id,
        RentalSubsidyPayout.worker_id,
        RentalSubsidyPayout.worker_id.name.as_alias("worker_name"),
        RentalSubsidyPayout.worker_id.employee_no.as_alias("employee_no"),
        RentalSubsidyPayout.firm_id,
        RentalSubsidyPayout.firm_id.name.as_alias("firm_name"),
        RentalSubsidyPayout.days,
        RentalSubsidyPayout.days_in_month,
        RentalSubsidyPayout.monthly_rent_fen,
        RentalSubsidyPayout.amount_fen,
        RentalSubsidyPayout.segments,
        RentalSubsidyPayout.paid_at,
    ],
    to_out=to_out,
    scope=scope,
)

# Two runs at once cannot both pay (they also wait for each other: `lock_subsidy_money`).
unique_field(
    ("rental_subsidy_payout_application_month_key", "rental_subsidy_payout.month"), "month", "duplicate_no_value"
)


def check_month_ended(month: str, today: date) -> None:
    """A month is paid once it is over in the park: from the 1st of the next month."""
    _, last = month_bounds(month)
    if today <= last:
        pay_from = (last + timedelta(days=1)).isoformat()
        raise Problem(
            409,
            "rental_month_not_ended",
            errors=[FieldError("month", "rental_month_not_ended", {"month": month, "pay_from": pay_from})],
            month=month,
            pay_from=pay_from,
        )


def _ever_approved() -> Combinable:
    """Approved, or approved and later withdrawn (only approval sets `decided_at` on an
    application that can still be withdrawn)."""
    approved = RentalSubsidyApplication.status == ApplicationStatus.approved.value
    withdrawn = (RentalSubsidyApplication.status == ApplicationStatus.withdrawn.value) & (
        RentalSubsidyApplication.decided_at.is_not_null()
    )
    return approved | withdrawn  # type: ignore[return-value]


async def _applications(first: date, last: date) -> list[Row]:
    """Applications that may earn something in [first, last]: ever approved, lease and
    submission and withdrawal compatible with the month."""
    return await (  # type: ignore[no-any-return]
        RentalSubsidyApplication.select(
            RentalSubsidyApplication.id,
            RentalSubsidyApplication.worker_id,
            RentalSubsidyApplication.worker_id.firm_id.as_alias("firm_id"),
            RentalSubsidyApplication.worker_id.hired_on.as_alias("hired_on"),
            RentalSubsidyApplication.worker_id.left_on.as_alias("left_on"),
            RentalSubsidyApplication.monthly_rent_fen,
            RentalSubsidyApplication.lease_start,
            RentalSubsidyApplication.lease_end,
            RentalSubsidyApplication.submitted_on,
            RentalSubsidyApplication.withdrawn_on,
        )
        .where(_ever_approved())
        .where(RentalSubsidyApplication.lease_start <= last)
        .where(RentalSubsidyApplication.lease_end >= first)
        .where(RentalSubsidyApplication.submitted_on <= last)
        .where(RentalSubsidyApplication.withdrawn_on.is_null() | (RentalSubsidyApplication.withdrawn_on >= first))  # type: ignore[operator]
        .order_by(RentalSubsidyApplication.id)
    )


async def _beds(worker_ids: list[int], first: date, last: date) -> dict[int, list[eligibility.Stay]]:
    """Each worker's bed stays that meet the month."""
    stays: dict[int, list[eligibility.Stay]] = defaultdict(list)
    if not worker_ids:
        return stays
    rows = await BedAssignment.select(BedAssignment.worker_id, BedAssignment.starts_on, BedAssignment.ends_on).where(
        BedAssignment.worker_id.is_in(worker_ids)
        & (BedAssignment.starts_on <= last)
        & (BedAssignment.ends_on.is_null() | (BedAssignment.ends_on >= first))  # type: ignore[operator]
    )
    for row in rows:
        ends = as_date(row["ends_on"]) if row["ends_on"] is not None else None
        stays[row["worker_id"]].append((as_date(row["starts_on"]), ends))
    return stays


def _optional_date(value: Any) -> date | None:
    return as_date(value) if value is not None else None


def facts_of(application: Row, beds: list[eligibility.Stay]) -> eligibility.Facts:
    return eligibility.Facts(
        lease_start=as_date(application["lease_start"]),
        lease_end=as_date(application["lease_end"]),
        submitted_on=as_date(application["submitted_on"]),
        hired_on=_optional_date(application["hired_on"]),
        left_on=_optional_date(application["left_on"]),
        withdrawn_on=_optional_date(application["withdrawn_on"]),
        beds=tuple(beds),
    )


async def run_month(viewer: Viewer, month: str) -> RunResult:
    """Pay `month` for every approved application that has eligible days and no payment yet."""
    check_month_ended(month, park_day(viewer.now))
    first, last = month_bounds(month)
    in_month = (last - first).days + 1
    async with write_transaction():
        await lock_subsidy_money()
        applications = await _applications(first, last)
        ids = [a["id"] for a in applications]
        paid_rows = await RentalSubsidyPayout.select(RentalSubsidyPayout.id, RentalSubsidyPayout.application_id).where(
            (RentalSubsidyPayout.month == month) & RentalSubsidyPayout.application_id.is_in(ids or [0])
        )
        paid = {row["application_id"]: row["id"] for row in paid_rows}
        due = [a for a in applications if a["id"] not in paid]
        beds = await _beds(sorted({a["worker_id"] for a in due}), first, last)
        policies = await policies_between(first, last)
        new_rows: list[RentalSubsidyPayout] = []
        nothing_due: list[NothingDue] = []
        for application in due:
            days = eligibility.eligible_days(facts_of(application, beds[application["worker_id"]]), first, last)
            pay = money.payment(days, in_month, application["monthly_rent_fen"], policies)
            if pay.days == 0:
                nothing_due.append(NothingDue(application_id=application["id"], worker_id=application["worker_id"]))
                continue
            new_rows.append(
                RentalSubsidyPayout(
                    application_id=application["id"],
                    worker_id=application["worker_id"],
                    firm_id=application["firm_id"],
                    month=month,
                    days=pay.days,
                    days_in_month=in_month,
                    monthly_rent_fen=application["monthly_rent_fen"],
                    amount_fen=pay.amount_fen,
                    segments=[
                        {"policy_id": s.policy_id, "days": s.days, "monthly_amount_fen": str(s.monthly_amount_fen)}
                        for s in pay.segments
                    ],
                    paid_at=viewer.now,
                )
            )
        for start in range(0, len(new_rows), INSERT_BATCH):
            await RentalSubsidyPayout.insert(*new_rows[start : start + INSERT_BATCH])
        made = [row.application_id for row in new_rows]
        created_ids: list[int] = []
        if made:
            rows = await RentalSubsidyPayout.select(
                RentalSubsidyPayout.id,
                RentalSubsidyPayout.application_id,
                RentalSubsidyPayout.days,
                RentalSubsidyPayout.amount_fen,
            ).where((RentalSubsidyPayout.month == month) & RentalSubsidyPayout.application_id.is_in(made))
            created_ids = sorted(row["id"] for row in rows)
            await audit.record_many(
                viewer,
                "rental_subsidy_payout",
                "pay",
                [
                    (
                        row["id"],
                        {
                            "application_id": row["application_id"],
                            "month": month,
                            "days": row["days"],
                            "amount_fen": row["amount_fen"],
                        },
                    )
                    for row in rows
                ],
            )
        created = await _payouts(viewer, created_ids)
    by_application = {a["id"]: a["worker_id"] for a in applications}
    return RunResult(
        month=month,
        created=created,
        already_paid=[
            AlreadyPaid(application_id=a, worker_id=by_application[a], payout_id=p) for a, p in sorted(paid.items())
        ],
        nothing_due=nothing_due,
        total_fen=sum(p.amount_fen for p in created),
    )


async def _payouts(viewer: Viewer, ids: list[int]) -> list[PayoutOut]:
    out: list[PayoutOut] = []
    for start in range(0, len(ids), INSERT_BATCH):
        rows = await (
            RentalSubsidyPayout.select(*PAYOUTS.columns)
            .where(RentalSubsidyPayout.id.is_in(ids[start : start + INSERT_BATCH]))
            .order_by(RentalSubsidyPayout.id)
        )
        out.extend(to_out(row, viewer) for row in rows)
    return out


PAYOUT_COLUMNS = [
    Column("发放编号", 10),
    Column("月份", 10),
    Column("企业", 32),
    Column("员工", 12),
    Column("工号", 10),
    Column("身份证号", 22),
    Column("租住地址", 36),
    Column("月租金（元）", 14, yuan=True),
    Column("补贴天数", 10),
    Column("当月天数", 10),
    Column("补贴金额（元）", 14, yuan=True),
    Column("发放时间", 18),
]
FIRM_COLUMNS = [Column("企业", 32), Column("人数", 8), Column("补贴金额（元）", 16, yuan=True)]


async def export_month(month: str | None) -> bytes:
    """The month's payments (staff: every firm) and a total per firm, as two sheets."""
    query = RentalSubsidyPayout.select(
        RentalSubsidyPayout.id,
        RentalSubsidyPayout.month,
        RentalSubsidyPayout.firm_id.name.as_alias("firm_name"),
        RentalSubsidyPayout.worker_id.name.as_alias("worker_name"),
        RentalSubsidyPayout.worker_id.employee_no.as_alias("employee_no"),
        RentalSubsidyPayout.worker_id.id_number.as_alias("id_number"),
        RentalSubsidyPayout.application_id.address.as_alias("address"),
        RentalSubsidyPayout.monthly_rent_fen,
        RentalSubsidyPayout.days,
        RentalSubsidyPayout.days_in_month,
        RentalSubsidyPayout.amount_fen,
        RentalSubsidyPayout.paid_at,
    ).order_by(RentalSubsidyPayout.month, RentalSubsidyPayout.firm_id, RentalSubsidyPayout.id)
    if month:
        query = query.where(RentalSubsidyPayout.month == month)
    rows = await query
    detail = Sheet(
        "补贴发放",
        PAYOUT_COLUMNS,
        [
            [
                r["id"],
                r["month"],
                r["firm_name"],
                r["worker_name"],
                r["employee_no"],
                r["id_number"],
                r["address"],
                r["monthly_rent_fen"],
                r["days"],
                r["days_in_month"],
                r["amount_fen"],
                as_datetime(r["paid_at"]).astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M"),
            ]
            for r in rows
        ],
    )
    per_firm: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        per_firm[r["firm_name"]][0] += 1
        per_firm[r["firm_name"]][1] += r["amount_fen"]
    summary = Sheet("按企业汇总", FIRM_COLUMNS, [[name, n, fen] for name, (n, fen) in sorted(per_firm.items())])
    return await workbook([detail, summary])


class RentalSubsidyPayoutController(Controller):
    path = "/subsidy-payouts"
    tags = ["rental subsidy · 租房补贴"]

    @get("/", opt=allow(EVERYONE))
    async def list_payouts(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        month: Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN)] = None,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
        worker_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
    ) -> OffsetPagination[PayoutOut]:
        """Payments (days, amount, worker, firm): staff all, HR its own firm's, a worker its own."""
        filters = [
            resource.equals(RentalSubsidyPayout.month, month),
            resource.equals(RentalSubsidyPayout.firm_id, firm_id),
            resource.equals(RentalSubsidyPayout.worker_id, worker_id),
        ]
        return await resource.list_page(PAYOUTS, viewer_of(request), page, filters)

    @get("/export", opt=allow(STAFF), media_type=XLSX)
    async def export(
        self,
        request: Request[Any, Any, Any],
        month: Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN)] = None,
    ) -> Response[bytes]:
        """A month's payments as an .xlsx for the finance office: one row per payment, a total per firm."""
        return xlsx_response(await export_month(month), f"租房补贴发放-{month or '全部'}.xlsx")

    @post("/run", status_code=200, opt=allow(STAFF))
    async def run(self, request: Request[Any, Any, Any], data: JSONBody[RunRequest]) -> RunResult:
        """Pay a month that has ended (Asia/Shanghai): one payment per approved application with
        eligible days; what was already paid is only named, never paid twice."""
        return await run_month(viewer_of(request), data.month)

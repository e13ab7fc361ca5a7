"""Rent invoices (`/api/rent-invoices`): staff bill a month, everyone sees what they may.

`POST /api/rent-invoices/run {"month": "2027-04"}` makes one invoice per firm with one line
per lease running in the month (the rule is `housing.billing.money`), in one transaction and
in bulk (a park of 5,000 leases is one read and two inserts). Running a month again creates
nothing and says what already exists; the database keeps one issued invoice per firm and
month whatever happens. Issued invoices are never edited: staff void one with a reason and run
the month again for that firm. HR reads its own firm's invoices.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from housing.billing.money import MONTH_PATTERN, days_leased, line_amount_fen, month_bounds
from housing.billing.tables import RentInvoice, RentInvoiceLine
from housing.excel.sheets import XLSX, Column, Sheet, workbook, xlsx_response
from housing.leasing.leases import overlaps
from housing.leasing.tables import Lease
from housing.register.units import area_m2
from housing.web import audit, resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, as_datetime
from housing.web.db import write_transaction
from housing.web.problems import Problem, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Month = Annotated[str, msgspec.Meta(pattern=MONTH_PATTERN, description="YYYY-MM")]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
INSERT_BATCH = 2000


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    month: Month
    firm_id: Id | None = None  # only this firm (e.g. after voiding its invoice)


class VoidRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class InvoiceLineOut(msgspec.Struct):
    lease_id: int
    unit_id: int
    unit: str
    area_m2: Decimal
    rent_rate_fen_per_m2: int
    days_leased: int
    days_in_month: int
    amount_fen: int


class InvoiceOut(msgspec.Struct):
    id: int
    firm_id: int
    firm_name: str
    month: str
    total_fen: int
    status: str
    issued_at: datetime
    void_reason: str
    lines: list[InvoiceLineOut] | None = None  # in the one-invoice answer


class AlreadyIssued(msgspec.Struct):
    firm_id: int
    invoice_id: int


class RunResult(msgspec.Struct):
    month: str
    created: list[InvoiceOut]
    already_issued: list[AlreadyIssued]
    total_fen: int


def to_out(row: Row, viewer: Viewer) -> InvoiceOut:
    return InvoiceOut(
        id=row["id"],
        firm_id=row["firm_id"],
        firm_name=row["firm_name"],
        month=row["month"],
        total_fen=row["total_fen"],
        status=row["status"],
        issued_at=as_datetime(row["issued_at"]),
        void_reason=row["void_reason"],
    )


def scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else RentInvoice.firm_id == viewer.firm_id


unique_field(("rent_invoice_firm_month_issued_key", "rent_invoice.month"), "month", "month_billed")

INVOICES = resource.Resource(
    table=RentInvoice,
    columns=[
        RentInvoice.id,
        RentInvoice.firm_id,
        RentInvoice.firm_id.name.as_alias("firm_name"),
        RentInvoice.month,
        RentInvoice.total_fen,
        RentInvoice.status,
        RentInvoice.issued_at,
        RentInvoice.void_reason,
    ],
    to_out=to_out,
    scope=scope,
)


def bill_leases(leases: list[Row], month: str) -> dict[int, list[Row]]:
    """Invoice lines per firm for the leases running in `month` (the rule, applied)."""
    first, last = month_bounds(month)
    in_month = (last - first).days + 1
    lines: dict[int, list[Row]] = defaultdict(list)
    for lease in leases:
        days = days_leased(lease["starts_on"], lease["ends_on"], month)
        if days == 0:
            continue
        lines[lease["firm_id"]].append(
            {
                "lease_id": lease["id"],
                "unit_id": lease["unit_id"],
                "area_centi_m2": lease["area_centi_m2"],
                "rent_rate_fen_per_m2": lease["rent_rate_fen_per_m2"],
                "days_leased": days,
                "days_in_month": in_month,
                "amount_fen": line_amount_fen(lease["area_centi_m2"], lease["rent_rate_fen_per_m2"], days, in_month),
            }
        )
    return lines


async def run_month(viewer: Viewer, month: str, firm_id: int | None = None) -> RunResult:
    """Bill `month` for every firm (or one) that has leases in it and no issued invoice yet."""
    first, last = month_bounds(month)
    async with write_transaction():
        query = Lease.select(
            Lease.id,
            Lease.unit_id,
            Lease.firm_id,
            Lease.starts_on,
            Lease.ends_on,
            Lease.rent_rate_fen_per_m2,
            Lease.unit_id.area_centi_m2.as_alias("area_centi_m2"),
        ).where(overlaps(first, last))
        issued_query = RentInvoice.select(RentInvoice.id, RentInvoice.firm_id).where(
            (RentInvoice.month == month) & (RentInvoice.status == "issued")
        )
        if firm_id is not None:
            query = query.where(Lease.firm_id == firm_id)
            issued_query = issued_query.where(RentInvoice.firm_id == firm_id)
        issued = {row["firm_id"]: row["id"] for row in await issued_query}
        lines = {f: rows for f, rows in bill_leases(await query, month).items() if f not in issued}
        new_ids: dict[int, int] = {}
        if lines:
            await RentInvoice.insert(
                *(
                    RentInvoice(
                        firm_id=f,
                        month=month,
                        total_fen=sum(line["amount_fen"] for line in rows),
                        issued_at=viewer.now,
                    )
                    for f, rows in lines.items()
                )
            )
            made = await RentInvoice.select(RentInvoice.id, RentInvoice.firm_id).where(
                (RentInvoice.month == month) & (RentInvoice.status == "issued") & RentInvoice.firm_id.is_in(list(lines))
            )
            new_ids = {row["firm_id"]: row["id"] for row in made}
            all_lines = [RentInvoiceLine(invoice_id=new_ids[f], **line) for f, rows in lines.items() for line in rows]
            for start in range(0, len(all_lines), INSERT_BATCH):  # PostgreSQL takes at most 32,767 parameters
                await RentInvoiceLine.insert(*all_lines[start : start + INSERT_BATCH])
            for f, invoice_id in new_ids.items():
                total = sum(line["amount_fen"] for line in lines[f])
                await audit.record(
                    viewer, "rent_invoice", invoice_id, "issue", after={"month": month, "total_fen": total}
                )
        created = [await resource.fetch(INVOICES, viewer, invoice_id) for invoice_id in sorted(new_ids.values())]
    return RunResult(
        month=month,
        created=created,
        already_issued=[AlreadyIssued(firm_id=f, invoice_id=i) for f, i in sorted(issued.items())],
        total_fen=sum(invoice.total_fen for invoice in created),
    )


async def lines_of(invoice_ids: list[int]) -> list[Row]:
    """The lines of these invoices, in invoice then line order, with each unit's name."""
    return await (  # type: ignore[no-any-return]
        RentInvoiceLine.select(
            RentInvoiceLine.invoice_id,
            RentInvoiceLine.lease_id,
            RentInvoiceLine.unit_id,
            RentInvoiceLine.unit_id.building_id.code.as_alias("building_code"),  # type: ignore[union-attr]
            RentInvoiceLine.unit_id.number.as_alias("unit_number"),
            RentInvoiceLine.area_centi_m2,
            RentInvoiceLine.rent_rate_fen_per_m2,
            RentInvoiceLine.days_leased,
            RentInvoiceLine.days_in_month,
            RentInvoiceLine.amount_fen,
        )
        .where(RentInvoiceLine.invoice_id.is_in(invoice_ids or [0]))
        .order_by(RentInvoiceLine.invoice_id, RentInvoiceLine.id)
    )


async def invoice_with_lines(viewer: Viewer, invoice_id: int) -> InvoiceOut:
    invoice = await resource.fetch(INVOICES, viewer, invoice_id)
    rows = await lines_of([invoice_id])
    invoice.lines = [
        InvoiceLineOut(
            lease_id=r["lease_id"],
            unit_id=r["unit_id"],
            unit=f"{r['building_code']}-{r['unit_number']}",
            area_m2=area_m2(r["area_centi_m2"]),
            rent_rate_fen_per_m2=r["rent_rate_fen_per_m2"],
            days_leased=r["days_leased"],
            days_in_month=r["days_in_month"],
            amount_fen=r["amount_fen"],
        )
        for r in rows
    ]
    return invoice


async def void_invoice(viewer: Viewer, invoice_id: int, reason: str) -> InvoiceOut:
    async with write_transaction():
        current = await resource.fetch_row(INVOICES, viewer, invoice_id)
        if current["status"] != "issued":
            raise Problem(409, "invoice_already_void")
        await RentInvoice.update(
            {RentInvoice.status: "void", RentInvoice.void_reason: reason, RentInvoice.voided_at: viewer.now}
        ).where(RentInvoice.id == invoice_id)
        await audit.record(
            viewer,
            "rent_invoice",
            invoice_id,
            "void",
            before={"status": "issued"},
            after={"status": "void", "void_reason": reason},
        )
    return await invoice_with_lines(viewer, invoice_id)


INVOICE_COLUMNS = [
    Column("账单号", 10),
    Column("企业", 32),
    Column("月份", 10),
    Column("金额（元）", 14, yuan=True),
    Column("状态", 8),
    Column("开具时间", 22),
    Column("作废原因", 24),
]
LINE_COLUMNS = [
    Column("账单号", 10),
    Column("企业", 32),
    Column("房间", 12),
    Column("面积（㎡）", 12),
    Column("单价（元/㎡/月）", 16, yuan=True),
    Column("租用天数", 10),
    Column("当月天数", 10),
    Column("金额（元）", 14, yuan=True),
]
STATUS_ZH = {"issued": "已开具", "void": "已作废"}


async def export_month(viewer: Viewer, month: str | None) -> bytes:
    """The month's invoices (staff: every firm; HR: its own) and their lines, as two sheets."""
    invoices = RentInvoice.select(*INVOICES.columns).order_by(RentInvoice.id)
    if month:
        invoices = invoices.where(RentInvoice.month == month)
    if (condition := scope(viewer)) is not None:
        invoices = invoices.where(condition)
    rows = await invoices
    names = {r["id"]: r["firm_name"] for r in rows}
    lines = await lines_of(list(names))
    summary = Sheet(
        "账单",
        INVOICE_COLUMNS,
        [
            [
                r["id"],
                r["firm_name"],
                r["month"],
                r["total_fen"],
                STATUS_ZH.get(r["status"], r["status"]),
                as_datetime(r["issued_at"]).astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M"),
                r["void_reason"],
            ]
            for r in rows
        ],
    )
    detail = Sheet(
        "明细",
        LINE_COLUMNS,
        [
            [
                line["invoice_id"],
                names[line["invoice_id"]],
                f"{line['building_code']}-{line['unit_number']}",
                area_m2(line["area_centi_m2"]),
                line["rent_rate_fen_per_m2"],
                line["days_leased"],
                line["days_in_month"],
                line["amount_fen"],
            ]
            for line in lines
        ],
    )
    return await workbook([summary, detail])


class RentInvoiceController(Controller):
    path = "/rent-invoices"
    tags = ["rent invoices · 租金账单"]

    @get("/", opt=allow(STAFF_HR))
    async def list_invoices(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        month: Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN)] = None,
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR sees its own firm")
        ] = None,
        status: Annotated[str | None, QueryParameter(pattern="^(issued|void)$")] = None,
    ) -> OffsetPagination[InvoiceOut]:
        """Invoices; HR sees only its own firm's."""
        filters = [
            resource.equals(RentInvoice.month, month),
            resource.equals(RentInvoice.firm_id, firm_id),
            resource.equals(RentInvoice.status, status),
        ]
        return await resource.list_page(INVOICES, viewer_of(request), page, filters)

    @get("/export", opt=allow(STAFF_HR), media_type=XLSX)
    async def export(
        self,
        request: Request[Any, Any, Any],
        month: Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN)] = None,
    ) -> Response[bytes]:
        """The invoices as an .xlsx for the finance office (staff: a month of every firm; HR: its own)."""
        data = await export_month(viewer_of(request), month)
        return xlsx_response(data, f"租金账单-{month or '全部'}.xlsx")

    @get("/{invoice_id:int}", opt=allow(STAFF_HR))
    async def get_invoice(self, request: Request[Any, Any, Any], invoice_id: PathId) -> InvoiceOut:
        """One invoice with its lines: lease, unit, area, rate, days leased, amount."""
        return await invoice_with_lines(viewer_of(request), invoice_id)

    @post("/run", status_code=200, opt=allow(STAFF))
    async def run(self, request: Request[Any, Any, Any], data: JSONBody[RunRequest]) -> RunResult:
        """Bill a month: one invoice per firm with leases in it; a firm already billed is only named."""
        return await run_month(viewer_of(request), data.month, data.firm_id)

    @post("/{invoice_id:int}/void", status_code=200, opt=allow(STAFF))
    async def void(
        self, request: Request[Any, Any, Any], invoice_id: PathId, data: JSONBody[VoidRequest]
    ) -> InvoiceOut:
        """Void an issued invoice, with the reason; the firm's month can then be run again."""
        return await void_invoice(viewer_of(request), invoice_id, data.reason)


async def totals_by_month(viewer: Viewer, months: int = 12) -> list[tuple[str, int]]:
    """Issued rent per month, the latest `months` months billed, oldest first (the staff chart)."""
    query = RentInvoice.select(RentInvoice.month, RentInvoice.total_fen).where(RentInvoice.status == "issued")
    if (condition := scope(viewer)) is not None:
        query = query.where(condition)
    totals: dict[str, int] = defaultdict(int)
    for row in await query:
        totals[row["month"]] += row["total_fen"]
    return sorted(totals.items())[-months:]

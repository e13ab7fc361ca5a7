"""Monthly settlement (`/api/canteen-settlements`): staff settle a park month once it has ended.

`POST /api/canteen-settlements/run {"month": "2027-01"}` sums the month's meal records in SQL
(three GROUP BYs written straight into the settlement's lines — never a row per meal through
Python) into rows per firm (meals, park-funded subsidy, firm-funded subsidy to bill the firm),
per canteen (revenue = paid by workers + subsidies) and per worker (the statement), each with
`meals`, `park_subsidy_fen`, `firm_subsidy_fen`, `worker_paid_fen`, `revenue_fen`. The month
is unique in `canteen_settlement`: running it again settles nothing twice and answers the
settlement already made (`created: false`). A settled month is closed: late meals are
answered `month_closed`. HR reads its own firm's row and its workers' statements, a worker its
own statement; the `.xlsx` download has Chinese headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from canteen.tables import CanteenSettlement, SettlementLine
from housing.billing.money import MONTH_PATTERN, month_bounds
from housing.excel.sheets import XLSX, Column, Sheet, workbook, xlsx_response
from housing.web import audit
from housing.web.access import STAFF, STAFF_HR, WORKER, Viewer, allow, viewer_of
from housing.web.clock import as_datetime, park_day
from housing.web.db import engine, is_sqlite, write_transaction
from housing.web.problems import invalid, not_found, unique_field

Month = Annotated[str, msgspec.Meta(pattern=MONTH_PATTERN, description="YYYY-MM")]
MonthQuery = Annotated[str, QueryParameter(pattern=MONTH_PATTERN, description="YYYY-MM")]
SUMS = ("meals", "park_subsidy_fen", "firm_subsidy_fen", "worker_paid_fen", "revenue_fen")


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    month: Month


class SettlementOut(msgspec.Struct):
    id: int
    month: str
    settled_at: datetime
    meals: int
    park_subsidy_fen: int
    firm_subsidy_fen: int
    worker_paid_fen: int
    revenue_fen: int


class RunResult(msgspec.Struct):
    created: bool  # false: the month was already settled; this is that settlement
    settlement: SettlementOut


class LineOut(msgspec.Struct):
    firm_id: int | None
    firm_name: str | None
    canteen_id: int | None
    canteen_name: str | None
    worker_id: int | None
    worker_name: str | None
    meals: int
    park_subsidy_fen: int
    firm_subsidy_fen: int
    worker_paid_fen: int
    revenue_fen: int


unique_field(("canteen_settlement_month_key", "canteen_settlement.month"), "month", "month_settled")

_AGGREGATE = (
    "INSERT INTO settlement_line (settlement_id, kind, {key}, meals, park_subsidy_fen, firm_subsidy_fen, "
    "worker_paid_fen, revenue_fen) "
    "SELECT {{}}, '{kind}', {key}, COUNT(*), "
    "SUM(CASE WHEN funded_by = 'park' THEN subsidy_fen ELSE 0 END), "
    "SUM(CASE WHEN funded_by = 'firm' THEN subsidy_fen ELSE 0 END), "
    "SUM(price_fen - subsidy_fen), SUM(price_fen) "
    "FROM meal_record WHERE month = {{}} GROUP BY {key}"
)
KINDS = {"firm": "firm_id", "canteen": "canteen_id", "worker": "worker_id, firm_id"}  # a statement per worker and firm


def month_has_ended(month: str, now: datetime) -> bool:
    """A month can be settled from the park day after its last day."""
    return month_bounds(month)[1] < park_day(now)


def _settlement_out(row: dict[str, Any]) -> SettlementOut:
    return SettlementOut(
        id=row["id"],
        month=row["month"],
        settled_at=as_datetime(row["settled_at"]),
        **{k: int(row[k]) for k in SUMS},
    )


async def _settlement(month: str) -> dict[str, Any] | None:
    return await CanteenSettlement.select().where(CanteenSettlement.month == month).first()  # type: ignore[no-any-return]


async def run_month(viewer: Viewer, month: str) -> RunResult:
    """Settle `month` (ended) once; a second run answers the first one's settlement."""
    if not month_has_ended(month, viewer.now):
        raise invalid("month", "month_not_ended")
    async with write_transaction():
        if not is_sqlite():
            # waits for meal batches in flight; batches after it see the month closed
            await engine().run_ddl("LOCK TABLE canteen_settlement IN SHARE ROW EXCLUSIVE MODE")
        found = await _settlement(month)
        if found is not None:
            return RunResult(created=False, settlement=_settlement_out(found))
        inserted = await CanteenSettlement.insert(CanteenSettlement(month=month, settled_at=viewer.now))
        settlement_id = int(inserted[0]["id"])
        for kind, key in KINDS.items():
            await SettlementLine.raw(_AGGREGATE.format(kind=kind, key=key), settlement_id, month)
        await SettlementLine.raw(
            "UPDATE canteen_settlement SET "
            + ", ".join(
                f"{k} = (SELECT COALESCE(SUM({k}), 0) FROM settlement_line "
                "WHERE settlement_id = {} AND kind = 'firm')"
                for k in SUMS
            )
            + " WHERE id = {}",
            *([settlement_id] * len(SUMS)),
            settlement_id,
        )
        row = await _settlement(month)
        assert row is not None
        await audit.record(
            viewer, "canteen_settlement", settlement_id, "settle", after={"month": month, **{k: row[k] for k in SUMS}}
        )
        return RunResult(created=True, settlement=_settlement_out(row))


async def lines(viewer: Viewer, month: str, kind: str) -> list[LineOut]:
    """The month's rows of one kind that the viewer may see: HR its firm's, a worker its own."""
    settlement = await _settlement(month)
    if settlement is None:
        raise not_found()
    query = SettlementLine.select(
        SettlementLine.firm_id,
        SettlementLine.firm_id.name.as_alias("firm_name"),
        SettlementLine.canteen_id,
        SettlementLine.canteen_id.name.as_alias("canteen_name"),
        SettlementLine.worker_id,
        SettlementLine.worker_id.name.as_alias("worker_name"),
        *(SettlementLine._meta.get_column_by_name(k) for k in SUMS),
    ).where((SettlementLine.settlement_id == settlement["id"]) & (SettlementLine.kind == kind))
    if viewer.is_hr:
        query = query.where(SettlementLine.firm_id == viewer.firm_id)
    elif not viewer.is_staff:
        query = query.where(SettlementLine.worker_id == (viewer.worker_id or 0))
    rows = await query.order_by(SettlementLine.id)
    return [
        LineOut(
            firm_id=r["firm_id"],
            firm_name=r["firm_name"],
            canteen_id=r["canteen_id"],
            canteen_name=r["canteen_name"],
            worker_id=r["worker_id"],
            worker_name=r["worker_name"],
            **{k: int(r[k]) for k in SUMS},
        )
        for r in rows
    ]


SUM_COLUMNS = [
    Column("餐次", 8),
    Column("园区补贴（元）", 14, yuan=True),
    Column("企业补贴（元）", 14, yuan=True),
    Column("个人支付（元）", 14, yuan=True),
    Column("营业额（元）", 14, yuan=True),
]


def _sums(line: LineOut) -> list[Any]:
    return [getattr(line, k) for k in SUMS]


async def export(viewer: Viewer, month: str) -> bytes:
    """Staff: firms, canteens and worker statements; HR: its firm and its workers."""
    firms = await lines(viewer, month, "firm")
    workers = await lines(viewer, month, "worker")
    sheets = [
        Sheet("企业", [Column("企业", 32), *SUM_COLUMNS], [[f.firm_name, *_sums(f)] for f in firms]),
    ]
    if viewer.is_staff:
        canteens = await lines(viewer, month, "canteen")
        sheets.append(
            Sheet("食堂", [Column("食堂", 24), *SUM_COLUMNS], [[c.canteen_name, *_sums(c)] for c in canteens])
        )
    sheets.append(
        Sheet(
            "员工对账单",
            [Column("员工编号", 10), Column("员工", 12), *SUM_COLUMNS],
            [[w.worker_id, w.worker_name, *_sums(w)] for w in workers],
        )
    )
    return await workbook(sheets)


class SettlementController(Controller):
    path = "/canteen-settlements"
    tags = ["canteen · 食堂"]

    @post("/run", status_code=200, opt=allow(STAFF))
    async def run(self, request: Request[Any, Any, Any], data: JSONBody[RunRequest]) -> RunResult:
        """Settle an ended park month once; it is then closed to new meal records."""
        return await run_month(viewer_of(request), data.month)

    @get("/", opt=allow(STAFF))
    async def list_settlements(self, request: Request[Any, Any, Any]) -> list[SettlementOut]:
        """Settled months, newest first, with their totals."""
        rows = await CanteenSettlement.select().order_by(CanteenSettlement.month, ascending=False).limit(240)
        return [_settlement_out(r) for r in rows]

    @get("/firms", opt=allow(STAFF_HR))
    async def firms(self, request: Request[Any, Any, Any], month: MonthQuery) -> list[LineOut]:
        """Per firm: meals, park- and firm-funded subsidy (the firm's bill), paid by workers, revenue."""
        return await lines(viewer_of(request), month, "firm")

    @get("/canteens", opt=allow(STAFF))
    async def canteens(self, request: Request[Any, Any, Any], month: MonthQuery) -> list[LineOut]:
        """Per canteen: revenue = paid by workers + subsidies."""
        return await lines(viewer_of(request), month, "canteen")

    @get("/workers", opt=allow(STAFF_HR | WORKER))
    async def workers(self, request: Request[Any, Any, Any], month: MonthQuery) -> list[LineOut]:
        """Per worker statements: staff all, HR its firm's workers, a worker its own."""
        return await lines(viewer_of(request), month, "worker")

    @get("/export", opt=allow(STAFF_HR), media_type=XLSX)
    async def export(self, request: Request[Any, Any, Any], month: MonthQuery) -> Response[bytes]:
        """The settlement as .xlsx (Chinese headers): staff every sheet, HR its firm and its workers."""
        data = await export(viewer_of(request), month)
        return xlsx_response(data, f"食堂结算-{month}.xlsx")

"""Meal records: terminals post them in batches; staff, HR and workers read them.

`POST /api/meal-records/batch` takes up to 5,000 records and answers one result per record,
in input order: `accepted` (kept, with its subsidy), `duplicate` (this canteen already has
the terminal's transaction id — the database's unique index on (canteen_id, txn_id) is the
last word, so a retried or concurrent batch never counts a meal twice), `wrong_canteen` (not
the terminal's own canteen), `unknown_worker`, `not_employed` (outside the worker's hired_on …
left_on, or an inactive worker), `month_closed` (the month is settled), `no_price` (no price
for that canteen, meal type and day), `in_future` (more than 10 minutes ahead of the clock).
The good ones are kept even when others are refused.

The work is set-based, one transaction per batch: one read of the batch's workers, one of
their month and day subsidy totals, one insert (ON CONFLICT DO NOTHING) — never a query per
record. The subsidy rule is `canteen.subsidy`. When a worker's new meals all come after the
ones already kept for that month (terminals post in time order), they are allocated from the
month's and days' totals; otherwise (an earlier meal arrived late) the worker's meals from
the earliest late one on are recomputed in time order, from what the meals before it took,
and the rows whose subsidy moved are updated (after a lost insert race: the whole month).

Concurrency: a batch locks its workers' rows (PostgreSQL: `FOR NO KEY UPDATE`, in id order;
SQLite: the IMMEDIATE write transaction serialises writers), so two batches for one worker
cannot both take the last of a cap. A batch also holds `canteen_settlement` in SHARE mode on
PostgreSQL, so a settlement waits for batches in flight and later batches see it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from canteen.canteens import canteen_of_terminal
from canteen.policies import policies_between
from canteen.subsidy import Meal, Policy, Price, allocate, policy_for, price_for
from canteen.tables import MealRecord
from housing.billing.money import MONTH_PATTERN, month_bounds
from housing.web import audit, resource
from housing.web.access import TERMINAL, Viewer, allow, viewer_of
from housing.web.clock import as_date, as_datetime, park_day, park_day_start
from housing.web.db import engine, is_sqlite, write_transaction
from housing.web.resource import Id, PageDep, Row

MAX_BATCH = 5000
FUTURE_SLACK = timedelta(minutes=10)
SQLITE_INSERT_ROWS = 2000  # 13 values a row, under SQLite's 32,766 variables
MealTypeName = Literal["breakfast", "lunch", "dinner", "night"]
TxnId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Aware = Annotated[datetime, msgspec.Meta(tz=True, description="ISO 8601 with its UTC offset")]


class RecordIn(msgspec.Struct, forbid_unknown_fields=True):
    txn_id: TxnId
    worker_id: Id
    canteen_id: Id
    meal_type: MealTypeName
    at: Aware


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    records: Annotated[list[RecordIn], msgspec.Meta(max_length=MAX_BATCH)]


class ResultOut(msgspec.Struct):
    txn_id: str
    result: str
    subsidy_fen: int | None  # the kept record's subsidy (accepted or duplicate); else null


class BatchOut(msgspec.Struct):
    results: list[ResultOut]


class MealRecordOut(msgspec.Struct):
    id: int
    canteen_id: int
    txn_id: str
    worker_id: int
    worker_name: str
    firm_id: int
    meal_type: str
    at: datetime
    day: date
    month: str
    price_fen: int
    subsidy_fen: int
    worker_paid_fen: int
    funded_by: str | None


COLUMNS = (
    "canteen_id",
    "txn_id",
    "worker_id",
    "firm_id",
    "meal_type",
    "at",
    "day",
    "month",
    "price_fen",
    "subsidy_fen",
    "funded_by",
    "policy_id",
    "received_at",
)
PG_TYPES = (
    "int",
    "text",
    "int",
    "int",
    "text",
    "timestamptz",
    "date",
    "text",
    "int",
    "int",
    "text",
    "int",
    "timestamptz",
)


def _connection() -> Any:
    """The connection of the write transaction this runs in (asyncpg or aiosqlite)."""
    return engine().current_transaction.get().connection  # type: ignore[attr-defined,union-attr]


async def _rows(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    """A statement in the current transaction; `{}` placeholders, `{list}` for a list value."""
    connection = _connection()
    if is_sqlite():
        parts = sql.split("{}")
        text = "?".join(parts)
        values = [json.dumps(a, default=str) if isinstance(a, list) else a for a in args]
        async with connection.execute(text, values) as cursor:
            return await _dicts(cursor)
    parts = sql.split("{}")
    text = "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, 1))
    return [dict(r) for r in await connection.fetch(text, *args)]


async def _dicts(cursor: Any) -> list[dict[str, Any]]:
    """An SQLite cursor's rows as dicts, naming the columns once: Piccolo's row factory reads
    `cursor.description` (a fresh tuple each time) for every column of every row, which made
    reading a few worker-months of meals ten times slower than the query."""
    cursor.row_factory = None
    rows = await cursor.fetchall()
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _in(column: str) -> str:
    """`column` is one of a list passed as one parameter (a JSON array on SQLite, an array on PostgreSQL)."""
    return f"{column} IN (SELECT value FROM json_each({{}}))" if is_sqlite() else f"{column} = ANY({{}})"


@dataclass
class Candidate:
    index: int
    record: RecordIn
    at: datetime  # UTC
    day: date
    month: str
    firm_id: int
    price_fen: int
    policy: Policy | None
    subsidy_fen: int = 0


def _month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _employed(worker: Row, day: date) -> bool:
    hired, left = worker["hired_on"], worker["left_on"]
    if not worker["active"]:
        return False
    if hired is not None and day < as_date(hired):
        return False
    return left is None or day <= as_date(left)


async def _workers(ids: list[int]) -> dict[int, Row]:
    lock = "" if is_sqlite() else " ORDER BY id FOR NO KEY UPDATE"
    rows = await _rows(f"SELECT id, firm_id, active, hired_on, left_on FROM worker WHERE {_in('id')}{lock}", [ids])
    return {r["id"]: r for r in rows}


async def _prices(canteen_id: int, first: date, last: date) -> list[Price]:
    rows = await _rows(
        "SELECT canteen_id, meal_type, price_fen, valid_from, valid_to FROM meal_price "
        "WHERE canteen_id = {} AND valid_from <= {} AND (valid_to IS NULL OR valid_to >= {})",
        [canteen_id, last, first],
    )
    return [
        Price(
            r["canteen_id"],
            r["meal_type"],
            r["price_fen"],
            as_date(r["valid_from"]),
            as_date(r["valid_to"]) if r["valid_to"] is not None else None,
        )
        for r in rows
    ]


async def insert_records(rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert meal rows (`COLUMNS` order); the txn ids actually inserted (the others existed)."""
    inserted: set[str] = set()
    if not rows:
        return inserted
    names = ", ".join(COLUMNS)
    conflict = "ON CONFLICT (canteen_id, txn_id) DO NOTHING RETURNING txn_id"
    if is_sqlite():
        connection = _connection()
        row_marks = "(" + ", ".join("?" * len(COLUMNS)) + ")"
        for start in range(0, len(rows), SQLITE_INSERT_ROWS):
            chunk = rows[start : start + SQLITE_INSERT_ROWS]
            sql = f"INSERT INTO meal_record ({names}) VALUES {', '.join([row_marks] * len(chunk))} {conflict}"
            flat = [value for row in chunk for value in row]
            async with connection.execute(sql, flat) as cursor:
                inserted.update(r["txn_id"] for r in await _dicts(cursor))
        return inserted
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(PG_TYPES, 1))
    columns = list(zip(*rows, strict=True))
    found = await _connection().fetch(
        f"INSERT INTO meal_record ({names}) SELECT * FROM unnest({arrays}) {conflict}", *[list(c) for c in columns]
    )
    inserted.update(r["txn_id"] for r in found)
    return inserted


def _month_start(month: str) -> datetime:
    return park_day_start(month_bounds(month)[0])


async def recompute(groups: dict[tuple[int, str], datetime], policies: list[Policy]) -> dict[tuple[int, str], int]:
    """Recompute worker-months in time order from a moment on; update the rows whose subsidy moved.

    `groups` maps (worker, month) to the moment from which its meals are recomputed (the
    earliest late meal, or the month's start); what meals before it took is summed, not
    recomputed. Returns each recomputed record's subsidy by (canteen_id, txn_id)."""
    if not groups:
        return {}
    workers = sorted({w for w, _ in groups})
    months = sorted({m for _, m in groups})
    earliest = min(groups.values())
    where = f"{_in('worker_id')} AND {_in('month')}"
    rows = await _rows(
        "SELECT id, canteen_id, txn_id, worker_id, firm_id, meal_type, at, day, month, price_fen, "
        f"subsidy_fen, funded_by, policy_id FROM meal_record WHERE {where} AND at >= {{}}",
        [workers, months, earliest],
    )
    before = await _rows(
        f"SELECT worker_id, month, day, SUM(subsidy_fen) AS used FROM meal_record WHERE {where} AND at < {{}} "
        "GROUP BY worker_id, month, day",
        [workers, months, earliest],
    )
    day_used: dict[tuple[int, str], dict[date, int]] = defaultdict(dict)
    for r in before:
        day_used[(r["worker_id"], r["month"])][as_date(r["day"])] = int(r["used"])
    by_group: dict[tuple[int, str], list[tuple[Row, Meal]]] = defaultdict(list)
    for row in rows:
        key = (row["worker_id"], row["month"])
        if key not in groups:
            continue
        day, moment = as_date(row["day"]), as_datetime(row["at"])
        if moment < groups[key]:  # before this group's moment: it keeps its subsidy and counts as used
            used = day_used[key]
            used[day] = used.get(day, 0) + row["subsidy_fen"]
            continue
        meal = Meal(
            at=moment,
            txn_id=row["txn_id"],
            day=day,
            meal_type=row["meal_type"],
            price_fen=row["price_fen"],
            policy=policy_for(policies, row["firm_id"], day),
        )
        by_group[key].append((row, meal))
    subsidies: dict[tuple[int, str], int] = {}
    changed: list[tuple[int, str | None, int | None, int]] = []
    for key, pairs in by_group.items():
        used = day_used[key]
        allocate([meal for _, meal in pairs], used, sum(used.values()))
        for row, meal in pairs:
            funded_by = meal.policy.funded_by if meal.policy else None
            policy_id = meal.policy.id if meal.policy else None
            subsidies[(row["canteen_id"], row["txn_id"])] = meal.subsidy_fen
            if (row["subsidy_fen"], row["funded_by"], row["policy_id"]) != (meal.subsidy_fen, funded_by, policy_id):
                changed.append((meal.subsidy_fen, funded_by, policy_id, row["id"]))
    if changed:
        connection = _connection()
        if is_sqlite():
            await connection.executemany(
                "UPDATE meal_record SET subsidy_fen = ?, funded_by = ?, policy_id = ? WHERE id = ?", changed
            )
        else:
            s, f, p, i = (list(c) for c in zip(*changed, strict=True))
            await connection.execute(
                "UPDATE meal_record m SET subsidy_fen = u.s, funded_by = u.f, policy_id = u.p "
                "FROM unnest($1::int[], $2::text[], $3::int[], $4::int[]) AS u(s, f, p, id) WHERE m.id = u.id",
                s,
                f,
                p,
                i,
            )
    return subsidies


async def ingest(viewer: Viewer, records: list[RecordIn]) -> list[ResultOut]:
    """Classify, price, subsidise and keep a terminal's batch; one result per record, in order."""
    own_canteen = await canteen_of_terminal(viewer.account_id)
    now = viewer.now.astimezone(UTC)
    results: list[ResultOut | None] = [None] * len(records)
    first_of_txn: dict[str, int] = {}
    pending: list[int] = []
    for i, record in enumerate(records):
        if record.canteen_id != own_canteen:
            results[i] = ResultOut(record.txn_id, "wrong_canteen", None)
        elif record.txn_id in first_of_txn:
            results[i] = ResultOut(record.txn_id, "duplicate", None)  # its subsidy is filled in below
        elif record.at.astimezone(UTC) > now + FUTURE_SLACK:
            first_of_txn[record.txn_id] = i
            results[i] = ResultOut(record.txn_id, "in_future", None)
        else:
            first_of_txn[record.txn_id] = i
            pending.append(i)
    if pending and own_canteen is not None:
        async with write_transaction():
            await _classify_and_keep(records, pending, own_canteen, now, results)
            tally: dict[str, int] = defaultdict(int)
            for result in results:
                tally[result.result if result else "none"] += 1
            # one entry per batch (not per meal): who posted, for which canteen, what came of it
            await audit.record(viewer, "canteen", own_canteen, "meal_batch", after={"records": len(records), **tally})
    for i, record in enumerate(records):
        result = results[i]
        if result is not None and result.result == "duplicate" and result.subsidy_fen is None:
            first = results[first_of_txn.get(record.txn_id, i)]
            if first is not None and first is not result and first.result == "accepted":
                result.subsidy_fen = first.subsidy_fen
    return [r for r in results if r is not None]


async def _classify_and_keep(
    records: list[RecordIn], pending: list[int], canteen_id: int, now: datetime, results: list[ResultOut | None]
) -> None:
    if not is_sqlite():
        await _connection().execute("LOCK TABLE canteen_settlement IN SHARE MODE")
    days = {i: park_day(records[i].at) for i in pending}
    first_day, last_day = min(days.values()), max(days.values())
    months = sorted({_month_of(d) for d in days.values()})
    workers = await _workers(sorted({records[i].worker_id for i in pending}))
    closed = {r["month"] for r in await _rows(f"SELECT month FROM canteen_settlement WHERE {_in('month')}", [months])}
    existing = {
        r["txn_id"]: r["subsidy_fen"]
        for r in await _rows(
            f"SELECT txn_id, subsidy_fen FROM meal_record WHERE canteen_id = {{}} AND {_in('txn_id')}",
            [canteen_id, [records[i].txn_id for i in pending]],
        )
    }
    prices = await _prices(canteen_id, first_day, last_day)
    policies = await policies_between(month_bounds(months[0])[0], month_bounds(months[-1])[1])
    candidates: list[Candidate] = []
    for i in pending:
        record, day = records[i], days[i]
        worker = workers.get(record.worker_id)
        price = price_for(prices, canteen_id, record.meal_type, day)
        if record.txn_id in existing:
            results[i] = ResultOut(record.txn_id, "duplicate", existing[record.txn_id])
        elif worker is None:
            results[i] = ResultOut(record.txn_id, "unknown_worker", None)
        elif _month_of(day) in closed:
            results[i] = ResultOut(record.txn_id, "month_closed", None)
        elif not _employed(worker, day):
            results[i] = ResultOut(record.txn_id, "not_employed", None)
        elif price is None:
            results[i] = ResultOut(record.txn_id, "no_price", None)
        else:
            firm_id = worker["firm_id"]
            candidates.append(
                Candidate(
                    i,
                    record,
                    record.at.astimezone(UTC),
                    day,
                    _month_of(day),
                    firm_id,
                    price,
                    policy_for(policies, firm_id, day),
                )
            )
    if not candidates:
        return
    by_group: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_group[(c.record.worker_id, c.month)].append(c)
    late = await _allocate_in_order(by_group, sorted({c.day for c in candidates}))
    rows = [
        (
            canteen_id,
            c.record.txn_id,
            c.record.worker_id,
            c.firm_id,
            c.record.meal_type,
            c.at,
            c.day,
            c.month,
            c.price_fen,
            c.subsidy_fen,
            c.policy.funded_by if c.policy else None,
            c.policy.id if c.policy else None,
            now,
        )
        for c in candidates
    ]
    inserted = await insert_records(rows)
    lost = [c for c in candidates if c.record.txn_id not in inserted]  # a concurrent batch kept it first
    for c in lost:
        late[(c.record.worker_id, c.month)] = _month_start(c.month)
    again = await recompute(late, policies)
    for c in candidates:
        if c.record.txn_id in inserted:
            subsidy = again.get((canteen_id, c.record.txn_id), c.subsidy_fen)
            results[c.index] = ResultOut(c.record.txn_id, "accepted", subsidy)
        else:
            results[c.index] = ResultOut(c.record.txn_id, "duplicate", None)


async def _allocate_in_order(
    by_group: dict[tuple[int, str], list[Candidate]], days: list[date]
) -> dict[tuple[int, str], datetime]:
    """Allocate the new meals that come after everything kept for their worker-month, from the
    month's and days' totals (one query each); return the worker-months that need a full recompute."""
    workers = sorted({w for w, _ in by_group})
    months = sorted({m for _, m in by_group})
    month_rows = await _rows(
        "SELECT worker_id, month, SUM(subsidy_fen) AS used, MAX(at) AS last_at FROM meal_record "
        f"WHERE {_in('worker_id')} AND {_in('month')} GROUP BY worker_id, month",
        [workers, months],
    )
    day_rows = await _rows(
        "SELECT worker_id, day, SUM(subsidy_fen) AS used FROM meal_record "
        f"WHERE {_in('worker_id')} AND {_in('day')} GROUP BY worker_id, day",
        [workers, [d.isoformat() for d in days] if is_sqlite() else days],
    )
    month_used = {(r["worker_id"], r["month"]): (int(r["used"]), as_datetime(r["last_at"])) for r in month_rows}
    day_used: dict[int, dict[date, int]] = defaultdict(dict)
    for r in day_rows:
        day_used[r["worker_id"]][as_date(r["day"])] = int(r["used"])
    late: dict[tuple[int, str], datetime] = {}
    for key, group in by_group.items():
        used, last_at = month_used.get(key, (0, None))
        if last_at is not None and min(c.at for c in group) <= last_at:
            late[key] = min(c.at for c in group)  # an earlier meal arrived late: recomputed from it on
            continue
        meals = [
            Meal(
                at=c.at,
                txn_id=c.record.txn_id,
                day=c.day,
                meal_type=c.record.meal_type,
                price_fen=c.price_fen,
                policy=c.policy,
            )
            for c in group
        ]
        allocate(meals, day_used[key[0]], used)
        for c, meal in zip(group, meals, strict=True):
            c.subsidy_fen = meal.subsidy_fen
    return late


def to_out(row: Row, viewer: Viewer) -> MealRecordOut:
    return MealRecordOut(
        id=row["id"],
        canteen_id=row["canteen_id"],
        txn_id=row["txn_id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        firm_id=row["firm_id"],
        meal_type=row["meal_type"],
        at=as_datetime(row["at"]),
        day=as_date(row["day"]),
        month=row["month"],
        price_fen=row["price_fen"],
        subsidy_fen=row["subsidy_fen"],
        worker_paid_fen=row["price_fen"] - row["subsidy_fen"],
        funded_by=row["funded_by"],
    )


def scope(viewer: Viewer) -> Combinable | None:
    """Staff see every meal; HR its firm's (the worker's firm when eaten); a worker its own."""
    if viewer.is_staff:
        return None
    if viewer.is_hr:
        return MealRecord.firm_id == viewer.firm_id
    return MealRecord.worker_id == (viewer.worker_id or 0)


RECORDS = resource.Resource(
    table=MealRecord,
    columns=[
        MealRecord.id,
        MealRecord.canteen_id,
        MealRecord.txn_id,
        MealRecord.worker_id,
        MealRecord.worker_id.name.as_alias("worker_name"),
        MealRecord.firm_id,
        MealRecord.meal_type,
        MealRecord.at,
        MealRecord.day,
        MealRecord.month,
        MealRecord.price_fen,
        MealRecord.subsidy_fen,
        MealRecord.funded_by,
    ],
    to_out=to_out,
    scope=scope,
)
STAFF_HR_WORKER = frozenset({"staff", "hr", "worker"})


class MealRecordController(Controller):
    path = "/meal-records"
    tags = ["canteen · 食堂"]

    @post("/batch", status_code=200, opt=allow(TERMINAL))
    async def post_batch(self, request: Request[Any, Any, Any], data: JSONBody[BatchIn]) -> BatchOut:
        """A terminal's batch (≤ 5,000 records): one result per record, in input order; the good ones are kept."""
        viewer = viewer_of(request)
        if not data.records:
            return BatchOut(results=[])
        return BatchOut(results=await ingest(viewer, data.records))

    @get("/", opt=allow(STAFF_HR_WORKER))
    async def list_records(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        month: Annotated[str | None, QueryParameter(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
        worker_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        canteen_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
    ) -> OffsetPagination[MealRecordOut]:
        """Meals: staff all, HR its firm's workers', a worker its own; filter by park month."""
        filters = [
            resource.equals(MealRecord.month, month),
            resource.equals(MealRecord.worker_id, worker_id),
            resource.equals(MealRecord.canteen_id, canteen_id),
        ]
        return await resource.list_page(RECORDS, viewer_of(request), page, filters)

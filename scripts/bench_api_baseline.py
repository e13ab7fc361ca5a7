"""The ceiling `scripts/bench_api.py` measures the app against: the same three endpoints, hand-written.

Each route does what the app's route must do, and nothing else: take the bearer token, verify
it exactly as the app does (HS256 with the app's `SECRET_KEY`, `exp` checked; the token names a
login session: `sub` = account id, `jti` = the session), then read *everything* the answer
needs — the live session, the caller's account and the rows — with **one hand-written SQL
query** the way the app reads them (on SQLite: the reads of a few rows by key — the session,
the worker's unit — with sqlite3 on the event loop's thread, as the app's point reads are, and
the page of workers through aiosqlite over one long-lived connection, as the app's lists are; an
asyncpg pool on PostgreSQL), and encode the same JSON with msgspec.
No ORM, no middleware, no DI.

    GET /api/me                      ME_SQL
    GET /api/workers?limit=&offset=  WORKERS_SQL (the caller must be HR: its own firm's workers)
    GET /api/me/bed                  ME_BED_SQL (the caller must be a worker: bed, roommates, move)

The queries are constants here so they can follow the schema. They are written for both
engines: `$n` parameters (rewritten to SQLite's `?n`), plain joins and CTEs.

Configured by the environment, like the app: `DATABASE_URL` (unset or `sqlite:///…` = SQLite,
`postgresql://…`) and `SECRET_KEY`. Started by bench_api.py as `uvicorn bench_api_baseline:app`
with `--app-dir scripts` and the same flags as the app.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import msgspec
from litestar import Litestar, Request, Response, get

# --- the baseline queries (keep in step with the app's schema) --------------------------

# The live session the token names, its account and firm / worker names; no row when the
# session has ended, the login is inactive, or a worker account's worker is. Mirrors
# housing.web.auth.VIEWER (the app answers /api/me from it with no further query).
ME_SQL = """
SELECT a.id, u.username, a.role, COALESCE(w.firm_id, a.firm_id) AS firm_id, f.name AS firm_name,
       a.worker_id, w.name AS worker_name
FROM login_session s
JOIN account a ON a.id = s.account_id
JOIN piccolo_user u ON u.id = a.user_id
LEFT JOIN worker w ON w.id = a.worker_id
LEFT JOIN firm f ON f.id = COALESCE(w.firm_id, a.firm_id)
WHERE s.jti = $1 AND s.account_id = $2 AND s.ended_at IS NULL AND u.active
  AND (a.worker_id IS NULL OR w.active)
"""

# An HR caller's firm's workers, one page in id order, the WorkerOut columns, and the firm's
# total: one row per worker (the caller's role and the total repeated), or a single row with
# NULL worker columns when the page is empty; no row at all when the session is not live.
# Mirrors the app's viewer query + resource.list_page(WORKERS) for HR (scope = the HR's firm).
WORKERS_SQL = """
WITH viewer AS (
    SELECT a.role, a.firm_id
    FROM login_session s
    JOIN account a ON a.id = s.account_id
    JOIN piccolo_user u ON u.id = a.user_id
    WHERE s.jti = $1 AND s.account_id = $2 AND s.ended_at IS NULL AND u.active
),
total AS (SELECT count(*) AS n FROM worker WHERE firm_id = (SELECT firm_id FROM viewer)),
page AS (
    SELECT w.id, w.firm_id, f.name AS firm_name, w.name, w.gender, w.id_number, w.mobile,
           w.employee_no, w.shift, w.housing_status, w.active, w.created_at, w.hired_on, w.left_on
    FROM worker w JOIN firm f ON f.id = w.firm_id
    WHERE w.firm_id = (SELECT firm_id FROM viewer)
    ORDER BY w.id LIMIT $3 OFFSET $4
)
SELECT viewer.role, total.n, page.*
FROM viewer CROSS JOIN total LEFT JOIN page ON TRUE
ORDER BY page.id
"""

# A worker's bed and roommates, and their pending move: the live session names the worker; one
# row per occupant of the worker's unit (the worker included), or one row with NULLs when the
# worker has no bed; no row when the session is not live. The move's columns (the move ahead of
# the worker and the bed waiting for them, NULL when none) are on every row. Mirrors
# housing.leasing.occupancy.MY_BED + the viewer.
ME_BED_SQL = """
WITH viewer AS (
    SELECT a.worker_id
    FROM login_session s
    JOIN account a ON a.id = s.account_id
    JOIN piccolo_user u ON u.id = a.user_id
    JOIN worker w ON w.id = a.worker_id
    WHERE s.jti = $1 AND s.account_id = $2 AND s.ended_at IS NULL AND u.active AND w.active
      AND a.role = 'worker'
),
mine AS (
    SELECT unit_id FROM bed_assignment WHERE worker_id = (SELECT worker_id FROM viewer)
      AND starts_on <= $3 AND (ends_on IS NULL OR ends_on >= $3) ORDER BY starts_on DESC LIMIT 1
),
mv AS (
    SELECT m.deadline, b.code AS move_code, u.number AS move_number, m.bed AS move_bed, nb.code AS new_code,
           nu.number AS new_number, nu.floor AS new_floor, na.bed AS new_bed, na.starts_on AS new_starts_on
    FROM move m JOIN bed_assignment old ON old.id = m.bed_assignment_id
    JOIN unit u ON u.id = m.unit_id JOIN building b ON b.id = u.building_id
    LEFT JOIN bed_assignment na ON na.worker_id = m.worker_id AND na.ends_on IS NULL AND na.starts_on > $3
    LEFT JOIN unit nu ON nu.id = na.unit_id LEFT JOIN building nb ON nb.id = nu.building_id
    WHERE m.worker_id = (SELECT worker_id FROM viewer)
      AND (m.status = 'pending' OR (old.ends_on >= $3 AND na.id IS NOT NULL))
    ORDER BY m.deadline DESC LIMIT 1
)
SELECT viewer.worker_id AS me, b.code, b.name AS building_name, u.floor, u.number, u.beds,
       a.bed, a.starts_on, a.worker_id, w.name, mv.*
FROM viewer
LEFT JOIN bed_assignment a ON a.unit_id = (SELECT unit_id FROM mine)
      AND a.starts_on <= $3 AND (a.ends_on IS NULL OR a.ends_on >= $3)
LEFT JOIN unit u ON u.id = a.unit_id
LEFT JOIN building b ON b.id = u.building_id
LEFT JOIN worker w ON w.id = a.worker_id
LEFT JOIN mv ON 1 = 1
ORDER BY a.bed
"""

# -----------------------------------------------------------------------------------------

WORKER_COLUMNS = (
    "id",
    "firm_id",
    "firm_name",
    "name",
    "gender",
    "id_number",
    "mobile",
    "employee_no",
    "shift",
    "housing_status",
    "active",
    "created_at",
    "hired_on",
    "left_on",
)
MAX_LIMIT = 500


def render(sql: str, sqlite: bool) -> str:
    """The query as the driver wants it: `$n` → `?n` on SQLite."""
    return re.sub(r"\$(\d+)", r"?\1", sql) if sqlite else sql


def is_sqlite_url(url: str | None) -> bool:
    return not url or url.startswith("sqlite:///")


def sqlite_path(url: str | None) -> str:
    if not url:
        return str(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var", "park.sqlite"))
    return url.removeprefix("sqlite:///")


@dataclass
class Db:
    """One long-lived aiosqlite connection and one plain sqlite3 connection on the event loop's
    thread, or an asyncpg pool (Piccolo's default size)."""

    sqlite: bool
    conn: Any = None
    inline: Any = None
    pool: Any = None
    me_sql: str = ""
    workers_sql: str = ""
    me_bed_sql: str = ""

    async def fetch(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.sqlite:
            return list(await self.conn.execute_fetchall(sql, params))
        return [tuple(r) for r in await self.pool.fetch(sql, *params)]

    async def fetch_point(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """A read of a few rows by key: on SQLite on the event loop's thread, as the app's
        point reads (`HotQuery(..., point=True)`) are; on PostgreSQL as any read."""
        if self.sqlite:
            return self.inline.execute(sql, params).fetchall()  # type: ignore[no-any-return]
        return await self.fetch(sql, *params)


DB = Db(sqlite=is_sqlite_url(os.environ.get("DATABASE_URL")))
PARK_TZ = ZoneInfo("Asia/Shanghai")
SECRET = os.environ.get("SECRET_KEY", "")


async def open_db() -> None:
    url = os.environ.get("DATABASE_URL")
    if not SECRET:
        raise RuntimeError("the baseline needs SECRET_KEY (the app's JWT key) in the environment")
    DB.me_sql = render(ME_SQL, DB.sqlite)
    DB.workers_sql = render(WORKERS_SQL, DB.sqlite)
    DB.me_bed_sql = render(ME_BED_SQL, DB.sqlite)
    if DB.sqlite:
        import aiosqlite

        DB.conn = await aiosqlite.connect(sqlite_path(url))
        DB.inline = sqlite3.connect(sqlite_path(url))
    else:
        import asyncpg

        DB.pool = await asyncpg.create_pool(url)


async def close_db() -> None:
    if DB.conn is not None:
        await DB.conn.close()
    if DB.inline is not None:
        DB.inline.close()
    if DB.pool is not None:
        await DB.pool.close()


def unauthorized() -> Response[bytes]:
    return Response(b'{"status":401,"title":"unauthorized"}', status_code=401, media_type="application/json")


def claims_of(request: Request[Any, Any, Any]) -> tuple[int, str] | None:
    """(account id, session jti) of a validly signed, unexpired bearer token; None otherwise."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        payload = jwt.decode(header[7:], SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        account_id, jti = int(payload["sub"]), str(payload.get("jti") or "")
    except (jwt.InvalidTokenError, KeyError, ValueError):
        return None
    return account_id, jti


def timestamptz(value: Any) -> datetime:
    """asyncpg gives an aware datetime; SQLite the text Piccolo stored (UTC, no `T`)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def mask_resident_id(number: str) -> str:
    """As housing.validators.mask_resident_id (HR never sees a whole ID number)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def json_response(body: dict[str, Any]) -> Response[bytes]:
    return Response(msgspec.json.encode(body), media_type="application/json")


@get("/api/me")
async def me(request: Request[Any, Any, Any]) -> Response[bytes]:
    claims = claims_of(request)
    if claims is None:
        return unauthorized()
    account_id, jti = claims
    rows = await DB.fetch_point(DB.me_sql, jti, account_id)
    if not rows:
        return unauthorized()
    account_id, username, role, firm_id, firm_name, worker_id, worker_name = rows[0]
    return json_response(
        {
            "account_id": account_id,
            "username": username,
            "role": role,
            "firm_id": firm_id,
            "firm_name": firm_name,
            "worker_id": worker_id,
            "worker_name": worker_name,
            "canteen_id": None,  # only a canteen terminal has one
        }
    )


@get("/api/workers")
async def workers(request: Request[Any, Any, Any], limit: int = 50, offset: int = 0) -> Response[bytes]:
    claims = claims_of(request)
    if claims is None:
        return unauthorized()
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)  # the app answers 400 instead; not measured
    account_id, jti = claims
    rows = await DB.fetch(DB.workers_sql, jti, account_id, limit, offset)
    if not rows:
        return unauthorized()
    if rows[0][0] != "hr":  # the baseline covers the measured case: an HR caller
        return Response(b'{"status":403,"title":"forbidden"}', status_code=403, media_type="application/json")
    items = []
    for row in rows:
        if row[2] is None:  # the empty page's single row
            continue
        item = dict(zip(WORKER_COLUMNS, row[2:], strict=True))
        item["id_number"] = mask_resident_id(item["id_number"])
        item["active"] = bool(item["active"])
        item["created_at"] = timestamptz(item["created_at"])
        for day in ("hired_on", "left_on"):
            if isinstance(item[day], str):
                item[day] = date.fromisoformat(item[day])
        items.append(item)
    return json_response({"items": items, "limit": limit, "offset": offset, "total": rows[0][1]})


@get("/api/me/bed")
async def me_bed(request: Request[Any, Any, Any]) -> Response[bytes]:
    claims = claims_of(request)
    if claims is None:
        return unauthorized()
    account_id, jti = claims
    today = datetime.now(PARK_TZ).date()
    rows = await DB.fetch_point(DB.me_bed_sql, jti, account_id, today)
    if not rows:
        return unauthorized()
    me = rows[0][0]
    mine = next((r for r in rows if r[8] == me), None)
    if mine is None:
        return Response(b'{"status":404,"title":"not found"}', status_code=404, media_type="application/json")
    since = mine[7] if not isinstance(mine[7], str) else datetime.fromisoformat(mine[7]).date()
    pending = None
    if mine[10] is not None:
        m = mine[10:]
        new_bed = None
        if m[7] is not None:
            new_bed = {"building_code": m[4], "floor": m[6], "unit_number": m[5], "bed": m[7], "starts_on": m[8]}
        pending = {"deadline": m[0], "building_code": m[1], "unit_number": m[2], "bed": m[3], "new_bed": new_bed}
    return json_response(
        {
            "building_code": mine[1],
            "building_name": mine[2],
            "floor": mine[3],
            "unit_number": mine[4],
            "bed": mine[6],
            "beds": mine[5],
            "since": since,
            "roommates": [{"bed": r[6], "name": r[9]} for r in rows if r is not mine],
            "pending_move": pending,
        }
    )


app = Litestar(route_handlers=[me, workers, me_bed], on_startup=[open_db], on_shutdown=[close_db], openapi_config=None)

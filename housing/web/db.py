"""Database helpers shared by every feature: the engine, write transactions, hot reads.

Piccolo is the way to the database; two things are added around it:

- `write_transaction()`: IMMEDIATE on SQLite, so checks made inside it still hold when the
  write lands;
- `HotQuery`: the few reads that run on (nearly) every request — who is this token — are
  written once as SQL, with the placeholders of the engine in use, and on SQLite run on a
  connection kept open per event loop instead of Piccolo's new connection (and thread) per
  query. What they read is the same tables Piccolo writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString


def engine() -> Engine:
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf.py is always there
        raise RuntimeError("piccolo_conf.py defines no engine")
    return found


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def write_transaction() -> Any:
    """A transaction for work that reads then writes.

    On SQLite it starts IMMEDIATE: a deferred transaction that reads first and writes later
    fails with "database is locked" when another writer got there in between; IMMEDIATE takes
    the write lock up front, so the checks made inside it still hold when the write lands.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


_sqlite_readers: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}


async def _sqlite_reader(path: str) -> aiosqlite.Connection:
    loop = asyncio.get_running_loop()
    connection = _sqlite_readers.get(loop)
    if connection is None:
        connection = await aiosqlite.connect(path, isolation_level=None, timeout=10)
        connection.row_factory = sqlite3.Row
        _sqlite_readers[loop] = connection
    return connection


async def close_readers() -> None:
    """At shutdown: close this loop's kept SQLite connection."""
    connection = _sqlite_readers.pop(asyncio.get_running_loop(), None)
    if connection is not None:
        await connection.close()


async def prepare_database() -> None:
    """At start-up. SQLite in WAL mode lets readers go on while one writer writes."""
    if is_sqlite():
        await engine().run_ddl("PRAGMA journal_mode=WAL")


class HotQuery:
    """A read written once as SQL with `{}` placeholders, run many times with new values."""

    def __init__(self, template: str) -> None:
        self.template = template
        parts = template.split("{}")
        self._sqlite = "?".join(parts)
        self._postgres = "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, 1))

    async def rows(self, *values: Any) -> Sequence[dict[str, Any]]:
        db = engine()
        if isinstance(db, SQLiteEngine):
            connection = await _sqlite_reader(db.connection_kwargs["database"])
            async with connection.execute(self._sqlite, values) as cursor:
                return [dict(row) for row in await cursor.fetchall()]
        pool = getattr(db, "pool", None)
        if pool is not None:
            async with pool.acquire() as connection:
                return [dict(row) for row in await connection.fetch(self._postgres, *values)]
        return await db.run_querystring(QueryString(self.template, *values))  # type: ignore[no-any-return]

    async def first(self, *values: Any) -> dict[str, Any] | None:
        found = await self.rows(*values)
        return found[0] if found else None

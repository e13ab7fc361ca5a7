"""Database helpers shared by every feature: the engine, write transactions, hot reads.

Piccolo is the way to the database; two things are added around it:

- `write_transaction()`: IMMEDIATE on SQLite, so checks made inside it still hold when the
  write lands;
- `ParkSQLiteEngine`: on SQLite, reads outside a transaction run on a connection kept open
  per event loop instead of Piccolo's new connection (and thread) per query, and reads of a
  few rows by key (`HotQuery(..., point=True)`) on the event loop's own thread;
- `HotQuery`: the few reads that run on (nearly) every request — who is this token, where is
  my bed — are written once as SQL, with the placeholders of the engine in use.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


@cache
def engine() -> Engine:
    """Piccolo's engine for this process (found once: Piccolo binds the tables to it at import)."""
    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf.py is always there
        raise RuntimeError("piccolo_conf.py defines no engine")
    return found


def json_value(value: Any) -> Any:
    """A JSON column's value as data: SQLite hands back its text, PostgreSQL the decoded value."""
    return json.loads(value) if isinstance(value, str) else value


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


class ParkSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, with reads outside a transaction on a connection kept open.

    Piccolo opens a new connection (a new thread, a file open, a PRAGMA) for every query run
    outside a transaction: about 1 ms of the 0.05 ms a small read needs. Here a read made
    outside a transaction runs on one connection kept per event loop, in autocommit mode, so
    each statement still sees everything committed before it (WAL lets it read while another
    connection writes). Writes and transactions are Piccolo's, unchanged.
    """

    __slots__ = ("_readers", "_inline")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}
        self._inline: dict[asyncio.AbstractEventLoop, sqlite3.Connection] = {}

    async def reader(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        connection = self._readers.get(loop)
        if connection is None:
            for old_loop in [old for old in self._readers if old.is_closed()]:
                self._readers.pop(old_loop).stop()
            connection = aiosqlite.connect(**self.connection_kwargs)
            # A kept read connection must never hold the process open at exit.
            connection._thread.daemon = True
            await connection
            connection.row_factory = sqlite3.Row
            await connection.execute("PRAGMA foreign_keys = 1")
            self._readers[loop] = connection
        return connection

    async def close_reader(self) -> None:
        loop = asyncio.get_running_loop()
        connection = self._readers.pop(loop, None)
        if connection is not None:
            await connection.close()
        inline = self._inline.pop(loop, None)
        if inline is not None:
            inline.close()

    def _inline_connection(self) -> sqlite3.Connection:
        loop = asyncio.get_running_loop()
        connection = self._inline.get(loop)
        if connection is None:
            for old_loop in [old for old in self._inline if old.is_closed()]:
                self._inline.pop(old_loop).close()
            # timeout 0: never wait on the event loop's thread; a busy database is the caller's
            # cue to take the thread path instead (WAL readers are not blocked by a writer).
            # detect_types 0: values as SQLite keeps them (INTEGER an int, DATE its ISO text,
            # BOOLEAN 0/1), without Piccolo's Python converter called for every value (about
            # 50 calls for a bed page); the point reads' callers convert what they use.
            # check_same_thread off: each connection serves its own loop's thread only, but the
            # connection of a loop that has ended is closed from whichever thread notices it
            # (tests drive the app's loop and their own from two threads).
            settings = {"timeout": 0, "detect_types": 0, "check_same_thread": False}
            connection = sqlite3.connect(**{**self.connection_kwargs, **settings})
            connection.row_factory = sqlite3.Row
            self._inline[loop] = connection
        return connection

    async def read_point(self, query: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """A read of a few rows by key, on the event loop's own thread.

        Such a read costs SQLite ~0.03–0.1 ms, less than the two thread switches of a trip to
        aiosqlite's thread, and under load each switch may wait for the CPU: the slowest
        answers of the hot pages were those waits (scripts/bench_api.py). Only reads bounded by
        a key or a LIMIT come here (`HotQuery(..., point=True)`); everything else keeps
        the loop free by running on the reader thread. Values come as SQLite keeps them
        (a date is its ISO text, a boolean 0 or 1): `as_date`, `bool()` at the caller."""
        try:
            rows = self._inline_connection().execute(query, args).fetchall()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            return await self.read(query, args)
        return _as_dicts(rows)

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        # Piccolo tags only inserts with a query type; a read is a statement that starts SELECT.
        if not query.lstrip()[:6].upper() == "SELECT":
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await self.read(query, args or [])

    async def read(self, query: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows as dicts. One trip to the connection's thread (`execute_fetchall`; execute,
        fetch and close as three trips cost ~0.05 ms each), rows made there by sqlite3's C
        `Row` and turned into dicts here with the column names read once (Piccolo's
        `dict_factory` reads `cursor.description` again for every row)."""
        connection = await self.reader()
        return _as_dicts(list(await connection.execute_fetchall(query, args)))


def _as_dicts(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """sqlite3's C rows as dicts, with the column names read once for all of them."""
    if not rows:
        return []
    names = rows[0].keys()
    return [dict(zip(names, row, strict=True)) for row in rows]


async def close_readers() -> None:
    """At shutdown: close this loop's kept SQLite connection."""
    db = engine()
    if isinstance(db, ParkSQLiteEngine):
        await db.close_reader()


async def prepare_database() -> None:
    """At start-up. SQLite in WAL mode lets readers go on while one writer writes."""
    if is_sqlite():
        await engine().run_ddl("PRAGMA journal_mode=WAL")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class ParkPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine with one connection pool per event loop.

    A pool belongs to the loop that made it. The server has one loop, so nothing changes there;
    but a test drives the app (in its own thread and loop, with its pool) and also reads and
    writes the database from the test's loop: each loop gets its own pool, or none and a
    connection per query, instead of borrowing another loop's connections.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: dict[asyncio.AbstractEventLoop | None, Any] = {}
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def pool(self) -> Any:
        return self._pools.get(_running_loop())

    @pool.setter
    def pool(self, value: Any) -> None:
        loop = _running_loop()
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value


def in_transaction() -> bool:
    """Whether this task is inside a Piccolo transaction (whose connection must see its reads)."""
    current = getattr(engine(), "current_transaction", None)
    return current is not None and current.get() is not None


async def fetch_sql(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    """Run a read already written for the engine in use, outside any transaction: on SQLite on
    the kept connection, on PostgreSQL from the pool (or a connection of its own without one)."""
    db = engine()
    if isinstance(db, ParkSQLiteEngine):
        return await db.read(sql, args)
    pool = getattr(db, "pool", None)
    if pool is not None:
        async with pool.acquire() as connection:
            return [dict(row) for row in await connection.fetch(sql, *args)]
    connection = await db.get_new_connection()  # type: ignore[attr-defined]
    try:
        return [dict(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


class HotQuery:
    """A read written once as SQL with `{}` placeholders, run many times with new values.
    `point=True` says it reads a few rows by key (see `ParkSQLiteEngine.read_point`)."""

    def __init__(self, template: str, *, point: bool = False) -> None:
        self.template, self.point = template, point
        parts = template.split("{}")
        self._sqlite = "?".join(parts)
        self._postgres = "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, 1))

    async def rows(self, *values: Any) -> Sequence[dict[str, Any]]:
        db = engine()
        if self.point and isinstance(db, ParkSQLiteEngine):
            return await db.read_point(self._sqlite, values)
        return await fetch_sql(self._sqlite if is_sqlite() else self._postgres, values)

    async def first(self, *values: Any) -> dict[str, Any] | None:
        found = await self.rows(*values)
        return found[0] if found else None

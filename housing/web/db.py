"""Database helpers shared by every domain module."""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


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

"""The hot reads: a point read on SQLite (run on the event loop's thread) answers exactly what the
same read through the reader thread answers, sees every commit made on other connections, and
steps aside to the reader thread when the database is busy, instead of waiting on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

import pytest

from housing.register.tables import Firm
from housing.web.db import HotQuery, ParkSQLiteEngine, engine
from tests.housing import factories

FIRM = "SELECT id, name, is_key FROM firm WHERE id = {}"


async def test_a_point_read_answers_what_the_plain_read_answers(park: factories.Park) -> None:
    """The same rows; on SQLite a point read's boolean is SQLite's own 0/1 (and 1 == True)."""
    point, plain = HotQuery(FIRM, point=True), HotQuery(FIRM)
    assert await point.rows(park.firm1) == await plain.rows(park.firm1)
    assert {type(row["is_key"]) for row in await point.rows(park.firm1)} <= {bool, int}
    assert (await point.first(park.firm1) or {})["id"] == park.firm1
    assert await point.rows(-1) == []


async def test_a_point_read_sees_a_write_committed_after_it_last_read(park: factories.Park) -> None:
    point = HotQuery(FIRM, point=True)
    before = await point.first(park.firm1)
    assert before is not None
    await Firm.update({Firm.name: "新名字 New name"}).where(Firm.id == park.firm1)
    after = await point.first(park.firm1)
    assert after is not None and after["name"] == "新名字 New name" != before["name"]


@pytest.fixture
def sqlite_engine() -> ParkSQLiteEngine:
    db = engine()
    if not isinstance(db, ParkSQLiteEngine):
        pytest.skip("point reads on the loop's thread are SQLite's")
    return db


class _Busy:
    def execute(self, *args: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")


async def test_a_busy_database_sends_the_point_read_to_the_reader_thread(
    park: factories.Park, sqlite_engine: ParkSQLiteEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ParkSQLiteEngine, "_inline_connection", lambda self: _Busy())
    rows = await HotQuery(FIRM, point=True).rows(park.firm1)
    assert [row["id"] for row in rows] == [park.firm1]


async def test_any_other_database_error_of_a_point_read_is_raised(
    park: factories.Park, sqlite_engine: ParkSQLiteEngine
) -> None:
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        await HotQuery("SELECT nothing_here FROM firm WHERE id = {}", point=True).rows(park.firm1)


def test_a_loop_that_ended_in_another_thread_leaves_a_connection_that_can_be_closed(
    sqlite_engine: ParkSQLiteEngine,
) -> None:
    """Point-read connections are kept per event loop; one whose loop has ended is closed by the
    next loop that reads, whatever thread it runs in (tests drive the app from two threads)."""

    answers: list[object] = []

    def read_in_a_loop_of_its_own() -> None:
        try:
            answers.append(asyncio.run(sqlite_engine.read_point("SELECT 1 AS one", [])))
        except Exception as error:  # the thread's failure is the test's
            answers.append(error)

    for _ in range(2):  # each thread's loop ends; the next thread closes its connection
        thread = threading.Thread(target=read_in_a_loop_of_its_own)
        thread.start()
        thread.join()
    answers.append(asyncio.run(sqlite_engine.read_point("SELECT 1 AS one", [])))
    assert answers == [[{"one": 1}]] * 3

"""The one clock every rule that depends on "now" reads, and the park's calendar.

Rules take the time from the app's clock (`app.state.clock`, a function returning an aware
UTC datetime), so tests move time instead of sleeping. Days and months are park days and
months: Asia/Shanghai. Timestamps are stored in UTC and always carry their offset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar.connection import ASGIConnection

PARK_TZ = ZoneInfo("Asia/Shanghai")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Clock:
    clock: Clock = connection.app.state.clock
    return clock


def park_day(moment: datetime) -> date:
    """The park's calendar day of an instant."""
    return moment.astimezone(PARK_TZ).date()


def park_day_start(day: date) -> datetime:
    """Midnight at the start of a park day, as a UTC instant."""
    return datetime.combine(day, time.min, tzinfo=PARK_TZ).astimezone(UTC)


def as_date(value: Any) -> date:
    """A date column's value as a date (engines hand back a date or its ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def as_datetime(value: Any) -> datetime:
    """A timestamp column's value as an aware datetime (engines hand back a datetime or its ISO text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)

"""A client on an app whose clock the test moves (no sleeping), without background work: the
tests call the escalation pass themselves."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from housing.settings import Settings
from tests.housing import factories
from tests.housing.conftest import Api, clocked_app


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


def make_app(clock: MovableClock) -> Any:
    from app import create_app

    settings = dataclasses.replace(Settings.from_env(), run_jobs=False)
    return create_app(settings=settings, clock=clock)


@pytest.fixture
async def tapi(park: factories.Park, clock: MovableClock) -> AsyncIterator[Api]:
    async with AsyncTestClient(app=clocked_app(clock)) as client:
        yield Api(client=client, park=park, _tokens={})

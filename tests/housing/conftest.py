"""A small park for each test, a client on a fresh app, and logins for the five test roles."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from housing.web.clock import Clock, system_clock
from tests.housing import factories

# Hashing at 600,000 rounds is right for people and wrong for a test suite that logs in
# hundreds of times; the login code reads the round count from the stored hash either way.
BaseUser._pbkdf2_iteration_count = 1_000


@pytest.fixture
async def park(migrated: None) -> factories.Park:
    await factories.empty_database()
    return await factories.small_park()


_shared_app: Litestar | None = None


def shared_app() -> Litestar:
    """One app for the tests that need no settings or clock of their own: building a Litestar
    app (every handler's signature parsed) costs more than most tests; each test still gets
    its own client, event loop, start-up and shut-down."""
    global _shared_app
    if _shared_app is None:
        from app import create_app

        _shared_app = create_app()
    return _shared_app


class ClockSwitch:
    """The clock of the shared clocked app: each test points it at its own movable clock."""

    def __init__(self) -> None:
        self.current: Clock = system_clock

    def __call__(self) -> datetime:
        return self.current()


_clocked_app: Litestar | None = None


def clocked_app(clock: Clock) -> Litestar:
    """One app for the tests that move time (deadlines, escalation, periods, subsidies), with no
    background work (those tests run the escalation pass themselves); its clock is switched to
    the test's own. Building an app per test cost ~1 s of each of ~200 tests."""
    global _clocked_app
    if _clocked_app is None:
        from app import create_app
        from housing.settings import Settings

        settings = dataclasses.replace(Settings.from_env(), run_jobs=False)
        _clocked_app = create_app(settings=settings, clock=ClockSwitch())
    _clocked_app.state.clock.current = clock
    return _clocked_app


@pytest.fixture
async def client(park: factories.Park) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=shared_app()) as test_client:
        yield test_client


@dataclass
class Api:
    """A client that can act as any of the test roles."""

    client: AsyncTestClient[Any]
    park: factories.Park
    _tokens: dict[str, str]

    async def token(self, role: str) -> str:
        if role not in self._tokens:
            response = await self.client.post(
                "/api/auth/login", json={"username": role, "password": factories.PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[role] = response.json()["token"]
        return self._tokens[role]

    async def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {await self.token(role)}"}

    async def call(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**(await self.headers(role)), **kwargs.pop("headers", {})}
        # The cookie jar would log the next caller in as the last one: bearer tokens only here.
        self.client.cookies.clear()
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, role: str, path: str, **kwargs: Any) -> Any:
        return await self.call(role, "GET", path, **kwargs)

    async def post(self, role: str, path: str, **kwargs: Any) -> Any:
        return await self.call(role, "POST", path, **kwargs)

    async def patch(self, role: str, path: str, **kwargs: Any) -> Any:
        return await self.call(role, "PATCH", path, **kwargs)

    async def delete(self, role: str, path: str, **kwargs: Any) -> Any:
        return await self.call(role, "DELETE", path, **kwargs)


@pytest.fixture
def api(client: AsyncTestClient[Any], park: factories.Park) -> Api:
    return Api(client=client, park=park, _tokens={})


Counts = Callable[[], Awaitable[dict[str, int]]]


@pytest.fixture
def counts() -> Counts:
    return factories.row_counts

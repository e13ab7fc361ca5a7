"""The login throttle: counted before hashing, per account and address and per address, in the
database — so a burst cannot get past it, a stranger cannot lock the owner out, and a restart
forgets nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from housing.settings import LoginLimits, Settings
from housing.web import throttle
from housing.web.tables import LoginThrottle

LIMITS = LoginLimits()
LOGIN = "/api/auth/login"


def with_peer(app: ASGIApp) -> ASGIApp:
    """The test client always comes from one address; `X-Test-Peer` plays another one."""

    async def shim(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-peer":
                    scope = {**scope, "client": (value.decode(), 40000)}
        await app(scope, receive, send)

    return shim


@pytest.fixture
async def door(park: Any) -> AsyncIterator[Any]:
    from app import create_app

    async with AsyncTestClient(app=with_peer(create_app())) as client:  # type: ignore[arg-type]
        yield client


async def login(client: Any, username: str, password: str, peer: str = "10.0.0.1") -> Any:
    client.cookies.clear()
    return await client.post(LOGIN, json={"username": username, "password": password}, headers={"x-test-peer": peer})


async def test_a_burst_of_parallel_guesses_gets_at_most_five_answers(door) -> None:
    responses = await asyncio.gather(*(login(door, "hr1", f"guess-{i}") for i in range(30)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) >= 30 - LIMITS.per_account_and_address, statuses
    assert set(statuses) <= {401, 429}
    # The right password, now, from the same address: refused like the guesses.
    assert (await login(door, "hr1", "demo1234")).status_code == 429


async def test_the_owner_from_another_address_still_gets_in(door) -> None:
    for _ in range(LIMITS.per_account_and_address):
        assert (await login(door, "staff", "wrong-guess", peer="203.0.113.9")).status_code == 401
    assert (await login(door, "staff", "demo1234", peer="203.0.113.9")).status_code == 429
    assert (await login(door, "staff", "demo1234", peer="10.0.0.1")).status_code == 200


async def test_the_429_says_how_long_in_words_and_in_retry_after(door) -> None:
    for _ in range(LIMITS.per_account_and_address):
        await login(door, "hr1", "nope")
    blocked = await login(door, "hr1", "nope")
    wait = int(blocked.headers["retry-after"])
    assert 0 < wait <= LIMITS.window.total_seconds()
    body = blocked.json()
    assert "{" not in body["title"] and "{" not in body["detail"]
    assert str(wait) in body["detail"] or str(wait - 1) in body["detail"]


async def test_spraying_many_accounts_from_one_address_meets_a_limit(door) -> None:
    names = [f"user{i}" for i in range(LIMITS.per_address)]
    for name in names:
        assert (await login(door, name, "Spring2026", peer="198.51.100.7")).status_code == 401
    assert (await login(door, "staff", "Spring2026", peer="198.51.100.7")).status_code == 429
    # Another address is unaffected.
    assert (await login(door, "staff", "demo1234", peer="198.51.100.8")).status_code == 200


async def test_refused_attempts_do_not_count_towards_the_address(door) -> None:
    for _ in range(LIMITS.per_account_and_address):
        await login(door, "hr1", "typo", peer="192.0.2.50")
    for _ in range(LIMITS.per_address + 5):  # hammering the locked pair…
        assert (await login(door, "hr1", "typo", peer="192.0.2.50")).status_code == 429
    # …does not shut the office's address for a colleague.
    assert (await login(door, "hr2", "demo1234", peer="192.0.2.50")).status_code == 200


async def test_a_right_password_starts_the_pair_afresh(door) -> None:
    for _ in range(LIMITS.per_account_and_address - 1):
        await login(door, "hr1", "typo")
    assert (await login(door, "hr1", "demo1234")).status_code == 200
    for _ in range(LIMITS.per_account_and_address - 1):
        assert (await login(door, "hr1", "typo")).status_code == 401


async def test_the_count_survives_a_restart(door) -> None:
    for _ in range(LIMITS.per_account_and_address):
        await login(door, "hr1", "typo", peer="10.9.9.9")
    from app import create_app

    async with AsyncTestClient(app=with_peer(create_app())) as fresh:  # type: ignore[arg-type]
        assert (await login(fresh, "hr1", "demo1234", peer="10.9.9.9")).status_code == 429


async def test_take_attempt_counts_atomically_on_the_database(park) -> None:
    results = await asyncio.gather(*(throttle.take_attempt("x", "1.2.3.4", LIMITS) for _ in range(12)))
    assert sum(r is None for r in results) == LIMITS.per_account_and_address
    row = await LoginThrottle.select().where(LoginThrottle.key == throttle.pair_key("x", "1.2.3.4")).first()
    assert row is not None and row["failures"] == LIMITS.per_account_and_address


async def test_an_expired_window_opens_the_door_again(park) -> None:
    now = 1_800_000_000.0
    for _ in range(LIMITS.per_account_and_address):
        assert await throttle.take_attempt("y", "5.6.7.8", LIMITS, clock=lambda: now) is None
    refused = await throttle.take_attempt("y", "5.6.7.8", LIMITS, clock=lambda: now + 60)
    assert refused is not None and refused.retry_after == LIMITS.window.total_seconds() - 60
    later = now + LIMITS.window.total_seconds() + 1
    assert await throttle.take_attempt("y", "5.6.7.8", LIMITS, clock=lambda: later) is None


class _Conn:
    def __init__(self, peer: str, forwarded: str | None = None) -> None:
        self.client = type("Client", (), {"host": peer})()
        self.headers = {"x-forwarded-for": forwarded} if forwarded else {}


def test_forwarded_addresses_are_believed_only_from_named_proxies() -> None:
    proxies = Settings.from_env({"SECRET_KEY": "k", "TRUSTED_PROXIES": "10.0.0.5,172.16.0.0/12"}).trusted_proxies
    assert throttle.client_address(_Conn("10.0.0.5", "198.51.100.1"), proxies) == "198.51.100.1"  # type: ignore[arg-type]
    # The client wrote its own X-Forwarded-For first; the proxy appended the real peer.
    spoofed = _Conn("10.0.0.5", "1.1.1.1, 198.51.100.1")
    assert throttle.client_address(spoofed, proxies) == "198.51.100.1"  # type: ignore[arg-type]
    chained = _Conn("10.0.0.5", "198.51.100.1, 172.16.3.4")
    assert throttle.client_address(chained, proxies) == "198.51.100.1"  # type: ignore[arg-type]
    # Anyone else's header is ignored.
    assert throttle.client_address(_Conn("203.0.113.1", "1.1.1.1"), proxies) == "203.0.113.1"  # type: ignore[arg-type]
    assert throttle.client_address(_Conn("10.0.0.5", "1.1.1.1"), ()) == "10.0.0.5"  # type: ignore[arg-type]

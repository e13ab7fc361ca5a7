"""The login throttle: failed logins counted in the database, before any password is hashed.

Two doors, each a counter row:

- per account name *and* client address: after 5 failures in 15 minutes that pair is refused
  until its window ends. The owner logging in from another address is not affected, so a
  stranger cannot lock anyone out of their own account;
- per client address across all accounts: after 50 failures in 15 minutes the address is
  refused. That stops password spraying without one mistyped account locking out an office
  behind one NAT. Refused attempts do not count towards it.

An attempt takes its slot in one atomic statement (an upsert whose update only happens while
the count is under the limit) *before* the password is hashed, so a burst of parallel guesses
cannot all be evaluated, and a right password sent in the middle of the burst is refused like
the rest. A login that succeeds gives its slots back. The rows live in the database, so the
count survives restarts and is shared by every API process.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from litestar.connection import ASGIConnection

from housing.settings import IPNetwork, LoginLimits
from housing.web.tables import LoginThrottle

_TAKE = (
    "INSERT INTO login_throttle (key, failures, window_started) VALUES ({}, 1, {}) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN login_throttle.window_started <= {} THEN 1 ELSE login_throttle.failures + 1 END, "
    "window_started = CASE WHEN login_throttle.window_started <= {} THEN {} ELSE login_throttle.window_started END "
    "WHERE login_throttle.window_started <= {} OR login_throttle.failures < {} "
    "RETURNING failures"
)
_GIVE_BACK = "UPDATE login_throttle SET failures = failures - 1 WHERE key = {} AND failures > 0"


@dataclass(frozen=True)
class Refused:
    """The door is shut for `retry_after` more seconds."""

    retry_after: int


def pair_key(username: str, address: str) -> str:
    return f"pair:{username.strip().lower()}|{address}"


def address_key(address: str) -> str:
    return f"addr:{address}"


async def _take(key: str, limit: int, window_s: int, now: int) -> Refused | None:
    """Count one failure against `key`, unless it has already reached `limit` in its window."""
    expired = now - window_s
    taken = await LoginThrottle.raw(_TAKE, key, now, expired, expired, now, expired, limit)
    if taken:
        return None
    row = await LoginThrottle.select(LoginThrottle.window_started).where(LoginThrottle.key == key).first()
    started = int(row["window_started"]) if row else now
    return Refused(retry_after=max(1, started + window_s - now))


async def _give_back(key: str) -> None:
    await LoginThrottle.raw(_GIVE_BACK, key)


async def take_attempt(
    username: str, address: str, limits: LoginLimits, clock: Callable[[], float] = time.time
) -> Refused | None:
    """Count this attempt as a failure in advance; `Refused` when a door is already shut."""
    now, window = int(clock()), int(limits.window.total_seconds())
    refused = await _take(pair_key(username, address), limits.per_account_and_address, window, now)
    if refused:
        return refused
    refused = await _take(address_key(address), limits.per_address, window, now)
    if refused:
        await _give_back(pair_key(username, address))  # a refused attempt counts nowhere
    return refused


async def succeeded(username: str, address: str) -> None:
    """A right password: the pair starts afresh and the address gets its slot back."""
    await LoginThrottle.delete().where(LoginThrottle.key == pair_key(username, address))
    await _give_back(address_key(address))


async def forget_expired(limits: LoginLimits, clock: Callable[[], float] = time.time) -> None:
    """Drop counters whose window has ended (at start-up; they would be reset on use anyway)."""
    cutoff = int(clock()) - int(limits.window.total_seconds())
    await LoginThrottle.delete().where(LoginThrottle.window_started <= cutoff)


def client_address(connection: ASGIConnection, trusted_proxies: tuple[IPNetwork, ...]) -> str:  # type: ignore[type-arg]
    """The peer's address; behind a proxy named in `TRUSTED_PROXIES`, the client it forwarded.

    X-Forwarded-For is read right to left and the first address that is not a trusted proxy
    is the client: anything further left was written by the client itself and proves nothing.
    """
    peer = connection.client.host if connection.client else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _is_trusted(hop, trusted_proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)

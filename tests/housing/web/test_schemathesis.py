"""Schemathesis over the whole OpenAPI, as each role: no 5xx, and every response conforms to its
schema (bodies, content types, `date-time` with an offset). Bounded — a few examples per
operation and role, derandomized — so it runs in every `./scripts/test` on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app import create_app
from housing.register.tables import Account
from housing.web.auth import open_session
from tests.housing import factories


def _migrate() -> None:
    """Loading the schema starts the app, which needs its tables: migrate first (idempotent)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    assert asyncio.run(run_forwards(app_name="all")).success


_migrate()
APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)
ROLES = ["hr1", "worker1", "staff", "anonymous"]
# Ending one's own session mid-run would only turn the rest of the run into 401s.
SKIPPED = {("POST", "/api/auth/logout"), ("POST", "/api/auth/password")}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_park(migrated: None) -> Iterator[None]:
    asyncio.run(factories.empty_database())
    asyncio.run(factories.small_park())
    yield


_HEADERS: dict[str, dict[str, str]] = {}


def _headers(role: str) -> dict[str, str]:
    """A session for the role's account, opened directly (the fuzzer may change passwords)."""
    if role == "anonymous":
        return {}
    if role in _HEADERS:
        return _HEADERS[role]

    async def session() -> tuple[int, str]:
        account = await Account.select(Account.id).where(Account.user_id.username == role).first()
        assert account is not None
        return account["id"], await open_session(account["id"])

    account_id, jti = asyncio.run(session())
    token = APP.state.auth.create_token(identifier=str(account_id), token_unique_jwt_id=jti)
    _HEADERS[role] = {"Authorization": f"Bearer {token}"}
    return _HEADERS[role]


@SCHEMA.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms_and_never_fails(fuzz_park: None, case: Any) -> None:
    """Each generated request is sent once as every role."""
    if (case.method.upper(), case.path) in SKIPPED:
        return
    for role in ROLES:
        case.call_and_validate(headers=_headers(role), checks=CHECKS)

"""The Litestar composition root (`litestar run` finds `app` here).

Everything under /api needs a login except `POST /api/auth/login`, and every /api route
declares the roles it admits (see `housing.web.access`). /health, the OpenAPI docs at /schema and
Piccolo Admin at /admin/ (its own staff-only login) sit outside the JWT auth.
"""

from __future__ import annotations

import os
from typing import Any

from litestar import Litestar, Router, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.response import Redirect
from litestar.stores.memory import MemoryStore

from housing.register.accounts import AccountController
from housing.register.admin import admin
from housing.register.buildings import BuildingController
from housing.register.firms import FirmController
from housing.register.units import UnitController
from housing.register.workers import WorkerController
from housing.web.access import role_guard
from housing.web.auth import AuthController, jwt_auth
from housing.web.db import engine, is_sqlite
from housing.web.problems import exception_handlers
from housing.web.resource import provide_page


@get("/health", exclude_from_auth=True, tags=["health"])
async def health() -> dict[str, str]:
    """Liveness and database reachability, for a load balancer or a monitor."""
    await engine().run_ddl("SELECT 1")
    return {"status": "ok", "database": "sqlite" if is_sqlite() else "postgresql"}


@get("/", exclude_from_auth=True, include_in_schema=False)
async def index() -> Redirect:
    return Redirect("/schema")


api = Router(
    path="/api",
    route_handlers=[
        AuthController,
        AccountController,
        BuildingController,
        UnitController,
        FirmController,
        WorkerController,
    ],
    guards=[role_guard],
    dependencies={"page": Provide(provide_page, sync_to_thread=False)},
)


async def open_pool() -> None:
    """PostgreSQL serves requests from a pool; `DB_POOL=0` turns it off (tests share no loop with the app)."""
    if not is_sqlite() and os.environ.get("DB_POOL", "1") != "0":
        await engine().start_connection_pool()  # type: ignore[attr-defined]


async def close_pool() -> None:
    if not is_sqlite() and os.environ.get("DB_POOL", "1") != "0":
        await engine().close_connection_pool()  # type: ignore[attr-defined]


def create_app(**overrides: Any) -> Litestar:
    return Litestar(
        route_handlers=[api, health, index, admin],
        on_app_init=[jwt_auth.on_app_init],
        on_startup=[open_pool],
        on_shutdown=[close_pool],
        exception_handlers=exception_handlers(),
        stores={"login_throttle": MemoryStore(), "revoked_tokens": MemoryStore()},
        openapi_config=OpenAPIConfig(
            title="园区员工之家 · Park worker housing API",
            version="0.1.0",
            description="Dormitory register, leases, rental subsidies and canteen of an industrial park. "
            "Errors are RFC 9457 problem details; send `Accept-Language: en` for English messages.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        **overrides,
    )


app = create_app()

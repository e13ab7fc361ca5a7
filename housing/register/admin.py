"""Piccolo Admin for park staff at /admin/.

Admin keeps its own session login (piccolo_api's), which admits only `BaseUser.admin`
accounts; the register gives that flag to staff accounts alone, so HR and workers never
get in, whatever they type.
"""

from __future__ import annotations

from typing import Any

from litestar import asgi
from litestar.types import Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import TableConfig, create_admin

from housing.register.tables import Account, Building, Firm, Unit, Worker
from housing.settings import is_production


def build_admin() -> Any:
    return create_admin(
        tables=[
            TableConfig(
                Building,
                visible_columns=[Building.id, Building.code, Building.name, Building.floors, Building.gender_rule],
            ),
            TableConfig(Unit),
            TableConfig(Firm),
            TableConfig(Worker),
            TableConfig(Account),
            BaseUser,
        ],
        site_name="园区员工之家 · Park housing admin",
        production=is_production(),
    )


_admin_app: Any = None


@asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True}, include_in_schema=False)
async def admin(scope: Scope, receive: Receive, send: Send) -> None:
    """Built on first use: Admin's start-up cost is paid only by those who open it."""
    global _admin_app
    if _admin_app is None:
        _admin_app = build_admin()
    await _admin_app(scope, receive, send)

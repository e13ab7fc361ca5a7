"""Who is calling, and what their role lets them reach.

Every route under /api declares the roles it admits in `opt["roles"]`; one router-level guard
checks it, and a route that declares nothing is refused (deny by default). Which *rows* a role
sees is not decided here but in each query, through `Viewer` (tenancy lives in the query).

The viewer is loaded from the login session on each request (`housing.web.auth`), so a
worker's firm is the firm of the worker record *now*, and HR of a firm that has left the park
may still read its history but no longer change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from housing.register.tables import Role
from housing.web.problems import FieldError, Problem, invalid

ANONYMOUS = "anonymous"
_STAFF_ROLE, _HR_ROLE = Role.staff.value, Role.hr.value
STAFF = frozenset({Role.staff.value})
STAFF_HR = frozenset({Role.staff.value, Role.hr.value})
WORKER = frozenset({Role.worker.value})
EVERYONE = frozenset({Role.staff.value, Role.hr.value, Role.worker.value})
PUBLIC = frozenset({ANONYMOUS, *EVERYONE})
# canteen (issue 11): a meal terminal is no person: it logs in, asks who it is, posts meal
# records, and is refused everywhere else (it is in none of the sets above).
TERMINAL = frozenset({Role.terminal.value})


@dataclass(frozen=True)
class Viewer:
    """The logged-in account: its role and, for HR and workers, the firm or worker it speaks for."""

    account_id: int
    user_id: int
    username: str
    role: str
    firm_id: int | None
    worker_id: int | None
    session: str = ""
    now: datetime = datetime.min.replace(tzinfo=UTC)  # the request's moment, from the app's clock
    firm_name: str | None = None
    firm_active: bool = True
    worker_name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == _STAFF_ROLE  # a plain string: asked once per row of every page

    @property
    def is_hr(self) -> bool:
        return self.role == _HR_ROLE


READS = frozenset({"GET", "HEAD", "OPTIONS"})


def allow(roles: frozenset[str], *, own_account: bool = False) -> dict[str, Any]:
    """The `opt` a route handler carries to say who may call it: `@get(..., opt=allow(STAFF))`.

    `own_account=True` marks a write to the caller's own login (log out, change the password),
    which HR of a firm that has left the park may still make.
    """
    return {"roles": roles, "own_account": own_account}


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Deny by default: the route's declared roles, and HR of a deactivated firm only reads.
    A coroutine on purpose: Litestar runs a plain-function guard in a worker thread, one thread
    hop on every request for a check that takes microseconds."""
    roles: frozenset[str] | None = handler.opt.get("roles")
    if roles is None:
        raise PermissionDeniedException("route declares no roles")
    user = connection.scope.get("user")
    role = user.role if isinstance(user, Viewer) else ANONYMOUS
    if role not in roles:
        raise PermissionDeniedException("role not allowed")
    if (
        isinstance(user, Viewer)
        and user.is_hr
        and not user.firm_active
        and connection.scope.get("method") not in READS
        and not handler.opt.get("own_account")
    ):
        raise Problem(403, "firm_inactive")


def viewer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer:
    user = connection.scope.get("user")
    if not isinstance(user, Viewer):  # pragma: no cover - the auth middleware guarantees it
        raise PermissionDeniedException("not logged in")
    return user


def firm_written_for(viewer: Viewer, sent: int | None, *, new: bool = True) -> int | None:
    """The firm a write is for — one rule for every route that takes a `firm_id`: staff must
    name it (when creating), HR writes for its own firm only (naming another is 403, naming none
    means its own). None: staff editing a row whose firm stays."""
    if viewer.is_staff:
        if new and sent is None:
            raise invalid("firm_id", "firm_id_required")
        return sent
    if sent is not None and sent != viewer.firm_id:
        raise Problem(403, "forbidden", errors=[FieldError("firm_id", "firm_not_yours")])
    return viewer.firm_id

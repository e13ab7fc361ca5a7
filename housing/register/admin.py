"""Piccolo Admin for park staff at /admin/, behind the app's own login door.

Admin keeps its own session (piccolo_api's) once a person is in; how they get in is decided
here. Its login endpoint (`POST /admin/public/login/`) is answered by this module, not by
Admin: the same throttle as `POST /api/auth/login` (per account and address, per address,
counted before hashing, in the database), hashing in a worker thread, and a login that is not
staff's gets exactly the answer a wrong password gets — so Admin's door confirms nothing to
a guesser. Admin's own 20-per-300 s in-memory limiter is never reached.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from litestar import Request, asgi
from litestar.types import Receive, Scope, Send
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.session_auth.tables import SessionsBase

from housing.register.tables import Account, Building, Firm, Unit, Worker
from housing.settings import Settings
from housing.web.access import STAFF
from housing.web.auth import log_in
from housing.web.problems import Problem

LOGIN_PATH = "/public/login/"
SESSION_EXPIRY = timedelta(hours=1)
MAX_SESSION_EXPIRY = timedelta(days=7)
ADMIN_COOKIE = "id"  # piccolo_api's session cookie name


def build_admin(settings: Settings) -> Any:
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
        production=settings.production,
        session_expiry=SESSION_EXPIRY,
        max_session_expiry=MAX_SESSION_EXPIRY,
    )


async def _reply(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": start_headers + headers})  # type: ignore[typeddict-item]
    await send({"type": "http.response.body", "body": payload, "more_body": False})


async def _read_body(receive: Receive, limit: int = 16 * 1024) -> bytes:
    """The login body, at most `limit` bytes (a login is two short strings)."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message: dict[str, Any] = dict(await receive())
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            return b""
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


async def _credentials(receive: Receive) -> tuple[str, str]:
    """Username and password from the JSON Admin's page posts; ("", "") for anything else."""
    try:
        body = json.loads(await _read_body(receive))
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    username, password = body.get("username"), body.get("password")
    ok = isinstance(username, str) and isinstance(password, str) and "\x00" not in username + password
    return (username, password) if ok else ("", "")  # type: ignore[return-value]


async def admin_login(scope: Scope, receive: Receive, send: Send) -> None:
    """Admin's login, through the app's door; on success, Admin's own session cookie."""
    request: Request[Any, Any, Any] = Request(scope, receive)
    settings: Settings = request.app.state.settings
    # Admin's page sends its CSRF cookie back in a header (double submit), as Admin's own middleware expects.
    csrf = request.cookies.get("csrftoken")
    if not csrf or request.headers.get("x-csrftoken") != csrf:
        await _reply(send, 403, {"detail": "CSRF token missing or incorrect"}, [])
        return
    username, password = await _credentials(receive)
    if not username or not password:
        await _reply(send, 422, {"detail": "Missing username or password"}, [])
        return
    try:
        viewer = await log_in(request, username, password, roles=STAFF)
    except Problem as problem:
        if problem.status_code == 429:
            wait = problem.params["retry_after"]
            await _reply(
                send, 429, {"detail": f"Too many attempts; retry in {wait} s"}, [(b"retry-after", str(wait).encode())]
            )
        else:  # wrong password, not staff, inactive: one answer for all
            await _reply(send, 401, {"detail": "Login failed"}, [])
        return
    now = datetime.now()
    session = await SessionsBase.create_session(
        user_id=viewer.user_id, expiry_date=now + SESSION_EXPIRY, max_expiry_date=now + MAX_SESSION_EXPIRY
    )
    max_age = int(MAX_SESSION_EXPIRY.total_seconds())
    cookie = f"{ADMIN_COOKIE}={session.token}; HttpOnly; Path=/; SameSite=Lax; Max-Age={max_age}"
    if settings.secure_cookies:
        cookie += "; Secure"
    await _reply(send, 200, {"message": "logged in"}, [(b"set-cookie", cookie.encode())])


def mount_admin(settings: Settings) -> Any:
    """The /admin mount: Admin built on first use (its start-up cost is paid only by those who open it)."""
    built: list[Any] = []

    @asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True}, include_in_schema=False)
    async def admin(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope["path"].rstrip("/") == LOGIN_PATH.rstrip("/")
        ):
            await admin_login(scope, receive, send)
            return
        if not built:
            built.append(build_admin(settings))
        await built[0](scope, receive, send)

    return admin

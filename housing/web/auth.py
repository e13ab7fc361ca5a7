"""Logging in and out, and who the caller is.

Litestar's JWT cookie auth carries the session: the token comes back in the login body (for
a phone app or a script) and in an HttpOnly cookie (for the browser); either is accepted.
Logging out revokes the token's id until it would have expired anyway, so a copied token
stops working too. Failed logins are counted per account name and throttled.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth, Token
from litestar.stores.base import Store
from piccolo.apps.user.tables import BaseUser

from housing.register.tables import Account, Firm, Role, Worker
from housing.settings import is_production, secret_key
from housing.web.access import EVERYONE, PUBLIC, Viewer, allow, viewer_of
from housing.web.problems import Problem, invalid

TOKEN_LIFETIME = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW_S = 15 * 60
COOKIE_KEY = "token"


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    new_password: Annotated[str, msgspec.Meta(min_length=8, max_length=128)]


class Me(msgspec.Struct):
    account_id: int
    username: str
    role: str
    firm_id: int | None
    firm_name: str | None
    worker_id: int | None
    worker_name: str | None


class LoginResult(msgspec.Struct):
    token: str
    token_type: str
    expires_in: int
    me: Me


async def load_viewer(user_id: int) -> Viewer | None:
    """The account behind a login, or None when the login, or the worker it speaks for, is inactive."""
    row = await (
        Account.select(
            Account.id,
            Account.role,
            Account.firm_id,
            Account.worker_id,
            Account.user_id.username.as_alias("username"),
            Account.user_id.active.as_alias("user_active"),
            Account.worker_id.active.as_alias("worker_active"),
        )
        .where(Account.user_id == user_id)
        .first()
    )
    if row is None or not row["user_active"]:
        return None
    if row["role"] == Role.worker.value and not row["worker_active"]:
        return None
    return Viewer(
        account_id=row["id"],
        user_id=user_id,
        username=row["username"],
        role=row["role"],
        firm_id=row["firm_id"],
        worker_id=row["worker_id"],
    )


async def retrieve_viewer(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    try:
        return await load_viewer(int(token.sub))
    except ValueError:
        return None


def _revoked_store(connection: ASGIConnection[Any, Any, Any, Any]) -> Store:
    return connection.app.stores.get("revoked_tokens")


async def is_revoked(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return bool(token.jti) and await _revoked_store(connection).exists(str(token.jti))


jwt_auth = JWTCookieAuth[Viewer, Token](
    token_secret=secret_key(),
    retrieve_user_handler=retrieve_viewer,
    revoked_token_handler=is_revoked,
    default_token_expiration=TOKEN_LIFETIME,
    key=COOKIE_KEY,
    samesite="lax",
    secure=is_production(),
    exclude=["^/$", "^/health$", "^/schema", "^/admin", "^/api/auth/login$"],
)


async def hash_password(password: str, salt: str = "", iterations: int | None = None) -> str:
    """Piccolo's PBKDF2 hash, computed in a worker thread: 600,000 rounds on the event loop
    would stall every other request for a noticeable moment."""
    return await anyio.to_thread.run_sync(BaseUser.hash_password, password, salt, iterations)


async def check_password(username: str, password: str) -> tuple[int, bool] | None:
    """(user id, active) when the password is right, else None.

    Piccolo's `BaseUser.login` hashes on the event loop and ignores `active`; this hashes in a
    worker thread and reports `active` so the caller can refuse a deactivated account.
    """
    row = await (
        BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active).where(BaseUser.username == username).first()
    )
    if row is None:
        # Hash anyway, so a missing account takes as long as a wrong password.
        await hash_password(password)
        return None
    _, iterations, salt, _ = BaseUser.split_stored_password(row["password"])
    hashed = await hash_password(password, salt, int(iterations))
    if not hmac.compare_digest(hashed, row["password"]):
        return None
    # `last_login` is a naive Timestamp column in Piccolo (local time, as Piccolo itself writes it).
    await BaseUser.update({BaseUser.last_login: datetime.now()}).where(BaseUser.id == row["id"])
    return row["id"], bool(row["active"])


async def me_of(viewer: Viewer) -> Me:
    """One query: a worker's record already names its firm, an HR account's firm is looked up."""
    firm_id, firm_name, worker_name = viewer.firm_id, None, None
    if viewer.worker_id is not None:
        worker = await (
            Worker.select(Worker.name, Worker.firm_id, Worker.firm_id.name.as_alias("firm_name"))
            .where(Worker.id == viewer.worker_id)
            .first()
        )
        if worker:
            worker_name, firm_id, firm_name = worker["name"], worker["firm_id"], worker["firm_name"]
    elif viewer.firm_id is not None:
        firm = await Firm.select(Firm.name).where(Firm.id == viewer.firm_id).first()
        firm_name = firm["name"] if firm else None
    return Me(
        account_id=viewer.account_id,
        username=viewer.username,
        role=viewer.role,
        firm_id=firm_id,
        firm_name=firm_name,
        worker_id=viewer.worker_id,
        worker_name=worker_name,
    )


class LoginThrottle:
    """Counts failed logins per account name in a Litestar store (memory here, Redis if configured)."""

    def __init__(self, store: Store, username: str) -> None:
        self.store = store
        self.key = "fail:" + username.strip().lower()

    async def retry_after(self) -> int | None:
        count = await self.store.get(self.key)
        if count is None or int(count) < MAX_FAILED_LOGINS:
            return None
        return max(1, await self.store.expires_in(self.key) or FAILED_LOGIN_WINDOW_S)

    async def failed(self) -> None:
        count = await self.store.get(self.key)
        remaining = await self.store.expires_in(self.key) if count is not None else None
        await self.store.set(self.key, str(int(count or 0) + 1), expires_in=remaining or FAILED_LOGIN_WINDOW_S)

    async def reset(self) -> None:
        await self.store.delete(self.key)


class AuthController(Controller):
    tags = ["auth · 登录"]

    @post("/auth/login", status_code=200, opt=allow(PUBLIC), exclude_from_auth=True)
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> Response[LoginResult]:
        """Log in with username and password; the token comes back in the body and as a cookie."""
        throttle = LoginThrottle(request.app.stores.get("login_throttle"), data.username)
        if (wait := await throttle.retry_after()) is not None:
            raise Problem(429, "too_many_attempts", headers={"Retry-After": str(wait)}, retry_after=wait)
        checked = await check_password(data.username, data.password)
        if checked is None:
            await throttle.failed()
            raise Problem(401, "bad_credentials")
        user_id, active = checked
        viewer = await load_viewer(user_id) if active else None
        if viewer is None:
            raise Problem(403, "account_inactive")
        await throttle.reset()
        token = jwt_auth.create_token(
            identifier=str(user_id), token_unique_jwt_id=uuid.uuid4().hex, token_expiration=TOKEN_LIFETIME
        )
        seconds = int(TOKEN_LIFETIME.total_seconds())
        cookie = Cookie(
            key=COOKIE_KEY,
            value=token,
            httponly=True,
            samesite="lax",
            secure=jwt_auth.secure,
            max_age=seconds,
            path="/",
        )
        body = LoginResult(token=token, token_type="Bearer", expires_in=seconds, me=await me_of(viewer))
        return Response(body, cookies=[cookie])

    @post("/auth/logout", status_code=204, opt=allow(EVERYONE))
    async def logout(self, request: Request[Any, Token, Any]) -> Response[None]:
        """End this session: the token is revoked (not just the cookie dropped)."""
        token = request.auth
        if token.jti:
            remaining = int((token.exp - datetime.now(UTC)).total_seconds())
            await _revoked_store(request).set(str(token.jti), "1", expires_in=max(1, remaining))
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(COOKIE_KEY, path="/")
        return response

    @post("/auth/password", status_code=204, opt=allow(EVERYONE))
    async def change_password(self, request: Request[Any, Any, Any], data: JSONBody[PasswordChange]) -> None:
        """Change your own password (the demo's `demo1234` should not survive the first day)."""
        viewer = viewer_of(request)
        checked = await check_password(viewer.username, data.current_password)
        if checked is None:
            raise invalid("current_password", "wrong_current_password")
        hashed = await hash_password(data.new_password)
        await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == viewer.user_id)

    @get("/me", opt=allow(EVERYONE))
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """Who am I: role, and the firm or worker this account speaks for."""
        return await me_of(viewer_of(request))

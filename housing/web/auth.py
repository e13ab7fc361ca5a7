"""Logging in and out, sessions, and who the caller is.

Litestar's JWT cookie auth carries the token: it comes back in the login body (for a phone
app or a script) and in an HttpOnly, SameSite=Lax cookie (Secure under HTTPS) for the
browser; either is accepted. Every token names a login session (`jti`), and each request
loads the caller from that session in one indexed query, written once (`VIEWER`): an ended
session, a locked login, a deactivated worker all stop a token at once, across restarts and
across API processes, with no list kept in memory. A worker's firm is read from the worker
record in that same query, so tenancy follows the record the moment staff move a worker.

Logout ends its session; a password change ends every session of the account and answers
with a fresh token; a reset or a lock by staff ends every session (`end_sessions`).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.params import JSONBody
from litestar.security.jwt import JWTCookieAuth, Token
from piccolo.apps.user.tables import BaseUser

from housing.register.tables import Account
from housing.settings import Settings
from housing.web import audit, throttle
from housing.web.access import EVERYONE, PUBLIC, TERMINAL, Viewer, allow, viewer_of
from housing.web.clock import clock_of
from housing.web.db import HotQuery, write_transaction
from housing.web.passwords import check_new_password, hash_password
from housing.web.problems import Problem, invalid
from housing.web.tables import LoginSession

COOKIE_KEY = "token"
AUTH_EXCLUDE = ["^/health$", "^/schema", "^/static/", "^/admin", "^/api/auth/login$"]

VIEWER = HotQuery(
    "SELECT a.id AS account_id, a.role, a.worker_id, u.id AS user_id, u.username, "
    "COALESCE(w.firm_id, a.firm_id) AS firm_id, f.name AS firm_name, f.active AS firm_active, "
    "w.name AS worker_name "
    "FROM login_session s "
    "JOIN account a ON a.id = s.account_id "
    "JOIN piccolo_user u ON u.id = a.user_id "
    "LEFT JOIN worker w ON w.id = a.worker_id "
    "LEFT JOIN firm f ON f.id = COALESCE(w.firm_id, a.firm_id) "
    "WHERE s.jti = {} AND s.account_id = {} AND s.ended_at IS NULL AND u.active = {} "
    "AND (a.worker_id IS NULL OR w.active = {})",
    point=True,  # one session's row
)


VERIFIED_TOKENS_KEPT = 10_000
_verified: dict[tuple[str, str, str], Token] = {}


class SessionToken(Token):
    """Litestar's token, whose signature is verified once per process for each distinct token.

    Verifying a JWT (PyJWT's base64 checks, key checks and HMAC) was about a third of the work
    of a request. The same token string comes back on every request of a session, and its
    signature cannot change: a verified token is kept (keyed by the exact string and the key),
    and each use still checks that it has not expired. Whether the session is still live is
    checked in the database on every request, as before.
    """

    @classmethod
    def decode(  # type: ignore[override]
        cls, encoded_token: str, secret: str, algorithm: str, *args: Any, **kwargs: Any
    ) -> Token:
        key = (encoded_token, secret, algorithm)
        kept = _verified.get(key)
        if kept is not None and kept.exp > datetime.now(UTC):
            return kept
        token = super().decode(encoded_token, secret, algorithm, *args, **kwargs)
        if len(_verified) >= VERIFIED_TOKENS_KEPT:
            _verified.pop(next(iter(_verified)))
        _verified[key] = token
        return token


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
    canteen_id: int | None = None  # canteen (issue 11): the canteen a terminal posts for


class LoginResult(msgspec.Struct):
    token: str
    token_type: str
    expires_in: int
    me: Me


async def load_viewer(session: str, account_id: int, now: datetime | None = None) -> Viewer | None:
    """The caller behind a live session, or None when the session ended or the login is off."""
    row = await VIEWER.first(session, account_id, True, True)
    if row is None:
        return None
    return Viewer(
        now=now or datetime.now(UTC),
        account_id=row["account_id"],
        user_id=row["user_id"],
        username=row["username"],
        role=row["role"],
        firm_id=row["firm_id"],
        worker_id=row["worker_id"],
        session=session,
        firm_name=row["firm_name"],
        firm_active=row["firm_active"] is None or bool(row["firm_active"]),
        worker_name=row["worker_name"],
    )


async def retrieve_viewer(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    if not isinstance(token.jti, str) or not token.jti:
        return None
    try:
        account_id = int(token.sub)
    except ValueError:
        return None
    return await load_viewer(token.jti, account_id, clock_of(connection)())


def make_auth(settings: Settings) -> JWTCookieAuth[Viewer, Token]:
    return JWTCookieAuth[Viewer, Token](
        token_secret=settings.secret_key,
        token_cls=SessionToken,
        retrieve_user_handler=retrieve_viewer,
        default_token_expiration=settings.token_lifetime,
        key=COOKIE_KEY,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=AUTH_EXCLUDE,
    )


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


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
    return row["id"], bool(row["active"])


async def open_session(account_id: int) -> str:
    """A new login session for the account; returns its id (the token's `jti`)."""
    jti = uuid.uuid4().hex
    await LoginSession.insert(LoginSession(jti=jti, account_id=account_id, created_at=datetime.now(UTC)))
    return jti


async def end_session(jti: str) -> None:
    await LoginSession.update({LoginSession.ended_at: datetime.now(UTC)}).where(
        (LoginSession.jti == jti) & LoginSession.ended_at.is_null()
    )


async def end_sessions(account_id: int) -> None:
    """Every session of the account ends now (password changed or reset, login locked)."""
    await LoginSession.update({LoginSession.ended_at: datetime.now(UTC)}).where(
        (LoginSession.account_id == account_id) & LoginSession.ended_at.is_null()
    )


# canteen (issue 11): which canteen a terminal account posts for.
TERMINAL_ROLE = next(iter(TERMINAL))
TerminalCanteen = Callable[[int], Awaitable[int | None]]
_terminal_canteen: list[TerminalCanteen] = []


def on_terminal_canteen(lookup: TerminalCanteen) -> None:
    """Let the canteen app say which canteen a terminal account belongs to, for `GET /api/me`.

    The binding lives in the canteen app (`canteen_terminal`: account → canteen), because
    housing must not import canteen (canteen depends on housing, not the other way round) and
    a nullable `account.canteen_id` could carry no foreign key to a table housing does not
    know. So housing offers this hook and the canteen app registers its lookup when its
    module is imported (the app imports it for the routes). Registering again replaces it.
    """
    _terminal_canteen[:] = [lookup]


def me_of(viewer: Viewer) -> Me:
    return Me(
        account_id=viewer.account_id,
        username=viewer.username,
        role=viewer.role,
        firm_id=viewer.firm_id,
        firm_name=viewer.firm_name,
        worker_id=viewer.worker_id,
        worker_name=viewer.worker_name,
    )


def session_cookie(request: Request[Any, Any, Any], viewer: Viewer) -> Cookie:
    """The session's token in the HttpOnly cookie the browser sends back (API and pages alike)."""
    settings = settings_of(request)
    auth: JWTCookieAuth[Viewer, Token] = request.app.state.auth
    token = auth.create_token(
        identifier=str(viewer.account_id),
        token_unique_jwt_id=viewer.session,
        token_expiration=settings.token_lifetime,
    )
    return Cookie(
        key=COOKIE_KEY,
        value=token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=int(settings.token_lifetime.total_seconds()),
        path="/",
    )


def _logged_in(request: Request[Any, Any, Any], viewer: Viewer) -> Response[LoginResult]:
    """The answer to a login (or a password change): the token in the body and in the cookie."""
    cookie = session_cookie(request, viewer)
    assert cookie.value is not None and cookie.max_age is not None
    body = LoginResult(token=cookie.value, token_type="Bearer", expires_in=cookie.max_age, me=me_of(viewer))
    return Response(body, cookies=[cookie])


async def log_in(
    request: Request[Any, Any, Any], username: str, password: str, roles: frozenset[str] = EVERYONE
) -> Viewer:
    """Throttle, check the password, open a session. Used by the API and by Piccolo Admin's door.

    A right password for a role outside `roles` is answered, and counted, as a wrong one.
    """
    settings = settings_of(request)
    address = throttle.client_address(request, settings.trusted_proxies)
    refused = await throttle.take_attempt(username, address, settings.login_limits)
    if refused is not None:
        wait = refused.retry_after
        raise Problem(429, "too_many_attempts", headers={"Retry-After": str(wait)}, retry_after=wait)
    checked = await check_password(username, password)
    account = None
    if checked is not None:
        account = await Account.select(Account.id, Account.role).where(Account.user_id == checked[0]).first()
    if checked is None or account is None or account["role"] not in roles:
        raise Problem(401, "bad_credentials")
    await throttle.succeeded(username, address)
    user_id, active = checked
    if not active:
        raise Problem(403, "account_inactive")
    # `last_login` is a naive column in Piccolo; this service writes UTC there (the API adds the offset).
    await BaseUser.update({BaseUser.last_login: datetime.now(UTC).replace(tzinfo=None)}).where(BaseUser.id == user_id)
    jti = await open_session(account["id"])
    viewer = await load_viewer(jti, account["id"])
    if viewer is None:  # a deactivated worker's login
        await end_session(jti)
        raise Problem(403, "account_inactive")
    return viewer


async def personal_identifiers(account_id: int) -> tuple[str, ...]:
    """The mobile and ID number of the worker behind an account: never good passwords."""
    row = await (
        Account.select(Account.worker_id.mobile.as_alias("mobile"), Account.worker_id.id_number.as_alias("id_number"))
        .where(Account.id == account_id)
        .first()
    )
    return tuple(v for v in (row or {}).values() if v)


async def change_own_password(viewer: Viewer, data: JSONBody[PasswordChange]) -> Viewer:
    if await check_password(viewer.username, data.current_password) is None:
        raise invalid("current_password", "wrong_current_password")
    personal = await personal_identifiers(viewer.account_id)
    check_new_password(data.new_password, "new_password", username=viewer.username, personal=personal)
    hashed = await hash_password(data.new_password)
    async with write_transaction():
        await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == viewer.user_id)
        await end_sessions(viewer.account_id)
        jti = await open_session(viewer.account_id)
        await audit.record(viewer, "account", viewer.account_id, "password_change", after={"password": None})
    fresh = await load_viewer(jti, viewer.account_id)
    assert fresh is not None  # the caller was logged in a moment ago
    return fresh


class AuthController(Controller):
    tags = ["auth · 登录"]

    @post("/auth/login", status_code=200, opt=allow(PUBLIC), exclude_from_auth=True)
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]) -> Response[LoginResult]:
        """Log in with username and password; the token comes back in the body and as a cookie.

        After 5 failures in 15 minutes for one account from one address, or 50 from one
        address, the answer is 429 with `Retry-After` until the window ends.
        """
        return _logged_in(request, await log_in(request, data.username, data.password, EVERYONE | TERMINAL))

    @post("/auth/logout", status_code=204, opt=allow(EVERYONE, own_account=True))
    async def logout(self, request: Request[Any, Token, Any]) -> Response[None]:
        """End this session: the token stops working everywhere (not just the cookie dropped)."""
        await end_session(viewer_of(request).session)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(COOKIE_KEY, path="/")
        return response

    @post("/auth/password", status_code=200, opt=allow(EVERYONE, own_account=True))
    async def change_password(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordChange]
    ) -> Response[LoginResult]:
        """Change your own password. Every session of the account ends; this answer carries a new token."""
        return _logged_in(request, await change_own_password(viewer_of(request), data))

    @get("/me", opt=allow(EVERYONE | TERMINAL))
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """Who am I: role, and the firm or worker (or, for a canteen terminal, the canteen) this account speaks for."""
        viewer = viewer_of(request)
        me = me_of(viewer)
        if viewer.role == TERMINAL_ROLE and _terminal_canteen:
            me.canteen_id = await _terminal_canteen[0](viewer.account_id)
        return me

"""Tokens die when they should, across restarts; tenancy follows the worker record; HR of a firm
that has left the park reads its history and changes nothing."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from piccolo.apps.user.tables import BaseUser

from housing.register.tables import Account
from housing.settings import Settings
from tests.housing.factories import new_worker


async def _token(api: Any, username: str, password: str = "demo1234") -> dict[str, str]:
    api.client.cookies.clear()
    response = await api.client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def _me(api: Any, headers: dict[str, str]) -> int:
    api.client.cookies.clear()
    return int((await api.client.get("/api/me", headers=headers)).status_code)


async def test_a_password_change_ends_every_session_and_answers_a_new_token(api) -> None:
    phone, laptop = await _token(api, "hr1"), await _token(api, "hr1")
    changed = await api.client.post(
        "/api/auth/password", headers=phone, json={"current_password": "demo1234", "new_password": "Jz-dorms-2027"}
    )
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['token']}"}
    assert await _me(api, phone) == 401
    assert await _me(api, laptop) == 401
    assert await _me(api, fresh) == 200


async def test_a_reset_by_staff_ends_every_session(api) -> None:
    worker = await _token(api, "worker1")
    reset = await api.patch("staff", f"/api/accounts/{api.park.worker1_account}", json={"password": "Fresh-start-9"})
    assert reset.status_code == 200
    assert await _me(api, worker) == 401


async def test_logout_ends_that_session_only_and_stays_ended_after_a_restart(api) -> None:
    kept, ended = await _token(api, "staff"), await _token(api, "staff")
    api.client.cookies.clear()
    assert (await api.client.post("/api/auth/logout", headers=ended)).status_code == 204
    assert await _me(api, ended) == 401
    assert await _me(api, kept) == 200
    from app import create_app

    async with AsyncTestClient(app=create_app()) as restarted:
        assert (await restarted.get("/api/me", headers=ended)).status_code == 401
        assert (await restarted.get("/api/me", headers=kept)).status_code == 200


async def test_a_token_is_worth_nothing_to_another_app_key(api) -> None:
    headers = await _token(api, "staff")
    from app import create_app

    other = Settings(secret_key="another-deployment-key-0123456789abcdef")
    async with AsyncTestClient(app=create_app(other)) as elsewhere:
        assert (await elsewhere.get("/api/me", headers=headers)).status_code == 401


async def test_a_worker_moved_to_another_firm_moves_with_its_login(api) -> None:
    park = api.park
    worker_token = await _token(api, "worker1")
    assert (await api.get("hr1", f"/api/accounts/{park.worker1_account}")).status_code == 200
    move = {"firm_id": park.firm2, "employee_no": "E0900"}
    moved = await api.patch("staff", f"/api/workers/{park.worker1}", json=move)
    assert moved.status_code == 200
    # The old firm's HR lost it at once: no read, no list, no reset.
    assert (await api.get("hr1", f"/api/accounts/{park.worker1_account}")).status_code == 404
    listed = (await api.get("hr1", "/api/accounts")).json()
    assert park.worker1_account not in [a["id"] for a in listed["items"]]
    reset = await api.patch("hr1", f"/api/accounts/{park.worker1_account}", json={"password": "Takeover-123"})
    assert reset.status_code == 404
    # The new firm's HR has it, and the worker's own view says so.
    account = await api.get("hr2", f"/api/accounts/{park.worker1_account}")
    assert account.status_code == 200 and account.json()["firm_id"] == park.firm2
    api.client.cookies.clear()
    me = (await api.client.get("/api/me", headers=worker_token)).json()
    assert me["firm_id"] == park.firm2 and me["firm_name"] == "湖北楚天精密制造有限公司"
    assert await Account.select(Account.firm_id).where(Account.id == park.worker1_account).first() == {"firm_id": None}


async def test_hr_of_a_firm_that_left_reads_its_history_and_changes_nothing(api, counts) -> None:
    park = api.park
    headers = await _token(api, "hr1")
    assert (await api.patch("staff", f"/api/firms/{park.firm1}", json={"active": False})).status_code == 200
    before = await counts()
    api.client.cookies.clear()
    assert (await api.client.get("/api/workers", headers=headers)).status_code == 200
    assert (await api.client.get(f"/api/workers/{park.worker1}", headers=headers)).status_code == 200
    writes = [
        ("POST", "/api/workers", new_worker()),
        ("PATCH", f"/api/workers/{park.firm1_other}", {"shift": "day"}),
        ("DELETE", f"/api/workers/{park.firm1_other}", None),
        (
            "POST",
            "/api/accounts",
            {"username": "late1", "password": "Late-login-1", "role": "worker", "worker_id": park.firm1_other},
        ),
        ("PATCH", f"/api/accounts/{park.worker1_account}", {"active": False}),
    ]
    for method, path, body in writes:
        response = await api.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert "退出园区" in response.json()["detail"]
    assert await counts() == before
    # Its own login is still its own to look after.
    api.client.cookies.clear()
    assert (await api.client.post("/api/auth/logout", headers=headers)).status_code == 204


async def test_a_locked_user_row_stops_its_tokens_at_once(api) -> None:
    headers = await _token(api, "hr2")
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.username == "hr2")
    assert await _me(api, headers) == 401


def test_a_kept_token_still_expires_and_a_tampered_one_is_never_kept() -> None:
    """Tokens are verified once and kept, but expiry is checked on every use."""
    from datetime import UTC, datetime, timedelta

    import pytest
    from litestar.exceptions import NotAuthorizedException
    from litestar.security.jwt import Token

    from housing.web.auth import SessionToken, _verified

    secret = "kept-token-test-key-0123456789abcdef"
    live = Token(sub="1", exp=datetime.now(UTC) + timedelta(hours=1), jti="a" * 32).encode(secret, "HS256")
    assert SessionToken.decode(live, secret, "HS256").jti == "a" * 32
    assert (live, secret, "HS256") in _verified
    # A kept token whose time is up is verified again, and refused.
    import jwt

    past = datetime.now(UTC) - timedelta(seconds=5)
    expired = jwt.encode({"sub": "1", "exp": int(past.timestamp()), "jti": "c" * 32}, secret, algorithm="HS256")
    kept = SessionToken.decode(live, secret, "HS256")
    _verified[(expired, secret, "HS256")] = kept.__class__(sub="1", exp=datetime.now(UTC) + timedelta(hours=1))
    _verified[(expired, secret, "HS256")].exp = past  # as it was kept while it was still valid
    with pytest.raises(NotAuthorizedException):
        SessionToken.decode(expired, secret, "HS256")
    # A tampered token fails verification and is not kept.
    tampered = live[:-2] + ("AA" if not live.endswith("AA") else "BB")
    with pytest.raises(NotAuthorizedException):
        SessionToken.decode(tampered, secret, "HS256")
    assert (tampered, secret, "HS256") not in _verified

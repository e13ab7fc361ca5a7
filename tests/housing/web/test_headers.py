"""Every response carries the security headers; the app's HTML a restrictive CSP; HSTS when set;
form posts need the CSRF token; cookies are Secure under production settings."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get, post
from litestar.testing import AsyncTestClient

from housing.settings import Settings
from housing.web.i18n import MESSAGES
from housing.web.security import csrf_config

COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/me", 401),
        ("GET", "/api/nothing-here", 404),
        ("POST", "/api/auth/login", 422),
        ("GET", "/admin/", 200),
        ("GET", "/schema", 200),
        ("GET", "/", 302),
    ],
)
async def test_every_response_carries_the_security_headers(api, method, path, status) -> None:
    response = await api.client.request(method, path, json={} if method == "POST" else None, follow_redirects=False)
    assert response.status_code == status
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (path, name)
    assert "strict-transport-security" not in response.headers  # not configured in tests


async def test_the_apps_html_gets_a_restrictive_csp(api) -> None:
    response = await api.client.get("/schema")
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "*" not in csp
    api_csp = (await api.client.get("/health")).headers["content-security-policy"]
    assert api_csp.startswith("default-src 'none'")


async def test_production_settings_send_hsts_and_secure_cookies(park) -> None:
    from app import create_app

    settings = Settings.from_env({"PARK_ENV": "production", "SECRET_KEY": "prod-key-0123456789abcdef0123456789"})
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as client:
        health = await client.get("/health")
        assert health.headers["strict-transport-security"].startswith("max-age=31536000")
        login = await client.post("/api/auth/login", json={"username": "hr1", "password": "demo1234"})
        cookie = login.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_form_posts_need_the_csrf_token() -> None:
    """The config the pages will use: a form post without the token is refused, with it accepted."""

    @get("/form", sync_to_thread=False)
    def form() -> str:
        return "form"

    @post("/form", sync_to_thread=False)
    def submit() -> str:
        return "saved"

    settings = Settings(secret_key="csrf-test-key-0123456789abcdef0123")
    app = Litestar([form, submit], csrf_config=csrf_config(settings))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/form")).status_code == 200
        token = client.cookies.get("csrftoken")
        assert token
        assert (await client.post("/form", data={"a": "1"})).status_code == 403
        assert (await client.post("/form", data={"_csrf_token": token})).status_code == 201


def _message_keys_in_code() -> set[tuple[str, str]]:
    """Every literal message key given to Problem, invalid, FieldError or text in housing/."""
    keys: set[tuple[str, str]] = set()
    calls = {"Problem": 1, "invalid": 1, "FieldError": 1, "text": 0, "unique_field": 2}
    for path in Path("housing").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in calls and len(node.args) > calls[name]:
                arg = node.args[calls[name]]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    keys.add((str(path), arg.value))
    return keys


def test_every_message_key_used_has_both_languages() -> None:
    used = _message_keys_in_code()
    assert len(used) > 30  # the scan found the calls
    missing = sorted((path, key) for path, key in used if key not in MESSAGES)
    assert not missing, f"message keys with no text: {missing}"
    for key, (zh, en) in MESSAGES.items():
        assert zh and en and zh != en, key


async def test_messages_are_chinese_first_and_english_on_request(api) -> None:
    body = {"building_id": api.park.building_any, "floor": 2, "number": "299", "area_m2": "30", "beds": "4"}
    zh = (await api.post("staff", "/api/units", json=body)).json()
    en = (await api.post("staff", "/api/units", json=body, headers={"Accept-Language": "en"})).json()
    assert zh["errors"][0]["message"] == "应为整数，实际为字符串"
    assert en["errors"][0]["message"] == "Expected `int`, got `str`"
    missing: Any = (await api.get("staff", "/api/workers/999999")).json()
    assert "未找到该记录" in missing["detail"]


def test_no_message_key_is_defined_twice() -> None:
    """A key written twice in the catalogue silently keeps only the later text (two features
    reaching for the same name, e.g. `month_not_ended`): each key once."""
    tree = ast.parse(Path("housing/web/i18n.py").read_text(encoding="utf-8"))
    catalogue = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "MESSAGES"
    )
    assert isinstance(catalogue, ast.Dict)
    keys = [k.value for k in catalogue.keys if isinstance(k, ast.Constant)]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []

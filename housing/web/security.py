"""Security headers on every response, and the CSRF protection the form pages will use.

The headers are added in Litestar's `before_send` hook, which sees every response the app
sends — errors, redirects and the mounted Piccolo Admin included. The header list is built
once from the settings; per response it is one list extension.

- `X-Content-Type-Options: nosniff`, `Referrer-Policy`, `X-Frame-Options: DENY` everywhere;
- the app's own HTML (the API docs now, the pages later) gets a restrictive
  Content-Security-Policy: everything from the app itself, no inline script, no framing;
  JSON answers get `default-src 'none'` (they are never meant to be rendered);
- HSTS when the service is served over HTTPS (`HSTS_SECONDS`, on by default in production).

CSRF: JSON routes accept only `application/json` (see `housing.web.body`), which a cross-site
form cannot send, and the login cookie is SameSite=Lax. Form pages (server-rendered, posting
`application/x-www-form-urlencoded` with the cookie) get Litestar's double-submit token from
`csrf_config`: it already guards every non-API route, so a page only has to put the token in
its forms.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.types import Message, Scope

from housing.settings import Settings

HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
# Piccolo Admin is a single-page app with inline styles; it gets the frame ban, not our CSP.
ADMIN_PREFIX = "/admin"
CSRF_HEADER = "x-csrftoken"
CSRF_COOKIE = "csrftoken"
CSRF_EXEMPT = ["^/api/", "^/admin", "^/health$", "^/schema"]


def security_headers(settings: Settings):  # type: ignore[no-untyped-def]
    """A `before_send` hook adding the headers above to every HTTP response (raw header
    tuples, built once: this runs on every response)."""
    common = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if settings.hsts_seconds > 0:
        common.append((b"strict-transport-security", f"max-age={settings.hsts_seconds}; includeSubDomains".encode()))
    ours = {name for name, _ in common} | {b"content-security-policy"}
    html_csp, data_csp = HTML_CSP.encode(), DATA_CSP.encode()

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in ours]
        headers.extend(common)
        if not scope["path"].startswith(ADMIN_PREFIX):
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            headers.append(
                (b"content-security-policy", html_csp if content_type.startswith(b"text/html") else data_csp)
            )
        message["headers"] = headers  # type: ignore[typeddict-unknown-key]

    return add_headers


def csrf_config(settings: Settings) -> CSRFConfig:
    """Litestar's double-submit CSRF token for form pages; the JSON API and Admin are exempt
    (the API by its content type and SameSite cookie, Admin by its own CSRF middleware)."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )

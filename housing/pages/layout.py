"""What every page shares: the templates, the language, the role's home, the error pages.

The language is Chinese unless the reader asks for English: `?lang=en` (kept in a cookie, so
the switch sticks), else the `lang` cookie, else `Accept-Language`. A page's texts come from
`housing.pages.texts`; a rule's message from `housing.web.i18n`, as the API words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, Router
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from housing.pages.texts import translator
from housing.web.access import Viewer
from housing.web.clock import PARK_TZ
from housing.web.i18n import Lang, pick_language

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/static/pages"
LANG_COOKIE = "lang"
HOMES = {"staff": "/staff", "hr": "/hr", "worker": "/my"}


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def static_files() -> Router:
    """The pages' stylesheet and script, served by the app (no CDN, no build step)."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        name="pages-assets",
    )


def lang_of(request: Request[Any, Any, Any]) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in ("zh", "en"):
        return asked  # type: ignore[return-value]
    return pick_language(request.headers.get("accept-language"))


def viewer_or_none(request: Request[Any, Any, Any]) -> Viewer | None:
    user = request.scope.get("user")
    return user if isinstance(user, Viewer) else None


def home_of(viewer: Viewer) -> str:
    return HOMES.get(viewer.role, "/login")


def park_time(moment: datetime) -> str:
    """A stored UTC instant as the park's wall clock (Asia/Shanghai)."""
    return moment.astimezone(PARK_TZ).strftime("%Y-%m-%d %H:%M")


def render(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    """A page in the reader's language, with what the layout needs (who is logged in, the
    language switch, the CSRF token through Litestar's `csrf_token()`)."""
    lang = lang_of(request)
    viewer = viewer_or_none(request)
    other = "en" if lang == "zh" else "zh"
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other
    switch = request.url.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    cookies = []
    if request.query_params.get("lang") in ("zh", "en"):
        cookies.append(Cookie(key=LANG_COOKIE, value=lang, path="/", samesite="lax", max_age=365 * 86400))
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
    return Template(
        template_name=name,
        context={
            **context,
            "csrf_field": Markup(f'<input type="hidden" name="_csrf_token" value="{escape(token)}">'),
            "lang": lang,
            "t": translator(lang),
            "viewer": viewer,
            "home": home_of(viewer) if viewer else "/login",
            "switch_url": switch,
            "static": STATIC_PATH,
            "path": request.url.path,
            "park_time": park_time,
        },
        status_code=status_code,
        cookies=cookies,
        media_type=MediaType.HTML,  # a form post's handler returns Any (page or redirect): its default is JSON
    )


def notice(request: Request[Any, Any, Any], notices: Mapping[str, str]) -> str:
    """The line a page shows after a form post sent it back with `?done=<what>` (the post's
    redirect), in the reader's language; nothing for an unknown or absent `done`."""
    key = notices.get(request.query_params.get("done") or "")
    return translator(lang_of(request))(key) if key else ""


def see_other(path: str) -> Redirect:
    """After a form post: go to the page (a reload does not post again)."""
    return Redirect(path, status_code=303)


def _to_login(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Redirect("/login", status_code=302)


def _error_page(status: int, key: str):  # type: ignore[no-untyped-def]
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        headers = exc.headers if isinstance(exc, HTTPException) else None
        said = key
        if status == 403 and "CSRF" in str(getattr(exc, "detail", "")):
            said = "csrf_failed"  # Litestar's CSRF middleware refuses with a 403 naming the token
        page = render(request, "error.html", status_code=status, message_key=said)
        if headers:
            page.headers.update(headers)
        return page  # type: ignore[return-value]

    return handler


def page_exception_handlers() -> dict[type[Exception] | int, Any]:
    """Logged out → the login form; not allowed, not found or a bad address (a query value the
    route refuses, such as week 2027-W53) → a page saying so (never JSON)."""
    return {
        400: _error_page(422, "bad_address"),
        401: _to_login,
        403: _error_page(403, "forbidden"),
        404: _error_page(404, "not_found"),
        422: _error_page(422, "bad_address"),
    }

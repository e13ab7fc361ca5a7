"""The one login form for every role, `/` as each role's home, and logging out.

The form uses the API's own `log_in` (the same throttle: 5 failures per account and address,
50 per address, in 15 minutes) and sets the same JWT cookie the API sets.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from housing.pages.forms import form_of, messages
from housing.pages.layout import home_of, lang_of, render, see_other, viewer_or_none
from housing.web.access import EVERYONE, PUBLIC, allow, viewer_of
from housing.web.auth import COOKIE_KEY, end_session, log_in, session_cookie
from housing.web.problems import Problem


@get("/", opt=allow(EVERYONE), include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    """Each role's home; logged out → the login form (the page router's 401 handler)."""
    return Redirect(home_of(viewer_of(request)), status_code=302)


@get("/login", opt=allow(PUBLIC), exclude_from_auth=True, include_in_schema=False)
async def login_form(request: Request[Any, Any, Any]) -> Template:
    return render(request, "login.html", username="", problem=None)


@post("/login", opt=allow(PUBLIC), exclude_from_auth=True, include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any]) -> Any:
    form = await form_of(request)
    username, password = form.get("username", "")[:100], form.get("password", "")[:128]
    try:
        viewer = await log_in(request, username, password)
    except Problem as problem:
        said = messages(problem, lang_of(request))
        page = render(request, "login.html", status_code=problem.status_code, username=username, problem=said)
        if problem.headers:
            page.headers.update(problem.headers)
        return page
    redirect = see_other(home_of(viewer))
    redirect.cookies.append(session_cookie(request, viewer))
    return redirect


@post("/logout", opt=allow(EVERYONE, own_account=True), include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    viewer = viewer_or_none(request)
    if viewer is not None:
        await end_session(viewer.session)
    redirect = see_other("/login")
    redirect.delete_cookie(COOKIE_KEY, path="/")
    return redirect

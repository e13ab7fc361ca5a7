"""The pages' router: every page route, the role guard the API uses, and page-shaped errors."""

from __future__ import annotations

from litestar import Router

from housing.pages import hr, login, staff, worker
from housing.pages import tickets as ticket_pages  # service-ticket pages
from housing.pages.layout import page_exception_handlers
from housing.web.access import role_guard


def pages_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            login.home,
            login.login_form,
            login.login,
            login.logout,
            worker.my_room,
            *hr.ROUTES,
            *staff.ROUTES,
            *worker.ROUTES,  # pages-money feature: the worker's rental subsidy
            *ticket_pages.ROUTES,  # service-ticket pages
        ],
        guards=[role_guard],
        exception_handlers=page_exception_handlers(),
        include_in_schema=False,
    )

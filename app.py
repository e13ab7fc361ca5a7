"""The Litestar composition root (`litestar run` and uvicorn find `app` here).

`create_app()` reads the settings once and hands them to what needs them. Everything under
/api needs a login except `POST /api/auth/login`, and every /api route declares the roles it
admits (see `housing.web.access`). /health, the OpenAPI docs at /schema and Piccolo Admin at
/admin/ (staff only, through the app's own login door) sit outside the JWT auth.
The server-rendered pages (`housing.pages`) share the API's login cookie and role guard;
logged out, a page sends the reader to `/login`.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from canteen.canteens import CanteenController
from canteen.meal_records import MealRecordController
from canteen.policies import SubsidyPolicyController
from canteen.prices import MealPriceController
from canteen.settlement import SettlementController
from housing.audit.entries import AuditController
from housing.billing.rent_invoices import RentInvoiceController
from housing.excel.controllers import RegisterSheetController, WorkerSheetController  # excel import/export
from housing.jobs.runner import Runner
from housing.leasing.bed_proposals import BedProposalController
from housing.leasing.beds import BedAssignmentController
from housing.leasing.headcount_requests import HeadcountRequestController
from housing.leasing.leases import LeaseController
from housing.leasing.occupancy import OccupancyController
from housing.leasing.periods import PeriodController
from housing.leasing.runs import AllocationRunController, MoveController
from housing.pages.layout import static_files, template_config  # pages
from housing.pages.routes import pages_router  # pages
from housing.register.accounts import AccountController
from housing.register.admin import mount_admin
from housing.register.buildings import BuildingController

# --- tickets feature ---
from housing.register.departments import DepartmentController
from housing.register.firms import FirmController
from housing.register.units import UnitController
from housing.register.workers import WorkerController
from housing.settings import Settings
from housing.subsidies.applications import RentalSubsidyApplicationController
from housing.subsidies.payouts import RentalSubsidyPayoutController
from housing.subsidies.policies import RentalSubsidyPolicyController
from housing.tickets.escalation import start_scheduler, stop_scheduler
from housing.tickets.notifications import NotificationController
from housing.tickets.reports import TicketReportController
from housing.tickets.surveys import SurveyController
from housing.tickets.tickets import TicketController
from housing.web import throttle
from housing.web.access import role_guard
from housing.web.auth import AuthController, make_auth
from housing.web.body import ApiRequest, refuse_nul_in_url
from housing.web.clock import Clock, system_clock
from housing.web.db import HotQuery, close_readers, engine, is_sqlite, prepare_database
from housing.web.docs import OfflineSwagger, docs_assets
from housing.web.problems import document_problems, exception_handlers
from housing.web.resource import provide_page
from housing.web.security import csrf_config, security_headers

TICKET_ROUTES = [
    DepartmentController,
    TicketController,
    NotificationController,
    SurveyController,
    TicketReportController,
]
# --- end tickets feature ---

MAX_BODY_BYTES = 10 * 1024 * 1024


ALIVE = HotQuery("SELECT 1 AS alive")


@get("/health", exclude_from_auth=True, tags=["health"])
async def health() -> dict[str, str]:
    """Liveness and database reachability, for a load balancer or a monitor."""
    await ALIVE.first()
    return {"status": "ok", "database": "sqlite" if is_sqlite() else "postgresql"}


def _pooled(app: Litestar) -> bool:
    return not is_sqlite() and app.state.settings.db_pool


async def open_database(app: Litestar) -> None:
    await prepare_database()
    await throttle.forget_expired(app.state.settings.login_limits)
    if _pooled(app):
        settings = app.state.settings
        await engine().start_connection_pool(  # type: ignore[call-arg]
            min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
    if app.state.settings.run_jobs:
        await app.state.runner.start()


async def close_database(app: Litestar) -> None:
    await app.state.runner.stop()
    await close_readers()
    if _pooled(app):
        await engine().close_connection_pool()  # type: ignore[attr-defined]


SWITCH_INTERVAL_S = 0.0005


def tune_runtime(app: Litestar) -> None:
    """Last on start-up, two process settings for answer times:

    - move everything built so far (routes, schemas, tables — ~180,000 objects) out of the
      garbage collector's sight: a full collection otherwise walks them all (~0.1 s) at
      unpredictable moments, inside some request (a splice of lists: no collection runs here);
    - hand the interpreter lock over after 0.5 ms instead of 5 ms: a database driver thread
      (aiosqlite's, or the job runner's) that finished its query otherwise waits up to 5 ms
      for the busy event loop to let go, on every trip, which under load is the slowest
      hundredth of answers."""
    if gc.get_freeze_count() == 0:  # once per process: a later start-up (tests start many apps)
        gc.freeze()  # would make whatever garbage exists by then immortal
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def create_app(settings: Settings | None = None, clock: Clock = system_clock, **overrides: Any) -> Litestar:
    settings = settings or Settings.from_env()
    auth = make_auth(settings)
    api = Router(
        path="/api",
        route_handlers=[
            AuthController,
            AccountController,
            BuildingController,
            UnitController,
            FirmController,
            WorkerController,
            AuditController,
            PeriodController,
            HeadcountRequestController,
            LeaseController,
            BedAssignmentController,
            BedProposalController,
            OccupancyController,
            RentInvoiceController,
            AllocationRunController,
            MoveController,
            # excel import/export
            WorkerSheetController,
            RegisterSheetController,
            # canteen (issue 11)
            CanteenController,
            MealPriceController,
            SubsidyPolicyController,
            MealRecordController,
            SettlementController,
            *TICKET_ROUTES,  # tickets
            # rental subsidy (issue 11)
            RentalSubsidyPolicyController,
            RentalSubsidyApplicationController,
            RentalSubsidyPayoutController,
        ],
        guards=[role_guard],
        dependencies={"page": Provide(provide_page, sync_to_thread=False)},
    )
    app = Litestar(
        route_handlers=[api, health, mount_admin(settings), docs_assets(), pages_router(), static_files()],  # pages
        on_app_init=[auth.on_app_init],
        on_startup=[open_database, start_scheduler, tune_runtime],  # tickets: the escalation pass
        on_shutdown=[stop_scheduler, close_database],  # tickets
        state=State({"settings": settings, "auth": auth, "clock": clock, "runner": Runner(clock)}),
        request_class=ApiRequest,
        middleware=[refuse_nul_in_url],
        before_send=[security_headers(settings)],
        csrf_config=csrf_config(settings),
        template_config=template_config(),  # pages
        request_max_body_size=MAX_BODY_BYTES,
        exception_handlers=exception_handlers(),
        openapi_config=OpenAPIConfig(
            title="园区员工之家 · Park worker housing API",
            version="0.1.0",
            description="Dormitory register, leases, rental subsidies and canteen of an industrial park. "
            "Errors are RFC 9457 problem details; send `Accept-Language: en` for English messages.",
            path="/schema",
            render_plugins=[OfflineSwagger(path=["/", "/swagger"])],
        ),
        **overrides,
    )
    document_problems(app)
    return app


app = create_app()

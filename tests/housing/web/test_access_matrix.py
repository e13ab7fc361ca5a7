"""The role × route matrix: every route of the app, every test role, the status each must get.

The walk over `app.routes` fails when a route has no row here, so a new route cannot ship
without someone deciding who may call it (and the app itself refuses a route that declares
no roles: deny by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar, Router, get
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from housing.web.access import role_guard
from tests.housing.factories import PDF, Park, credit_code, new_worker

ROLES = ["anonymous", "staff", "hr1", "hr2", "worker1"]

# Routes outside the JWT-protected API, each with its reason.
EXEMPT = {
    "/schema": "OpenAPI docs are public by design",
    "/static": "the docs' and pages' own assets (scripts, styles), public by design",
    "/admin": "Piccolo Admin has its own staff-only session login (see test_admin)",
}


@dataclass(frozen=True)
class Upload:
    """A multipart body instead of JSON: {field: (file name, bytes, content type)}."""

    files: dict[str, tuple[str, bytes, str]]


Body = Callable[[Park, str], dict[str, Any] | bytes | Upload]


def _worker_body(park: Park, role: str) -> dict[str, Any]:
    return new_worker(firm_id=park.firm1) if role == "staff" else new_worker()


def _workers_sheet(park: Park, role: str) -> bytes:  # excel import/export
    from housing.excel.templates import workers_template

    return workers_template()


def _register_sheet(park: Park, role: str) -> bytes:  # excel import/export
    from housing.excel.templates import register_template

    return register_template()


# (method, route path) → (concrete path, body, {role: status})
def _s(anonymous: int, staff: int, hr1: int, hr2: int, worker1: int) -> dict[str, int]:
    return dict(zip(ROLES, [anonymous, staff, hr1, hr2, worker1], strict=True))


STAFF_ONLY_READ = _s(401, 200, 403, 403, 403)
STAFF_ONLY_WRITE = _s(401, 200, 403, 403, 403)
REGISTER_READ = _s(401, 200, 200, 200, 403)
# pages (their refusals are pages too, not problem details)
HR_PAGE = _s(302, 403, 200, 200, 403)
STAFF_PAGE = _s(302, 200, 403, 403, 403)
NO_CSRF = _s(302, 403, 403, 403, 403)  # logged out: to the login form first


def _form(park: Park, role: str) -> dict[str, Any]:
    return {"data": {"username": role, "password": "demo1234"}}


MATRIX: dict[tuple[str, str], tuple[Callable[[Park], str], Body | None, dict[str, int]]] = {
    ("GET", "/health"): (lambda p: "/health", None, _s(200, 200, 200, 200, 200)),
    ("POST", "/api/auth/login"): (
        lambda p: "/api/auth/login",
        lambda p, role: {"username": "staff" if role == "anonymous" else role, "password": "demo1234"},
        _s(200, 200, 200, 200, 200),
    ),
    ("POST", "/api/auth/logout"): (lambda p: "/api/auth/logout", None, _s(401, 204, 204, 204, 204)),
    ("GET", "/api/me"): (lambda p: "/api/me", None, _s(401, 200, 200, 200, 200)),
    ("POST", "/api/auth/password"): (
        lambda p: "/api/auth/password",
        lambda p, role: {"current_password": "demo1234", "new_password": "a-new-passphrase"},
        _s(401, 200, 200, 200, 200),
    ),
    # accounts: staff any; HR only its own workers' logins
    ("GET", "/api/accounts"): (lambda p: "/api/accounts", None, REGISTER_READ),
    ("GET", "/api/accounts/{account_id:int}"): (
        lambda p: f"/api/accounts/{p.worker1_account}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("POST", "/api/accounts"): (
        lambda p: "/api/accounts",
        lambda p, role: {
            "username": "chenjing",
            "password": "start-2026",
            "role": "worker",
            "worker_id": p.firm1_other,
        },
        _s(401, 201, 201, 422, 403),
    ),
    ("PATCH", "/api/accounts/{account_id:int}"): (
        lambda p: f"/api/accounts/{p.worker1_account}",
        lambda p, role: {"password": "reset-2026"},
        _s(401, 200, 200, 404, 403),
    ),
    # allocation periods: staff keeps them, everyone logged in reads
    ("GET", "/api/periods"): (lambda p: "/api/periods", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/periods/{period_id:int}"): (
        lambda p: f"/api/periods/{p.period_open}",
        None,
        _s(401, 200, 200, 200, 200),
    ),
    ("POST", "/api/periods"): (
        lambda p: "/api/periods",
        lambda p, role: {
            "name": "2099Q1",
            "starts_on": "2099-01-01",
            "ends_on": "2099-03-31",
            "request_deadline": "2098-12-15",
        },
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/periods/{period_id:int}"): (
        lambda p: f"/api/periods/{p.period_open}",
        lambda p, role: {"name": "下季度（延期）"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/periods/{period_id:int}"): (
        lambda p: f"/api/periods/{p.period_closed}",
        None,
        _s(401, 204, 403, 403, 403),
    ),
    # headcount requests: HR its own firm's, staff any; workers none
    ("GET", "/api/headcount-requests"): (lambda p: "/api/headcount-requests", None, REGISTER_READ),
    ("GET", "/api/headcount-requests/{request_id:int}"): (
        lambda p: f"/api/headcount-requests/{p.request1}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("POST", "/api/headcount-requests"): (
        lambda p: "/api/headcount-requests",
        lambda p, role: (
            {"period_id": p.period_open, "male_beds": 4, "female_beds": 0}
            | ({"firm_id": p.firm2} if role == "staff" else {})
        ),
        _s(401, 201, 409, 201, 403),
    ),
    ("PATCH", "/api/headcount-requests/{request_id:int}"): (
        lambda p: f"/api/headcount-requests/{p.request1}",
        lambda p, role: {"male_beds": 8},
        _s(401, 200, 200, 404, 403),
    ),
    ("DELETE", "/api/headcount-requests/{request_id:int}"): (
        lambda p: f"/api/headcount-requests/{p.request1}",
        None,
        _s(401, 204, 204, 404, 403),
    ),
    # leases: staff makes and ends them, HR reads its own firm's
    ("GET", "/api/leases"): (lambda p: "/api/leases", None, REGISTER_READ),
    ("GET", "/api/leases/{lease_id:int}"): (
        lambda p: f"/api/leases/{p.lease1}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("POST", "/api/leases"): (
        lambda p: "/api/leases",
        lambda p, role: {"unit_id": p.units[1], "firm_id": p.firm2, "gender": "male", "starts_on": "2030-01-01"},
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/leases/{lease_id:int}"): (
        lambda p: f"/api/leases/{p.lease2}",
        lambda p, role: {"ends_on": "2099-12-31"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/leases/{lease_id:int}"): (
        lambda p: f"/api/leases/{p.lease2}",
        None,
        _s(401, 204, 403, 403, 403),
    ),
    # beds: HR puts its own workers into its own units; staff any
    ("GET", "/api/bed-assignments"): (lambda p: "/api/bed-assignments", None, REGISTER_READ),
    ("GET", "/api/bed-assignments/{assignment_id:int}"): (
        lambda p: f"/api/bed-assignments/{p.bed1}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("POST", "/api/bed-assignments"): (
        lambda p: "/api/bed-assignments",
        lambda p, role: {"worker_id": p.worker1, "unit_id": p.units[0], "bed": 2},
        _s(401, 201, 201, 422, 403),
    ),
    ("POST", "/api/bed-assignments/{assignment_id:int}/end"): (
        lambda p: f"/api/bed-assignments/{p.bed1}/end",
        lambda p, role: {},
        _s(401, 200, 200, 404, 403),
    ),
    # bed proposals: HR for its own firm, staff for any
    ("POST", "/api/bed-assignments/proposals"): (
        lambda p: "/api/bed-assignments/proposals",
        lambda p, role: {"firm_id": p.firm1, "time_limit_s": 1} if role == "staff" else {"time_limit_s": 1},
        _s(401, 201, 201, 201, 403),
    ),
    ("GET", "/api/bed-assignments/proposals/{proposal_id:int}"): (
        lambda p: f"/api/bed-assignments/proposals/{p.proposal1}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("POST", "/api/bed-assignments/proposals/{proposal_id:int}/confirm"): (
        lambda p: f"/api/bed-assignments/proposals/{p.proposal1}/confirm",
        None,
        _s(401, 409, 409, 404, 403),  # the park changed since proposal1 was made
    ),
    # the park on a day (房态图) and a worker's own bed
    ("GET", "/api/occupancy"): (lambda p: "/api/occupancy", None, STAFF_ONLY_READ),
    ("GET", "/api/me/bed"): (lambda p: "/api/me/bed", None, _s(401, 403, 403, 403, 200)),
    # rent invoices: staff bill and void; HR reads its own firm's
    ("GET", "/api/rent-invoices"): (lambda p: "/api/rent-invoices", None, REGISTER_READ),
    ("GET", "/api/rent-invoices/{invoice_id:int}"): (
        lambda p: f"/api/rent-invoices/{p.invoice1}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    ("GET", "/api/rent-invoices/export"): (
        lambda p: "/api/rent-invoices/export?month=2020-01",
        None,
        _s(401, 200, 200, 200, 403),
    ),
    ("POST", "/api/rent-invoices/run"): (
        lambda p: "/api/rent-invoices/run",
        lambda p, role: {"month": "2030-01"},
        _s(401, 200, 403, 403, 403),
    ),
    ("POST", "/api/rent-invoices/{invoice_id:int}/void"): (
        lambda p: f"/api/rent-invoices/{p.invoice1}/void",
        lambda p, role: {"reason": "面积录错"},
        _s(401, 200, 403, 403, 403),
    ),
    # allocation runs: staff start, read the snapshot and apply; HR reads (its own line only)
    ("POST", "/api/allocation-runs"): (
        lambda p: "/api/allocation-runs",
        lambda p, role: {"period_id": p.period_open, "time_limit_s": 1},
        _s(401, 202, 403, 403, 403),
    ),
    ("GET", "/api/allocation-runs"): (lambda p: "/api/allocation-runs", None, REGISTER_READ),
    ("GET", "/api/allocation-runs/{run_id:int}"): (lambda p: f"/api/allocation-runs/{p.run1}", None, REGISTER_READ),
    ("GET", "/api/allocation-runs/{run_id:int}/instance"): (
        lambda p: f"/api/allocation-runs/{p.run1}/instance",
        None,
        STAFF_ONLY_READ,
    ),
    ("POST", "/api/allocation-runs/{run_id:int}/apply"): (
        lambda p: f"/api/allocation-runs/{p.run1}/apply",
        None,
        _s(401, 409, 403, 403, 403),  # run1 failed: nothing to apply
    ),
    ("POST", "/api/allocation-runs/{run_id:int}/choose"): (
        lambda p: f"/api/allocation-runs/{p.run1}/choose",
        lambda p, role: {"point": 0},
        _s(401, 409, 403, 403, 403),  # run1 has no trade-off curve
    ),
    ("POST", "/api/allocation-runs/{run_id:int}/cancel"): (
        lambda p: f"/api/allocation-runs/{p.run1}/cancel",
        None,
        _s(401, 409, 403, 403, 403),  # run1 already failed
    ),
    ("GET", "/api/moves"): (lambda p: "/api/moves", None, REGISTER_READ),
    # rental subsidy policies: staff set them, everyone logged in reads them
    ("GET", "/api/subsidy-policies"): (lambda p: "/api/subsidy-policies", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/subsidy-policies/{policy_id:int}"): (
        lambda p: f"/api/subsidy-policies/{p.policy1}",
        None,
        _s(401, 200, 200, 200, 200),
    ),
    ("POST", "/api/subsidy-policies"): (
        lambda p: "/api/subsidy-policies",
        lambda p, role: {
            "name": "2099 年租房补贴",
            "share_percent": 50,
            "cap_fen": 30000,
            "valid_from": "2099-01-01",
            "valid_to": "2099-12-31",
        },
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/subsidy-policies/{policy_id:int}"): (
        lambda p: f"/api/subsidy-policies/{p.policy1}",
        lambda p, role: {"name": "园区租房补贴"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/subsidy-policies/{policy_id:int}"): (
        lambda p: f"/api/subsidy-policies/{p.policy2}",
        None,
        _s(401, 204, 403, 403, 403),
    ),
    # rental subsidy applications: a worker applies for itself (worker1 holds a bed: 409) and
    # uploads its contract; HR confirms its own firm's; staff approve or reject; others' answer 404
    ("GET", "/api/subsidy-applications"): (lambda p: "/api/subsidy-applications", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/subsidy-applications/{application_id:int}"): (
        lambda p: f"/api/subsidy-applications/{p.application1}",
        None,
        _s(401, 200, 200, 404, 404),
    ),
    ("POST", "/api/subsidy-applications"): (
        lambda p: "/api/subsidy-applications",
        lambda p, role: {
            "address": "荆州市沙市区红门路 5 号",
            "landlord": "郑先生",
            "monthly_rent_fen": 100000,
            "lease_start": "2026-01-01",
            "lease_end": "2099-12-31",
        },
        _s(401, 403, 403, 403, 409),
    ),
    ("POST", "/api/subsidy-applications/{application_id:int}/contract"): (
        lambda p: f"/api/subsidy-applications/{p.application1}/contract",
        lambda p, role: Upload({"contract": ("contract.pdf", PDF, "application/pdf")}),
        _s(401, 403, 403, 403, 404),
    ),
    ("GET", "/api/subsidy-applications/{application_id:int}/contract"): (
        lambda p: f"/api/subsidy-applications/{p.application_old}/contract",
        None,
        _s(401, 200, 200, 404, 200),
    ),
    ("POST", "/api/subsidy-applications/{application_id:int}/confirm"): (
        lambda p: f"/api/subsidy-applications/{p.application1}/confirm",
        None,
        _s(401, 403, 200, 404, 403),
    ),
    ("POST", "/api/subsidy-applications/{application_id:int}/approve"): (
        lambda p: f"/api/subsidy-applications/{p.application2}/approve",
        None,
        _s(401, 200, 403, 403, 403),
    ),
    ("POST", "/api/subsidy-applications/{application_id:int}/reject"): (
        lambda p: f"/api/subsidy-applications/{p.application1}/reject",
        lambda p, role: {"reason": "合同上的承租人不是本人"},
        _s(401, 200, 403, 403, 403),
    ),
    ("POST", "/api/subsidy-applications/{application_id:int}/withdraw"): (
        lambda p: f"/api/subsidy-applications/{p.application1}/withdraw",
        None,
        _s(401, 403, 403, 403, 404),
    ),
    # rental subsidy payouts: staff pay an ended month and export it; HR reads its firm's, a worker its own
    ("GET", "/api/subsidy-payouts"): (lambda p: "/api/subsidy-payouts", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/subsidy-payouts/export"): (
        lambda p: "/api/subsidy-payouts/export?month=2020-01",
        None,
        STAFF_ONLY_READ,
    ),
    ("POST", "/api/subsidy-payouts/run"): (
        lambda p: "/api/subsidy-payouts/run",
        lambda p, role: {"month": "2020-02"},
        _s(401, 200, 403, 403, 403),
    ),
    # the audit trail: staff only
    ("GET", "/api/audit"): (lambda p: "/api/audit?table=worker", None, STAFF_ONLY_READ),
    # buildings: staff keeps the register, HR reads it
    ("GET", "/api/buildings"): (lambda p: "/api/buildings", None, REGISTER_READ),
    ("GET", "/api/buildings/{building_id:int}"): (lambda p: f"/api/buildings/{p.building_any}", None, REGISTER_READ),
    ("POST", "/api/buildings"): (
        lambda p: "/api/buildings",
        lambda p, role: {"code": "B77", "name": "新楼", "floors": 3},
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/buildings/{building_id:int}"): (
        lambda p: f"/api/buildings/{p.building_any}",
        lambda p, role: {"name": "员工之家一号楼"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/buildings/{building_id:int}"): (
        lambda p: f"/api/buildings/{p.building_empty}",
        None,
        _s(401, 204, 403, 403, 403),
    ),
    # units
    ("GET", "/api/units"): (lambda p: "/api/units", None, REGISTER_READ),
    ("GET", "/api/units/{unit_id:int}"): (lambda p: f"/api/units/{p.units[0]}", None, REGISTER_READ),
    ("POST", "/api/units"): (
        lambda p: "/api/units",
        lambda p, role: {"building_id": p.building_any, "floor": 3, "number": "301", "area_m2": "30.00", "beds": 4},
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/units/{unit_id:int}"): (
        lambda p: f"/api/units/{p.units[0]}",
        lambda p, role: {"status": "maintenance"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/units/{unit_id:int}"): (lambda p: f"/api/units/{p.units[2]}", None, _s(401, 204, 403, 403, 403)),
    # firms: HR reads only its own
    ("GET", "/api/firms"): (lambda p: "/api/firms", None, REGISTER_READ),
    ("GET", "/api/firms/{firm_id:int}"): (lambda p: f"/api/firms/{p.firm1}", None, _s(401, 200, 200, 404, 403)),
    ("POST", "/api/firms"): (
        lambda p: "/api/firms",
        lambda p, role: {
            "name": "荆州新星科技有限公司",
            "uscc": credit_code(77),
            "contact_name": "周先生",
            "contact_phone": "13800001111",
        },
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/firms/{firm_id:int}"): (
        lambda p: f"/api/firms/{p.firm1}",
        lambda p, role: {"contact_name": "孙经理"},
        STAFF_ONLY_WRITE,
    ),
    ("DELETE", "/api/firms/{firm_id:int}"): (lambda p: f"/api/firms/{p.firm_empty}", None, _s(401, 204, 403, 403, 403)),
    # workers: HR keeps its own firm's, a worker reads only itself
    ("GET", "/api/workers"): (lambda p: "/api/workers", None, REGISTER_READ),
    ("GET", "/api/workers/{worker_id:int}"): (lambda p: f"/api/workers/{p.worker1}", None, _s(401, 200, 200, 404, 200)),
    ("POST", "/api/workers"): (lambda p: "/api/workers", _worker_body, _s(401, 201, 201, 201, 403)),
    ("PATCH", "/api/workers/{worker_id:int}"): (
        lambda p: f"/api/workers/{p.firm1_other}",
        lambda p, role: {"shift": "day"},
        _s(401, 200, 200, 404, 403),
    ),
    ("DELETE", "/api/workers/{worker_id:int}"): (
        lambda p: f"/api/workers/{p.firm1_other}",
        None,
        _s(401, 200, 200, 404, 403),
    ),
    # excel import/export: HR and staff move workers, staff the register (a bytes body is uploaded as `file`)
    ("GET", "/api/workers/import-template"): (lambda p: "/api/workers/import-template", None, REGISTER_READ),
    ("POST", "/api/workers/import"): (lambda p: "/api/workers/import", _workers_sheet, _s(401, 200, 200, 200, 403)),
    ("GET", "/api/workers/export"): (lambda p: "/api/workers/export", None, REGISTER_READ),
    ("GET", "/api/register/import-template"): (lambda p: "/api/register/import-template", None, STAFF_ONLY_READ),
    ("POST", "/api/register/import"): (lambda p: "/api/register/import", _register_sheet, STAFF_ONLY_WRITE),
    ("GET", "/api/register/export"): (lambda p: "/api/register/export", None, STAFF_ONLY_READ),
    # pages: logged out → the login form; another role's page → 403; another firm's record → 404;
    # every form post without the CSRF token → 403 (after the login check; /login itself is open)
    ("GET", "/"): (lambda p: "/", None, _s(302, 302, 302, 302, 302)),
    ("GET", "/login"): (lambda p: "/login", None, _s(200, 200, 200, 200, 200)),
    ("POST", "/login"): (lambda p: "/login", _form, _s(403, 403, 403, 403, 403)),
    ("POST", "/logout"): (lambda p: "/logout", _form, NO_CSRF),
    ("GET", "/my"): (lambda p: "/my", None, _s(302, 403, 403, 403, 200)),
    ("GET", "/hr"): (lambda p: "/hr", None, HR_PAGE),
    ("POST", "/hr/request"): (lambda p: "/hr/request", _form, NO_CSRF),
    ("GET", "/hr/workers"): (lambda p: "/hr/workers", None, HR_PAGE),
    ("POST", "/hr/workers"): (lambda p: "/hr/workers", _form, NO_CSRF),
    ("GET", "/hr/workers/{worker_id:int}"): (
        lambda p: f"/hr/workers/{p.firm1_other}",
        None,
        _s(302, 403, 200, 404, 403),
    ),
    ("POST", "/hr/workers/{worker_id:int}"): (lambda p: f"/hr/workers/{p.firm1_other}", _form, NO_CSRF),
    ("POST", "/hr/workers/{worker_id:int}/active"): (lambda p: f"/hr/workers/{p.firm1_other}/active", _form, NO_CSRF),
    ("GET", "/hr/beds"): (lambda p: "/hr/beds", None, HR_PAGE),
    ("GET", "/hr/beds/{unit_id:int}"): (lambda p: f"/hr/beds/{p.units[0]}", None, _s(302, 403, 200, 404, 403)),
    ("POST", "/hr/beds"): (lambda p: "/hr/beds", _form, NO_CSRF),
    ("POST", "/hr/beds/{assignment_id:int}/out"): (lambda p: f"/hr/beds/{p.bed1}/out", _form, NO_CSRF),
    ("GET", "/hr/invoices"): (lambda p: "/hr/invoices", None, HR_PAGE),
    ("GET", "/staff"): (lambda p: "/staff", None, STAFF_PAGE),
    ("POST", "/staff/runs"): (lambda p: "/staff/runs", _form, NO_CSRF),
    ("GET", "/staff/runs/{run_id:int}"): (lambda p: f"/staff/runs/{p.run1}", None, STAFF_PAGE),
    ("GET", "/staff/runs/{run_id:int}/progress"): (lambda p: f"/staff/runs/{p.run1}/progress", None, STAFF_PAGE),
    ("GET", "/staff/runs/{run_id:int}/apply"): (lambda p: f"/staff/runs/{p.run1}/apply", None, STAFF_PAGE),
    ("POST", "/staff/runs/{run_id:int}/apply"): (lambda p: f"/staff/runs/{p.run1}/apply", _form, NO_CSRF),
    ("GET", "/staff/rooms"): (lambda p: "/staff/rooms?date=2027-01-01", None, STAFF_PAGE),
    ("GET", "/staff/charts"): (lambda p: "/staff/charts", None, STAFF_PAGE),
    ("GET", "/staff/invoices"): (lambda p: "/staff/invoices", None, STAFF_PAGE),
    ("GET", "/staff/audit"): (lambda p: "/staff/audit?table=worker", None, STAFF_PAGE),
    # canteen (issue 11): the small park has no canteen; tests/canteen/test_access.py walks these
    # routes again with canteens, meals, a settlement and a terminal login.
    ("GET", "/api/canteens"): (lambda p: "/api/canteens", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/canteens/{canteen_id:int}"): (lambda p: "/api/canteens/1", None, _s(401, 404, 404, 404, 404)),
    ("POST", "/api/canteens"): (
        lambda p: "/api/canteens",
        lambda p, role: {"name": "一食堂"},
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/canteens/{canteen_id:int}"): (
        lambda p: "/api/canteens/1",
        lambda p, role: {"name": "一食堂"},
        _s(401, 404, 403, 403, 403),
    ),
    ("GET", "/api/canteens/{canteen_id:int}/terminals"): (
        lambda p: "/api/canteens/1/terminals",
        None,
        _s(401, 404, 403, 403, 403),
    ),
    ("POST", "/api/canteens/{canteen_id:int}/terminals"): (
        lambda p: "/api/canteens/1/terminals",
        lambda p, role: {"username": "canteen9", "password": "terminal-2026"},
        _s(401, 404, 403, 403, 403),
    ),
    ("GET", "/api/meal-prices"): (lambda p: "/api/meal-prices", None, _s(401, 200, 200, 200, 200)),
    ("GET", "/api/meal-prices/{price_id:int}"): (lambda p: "/api/meal-prices/1", None, _s(401, 404, 404, 404, 404)),
    ("POST", "/api/meal-prices"): (
        lambda p: "/api/meal-prices",
        lambda p, role: {"canteen_id": 1, "meal_type": "lunch", "price_fen": 1200, "valid_from": "2030-01-01"},
        _s(401, 422, 403, 403, 403),  # no canteen 1 in the small park
    ),
    ("PATCH", "/api/meal-prices/{price_id:int}"): (
        lambda p: "/api/meal-prices/1",
        lambda p, role: {"price_fen": 1300},
        _s(401, 404, 403, 403, 403),
    ),
    ("GET", "/api/canteen-subsidy-policies"): (lambda p: "/api/canteen-subsidy-policies", None, STAFF_ONLY_READ),
    ("GET", "/api/canteen-subsidy-policies/{policy_id:int}"): (
        lambda p: "/api/canteen-subsidy-policies/1",
        None,
        _s(401, 404, 403, 403, 403),
    ),
    ("POST", "/api/canteen-subsidy-policies"): (
        lambda p: "/api/canteen-subsidy-policies",
        lambda p, role: {"name": "餐补", "daily_cap_fen": 1000, "monthly_cap_fen": 15000, "valid_from": "2030-01-01"},
        _s(401, 201, 403, 403, 403),
    ),
    ("PATCH", "/api/canteen-subsidy-policies/{policy_id:int}"): (
        lambda p: "/api/canteen-subsidy-policies/1",
        lambda p, role: {"name": "餐补"},
        _s(401, 404, 403, 403, 403),
    ),
    ("POST", "/api/meal-records/batch"): (
        lambda p: "/api/meal-records/batch",
        lambda p, role: {"records": []},
        _s(401, 403, 403, 403, 403),  # terminals only
    ),
    ("GET", "/api/meal-records"): (lambda p: "/api/meal-records?month=2020-01", None, _s(401, 200, 200, 200, 200)),
    ("POST", "/api/canteen-settlements/run"): (
        lambda p: "/api/canteen-settlements/run",
        lambda p, role: {"month": "2020-01"},
        _s(401, 200, 403, 403, 403),
    ),
    ("GET", "/api/canteen-settlements"): (lambda p: "/api/canteen-settlements", None, STAFF_ONLY_READ),
    ("GET", "/api/canteen-settlements/firms"): (
        lambda p: "/api/canteen-settlements/firms?month=2020-01",
        None,
        _s(401, 404, 404, 404, 403),  # not settled in the small park
    ),
    ("GET", "/api/canteen-settlements/canteens"): (
        lambda p: "/api/canteen-settlements/canteens?month=2020-01",
        None,
        _s(401, 404, 403, 403, 403),
    ),
    ("GET", "/api/canteen-settlements/workers"): (
        lambda p: "/api/canteen-settlements/workers?month=2020-01",
        None,
        _s(401, 404, 404, 404, 404),
    ),
    ("GET", "/api/canteen-settlements/export"): (
        lambda p: "/api/canteen-settlements/export?month=2020-01",
        None,
        _s(401, 404, 404, 404, 403),
    ),
}

# --- tickets feature: departments, tickets and their loop, notifications, surveys, reports ---
TICKET = "/api/tickets/{ticket_id:int}"
MATRIX.update(
    {
        ("GET", "/api/departments"): (lambda p: "/api/departments", None, STAFF_ONLY_READ),
        ("GET", "/api/departments/{department_id:int}"): (
            lambda p: f"/api/departments/{p.tickets.department}",
            None,
            STAFF_ONLY_READ,
        ),
        ("POST", "/api/departments"): (
            lambda p: "/api/departments",
            lambda p, role: {"name": "宿管中心", "supervisor_account_id": p.tickets.staff_account},
            _s(401, 201, 403, 403, 403),
        ),
        ("PATCH", "/api/departments/{department_id:int}"): (
            lambda p: f"/api/departments/{p.tickets.department}",
            lambda p, role: {"name": "维修二组"},
            STAFF_ONLY_WRITE,
        ),
        ("GET", "/api/tickets"): (lambda p: "/api/tickets", None, _s(401, 200, 200, 200, 200)),
        ("POST", "/api/tickets"): (
            lambda p: "/api/tickets",
            lambda p, role: {"category": "repair", "description": "热水器不出热水"},
            _s(401, 201, 201, 201, 201),
        ),
        ("GET", TICKET): (lambda p: f"/api/tickets/{p.tickets.new}", None, _s(401, 200, 200, 404, 200)),
        ("POST", TICKET + "/sort"): (
            lambda p: f"/api/tickets/{p.tickets.new}/sort",
            lambda p, role: {"severity": "ordinary"},
            _s(401, 200, 403, 403, 403),
        ),
        ("POST", TICKET + "/assign"): (
            lambda p: f"/api/tickets/{p.tickets.sorted}/assign",
            lambda p, role: {"department_id": p.tickets.department},
            _s(401, 200, 403, 403, 403),
        ),
        ("POST", TICKET + "/start"): (
            lambda p: f"/api/tickets/{p.tickets.assigned}/start",
            lambda p, role: {"note": "已到现场"},
            _s(401, 200, 403, 403, 403),
        ),
        ("POST", TICKET + "/resolve"): (
            lambda p: f"/api/tickets/{p.tickets.in_progress}/resolve",
            lambda p, role: {"resolution": "更换了加热管"},
            _s(401, 200, 403, 403, 403),
        ),
        # the reporter (hr1) closes or reopens; staff may see it but is not the reporter
        ("POST", TICKET + "/close"): (
            lambda p: f"/api/tickets/{p.tickets.resolved}/close",
            lambda p, role: {"rating": 5},
            _s(401, 403, 200, 404, 404),
        ),
        ("POST", TICKET + "/reopen"): (
            lambda p: f"/api/tickets/{p.tickets.resolved}/reopen",
            lambda p, role: {"note": "又坏了"},
            _s(401, 403, 200, 404, 404),
        ),
        # a JSON body is not a photo: 415 for those who may see the ticket
        ("POST", TICKET + "/photos"): (
            lambda p: f"/api/tickets/{p.tickets.new}/photos",
            lambda p, role: {},
            _s(401, 415, 415, 404, 415),
        ),
        ("GET", TICKET + "/photos/{n:int}"): (
            lambda p: f"/api/tickets/{p.tickets.new}/photos/1",
            None,
            _s(401, 200, 200, 404, 200),
        ),
        ("GET", "/api/notifications"): (lambda p: "/api/notifications", None, _s(401, 200, 200, 200, 200)),
        ("GET", "/api/notifications/unread-count"): (
            lambda p: "/api/notifications/unread-count",
            None,
            _s(401, 200, 200, 200, 200),
        ),
        ("POST", "/api/notifications/{notification_id:int}/read"): (
            lambda p: f"/api/notifications/{p.tickets.notice_hr1}/read",
            None,
            _s(401, 404, 200, 404, 404),
        ),
        ("POST", "/api/notifications/read-all"): (
            lambda p: "/api/notifications/read-all",
            None,
            _s(401, 200, 200, 200, 200),
        ),
        ("GET", "/api/surveys"): (lambda p: "/api/surveys", None, REGISTER_READ),
        ("POST", "/api/surveys"): (
            lambda p: "/api/surveys",
            lambda p, role: {"quarter": "2027-Q1"},
            _s(401, 201, 403, 403, 403),
        ),
        ("GET", "/api/surveys/{survey_id:int}"): (
            lambda p: f"/api/surveys/{p.tickets.survey_open}",
            None,
            REGISTER_READ,
        ),
        ("POST", "/api/surveys/{survey_id:int}/close"): (
            lambda p: f"/api/surveys/{p.tickets.survey_open}/close",
            None,
            _s(401, 200, 403, 403, 403),
        ),
        ("POST", "/api/surveys/{survey_id:int}/answers"): (
            lambda p: f"/api/surveys/{p.tickets.survey_open}/answers",
            lambda p, role: {"housing": 5, "canteen": 4, "repairs": 4, "subsidies": 3},
            _s(401, 403, 201, 201, 403),
        ),
        ("GET", "/api/surveys/{survey_id:int}/answers"): (
            lambda p: f"/api/surveys/{p.tickets.survey_closed}/answers",
            None,
            REGISTER_READ,
        ),
        ("GET", "/api/surveys/{survey_id:int}/results"): (
            lambda p: f"/api/surveys/{p.tickets.survey_closed}/results",
            None,
            STAFF_ONLY_READ,
        ),
        ("GET", "/api/ticket-reports"): (lambda p: "/api/ticket-reports?month=2027-03", None, STAFF_ONLY_READ),
        ("GET", "/api/ticket-reports/weekly.xlsx"): (
            lambda p: "/api/ticket-reports/weekly.xlsx?week=2027-W10",
            None,
            STAFF_ONLY_READ,
        ),
        ("GET", "/api/ticket-reports/ledger"): (lambda p: "/api/ticket-reports/ledger", None, REGISTER_READ),
    }
)
# --- end tickets feature ---

# --- pages-hr feature: HR's Excel import of workers and the solver's bed proposals, as pages ---
MATRIX.update(
    {
        ("POST", "/hr/workers/import"): (lambda p: "/hr/workers/import", _form, NO_CSRF),
        ("POST", "/hr/beds/proposals"): (lambda p: "/hr/beds/proposals", _form, NO_CSRF),
        ("GET", "/hr/beds/proposals/{proposal_id:int}"): (
            lambda p: f"/hr/beds/proposals/{p.proposal1}",
            None,
            _s(302, 403, 200, 404, 403),
        ),
        ("POST", "/hr/beds/proposals/{proposal_id:int}/confirm"): (
            lambda p: f"/hr/beds/proposals/{p.proposal1}/confirm",
            _form,
            NO_CSRF,
        ),
    }
)
# --- end pages-hr feature ---
# --- staff console: register import and trade-off curve (pages) ---
MATRIX.update(
    {
        ("GET", "/staff/register"): (lambda p: "/staff/register", None, STAFF_PAGE),
        ("POST", "/staff/register"): (lambda p: "/staff/register", _form, NO_CSRF),
        ("POST", "/staff/runs/{run_id:int}/choose"): (lambda p: f"/staff/runs/{p.run1}/choose", _form, NO_CSRF),
    }
)
# --- end staff console: register import and trade-off curve ---
# --- pages-money feature: rental subsidy and canteen pages ---
WORKER_PAGE = _s(302, 403, 403, 403, 200)
MATRIX.update(
    {
        ("GET", "/my/subsidy"): (lambda p: "/my/subsidy", None, WORKER_PAGE),
        ("POST", "/my/subsidy"): (lambda p: "/my/subsidy", _form, NO_CSRF),
        ("POST", "/my/subsidy/{application_id:int}/contract"): (
            lambda p: f"/my/subsidy/{p.application1}/contract",
            _form,
            NO_CSRF,
        ),
        ("POST", "/my/subsidy/{application_id:int}/withdraw"): (
            lambda p: f"/my/subsidy/{p.application1}/withdraw",
            _form,
            NO_CSRF,
        ),
        ("GET", "/hr/subsidies"): (lambda p: "/hr/subsidies", None, HR_PAGE),
        # HR answers the park's satisfaction survey (issue 12)
        ("GET", "/hr/surveys"): (lambda p: "/hr/surveys", None, HR_PAGE),
        ("POST", "/hr/surveys/{survey_id:int}"): (
            lambda p: f"/hr/surveys/{p.tickets.survey_open}",
            _form,
            NO_CSRF,
        ),
        ("POST", "/hr/subsidies/{application_id:int}/confirm"): (
            lambda p: f"/hr/subsidies/{p.application1}/confirm",
            _form,
            NO_CSRF,
        ),
        ("GET", "/staff/subsidies"): (lambda p: "/staff/subsidies", None, STAFF_PAGE),
        ("POST", "/staff/subsidies/{application_id:int}/approve"): (
            lambda p: f"/staff/subsidies/{p.application2}/approve",
            _form,
            NO_CSRF,
        ),
        ("POST", "/staff/subsidies/{application_id:int}/reject"): (
            lambda p: f"/staff/subsidies/{p.application1}/reject",
            _form,
            NO_CSRF,
        ),
        ("POST", "/staff/subsidies/payouts"): (lambda p: "/staff/subsidies/payouts", _form, NO_CSRF),
        ("POST", "/staff/subsidies/canteen"): (lambda p: "/staff/subsidies/canteen", _form, NO_CSRF),
    }
)
# --- end pages-money feature ---


def _app_routes() -> set[tuple[str, str]]:
    from app import app

    found = set()
    for route in app.routes:
        if any(route.path == prefix or route.path.startswith(prefix + "/") for prefix in EXEMPT):
            continue
        assert isinstance(route, HTTPRoute), f"{route.path}: not an HTTP route and not exempt"
        for method in route.methods - {"HEAD", "OPTIONS"}:
            found.add((method, route.path))
    return found


def test_every_route_has_a_row_in_the_matrix() -> None:
    routes = _app_routes()
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes with no rule in the role × route matrix: {missing}"
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_role_gets_expected_status(api: Any, role: str, route: tuple[str, str]) -> None:
    method, _ = route
    path_of, body_of, expected = MATRIX[route]
    kwargs: dict[str, Any] = {"follow_redirects": False}
    path = path_of(api.park)
    page = not path.startswith("/api")
    if body_of is not None:
        body = body_of(api.park, role)
        if isinstance(body, Upload):  # a multipart upload with its own field names (contracts)
            kwargs["files"] = body.files
        elif isinstance(body, bytes):  # an uploaded file (the Excel imports)
            kwargs["files"] = {"file": ("upload.xlsx", body)}
        else:
            kwargs.update(body if page else {"json": body})  # pages take forms
    response = await api.call(role, method, path, **kwargs)
    assert response.status_code == expected[role], response.text
    if response.status_code >= 400:
        kind = "text/html" if page and path != "/health" else "application/problem+json"
        assert response.headers["content-type"].startswith(kind)


async def test_a_route_without_declared_roles_is_refused() -> None:
    """Deny by default: forgetting `opt=allow(...)` locks a route, it does not open it."""

    @get("/forgot", sync_to_thread=False)
    def forgot() -> str:
        return "open"

    app = Litestar(route_handlers=[Router("/api", route_handlers=[forgot], guards=[role_guard])])
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/api/forgot")).status_code == 403


# --- service-ticket pages ---
MATRIX.update(
    {
        ("GET", "/tickets"): (lambda p: "/tickets", None, _s(302, 200, 200, 200, 200)),
        ("POST", "/tickets"): (lambda p: "/tickets", _form, NO_CSRF),
        ("GET", "/tickets/{ticket_id:int}"): (
            lambda p: f"/tickets/{p.tickets.new}",
            None,
            _s(302, 200, 200, 404, 200),
        ),
        ("POST", "/tickets/{ticket_id:int}/{action:str}"): (
            lambda p: f"/tickets/{p.tickets.new}/sort",
            _form,
            NO_CSRF,
        ),
        ("GET", "/staff/tickets"): (lambda p: "/staff/tickets", None, STAFF_PAGE),
        ("GET", "/staff/tickets/weekly"): (lambda p: "/staff/tickets/weekly?week=2027-W10", None, STAFF_PAGE),
        ("POST", "/tickets/{ticket_id:int}/photos"): (lambda p: f"/tickets/{p.tickets.new}/photos", _form, NO_CSRF),
        ("GET", "/inbox"): (lambda p: "/inbox", None, _s(302, 200, 200, 200, 200)),
        ("POST", "/inbox/{notification_id:int}/read"): (
            lambda p: f"/inbox/{p.tickets.notice_hr1}/read",
            _form,
            NO_CSRF,
        ),
    }
)
# --- end service-ticket pages ---

"""The worker's page (`/my`), phone first: where I sleep, with whom, since when, and a move
I still have to make. The bed comes from the query behind `GET /api/me/bed`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Template

from canteen import meal_records
from canteen.tables import MealRecord
from housing.leasing.occupancy import bed_of
from housing.pages.forms import Messages, decode, form_of, submit, yuan_to_fen
from housing.pages.layout import lang_of, notice, render
from housing.subsidies import applications, payouts
from housing.subsidies.tables import LIVE_STATUSES
from housing.web import resource, uploads
from housing.web.access import WORKER, allow, viewer_of
from housing.web.clock import park_day
from housing.web.resource import Page, PathId


@get("/my", opt=allow(WORKER), include_in_schema=False)
async def my_room(request: Request[Any, Any, Any]) -> Template:
    viewer = viewer_of(request)
    bed = await bed_of(viewer.worker_id, park_day(viewer.now))
    return render(request, "worker.html", bed=bed, move=bed.pending_move if bed else None)


# --- pages-money feature: the worker's rental subsidy and this month's meals ---

SUBSIDY_NOTICES = {
    "applied": "subsidy_applied",
    "contract": "contract_uploaded",
    "withdrawn": "subsidy_withdrawn_notice",
}
Done = Annotated[str | None, QueryParameter(max_length=20, pattern="^[a-z_]+$")]


async def _subsidy(
    request: Request[Any, Any, Any],
    problem: Messages | None = None,
    form: dict[str, str] | None = None,
    contract_problem: Messages | None = None,
) -> Template:
    viewer = viewer_of(request)
    mine = (await resource.list_page(applications.APPLICATIONS, viewer, Page(20, 0))).items
    mine.sort(key=lambda a: a.id, reverse=True)
    live = next((a for a in mine if a.status in LIVE_STATUSES), None)
    paid = (await resource.list_page(payouts.PAYOUTS, viewer, Page(24, 0))).items
    month = park_day(viewer.now).strftime("%Y-%m")
    meals = (await resource.list_page(meal_records.RECORDS, viewer, Page(500, 0), [MealRecord.month == month])).items
    said = notice(request, SUBSIDY_NOTICES)
    bad = problem or contract_problem
    return render(
        request,
        "worker_subsidy.html",
        status_code=bad.status_code if bad else 200,
        applications=mine,
        live=live,
        payouts=sorted(paid, key=lambda p: p.month, reverse=True),
        month=month,
        meal_count=len(meals),
        meal_subsidy_fen=sum(m.subsidy_fen for m in meals),
        problem=problem,
        contract_problem=contract_problem,
        form=form or {},
        notice=said,
    )


@get("/my/subsidy", opt=allow(WORKER), include_in_schema=False)
async def my_subsidy(request: Request[Any, Any, Any], done: Done = None) -> Template:
    """My rental subsidy (application, state, payments), the form to apply, and this month's meals."""
    return await _subsidy(request)


@post("/my/subsidy", opt=allow(WORKER), include_in_schema=False, status_code=303)
async def apply_for_subsidy(request: Request[Any, Any, Any]) -> Any:
    """Apply through the API's `apply` (its struct, its bed and one-live-application rules)."""
    viewer, lang = viewer_of(request), lang_of(request)
    form = await form_of(request)

    async def apply() -> Any:
        sent = yuan_to_fen(form, "monthly_rent_yuan", "monthly_rent_fen")
        return await applications.apply(viewer, decode(sent, applications.ApplicationCreate, lang))

    return await submit(request, apply, "/my/subsidy?done=applied", lambda said: _subsidy(request, said, form))


@post("/my/subsidy/{application_id:int}/contract", opt=allow(WORKER), include_in_schema=False, status_code=303)
async def send_contract(request: Request[Any, Any, Any], application_id: PathId) -> Any:
    """The contract (multipart field `contract`) through the API's type-by-content upload."""
    viewer = viewer_of(request)

    async def upload() -> Any:
        data = await uploads.read_upload(request, applications.CONTRACT_FIELD)
        return await applications.upload_contract(viewer, request.app.state.settings, application_id, data)

    return await submit(
        request,
        upload,
        "/my/subsidy?done=contract",
        lambda said: _subsidy(request, contract_problem=said),
        own_page=True,
    )


@post("/my/subsidy/{application_id:int}/withdraw", opt=allow(WORKER), include_in_schema=False, status_code=303)
async def withdraw_subsidy(request: Request[Any, Any, Any], application_id: PathId) -> Any:
    return await submit(
        request,
        lambda: applications.withdraw(viewer_of(request), application_id),
        "/my/subsidy?done=withdrawn",
        lambda said: _subsidy(request, said),
        own_page=True,
    )


ROUTES = [my_subsidy, apply_for_subsidy, send_contract, withdraw_subsidy]
# --- end pages-money feature ---

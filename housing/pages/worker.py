"""The worker's page (`/my`), phone first: where I sleep, with whom, since when, and a move
I still have to make. The bed comes from the query behind `GET /api/me/bed`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from housing.leasing.occupancy import bed_of
from housing.leasing.runs import pending_move
from housing.pages.layout import render
from housing.web.access import WORKER, allow, viewer_of


@get("/my", opt=allow(WORKER), include_in_schema=False)
async def my_room(request: Request[Any, Any, Any]) -> Template:
    viewer = viewer_of(request)
    return render(request, "worker.html", bed=await bed_of(viewer.worker_id), move=await pending_move(viewer))

"""The worker's page (`/my`), phone first: where I sleep, with whom, since when, and a move
I still have to make. The bed comes from the query behind `GET /api/me/bed`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from housing.leasing.occupancy import bed_of
from housing.pages.layout import render
from housing.web.access import WORKER, allow, viewer_of
from housing.web.clock import park_day


@get("/my", opt=allow(WORKER), include_in_schema=False)
async def my_room(request: Request[Any, Any, Any]) -> Template:
    viewer = viewer_of(request)
    bed = await bed_of(viewer.worker_id, park_day(viewer.now))
    return render(request, "worker.html", bed=bed, move=bed.pending_move if bed else None)

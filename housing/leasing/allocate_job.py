"""The allocation run's work, as the job runner calls it in a child process: plain data in
(the snapshot instance), the plan out — or, for a trade-off run, the curve with each point's
whole plan (leases, per-firm figures, explanation), so staff can read any point's firm lines
and apply the one they choose. Nothing here touches the database or the web, so the same
function runs unchanged on a SAQ worker."""

from __future__ import annotations

import time
from typing import Any

from allocation import parse_instance, solve, tradeoff
from allocation.solver import make_plan


def allocate(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    instance = parse_instance(params["instance"])
    points = params.get("tradeoff_points")
    if not points:
        return solve(instance, params.get("time_limit_s"), progress=progress, stop=stop)
    curve = tradeoff(instance, params.get("time_limit_s"), points, progress=progress, stop=stop, with_plans=True)
    for point in curve["points"]:
        point["plan"] = make_plan(instance, point.pop("leases"), point["status"], point["bound"], time.monotonic())
    return curve

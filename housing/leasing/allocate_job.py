"""The allocation run's work, as the job runner calls it in a child process: plain data in
(the snapshot instance), the plan out — or, for a trade-off run, the curve with each point's
whole plan (leases, per-firm figures, explanation), so staff can read any point's firm lines
and apply the one they choose. Nothing here touches the database or the web, so the same
function runs unchanged on a SAQ worker."""

from __future__ import annotations

from typing import Any

from allocation import parse_instance, solve
from allocation.tradeoff import tradeoff_curve


def allocate(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    instance = parse_instance(params["instance"])
    points = params.get("tradeoff_points")
    if not points:
        return solve(instance, params.get("time_limit_s"), progress=progress, stop=stop)
    curve = tradeoff_curve(instance, params.get("time_limit_s"), points, progress=progress, stop=stop)
    return curve.as_json("full")

"""The allocation run's work, as the job runner calls it in a child process: plain data in
(the snapshot instance), the plan out. Nothing here touches the database or the web, so the
same function runs unchanged on a SAQ worker."""

from __future__ import annotations

from typing import Any

from allocation import parse_instance, solve


def allocate(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    instance = parse_instance(params["instance"])
    return solve(instance, params.get("time_limit_s"), progress=progress, stop=stop)

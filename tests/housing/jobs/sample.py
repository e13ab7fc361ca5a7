"""Job functions for the runner's tests: plain data in, plain data out, like the real ones."""

from __future__ import annotations

import os
import time
from typing import Any


def count(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    for i in range(params["to"]):
        progress({"done": i + 1, "of": params["to"]})
        time.sleep(params.get("pause", 0.05))
        if stop():
            return {"stopped_at": i + 1, "pid": os.getpid()}
    return {"counted": params["to"], "pid": os.getpid(), "niceness": os.nice(0)}


def explode(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    raise ValueError("the instance is bad")


def die(params: dict[str, Any], progress: Any, stop: Any) -> dict[str, Any]:
    os._exit(3)

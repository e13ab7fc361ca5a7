"""The shortage-versus-moves trade-off curve (``"format": "park-allocation-tradeoff/1"``).

Strict level order makes any gain in the shortfall penalty worth any number of moves; staff
need to see what each hundred moves buys. The curve runs from the fewest moves possible (exact,
:func:`allocation.residents.fewest_moves`) to the unconstrained plan:

1. solve without a budget: its displaced workers D are the right end of the curve;
2. solve with budgets spaced evenly from the fewest moves up to D, in ascending order, each
   starting from the previous point's plan (valid under the larger budget), so the penalty can
   only go down along the curve;
3. a backward pass gives a point the next point's plan when that plan fits the point's budget
   and is lexicographically better, so moves never go down along the curve either.

Every point is a plan ``solve`` returned for that budget (or a better one within it), so
solving the instance with a point's ``max_displaced_workers`` starts from a plan at least as
good — the hint is the only thing ``solve`` would be missing, and it is a candidate there too
when passed as ``starts``. The whole curve shares one time limit.
"""

from __future__ import annotations

import time
from typing import Any

from .control import Progress, Stop
from .instance import Instance
from .model import prepare
from .plan import level_key
from .residents import fewest_moves
from .solver import DEFAULT_TIME_LIMIT_S, solve

TRADEOFF_FORMAT = "park-allocation-tradeoff/1"


def budgets_between(fewest: int, most: int, points: int) -> list[int]:
    """``points`` budgets from ``fewest`` to ``most`` inclusive, evenly spaced, whole numbers."""
    if points < 2:
        raise ValueError("points must be >= 2")
    most = max(most, fewest)
    return [fewest + (most - fewest) * j // (points - 1) for j in range(points)]


def tradeoff(instance: Instance, time_limit_s: float | None = None, points: int = 5, *,
             progress: Progress | None = None, stop: Stop | None = None, with_plans: bool = False,
             started: float | None = None) -> dict[str, Any]:
    """The trade-off curve: ``points`` plans from the fewest moves to the unconstrained plan.

    Each point is ``{"max_displaced_workers", "objective", "bound", "status"}`` (plus
    ``"leases"`` with ``with_plans``). ``progress`` reports carry ``"point"`` (0-based, the
    unconstrained solve is ``points - 1``); after ``stop()`` returns True the remaining points
    are filled from the plans found so far (each solve then returns at once), so the curve is
    always complete and valid.
    """
    t0 = time.monotonic() if started is None else started
    limit = time_limit_s if time_limit_s is not None else (instance.time_limit_s or DEFAULT_TIME_LIMIT_S)
    end = t0 + limit
    fewest, _ = fewest_moves(instance, prepare(instance))
    residents = sum(c.occupied_beds for c in instance.current)

    def run(index: int, budget: int | None, share: float, starts: list[list[dict[str, Any]]]) -> dict[str, Any]:
        now = time.monotonic()
        seconds = max(0.05, (end - now) * share)

        def tagged(report: dict[str, Any]) -> None:
            if progress is not None:
                progress({**report, "point": index, "seconds": round(time.monotonic() - t0, 3)})

        return solve(instance, seconds, started=now, progress=tagged if progress else None, stop=stop,
                     max_displaced=budget, starts=starts)

    # the right end first (a 1/points share), then the budgets in ascending order
    last = run(points - 1, None, 1.0 / points, [])
    budgets = budgets_between(fewest, last["objective"]["displaced_workers"], points)
    plans: list[dict[str, Any]] = []
    for j, budget in enumerate(budgets[:-1]):
        starts = [plans[-1]["leases"]] if plans else []
        plans.append(run(j, budget, 1.0 / (points - 1 - j) * (1.0 - 0.5 / points), starts))
    last_point = dict(last)
    if plans and level_key(plans[-1]["objective"]) < level_key(last["objective"]):
        # the unconstrained solve did worse: its bounds (no budget) still hold for a budget of D
        last_point = {**plans[-1], "status": "feasible",
                      "bound": {k: min(v, plans[-1]["objective"][k]) for k, v in last["bound"].items()}}
    plans.append(last_point)
    for j in range(len(plans) - 2, -1, -1):  # moves ascending: adopt a better plan that fits
        nxt = plans[j + 1]
        if (nxt["objective"]["displaced_workers"] <= budgets[j]
                and level_key(nxt["objective"]) < level_key(plans[j]["objective"])):
            plans[j] = {**nxt, "status": "feasible", "bound": plans[j]["bound"]}

    out_points = []
    for budget, plan in zip(budgets, plans, strict=True):
        point: dict[str, Any] = {"max_displaced_workers": budget, "objective": plan["objective"],
                                 "bound": plan["bound"], "status": plan["status"]}
        if with_plans:
            point["leases"] = plan["leases"]
        out_points.append(point)
    return {"format": TRADEOFF_FORMAT, "residents": residents, "fewest_moves": fewest,
            "points": out_points, "solve_seconds": round(time.monotonic() - t0, 3)}

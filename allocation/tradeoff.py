"""The shortage-versus-moves trade-off curve (``"format": "park-allocation-tradeoff/1"``).

Strict level order makes any gain in the shortfall penalty worth any number of moves; staff
need to see what each hundred moves buys. The curve runs from the fewest moves possible (exact,
:func:`allocation.residents.fewest_moves`) to the unconstrained plan:

1. solve without a budget: its displaced workers D are the right end of the curve;
2. solve with budgets spaced evenly from the fewest moves up to D, in ascending order, each
   starting from the previous point's plan (valid under the larger budget), so the penalty can
   only go down along the curve;
3. when a budgeted solve reaches the right end's penalty with m < D moves, that plan *is* a
   better right end (same or lower penalty, fewer moves): it becomes the right end at budget
   m, and the points still to solve are spaced again between the last point below and m.
   Without this the unconstrained solve's loose second level (it has 1/K of the time) decides
   the spacing, and on ``park-131`` four of five points sat on one 29-move plan at budgets up
   to 250;
4. a backward pass gives a point the next point's plan when that plan fits the point's budget
   and is lexicographically better, so moves never go down along the curve either.

Every point is a plan ``solve`` returned for that budget (or a better one within it), so
solving the instance with a point's ``max_displaced_workers`` starts from a plan at least as
good — the hint is the only thing ``solve`` would be missing, and it is a candidate there too
when passed as ``starts``. The whole curve shares one time limit.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from .control import Progress, Stop
from .instance import Instance
from .model import prepare
from .plan import Infeasible, Lease, Plan
from .residents import fewest_moves
from .solver import DEFAULT_TIME_LIMIT_S, solve_plan

TRADEOFF_FORMAT = "park-allocation-tradeoff/1"


def budgets_between(fewest: int, most: int, points: int) -> list[int]:
    """``points`` budgets from ``fewest`` to ``most`` inclusive, evenly spaced, whole numbers."""
    if points < 2:
        raise ValueError("points must be >= 2")
    most = max(most, fewest)
    return [fewest + (most - fewest) * j // (points - 1) for j in range(points)]


@dataclass(frozen=True, slots=True)
class Point:
    """One point of the curve: the moves budget and the plan that meets it (its ``status`` and
    ``bound`` are the point's: a plan adopted from a neighbour keeps this budget's bound)."""

    budget: int
    plan: Plan

    def as_json(self, plans: Literal["none", "leases", "full"] = "none") -> dict[str, Any]:
        out: dict[str, Any] = {
            "max_displaced_workers": self.budget,
            "objective": self.plan.objective.as_json(),
            "bound": dict(self.plan.bound),
            "status": self.plan.status,
        }
        if plans == "leases":
            out["leases"] = [lease.as_json() for lease in self.plan.leases]
        elif plans == "full":
            out["plan"] = self.plan.as_json()
        return out


@dataclass(frozen=True, slots=True)
class Curve:
    residents: int  # current residents: what the budgets are shares of
    fewest: int  # the fewest moves any plan needs (the left end's budget)
    points: list[Point]  # budgets ascending
    solve_seconds: float

    def as_json(self, plans: Literal["none", "leases", "full"] = "none") -> dict[str, Any]:
        """The format's JSON; ``plans`` puts each point's leases (``"leases"``, the CLI's
        ``--with-plans``) or its whole plan (``"full"``, for the housing service) in it."""
        return {
            "format": TRADEOFF_FORMAT,
            "residents": self.residents,
            "fewest_moves": self.fewest,
            "points": [p.as_json(plans) for p in self.points],
            "solve_seconds": self.solve_seconds,
        }


def tradeoff(
    instance: Instance,
    time_limit_s: float | None = None,
    points: int = 5,
    *,
    progress: Progress | None = None,
    stop: Stop | None = None,
    with_plans: bool = False,
    started: float | None = None,
) -> dict[str, Any]:
    """:func:`tradeoff_curve` as JSON. Each point is ``{"max_displaced_workers", "objective",
    "bound", "status"}`` (plus ``"leases"`` with ``with_plans``)."""
    curve = tradeoff_curve(instance, time_limit_s, points, progress=progress, stop=stop, started=started)
    return curve.as_json("leases" if with_plans else "none")


def _right_end(plan: Plan, right: Plan) -> Plan:
    """``plan`` (a budgeted solve that reached ``right``'s penalty with fewer moves) as the
    curve's right end: both bounds hold for it (a larger budget's bound is a lower bound for a
    smaller one, and the moves bound at a higher penalty is one at a lower penalty), so the
    higher of each is kept, capped at the plan's own figures."""
    values = plan.objective.as_json()
    bound = {k: min(values[k], max(v, right.bound.get(k, 0))) for k, v in plan.bound.items()}
    return dataclasses.replace(plan, bound=bound, max_displaced_workers=plan.objective.displaced_workers)


def _carried(below: Point, right: Plan, budget: int) -> Point:
    """``below``'s plan at the larger ``budget`` (when no solve is left for it). The penalty
    bound is the right end's: it was solved under a budget at least this one, and a larger
    budget's bound is a lower bound for a smaller one. The moves bound is ``below``'s: the fewest
    moves at ``below``'s penalty do not change when the budget grows, since ``below`` shows a
    plan at that penalty within the smaller budget."""
    bound = dict(below.plan.bound)
    if "shortfall_penalty" in right.bound:
        bound["shortfall_penalty"] = min(bound.get("shortfall_penalty", 0), right.bound["shortfall_penalty"])
    return Point(budget, dataclasses.replace(below.plan, status="feasible", bound=bound, max_displaced_workers=budget))


def tradeoff_curve(
    instance: Instance,
    time_limit_s: float | None = None,
    points: int = 5,
    *,
    progress: Progress | None = None,
    stop: Stop | None = None,
    started: float | None = None,
) -> Curve:
    """The trade-off curve: ``points`` plans from the fewest moves to the unconstrained plan.

    ``progress`` reports carry ``"point"`` (0-based, the unconstrained solve is ``points - 1``);
    after ``stop()`` returns True the remaining points are filled from the plans found so far
    (each solve then returns at once), so the curve is always complete and valid.
    """
    if points < 2:
        raise ValueError("points must be >= 2")
    t0 = time.monotonic() if started is None else started
    limit = time_limit_s if time_limit_s is not None else (instance.time_limit_s or DEFAULT_TIME_LIMIT_S)
    end = t0 + limit
    fewest, _ = fewest_moves(instance, prepare(instance))
    residents = sum(c.occupied_beds for c in instance.current)

    def run(index: int, budget: int | None, share: float, starts: list[list[Lease]]) -> Plan:
        now = time.monotonic()
        seconds = max(0.05, (end - now) * share)

        def tagged(report: dict[str, Any]) -> None:
            if progress is not None:
                progress({**report, "point": index, "seconds": round(time.monotonic() - t0, 3)})

        plan = solve_plan(
            instance,
            seconds,
            started=now,
            progress=tagged if progress else None,
            stop=stop,
            max_displaced=budget,
            starts=starts,
        )
        assert not isinstance(plan, Infeasible)  # every budget is >= the fewest moves
        return plan

    # the right end first (a 1/points share), then the budgets in ascending order
    right = run(points - 1, None, 1.0 / points, [])
    todo = deque(budgets_between(fewest, right.objective.displaced_workers, points)[:-1])
    left: list[Point] = []
    solves, max_solves = 1, 2 * points  # each re-spacing costs a solve: bounded
    while todo:
        budget = todo.popleft()
        below = left[-1] if left else None
        if below is not None and budget <= below.budget:  # a narrow range repeats a budget
            left.append(below)
            continue
        if right.objective.displaced_workers <= budget:  # the right end meets it already
            left.append(Point(budget, dataclasses.replace(right, max_displaced_workers=budget)))
            continue
        if below is not None and solves >= max_solves:
            left.append(_carried(below, right, budget))
            continue
        starts = [below.plan.leases] if below is not None else []
        plan = run(len(left), budget, 1.0 / (len(todo) + 1) * (1.0 - 0.5 / points), starts)
        solves += 1
        if plan.objective.shortfall_penalty <= right.objective.shortfall_penalty:
            right = _right_end(plan, right)
            moves = right.objective.displaced_workers
            while left and left[-1].budget >= moves:  # the new right end fits them, at a lower penalty
                left.pop()
            below, slots = (left[-1] if left else None), points - 1 - len(left)
            spaced = (
                budgets_between(below.budget, moves, slots + 2)[1:-1]
                if below is not None
                else budgets_between(fewest, moves, slots + 1)[:-1]
            )
            todo = deque(spaced)
        else:
            left.append(Point(budget, plan))
    curve = [*left, Point(right.objective.displaced_workers, right)]
    for j in range(len(curve) - 2, -1, -1):  # moves ascending: adopt a better plan that fits
        here, nxt = curve[j], curve[j + 1].plan
        if nxt.objective.displaced_workers <= here.budget and nxt.objective.key < here.plan.objective.key:
            curve[j] = Point(
                here.budget,
                dataclasses.replace(nxt, status="feasible", bound=here.plan.bound, max_displaced_workers=here.budget),
            )
    return Curve(residents, fewest, curve, round(time.monotonic() - t0, 3))

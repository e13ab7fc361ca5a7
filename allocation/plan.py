"""Plans: check leases against the hard rules and recompute the objectives from them.

Everything a plan reports is derived here from its leases alone, so the numbers in a plan are
exactly what anyone recomputing them from the leases gets — the solver's own model values are
never copied into a plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .instance import GENDERS, Instance, fen_to_cny, firm_accepts, unit_accepts

PLAN_FORMAT = "park-allocation-plan/1"
LEVELS: tuple[str, ...] = ("shortfall_penalty", "displaced_workers", "firm_buildings", "empty_beds")


# The shortfall bands of ALLOCATION.md, defined once: (share of the request in percent up to
# which the band reaches, cost per short bed). "The first ceil(10% of d) cost 1 each, those up
# to ceil(25% of d) cost 2 each, the rest 4 each."
BANDS: tuple[tuple[int, int], ...] = ((10, 1), (25, 2), (100, 4))


def band_limits(requested: int) -> tuple[int, ...]:
    """Where each band ends, in beds short: ceil(p% of d) per band, in exact integer
    arithmetic (the last is d itself)."""
    return tuple((requested * pct + 99) // 100 for pct, _ in BANDS)


def short_penalty(requested: int, short: int) -> int:
    """Cost of ``short`` beds short out of ``requested``, before the firm's priority:
    1 each up to ceil(10%), 2 each up to ceil(25%), 4 each beyond."""
    s, start, cost = max(0, short), 0, 0
    for end, (_, weight) in zip(band_limits(requested), BANDS, strict=True):
        cost += weight * max(0, min(s, end) - start)
        start = end
    return cost + BANDS[-1][1] * max(0, s - start)


@dataclass(frozen=True, slots=True)
class Lease:
    """ "A unit is leased whole, to at most one firm, for one gender": one lease of a plan.

    The solver passes these around; a plan carries them as JSON objects (:meth:`as_json`), and
    the functions here take either."""

    unit: str
    firm: str
    gender: str

    def as_json(self) -> dict[str, str]:
        return {"unit": self.unit, "firm": self.firm, "gender": self.gender}

    @classmethod
    def of(cls, lease: LeaseLike) -> Lease:
        """The lease of a plan's JSON object (a Lease stays itself)."""
        if isinstance(lease, Lease):
            return lease
        return cls(str(lease["unit"]), str(lease["firm"]), str(lease["gender"]))


LeaseLike = Lease | Mapping[str, Any]


def lease_problems(instance: Instance, leases: Iterable[LeaseLike]) -> list[str]:
    """Every hard-rule violation in ``leases`` (empty list: the leases are valid)."""
    problems: list[str] = []
    seen: set[str] = set()
    rent: dict[str, int] = defaultdict(int)
    for i, lease in enumerate(leases):
        if isinstance(lease, Lease):
            uid, fid, g = lease.unit, lease.firm, lease.gender
        else:  # a JSON object may lack a field or carry a wrong one: a problem, not an error
            uid, fid, g = str(lease.get("unit")), str(lease.get("firm")), str(lease.get("gender"))
        unit = instance.unit_by_id.get(uid)
        firm = instance.firm_by_id.get(fid)
        if unit is None or firm is None or g not in GENDERS:
            problems.append(f"leases[{i}]: unknown unit, firm or gender")
            continue
        if uid in seen:
            problems.append(f"leases[{i}]: unit {uid} leased twice")
        seen.add(uid)
        if not unit.available:
            problems.append(f"leases[{i}]: unit {uid} is not available")
        if not unit_accepts(unit, g) and unit.available:
            problems.append(f"leases[{i}]: unit {uid} is {unit.gender}-only")
        if not firm_accepts(firm, unit):
            problems.append(f"leases[{i}]: firm {fid} does not accept building {unit.building}")
        rent[fid] += unit.rent_fen
    for fid, total in rent.items():
        budget = instance.firm_by_id[fid].budget_fen
        if budget is not None and total > budget:
            problems.append(f"firm {fid}: rent {fen_to_cny(total)} exceeds budget {fen_to_cny(budget)}")
    return problems


@dataclass(frozen=True, slots=True)
class FirmLine:
    """One firm's line of a plan: beds granted and still short, by gender, and the monthly rent
    of its units, in integer fen like every sum of money inside the solver."""

    id: str
    male_beds: int
    female_beds: int
    male_short: int
    female_short: int
    rent_fen: int

    def as_json(self) -> dict[str, Any]:
        """The plan's ``firms[]`` entry: ``monthly_rent`` in CNY as ALLOCATION.md shows it, and
        ``monthly_rent_fen`` beside it, so the housing service never turns a float back into fen."""
        return {
            "id": self.id,
            "male_beds": self.male_beds,
            "female_beds": self.female_beds,
            "male_short": self.male_short,
            "female_short": self.female_short,
            "monthly_rent": fen_to_cny(self.rent_fen),
            "monthly_rent_fen": self.rent_fen,
        }


@dataclass(frozen=True, slots=True)
class Objective:
    """What a plan scores: the four levels of ALLOCATION.md in their order (smaller is better,
    compared as :attr:`key`), then two figures for people to read."""

    shortfall_penalty: int
    displaced_workers: int
    firm_buildings: int
    empty_beds: int
    weighted_shortfall: int
    max_shortfall_ratio: float

    @property
    def key(self) -> tuple[int, int, int, int]:
        """The lexicographic key of the four levels."""
        return (self.shortfall_penalty, self.displaced_workers, self.firm_buildings, self.empty_beds)

    def as_json(self) -> dict[str, Any]:
        return {
            "shortfall_penalty": self.shortfall_penalty,
            "displaced_workers": self.displaced_workers,
            "firm_buildings": self.firm_buildings,
            "empty_beds": self.empty_beds,
            "weighted_shortfall": self.weighted_shortfall,
            "max_shortfall_ratio": self.max_shortfall_ratio,
        }


def firm_lines(instance: Instance, leases: Iterable[LeaseLike]) -> list[FirmLine]:
    """Per firm, in the instance's order: beds granted and short by gender, and monthly rent."""
    beds: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    for lease in map(Lease.of, leases):
        unit = instance.unit_by_id[lease.unit]
        beds[lease.firm, lease.gender] += unit.beds
        rent[lease.firm] += unit.rent_fen
    return [
        FirmLine(
            id=f.id,
            male_beds=beds[f.id, "male"],
            female_beds=beds[f.id, "female"],
            male_short=max(0, f.demand["male"] - beds[f.id, "male"]),
            female_short=max(0, f.demand["female"] - beds[f.id, "female"]),
            rent_fen=rent[f.id],
        )
        for f in instance.firms
    ]


def objective_of(instance: Instance, leases: Iterable[LeaseLike]) -> Objective:
    """The four lexicographic levels plus the two readable figures, from the leases alone."""
    beds: dict[tuple[str, str], int] = defaultdict(int)
    holder: dict[str, tuple[str, str]] = {}
    pairs: set[tuple[str, str]] = set()
    for lease in map(Lease.of, leases):
        unit = instance.unit_by_id[lease.unit]
        beds[lease.firm, lease.gender] += unit.beds
        holder[unit.id] = (lease.firm, lease.gender)
        pairs.add((lease.firm, unit.building))
    penalty = weighted = empty = 0
    max_ratio = 0.0
    for f in instance.firms:
        for g in GENDERS:
            d, got = f.demand[g], beds[f.id, g]
            short = max(0, d - got)
            penalty += f.priority * short_penalty(d, short)
            weighted += f.priority * short
            empty += max(0, got - d)
            if d > 0:
                max_ratio = max(max_ratio, short / d)
    displaced = sum(c.occupied_beds for c in instance.current if holder.get(c.unit) != (c.firm, c.gender))
    return Objective(
        shortfall_penalty=penalty,
        displaced_workers=displaced,
        firm_buildings=len(pairs),
        empty_beds=empty,
        weighted_shortfall=weighted,
        max_shortfall_ratio=round(max_ratio, 6),
    )


def recompute_objective(instance: Instance, leases: Iterable[LeaseLike]) -> dict[str, Any]:
    """:func:`objective_of` as a plan's JSON carries it (what anyone checking a plan compares)."""
    return objective_of(instance, leases).as_json()


def level_key(objective: Mapping[str, Any]) -> tuple[int, ...]:
    """Lexicographic key of a plan's JSON objective (:attr:`Objective.key` inside the solver):
    smaller is better."""
    return tuple(int(objective[k]) for k in LEVELS)


@dataclass(slots=True)
class Plan:
    """A plan of ``park-allocation-plan/1``, typed inside the solver; :meth:`as_json` is the edge
    where it becomes the format's JSON. Every figure in it is derived from ``leases``."""

    status: str  # "optimal" | "feasible"
    leases: list[Lease]  # by unit
    firms: list[FirmLine]
    objective: Objective
    bound: dict[str, int]  # proven lower bounds on the first levels, by level name
    explanation: list[dict[str, Any]]  # allocation.explain: why each short firm is short
    solve_seconds: float
    solver: dict[str, Any] | None = None  # model shape, winning source, per-level figures
    max_displaced_workers: int | None = None  # the moves budget it was solved under

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": PLAN_FORMAT,
            "status": self.status,
            "leases": [lease.as_json() for lease in self.leases],
            "firms": [line.as_json() for line in self.firms],
            "objective": self.objective.as_json(),
            "bound": dict(self.bound),
            "solve_seconds": self.solve_seconds,
            "explanation": self.explanation,
        }
        if self.solver is not None:
            out["solver"] = self.solver
        if self.max_displaced_workers is not None:
            out["max_displaced_workers"] = self.max_displaced_workers
        return out


@dataclass(frozen=True, slots=True)
class Infeasible:
    """The answer when the moves budget is below what every plan must displace (residents of
    units their firm can no longer keep move whatever happens)."""

    budget: int
    fewest: int  # the smallest budget that can be met
    solve_seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "status": "infeasible",
            "message": (
                f"max_displaced_workers = {self.budget} cannot be met: every plan displaces at least "
                f"{self.fewest} current residents (units their firm can no longer lease: under repair, "
                f"other gender's, building not accepted, over its rent budget). "
                f"The smallest budget that can be met is {self.fewest}."
            ),
            "min_displaced_workers": self.fewest,
            "leases": [],
            "solve_seconds": self.solve_seconds,
        }

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
    """"A unit is leased whole, to at most one firm, for one gender": one lease of a plan.

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


def firm_summaries(instance: Instance, leases: Iterable[LeaseLike]) -> list[dict[str, Any]]:
    """Per firm: beds granted and short by gender, and monthly rent, as the plan reports them."""
    beds: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    for lease in map(Lease.of, leases):
        unit = instance.unit_by_id[lease.unit]
        beds[lease.firm, lease.gender] += unit.beds
        rent[lease.firm] += unit.rent_fen
    out = []
    for f in instance.firms:
        row: dict[str, Any] = {"id": f.id}
        for g in GENDERS:
            row[f"{g}_beds"] = beds[f.id, g]
        for g in GENDERS:
            row[f"{g}_short"] = max(0, f.demand[g] - beds[f.id, g])
        row["monthly_rent"] = fen_to_cny(rent[f.id])
        out.append(row)
    return out


def recompute_objective(instance: Instance, leases: Iterable[LeaseLike]) -> dict[str, Any]:
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
    displaced = sum(
        c.occupied_beds for c in instance.current if holder.get(c.unit) != (c.firm, c.gender)
    )
    return {
        "shortfall_penalty": penalty,
        "displaced_workers": displaced,
        "firm_buildings": len(pairs),
        "empty_beds": empty,
        "weighted_shortfall": weighted,
        "max_shortfall_ratio": round(max_ratio, 6),
    }


def level_key(objective: Mapping[str, Any]) -> tuple[int, ...]:
    """Lexicographic key: smaller is better."""
    return tuple(int(objective[k]) for k in LEVELS)


def sorted_leases(leases: Iterable[LeaseLike]) -> list[dict[str, Any]]:
    """The leases as a plan carries them: JSON objects, by unit."""
    return [x.as_json() for x in sorted(map(Lease.of, leases), key=lambda x: x.unit)]

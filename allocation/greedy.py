"""The greedy baseline: keep what each firm holds, then fill big units first.

It is what a careful person with a spreadsheet would do, so it is the bar the solver must never
fall below (``solve`` returns the greedy plan if the MIP somehow does worse) and the reference
column of the benchmark. Always valid by construction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .instance import GENDERS, Instance, firm_accepts, unit_accepts
from .plan import Lease


def greedy_leases(instance: Instance) -> list[dict[str, Any]]:
    """The greedy plan's leases as JSON objects (the public form)."""
    return [lease.as_json() for lease in greedy_plan(instance)]


def greedy_plan(instance: Instance) -> list[Lease]:
    firms = instance.firm_by_id
    rent_left: dict[str, float] = {
        f.id: float("inf") if f.budget_fen is None else f.budget_fen for f in instance.firms
    }
    remaining: dict[tuple[str, str], int] = {(f.id, g): f.demand[g] for f in instance.firms for g in GENDERS}
    used_buildings: dict[str, set[str]] = defaultdict(set)
    taken: set[str] = set()
    leases: list[Lease] = []

    def lease(unit_id: str, fid: str, g: str) -> None:
        unit = instance.unit_by_id[unit_id]
        taken.add(unit_id)
        rent_left[fid] -= unit.rent_fen
        remaining[fid, g] -= unit.beds
        used_buildings[fid].add(unit.building)
        leases.append(Lease(unit_id, fid, g))

    # 1. keep current leases that are still legal, fullest units first, while the firm needs beds
    for c in sorted(instance.current, key=lambda c: -c.occupied_beds):
        unit, firm = instance.unit_by_id[c.unit], firms[c.firm]
        if (unit_accepts(unit, c.gender) and firm_accepts(firm, unit)
                and unit.rent_fen <= rent_left[c.firm] and remaining[c.firm, c.gender] > 0):
            lease(c.unit, c.firm, c.gender)

    # 2. free units bucketed by (beds, rent, gender rule) and building
    free: dict[tuple[int, int, str | None], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for u in sorted(instance.units, key=lambda u: u.id, reverse=True):
        if u.available and u.id not in taken:
            free[u.beds, u.rent_fen, u.gender][u.building].append(u.id)
    kinds = sorted(free, key=lambda k: (-k[0], k[1]))  # big units first, cheaper first

    def pick(fid: str, g: str) -> str | None:
        firm, need = firms[fid], remaining[fid, g]
        fitting: list[tuple[int, int, str | None]] = []
        for kind in kinds:
            beds, rent, rule = kind
            if rent > rent_left[fid] or (rule is not None and rule != g):
                continue
            bybld = free[kind]
            if firm.buildings is None:
                if bybld:
                    fitting.append(kind)
            elif any(b in bybld for b in firm.buildings):
                fitting.append(kind)
        if not fitting:
            return None
        small_enough = [k for k in fitting if k[0] <= need]
        kind = small_enough[0] if small_enough else fitting[-1]
        bybld = free[kind]
        mine = [b for b in used_buildings[fid] if b in bybld]
        if mine:  # keep the firm together
            bld = min(mine)
        else:
            allowed = bybld if firm.buildings is None else [b for b in firm.buildings if b in bybld]
            bld = max(allowed, key=lambda b: (len(bybld[b]), b))
        uid = bybld[bld].pop()
        if not bybld[bld]:
            del bybld[bld]
        return uid

    # 3. round robin, key firms first, so one firm does not take everything
    order = sorted(remaining, key=lambda k: (-firms[k[0]].priority, -remaining[k], k))
    progress = True
    while progress:
        progress = False
        for fid, g in order:
            if remaining[fid, g] <= 0:
                continue
            uid = pick(fid, g)
            if uid is not None:
                lease(uid, fid, g)
                progress = True
    return leases

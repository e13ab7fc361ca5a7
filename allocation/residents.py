"""Keep residents where they live without touching the first level: a min-cost flow per bed size.

Once the first level is solved, each firm's allocation can be read as a number of units of
each bed size per gender. Moving a firm from one unit to another with the same number of beds
changes neither its beds (so neither its shortfall nor its empty beds) — only which building it
is in, and its rent. So the units of one bed size can be redistributed freely, as long as

* every firm stays in buildings it accepts and units whose gender rule fits,
* a firm with a rent budget keeps units of the same rent (its total rent stays the same).

That is a transportation problem per bed size — integral, and solved exactly by OR-Tools'
min-cost flow in milliseconds — where the MIP's own second level, constrained to the optimal
first-level value, hardly moves in the time it has. Its result is the complete hint the MIP's
second level starts from.

Costs per unit: a unit of a resident group kept by its holder saves its head-count (scaled by
``big`` so it always dominates); a unit in a building the firm does not already use costs 1.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

from ortools.graph.python import min_cost_flow

from .instance import Instance
from .model import Key, Prep
from .plan import short_penalty

Demand = tuple[str, str, int | None]  # firm, gender, rent (only for firms with a budget)


def pack(prep: Prep, avail: dict[int, int], needs: dict[tuple[str, str], int],
         used: dict[str, set[str]]) -> dict[Key, int]:
    """Give each (firm, gender) its number of units from ``avail`` (all acceptable to it), in
    few buildings: biggest need first, a building it already uses first, else the building
    with most available units."""
    by_building: dict[str, list[int]] = defaultdict(list)
    for ti, n in avail.items():
        if n > 0:
            by_building[prep.types[ti].building].append(ti)
    left = dict(avail)
    free_in = {b: sum(left[ti] for ti in tis) for b, tis in by_building.items()}
    out: dict[Key, int] = {}
    for (fid, s), n in sorted(needs.items(), key=lambda kv: (-kv[1], kv[0])):
        while n > 0:
            cands = [b for b, k in free_in.items() if k > 0]
            b = max(cands, key=lambda b: (b in used[fid], free_in[b], b))
            used[fid].add(b)
            for ti in by_building[b]:
                take = min(n, left[ti])
                if take:
                    out[ti, fid, s] = out.get((ti, fid, s), 0) + take
                    left[ti] -= take
                    free_in[b] -= take
                    n -= take
    return out


def keep_residents(instance: Instance, prep: Prep, counts: dict[Key, int]) -> dict[Key, int]:
    """Counts with the same beds per (firm, gender) and the same rent per budgeted firm, but
    as many residents kept as such a redistribution allows (and firms kept together)."""
    types = prep.types
    used: dict[str, set[str]] = defaultdict(set)
    for (ti, fid, _), n in counts.items():
        if n:
            used[fid].add(types[ti].building)
    groups_at: dict[Key, list[tuple[int, int]]] = defaultdict(list)  # -> (occupied, units)
    for g in prep.groups:
        groups_at[g.type_index, g.firm, g.gender].append((g.occupied, len(g.units)))
    big = 1 + sum(len(t.units) for t in types)

    wants_by_beds: dict[int, dict[Demand, int]] = defaultdict(lambda: defaultdict(int))
    for (ti, fid, s), n in counts.items():
        if n:
            t = types[ti]
            rent = t.rent_fen if instance.firm_by_id[fid].budget_fen is not None else None
            wants_by_beds[t.beds][fid, s, rent] += n
    types_of_beds: dict[int, list[int]] = defaultdict(list)
    for t in types:
        types_of_beds[t.beds].append(t.index)

    out: dict[Key, int] = {}
    for beds, wants in wants_by_beds.items():
        tis = types_of_beds[beds]
        flow = min_cost_flow.SimpleMinCostFlow()
        node_t = {ti: i for i, ti in enumerate(tis)}
        rules: list[str | None] = [None, "male", "female"]
        hub = {r: len(tis) + i for i, r in enumerate(rules)}
        unused = len(tis) + len(rules)
        demands = sorted(wants, key=lambda d: (d[0], d[1], -1 if d[2] is None else d[2]))
        node_d = {d: unused + 1 + j for j, d in enumerate(demands)}
        arcs: list[tuple[int, int, int, int, Any]] = []  # tail, head, capacity, cost, meaning
        for ti in tis:
            n = len(types[ti].units)
            arcs.append((node_t[ti], unused, n, 0, None))
            arcs.append((node_t[ti], hub[types[ti].gender], n, 0, None))
        for d, n in wants.items():
            fid, s, rent = d
            firm = instance.firm_by_id[fid]
            head = node_d[d]
            if firm.buildings is None and rent is None:  # any building, any rent
                for r in (None, s):
                    arcs.append((hub[r], head, n, 1, ("hub", r, fid, s)))
            for ti in tis:
                t = types[ti]
                if t.gender not in (None, s) or (rent is not None and t.rent_fen != rent):
                    continue
                if firm.buildings is not None and t.building not in firm.buildings:
                    continue
                for occupied, m in groups_at.get((ti, fid, s), []):
                    arcs.append((node_t[ti], head, m, -big * occupied, (ti, fid, s)))
                if t.building in used[fid]:
                    arcs.append((node_t[ti], head, n, 0, (ti, fid, s)))
                elif firm.buildings is not None or rent is not None:
                    arcs.append((node_t[ti], head, n, 1, (ti, fid, s)))
        for tail, head, cap, cost, _ in arcs:
            flow.add_arc_with_capacity_and_unit_cost(tail, head, cap, cost)
        supply = sum(len(types[ti].units) for ti in tis)
        for ti in tis:
            flow.set_node_supply(node_t[ti], len(types[ti].units))
        flow.set_node_supply(unused, -(supply - sum(wants.values())))
        for d, node in node_d.items():
            flow.set_node_supply(node, -wants[d])
        if flow.solve() != flow.OPTIMAL:  # pragma: no cover - the counts themselves are a flow
            for (ti, fid, s), n in counts.items():
                if types[ti].beds == beds:
                    out[ti, fid, s] = out.get((ti, fid, s), 0) + n
            continue
        hub_in: dict[str | None, dict[int, int]] = defaultdict(dict)
        hub_out: dict[str | None, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        for i, (tail, head, _, _, meaning) in enumerate(arcs):
            f = flow.flow(i)
            if not f:
                continue
            if meaning is None:
                for r, node in hub.items():
                    if head == node:
                        hub_in[r][tis[tail]] = f  # type nodes are numbered as tis
            elif meaning[0] == "hub":
                hub_out[meaning[1]][meaning[2], meaning[3]] += f
            else:
                out[meaning] = out.get(meaning, 0) + f
        for r, needs in hub_out.items():
            for key, n in pack(prep, hub_in[r], dict(needs), used).items():
                out[key] = out.get(key, 0) + n
    return out



def displaced_of_counts(prep: Prep, counts: dict[Key, int]) -> int:
    """displaced_workers of the plan :func:`allocation.solver.realize` makes from ``counts``:
    each holder gets back its own units of a type fullest first, so of its units there the
    emptiest ones beyond its count are the ones lost (plus residents nobody can keep)."""
    own: dict[Key, list[int]] = defaultdict(list)
    for g in prep.groups:
        own[g.type_index, g.firm, g.gender] += [g.occupied] * len(g.units)
    displaced = prep.fixed_displaced
    for key, occupied in own.items():
        occupied.sort(reverse=True)
        displaced += sum(occupied[counts.get(key, 0):])
    return displaced


def _knapsack(items: list[tuple[int, int]], capacity: int) -> list[int]:
    """Indices of ``items`` ((weight, value), whole numbers) of greatest total value within
    ``capacity``: exact dynamic programme over total value (values are head-counts, small)."""
    total = sum(v for _, v in items)
    inf = capacity + 1
    least = [0] + [inf] * total  # least weight reaching exactly this value
    took: list[bytearray] = []
    for w, v in items:
        row = bytearray(total + 1)
        if v > 0:
            for val in range(total, v - 1, -1):
                cand = least[val - v] + w
                if cand < least[val]:
                    least[val] = cand
                    row[val] = 1
        took.append(row)
    val = max(v for v in range(total + 1) if least[v] <= capacity)
    chosen = []
    for i in range(len(items) - 1, -1, -1):
        if took[i][val]:
            chosen.append(i)
            val -= items[i][1]
    return chosen


def fewest_moves(instance: Instance, prep: Prep) -> tuple[int, dict[Key, int]]:
    """The exact minimum of displaced_workers over all valid plans, and unit counts of a plan
    that reaches it (every holder keeps what it can; nothing else leased).

    Units are leased whole to one firm each and a resident unit has one holder, so holders never
    compete: the only limits are the rules (residents of a unit their holder can no longer lease
    must move — :attr:`Prep.fixed_displaced`) and each firm's rent budget, which makes keeping
    a knapsack per budgeted firm (rent = weight, head-count = value), solved exactly.
    """
    types = prep.types
    counts: dict[Key, int] = defaultdict(int)
    kept = 0
    units_of: dict[str, list[tuple[Key, int]]] = defaultdict(list)
    for g in prep.groups:
        key = (g.type_index, g.firm, g.gender)
        units_of[g.firm] += [(key, g.occupied)] * len(g.units)
    for fid, units in units_of.items():
        budget = instance.firm_by_id[fid].budget_fen
        if budget is None or sum(types[k[0]].rent_fen for k, _ in units) <= budget:
            chosen = list(range(len(units)))
        else:
            chosen = _knapsack([(types[k[0]].rent_fen, occ) for k, occ in units], budget)
        for i in chosen:
            key, occ = units[i]
            if occ > 0:
                counts[key] += 1
                kept += occ
    total = prep.fixed_displaced + sum(g.occupied * len(g.units) for g in prep.groups)
    return total - kept, dict(counts)


def fit_budget(instance: Instance, prep: Prep, counts: dict[Key, int], budget: int) -> dict[Key, int] | None:
    """Counts displacing at most ``budget``, close to ``counts``; None if this repair fails.

    Gives holders back their fullest lost units first: from the type's free units, else from
    the (firm, gender) holding a unit of that type that is not its own resident unit and loses
    least penalty by it (a holder never gains beyond its rent budget). A rounded LP under a
    budget overshoots it a little (rounding down takes kept units away); this brings it back so
    SCIP starts near the LP optimum instead of from the fewest-moves plan."""
    types = prep.types
    out = {k: n for k, n in counts.items() if n > 0}
    own: dict[Key, list[int]] = defaultdict(list)
    for g in prep.groups:
        own[g.type_index, g.firm, g.gender] += [g.occupied] * len(g.units)
    for occ in own.values():
        occ.sort(reverse=True)
    used: dict[int, int] = defaultdict(int)
    granted: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    holders: dict[int, set[Key]] = defaultdict(set)
    for (ti, fid, s), n in out.items():
        used[ti] += n
        granted[fid, s] += n * types[ti].beds
        rent[fid] += n * types[ti].rent_fen
        holders[ti].add((ti, fid, s))
    displaced = displaced_of_counts(prep, out)
    heap = [(-occ[out.get(key, 0)], key) for key, occ in own.items() if out.get(key, 0) < len(occ)]
    heapq.heapify(heap)

    def loss(key: Key) -> int:
        ti, fid, s = key
        f = instance.firm_by_id[fid]
        d, got = f.demand[s], granted[fid, s]
        return f.priority * (short_penalty(d, d - got + types[ti].beds) - short_penalty(d, d - got))

    while displaced > budget and heap:
        neg, key = heapq.heappop(heap)
        ti, h, s = key
        t = types[ti]
        firm = instance.firm_by_id[h]
        if firm.budget_fen is not None and rent[h] + t.rent_fen > firm.budget_fen:
            continue
        if used[ti] >= len(t.units):  # take a unit of this type from someone it is not home to
            takers = [k for k in holders[ti] if k != key and out.get(k, 0) > len(own.get(k, []))]
            if not takers:
                continue
            taker = min(takers, key=lambda k: (loss(k), k))
            out[taker] -= 1
            granted[taker[1], taker[2]] -= t.beds
            rent[taker[1]] -= t.rent_fen
            used[ti] -= 1
            if not out[taker]:
                del out[taker]
                holders[ti].discard(taker)
        n = out.get(key, 0)
        out[key] = n + 1
        holders[ti].add(key)
        used[ti] += 1
        granted[h, s] += t.beds
        rent[h] += t.rent_fen
        displaced += neg  # neg = -occupied of the unit given back
        if n + 1 < len(own[key]):
            heapq.heappush(heap, (-own[key][n + 1], key))
    return out if displaced <= budget else None

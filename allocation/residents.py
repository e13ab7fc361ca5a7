"""Keep residents where they live, for fixed unit counts: a min-cost flow per unit kind.

After the first level is solved, each firm's allocation is fixed as a number of units of each
*kind* (beds, rent, gender rule). Which building those units are in does not change the
shortfall, the rent or the empty beds, so the units of one kind can be redistributed between
buildings freely, as long as every firm stays in buildings it accepts. Doing that to keep as
many residents as possible in their own units is a transportation problem — integral and
solved exactly by OR-Tools' min-cost flow in milliseconds — where the MIP's own second level
would need a long search. Its result is the complete hint the MIP's second level starts from.

Costs: keeping a unit of a resident group saves its head-count (scaled by ``K`` so it always
dominates); a unit in a building the firm does not otherwise use costs 1 (keep firms together).
"""

from __future__ import annotations

from collections import defaultdict

from ortools.graph.python import min_cost_flow

from .instance import Instance
from .model import Key, Prep


def keep_residents(instance: Instance, prep: Prep, counts: dict[Key, int],
                   pack: "callable") -> dict[Key, int]:  # type: ignore[valid-type]
    types = prep.types
    used: dict[str, set[str]] = defaultdict(set)
    for (ti, fid, _), n in counts.items():
        if n:
            used[fid].add(types[ti].building)
    groups_at: dict[Key, list[tuple[int, int]]] = defaultdict(list)  # -> (occupied, units)
    for g in prep.groups:
        groups_at[g.type_index, g.firm, g.gender].append((g.occupied, len(g.units)))
    big = 1 + sum(len(t.units) for t in types)

    by_agg: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for (ti, fid, s), n in counts.items():
        if n:
            by_agg[types[ti].aggregate][fid, s] += n
    types_of_agg: dict[int, list[int]] = defaultdict(list)
    for t in types:
        types_of_agg[t.aggregate].append(t.index)

    out: dict[Key, int] = {}
    hub_needs: dict[tuple[int, str, str], int] = {}
    for a, wants in by_agg.items():
        tis = types_of_agg[a]
        flow = min_cost_flow.SimpleMinCostFlow()
        node_t = {ti: i for i, ti in enumerate(tis)}
        hub = len(tis)
        unused = hub + 1
        node_fs = {fs: unused + 1 + j for j, fs in enumerate(sorted(wants))}
        arcs: list[tuple[int, int, int, int, Key | None]] = []  # tail, head, cap, cost, key
        for ti in tis:
            n = len(types[ti].units)
            arcs.append((node_t[ti], unused, n, 0, None))
            arcs.append((node_t[ti], hub, n, 0, None))
        for (fid, s), n in wants.items():
            firm = instance.firm_by_id[fid]
            head = node_fs[fid, s]
            if firm.buildings is None:
                arcs.append((hub, head, n, 1, None))  # any building, paid for by pack()
            for ti in tis:
                t = types[ti]
                if firm.buildings is not None and t.building not in firm.buildings:
                    continue
                for occupied, m in groups_at.get((ti, fid, s), []):
                    arcs.append((node_t[ti], head, m, -big * occupied, (ti, fid, s)))
                if firm.buildings is not None or t.building in used[fid]:
                    cost = 0 if t.building in used[fid] else 1
                    arcs.append((node_t[ti], head, n, cost, (ti, fid, s)))
        for tail, head, cap, cost, _ in arcs:
            flow.add_arc_with_capacity_and_unit_cost(tail, head, cap, cost)
        supply_total = sum(len(types[ti].units) for ti in tis)
        demand_total = sum(wants.values())
        for ti in tis:
            flow.set_node_supply(node_t[ti], len(types[ti].units))
        flow.set_node_supply(hub, 0)
        flow.set_node_supply(unused, -(supply_total - demand_total))
        for fs, node in node_fs.items():
            flow.set_node_supply(node, -wants[fs])
        if flow.solve() != flow.OPTIMAL:  # pragma: no cover - the counts are feasible
            for (ti, fid, s), n in counts.items():
                if types[ti].aggregate == a:
                    out[ti, fid, s] = n
            continue
        for i, (tail, head, _, _, key) in enumerate(arcs):
            f = flow.flow(i)
            if not f:
                continue
            if key is not None:
                out[key] = out.get(key, 0) + f
            elif tail == hub:
                fid, s = next(fs for fs, node in node_fs.items() if node == head)
                hub_needs[a, fid, s] = hub_needs.get((a, fid, s), 0) + f
    return pack(prep, out, hub_needs)

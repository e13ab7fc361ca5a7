"""Why is a firm short? One explanation per (firm, gender) left short, for the firm's phone call.

Derived from the plan's leases alone, by asking which constraint stands between the firm and
one more unit (see allocation/README.md, "Explaining a plan"):

* ``not_optimal`` — a free unit the firm could legally take exists; the plan was cut short by
  the time limit (never true of an ``optimal`` plan, since that unit would lower the penalty).
* ``budget`` — what is left of its rent budget is less than the rent of every unit (free or
  leased) it could use, or free units it could use exist but each costs more than what is left.
* ``buildings`` — free units for its gender exist only in buildings it does not accept.
* ``gender_rule`` — the free units left in its buildings are reserved for the other gender.
* ``scarcity`` — every unit it could take is leased. The shortage is shared through the tiers:
  we report the cheapest move of one such unit from its holder to this firm — what the holder
  would lose (priority x band weight per extra short bed) against what this firm would gain.

The first that applies is the ``reason``; all that apply are listed in ``reasons``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .instance import GENDERS, Instance, fen_to_cny
from .plan import Lease, LeaseLike, short_penalty

TypeKey = tuple[str, int, int, str | None]  # building, beds, rent_fen, gender rule


def explain(instance: Instance, leases: Iterable[LeaseLike]) -> list[dict[str, Any]]:
    typed = [Lease.of(x) for x in leases]
    leased = {lease.unit: (lease.firm, lease.gender) for lease in typed}
    granted: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    for lease in typed:
        unit = instance.unit_by_id[lease.unit]
        granted[lease.firm, lease.gender] += unit.beds
        rent[lease.firm] += unit.rent_fen

    free: dict[TypeKey, int] = defaultdict(int)
    held: dict[TypeKey, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for u in instance.units:
        if not u.available:
            continue
        key = (u.building, u.beds, u.rent_fen, u.gender)
        if u.id in leased:
            held[key][leased[u.id]] += 1
        else:
            free[key] += 1

    def loss(fid: str, g: str, beds: int) -> int:
        """Penalty the holder (fid, g) would add by giving up one unit of ``beds`` beds."""
        f = instance.firm_by_id[fid]
        d, got = f.demand[g], granted[fid, g]
        short = max(0, d - got)
        after = max(0, d - (got - beds))
        return f.priority * (short_penalty(d, after) - short_penalty(d, short))

    # cheapest holder to take one unit from, per unit type
    cheapest_holder: dict[TypeKey, tuple[int, str, str]] = {}
    for key, holders in held.items():
        cheapest_holder[key] = min((loss(fid, g, key[1]), fid, g) for (fid, g) in holders)  # str ids: comparable

    out: list[dict[str, Any]] = []
    for f in instance.firms:
        left = None if f.budget_fen is None else f.budget_fen - rent[f.id]
        for g in GENDERS:
            d = f.demand[g]
            short = max(0, d - granted[f.id, g])
            if short == 0:
                continue
            other = "female" if g == "male" else "male"
            buildings = f.buildings

            def accepted(building: str, buildings: frozenset[str] | None = buildings) -> bool:
                return buildings is None or building in buildings

            free_ok = [k for k, n in free.items() if k[3] in (None, g) and accepted(k[0])]
            free_affordable = [k for k in free_ok if left is None or k[2] <= left]
            free_outside = [k for k, n in free.items() if k[3] in (None, g) and not accepted(k[0])]
            free_other_gender = [k for k, n in free.items() if k[3] == other and accepted(k[0])]
            reasons: list[str] = []
            detail: dict[str, Any] = {}
            compat = [k for k in set(free) | set(held) if k[3] in (None, g) and accepted(k[0])]
            if free_affordable:
                reasons.append("not_optimal")
                detail["free_units_it_could_take"] = sum(free[k] for k in free_affordable)
            if left is not None and compat and (
                all(k[2] > left for k in compat) or (free_ok and not free_affordable)
            ):
                reasons.append("budget")
            if free_outside:
                reasons.append("buildings")
                detail["free_beds_in_other_buildings"] = {
                    b: sum(free[k] * k[1] for k in free_outside if k[0] == b)
                    for b in sorted({k[0] for k in free_outside})
                }
            if free_other_gender:
                reasons.append("gender_rule")
                detail[f"free_{other}_only_beds"] = sum(free[k] * k[1] for k in free_other_gender)
            if f.budget_fen is not None:
                detail["budget"] = fen_to_cny(f.budget_fen)
                detail["rent"] = fen_to_cny(rent[f.id])
                cheapest = min((k[2] for k in compat), default=None)
                if cheapest is not None:
                    detail["cheapest_acceptable_unit_rent"] = fen_to_cny(cheapest)
            usable_held = [k for k in held if k[3] in (None, g) and accepted(k[0])
                           and (left is None or k[2] <= left)]
            gain_per = {k: f.priority * (short_penalty(d, short) - short_penalty(d, max(0, short - k[1])))
                        for k in usable_held}
            moves = [(cheapest_holder[k][0], -gain_per[k], k) for k in usable_held
                     if cheapest_holder[k][1:] != (f.id, g)]
            if not free_ok:
                reasons.append("scarcity")
            if moves:
                lost, neg_gain, k = min(moves, key=lambda m: (m[0], m[1], str(m[2])))
                detail["cheapest_move"] = {
                    "unit_type": {"building": k[0], "beds": k[1], "monthly_rent": fen_to_cny(k[2])},
                    "holder": cheapest_holder[k][1], "holder_gender": cheapest_holder[k][2],
                    "holder_would_lose": lost, "firm_would_gain": -neg_gain,
                }
            reason = reasons[0]
            out.append({
                "firm": f.id, "gender": g, "requested": d, "short": short,
                "reason": reason, "reasons": reasons,
                "message": _message(f.id, g, short, d, reason, detail),
                "detail": detail,
            })
    return out


def _message(fid: str, g: str, short: int, d: int, reason: str, detail: Mapping[str, Any]) -> str:
    head = f"{fid} is {short} of {d} {g} beds short: "
    if reason == "not_optimal":
        return head + (f"{detail['free_units_it_could_take']} free unit(s) it could take remain; "
                       "the solver stopped at its time limit before using them")
    if reason == "budget":
        return head + (f"its rent budget ({detail['budget']} CNY, {detail['rent']} CNY used) leaves less "
                       f"than the cheapest unit it could use ({detail.get('cheapest_acceptable_unit_rent')} CNY)")
    if reason == "buildings":
        blds = ", ".join(f"{b} ({n} beds)" for b, n in detail["free_beds_in_other_buildings"].items())
        return head + f"the free {g} beds left are in buildings it does not accept: {blds}"
    if reason == "gender_rule":
        other = "female" if g == "male" else "male"
        return head + (f"the free units left in its buildings are {other}-only "
                       f"({detail[f'free_{other}_only_beds']} beds)")
    move = detail.get("cheapest_move")
    text = head + "every unit it could take is leased; the shortage is shared by the tiers"
    if move:
        text += (f" (moving one {move['unit_type']['beds']}-bed unit in {move['unit_type']['building']} "
                 f"from {move['holder']} would cost {move['holder_would_lose']} penalty points "
                 f"to gain {move['firm_would_gain']})")
    return text

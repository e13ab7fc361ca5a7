"""A period's inputs, taken from the database as a `park-allocation/1` instance (ALLOCATION.md).

- units: every unit not retired; `maintenance` means unavailable; a building's gender rule;
- firms: every firm with a request for the period (its beds, accepted buildings, rent budget,
  priority), and every firm that holds units now but filed nothing, asking exactly for the
  beds it holds — so forgetting to file never costs a firm its dorms;
- current: the leases running the day before the period starts, with how many workers sleep in
  each unit now; a unit already leased by hand from a day inside the period is unavailable.

The same snapshot taken again later says whether anything changed since a run was made
(`digest`): a run whose inputs changed is not applied.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from housing.leasing.headcount_requests import effective_priority
from housing.leasing.leases import active_on
from housing.leasing.tables import BedAssignment, HeadcountRequest, Lease
from housing.register.tables import Building, Firm, Unit, UnitStatus
from housing.register.units import monthly_rent_fen

FORMAT = "park-allocation/1"


@dataclass(frozen=True)
class Snapshot:
    instance: dict[str, Any]
    unit_ids: dict[str, int]  # instance unit code → unit id
    filed: frozenset[int]  # firms that filed a request (the others keep what they hold)

    @property
    def digest(self) -> str:
        return digest(self.instance)


def digest(instance: dict[str, Any]) -> str:
    """What the run depends on, fingerprinted (the time limit and the budget are the run's own)."""
    inputs = {k: v for k, v in instance.items() if k not in ("time_limit_s", "max_displaced_workers")}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def firm_code(firm_id: int) -> str:
    return f"F{firm_id}"


def firm_id_of(code: str) -> int:
    return int(code.removeprefix("F"))


def _fen_to_cny(fen: int) -> float:
    return fen / 100  # exact enough: the solver converts back to fen with Decimal(str(x))


async def take(period_id: int, starts_on: date, ends_on: date) -> Snapshot:
    eve = starts_on - timedelta(days=1)
    units = await (
        Unit.select(
            Unit.id,
            Unit.number,
            Unit.floor,
            Unit.beds,
            Unit.area_centi_m2,
            Unit.status,
            Unit.rent_rate_fen_per_m2,
            Unit.building_id.code.as_alias("building"),
            Unit.building_id.gender_rule.as_alias("rule"),
        )
        .where(Unit.status != UnitStatus.retired.value)
        .order_by(Unit.id)
    )
    code_of = {u["id"]: f"{u['building']}-{u['number']}" for u in units}
    current = await (
        Lease.select(Lease.unit_id, Lease.firm_id, Lease.gender).where(active_on(eve)).order_by(Lease.unit_id)
    )
    # A unit someone has already leased (by hand) from a day inside the period is not the
    # solver's to give: it is unavailable in the instance.
    promised = {
        row["unit_id"]
        for row in await Lease.select(Lease.unit_id).where(
            (Lease.starts_on >= starts_on) & (Lease.starts_on <= ends_on)
        )
    }
    occupied: dict[int, int] = defaultdict(int)
    for row in await BedAssignment.select(BedAssignment.unit_id).where(BedAssignment.ends_on.is_null()):
        occupied[row["unit_id"]] += 1
    requests = await HeadcountRequest.select(
        HeadcountRequest.firm_id,
        HeadcountRequest.male_beds,
        HeadcountRequest.female_beds,
        HeadcountRequest.building_ids,
        HeadcountRequest.max_monthly_rent_fen,
        HeadcountRequest.priority,
    ).where(HeadcountRequest.period_id == period_id)
    firms = {f["id"]: bool(f["is_key"]) for f in await Firm.select(Firm.id, Firm.is_key)}
    buildings_with_units = {u["building"] for u in units}
    building_code = {b["id"]: b["code"] for b in await Building.select(Building.id, Building.code)}

    firm_rows: list[dict[str, Any]] = []
    for r in sorted(requests, key=lambda r: r["firm_id"]):
        firm_row: dict[str, Any] = {
            "id": firm_code(r["firm_id"]),
            "male": r["male_beds"],
            "female": r["female_beds"],
            "priority": effective_priority(r["priority"], firms.get(r["firm_id"], False)),
        }
        ids = json.loads(r["building_ids"]) if isinstance(r["building_ids"], str) else r["building_ids"]
        if ids:
            firm_row["buildings"] = sorted(
                {building_code[i] for i in ids if building_code.get(i) in buildings_with_units}
            )
        if r["max_monthly_rent_fen"] is not None:
            firm_row["max_monthly_rent"] = _fen_to_cny(r["max_monthly_rent_fen"])
        firm_rows.append(firm_row)
    filed = frozenset(r["firm_id"] for r in requests)
    held: dict[int, dict[str, int]] = defaultdict(lambda: {"male": 0, "female": 0})
    beds_of = {u["id"]: u["beds"] for u in units}
    for lease in current:
        if lease["unit_id"] in beds_of:
            held[lease["firm_id"]][lease["gender"]] += beds_of[lease["unit_id"]]
    for firm_id in sorted(set(held) - filed):
        firm_rows.append(
            {
                "id": firm_code(firm_id),
                "male": held[firm_id]["male"],
                "female": held[firm_id]["female"],
                "priority": effective_priority(None, firms.get(firm_id, False)),
            }
        )
    instance = {
        "format": FORMAT,
        "units": [
            {
                "id": code_of[u["id"]],
                "building": u["building"],
                "floor": u["floor"],
                "beds": u["beds"],
                "area_m2": u["area_centi_m2"] / 100,
                "monthly_rent": _fen_to_cny(monthly_rent_fen(u["area_centi_m2"], u["rent_rate_fen_per_m2"])),
                "gender": None if u["rule"] == "any" else u["rule"],
                "available": u["status"] == UnitStatus.available.value and u["id"] not in promised,
            }
            for u in units
        ],
        "firms": firm_rows,
        "current": [
            {
                "unit": code_of[lease["unit_id"]],
                "firm": firm_code(lease["firm_id"]),
                "gender": lease["gender"],
                "occupied_beds": occupied.get(lease["unit_id"], 0),
            }
            for lease in current
            if lease["unit_id"] in code_of
        ],
    }
    return Snapshot(instance=instance, unit_ids={code: i for i, code in code_of.items()}, filed=filed)

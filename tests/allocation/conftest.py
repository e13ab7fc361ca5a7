"""Small builders for hand-written instances (self-contained: no root conftest)."""

from __future__ import annotations

from typing import Any


def unit(uid: str, building: str = "B1", beds: int = 4, rent: float = 100.0,
         gender: str | None = None, available: bool = True) -> dict[str, Any]:
    return {"id": uid, "building": building, "floor": 1, "beds": beds, "area_m2": rent / 5,
            "monthly_rent": rent, "gender": gender, "available": available}


def firm(fid: str, male: int = 0, female: int = 0, priority: int = 1,
         buildings: list[str] | None = None, budget: float | None = None) -> dict[str, Any]:
    f: dict[str, Any] = {"id": fid, "male": male, "female": female, "priority": priority}
    if buildings is not None:
        f["buildings"] = buildings
    if budget is not None:
        f["max_monthly_rent"] = budget
    return f


def instance(units: list[dict[str, Any]], firms: list[dict[str, Any]],
             current: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"format": "park-allocation/1", "units": units, "firms": firms, "current": current or []}

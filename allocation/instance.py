"""Parse and validate an allocation instance (``"format": "park-allocation/1"``).

The instance arrives as plain JSON from the housing service or from a file. Every problem is
reported as an :class:`InstanceError` naming the offending field (``firms[3].male``), because the
person who has to fix it is park staff reading one line, not a developer reading a traceback.

Money is converted once, here, to integer fen (``ROUND_HALF_UP`` via ``Decimal(str(x))``), so
budgets are compared exactly everywhere else.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

INSTANCE_FORMAT = "park-allocation/1"
GENDERS: tuple[str, str] = ("male", "female")


class InstanceError(ValueError):
    """Bad input: ``field`` names where (``units[4].beds``), ``message`` says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    building: str
    beds: int
    rent_fen: int
    gender: str | None
    available: bool
    floor: int | None = None
    area_m2: float | None = None


@dataclass(frozen=True, slots=True)
class Firm:
    id: str
    demand: dict[str, int]  # gender -> beds requested
    priority: int
    buildings: frozenset[str] | None  # None: accepts every building
    budget_fen: int | None  # None: no rent budget


@dataclass(frozen=True, slots=True)
class Current:
    unit: str
    firm: str
    gender: str
    occupied_beds: int


@dataclass(slots=True)
class Instance:
    units: list[Unit]
    firms: list[Firm]
    current: list[Current]
    time_limit_s: float | None = None
    max_displaced_workers: int | None = None  # the moves budget (a hard rule), if any
    unit_by_id: dict[str, Unit] = field(default_factory=dict)
    firm_by_id: dict[str, Firm] = field(default_factory=dict)
    current_by_unit: dict[str, Current] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.unit_by_id = {u.id: u for u in self.units}
        self.firm_by_id = {f.id: f for f in self.firms}
        self.current_by_unit = {c.unit: c for c in self.current}


def to_fen(value: float | int | str) -> int:
    """CNY (float, int or decimal string) -> integer fen, rounded half up, exactly."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_cny(fen: int) -> float:
    return float(Decimal(fen) / 100)


def unit_accepts(unit: Unit, gender: str) -> bool:
    """A unit may house ``gender`` if it is available and has no other-gender rule."""
    return unit.available and (unit.gender is None or unit.gender == gender)


def firm_accepts(firm: Firm, unit: Unit) -> bool:
    return firm.buildings is None or unit.building in firm.buildings


# --- field readers: each raises InstanceError naming the field -------------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InstanceError(where, "must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InstanceError(where, "must be a list")
    return value


def _required(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise InstanceError(f"{where}.{key}" if where else key, "is required")
    return obj[key]


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(where, "must be a non-empty string")
    return value


def _whole(value: Any, where: str, minimum: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value, ok = int(value), True
    if not ok or value < minimum:
        raise InstanceError(where, f"must be a whole number >= {minimum}")
    return int(value)


def _number(value: Any, where: str, minimum: float = 0.0, strict: bool = False) -> float:
    bad = (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < minimum
        or (strict and value <= minimum)
    )
    if bad:
        op = ">" if strict else ">="
        raise InstanceError(where, f"must be a number {op} {minimum:g}")
    return float(value)


def _money(value: Any, where: str) -> int:
    _number(value, where)
    try:
        return to_fen(value)
    except (InvalidOperation, ValueError):  # pragma: no cover - _number already checked
        raise InstanceError(where, "must be an amount in CNY") from None


def _gender(value: Any, where: str, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if value not in GENDERS:
        allowed = 'null, "male" or "female"' if nullable else '"male" or "female"'
        raise InstanceError(where, f"must be {allowed}")
    return value  # type: ignore[no-any-return]


# --- the instance -----------------------------------------------------------------------------


def parse_instance(data: Any) -> Instance:
    """Validate a decoded instance and return it; raise :class:`InstanceError` on the first
    problem found, naming its field."""
    data = _obj(data, "instance")
    fmt = data.get("format")
    if fmt != INSTANCE_FORMAT:
        raise InstanceError("format", f'must be "{INSTANCE_FORMAT}", got {json.dumps(fmt)}')

    units: list[Unit] = []
    seen_units: set[str] = set()
    for i, raw in enumerate(_list(_required(data, "units", ""), "units")):
        w = f"units[{i}]"
        u = _obj(raw, w)
        uid = _string(_required(u, "id", w), f"{w}.id")
        if uid in seen_units:
            raise InstanceError(f"{w}.id", f'duplicate unit "{uid}"')
        seen_units.add(uid)
        floor = u.get("floor")
        area = u.get("area_m2")
        available = u.get("available", True)
        if not isinstance(available, bool):
            raise InstanceError(f"{w}.available", "must be true or false")
        units.append(
            Unit(
                id=uid,
                building=_string(_required(u, "building", w), f"{w}.building"),
                beds=_whole(_required(u, "beds", w), f"{w}.beds", 1),
                rent_fen=_money(_required(u, "monthly_rent", w), f"{w}.monthly_rent"),
                gender=_gender(u.get("gender"), f"{w}.gender", nullable=True),
                available=available,
                floor=None if floor is None else _whole(floor, f"{w}.floor", -1000),
                area_m2=None if area is None else _number(area, f"{w}.area_m2"),
            )
        )
    buildings = {u.building for u in units}

    firms: list[Firm] = []
    seen_firms: set[str] = set()
    for i, raw in enumerate(_list(_required(data, "firms", ""), "firms")):
        w = f"firms[{i}]"
        f = _obj(raw, w)
        fid = _string(_required(f, "id", w), f"{w}.id")
        if fid in seen_firms:
            raise InstanceError(f"{w}.id", f'duplicate firm "{fid}"')
        seen_firms.add(fid)
        demand = {g: _whole(_required(f, g, w), f"{w}.{g}", 0) for g in GENDERS}
        accepted: frozenset[str] | None = None
        if f.get("buildings") is not None:
            names = _list(f["buildings"], f"{w}.buildings")
            for j, b in enumerate(names):
                _string(b, f"{w}.buildings[{j}]")
                if b not in buildings:
                    raise InstanceError(f"{w}.buildings[{j}]", f'unknown building "{b}"')
            accepted = frozenset(names)
        budget = f.get("max_monthly_rent")
        firms.append(
            Firm(
                id=fid,
                demand=demand,
                priority=_whole(f.get("priority", 1), f"{w}.priority", 1),
                buildings=accepted,
                budget_fen=None if budget is None else _money(budget, f"{w}.max_monthly_rent"),
            )
        )

    unit_by_id = {u.id: u for u in units}
    current: list[Current] = []
    leased: set[str] = set()
    for i, raw in enumerate(_list(data.get("current", []), "current")):
        w = f"current[{i}]"
        c = _obj(raw, w)
        uid = _string(_required(c, "unit", w), f"{w}.unit")
        if uid not in unit_by_id:
            raise InstanceError(f"{w}.unit", f'unknown unit "{uid}"')
        if uid in leased:
            raise InstanceError(f"{w}.unit", f'unit "{uid}" appears twice in current')
        leased.add(uid)
        fid = _string(_required(c, "firm", w), f"{w}.firm")
        if fid not in seen_firms:
            raise InstanceError(f"{w}.firm", f'unknown firm "{fid}"')
        occupied = _whole(c.get("occupied_beds", 0), f"{w}.occupied_beds", 0)
        if occupied > unit_by_id[uid].beds:
            raise InstanceError(
                f"{w}.occupied_beds", f"must be <= the unit's {unit_by_id[uid].beds} beds"
            )
        current.append(
            Current(
                unit=uid,
                firm=fid,
                gender=_gender(_required(c, "gender", w), f"{w}.gender", nullable=False),  # type: ignore[arg-type]
                occupied_beds=occupied,
            )
        )

    limit = data.get("time_limit_s")
    time_limit = None if limit is None else _number(limit, "time_limit_s", 0.0, strict=True)
    moves = data.get("max_displaced_workers")
    budget = None if moves is None else _whole(moves, "max_displaced_workers", 0)
    return Instance(units=units, firms=firms, current=current, time_limit_s=time_limit,
                    max_displaced_workers=budget)


def load_instance(path: str | Path) -> Instance:
    """Read, decode and validate an instance file; file problems are InstanceErrors too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError("", f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError("", f"{p}: cannot read ({exc.__class__.__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError("", f"{p}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_instance(data)

"""What the park looks like on a day (the data of a 房态图), and a worker's own bed.

`GET /api/occupancy?date=` (staff): per building and floor, units, beds, leased, occupied and
free beds; per unit its firm, gender, status and occupants. `GET /api/me/bed` (worker): where
the worker sleeps, since when, and with whom — the one question a worker asks most, answered
by one query written once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter

from housing.web.access import STAFF, WORKER, allow, viewer_of
from housing.web.clock import as_date, park_day
from housing.web.db import HotQuery
from housing.web.problems import not_found

# A worker's move (a resident of a unit its firm gives up) while it is ahead of them: still on
# the move list, or given a new bed that starts after today while they still sleep in the old
# one. With the new bed when HR has given one. At most one row.
_MY_MOVE = (
    "SELECT m.deadline AS move_deadline, b.code AS move_building_code, u.number AS move_unit_number, "
    "m.bed AS move_bed, nb.code AS new_building_code, nu.number AS new_unit_number, nu.floor AS new_floor, "
    "na.bed AS new_bed, na.starts_on AS new_starts_on "
    "FROM move m JOIN bed_assignment old ON old.id = m.bed_assignment_id "
    "JOIN unit u ON u.id = m.unit_id JOIN building b ON b.id = u.building_id "
    "LEFT JOIN bed_assignment na ON na.worker_id = m.worker_id AND na.ends_on IS NULL AND na.starts_on > {} "
    "LEFT JOIN unit nu ON nu.id = na.unit_id LEFT JOIN building nb ON nb.id = nu.building_id "
    "WHERE m.worker_id = {} AND (m.status = 'pending' OR (old.ends_on >= {} AND na.id IS NOT NULL)) "
    "ORDER BY m.deadline DESC LIMIT 1"
)

# Everyone in the worker's unit tonight (the worker included), one row per bed, each carrying
# the worker's pending move if any: the bed page is one read, not one for the bed and one for
# the move (on SQLite every read is a trip to the connection's thread, and the trips were what
# the slowest answers waited for; scripts/bench_api.py).
MY_BED = HotQuery(
    "SELECT b.code AS building_code, b.name AS building_name, u.floor, u.number AS unit_number, u.beds, "
    "a.bed, a.starts_on, a.unit_id, a.worker_id, w.name AS worker_name, mv.* "
    "FROM bed_assignment a "
    "JOIN unit u ON u.id = a.unit_id "
    "JOIN building b ON b.id = u.building_id "
    "JOIN worker w ON w.id = a.worker_id "
    f"LEFT JOIN ({_MY_MOVE}) mv ON 1 = 1 "
    "WHERE a.starts_on <= {} AND (a.ends_on IS NULL OR a.ends_on >= {}) AND a.unit_id = "
    "(SELECT mine.unit_id FROM bed_assignment mine WHERE mine.worker_id = {} AND mine.starts_on <= {} "
    " AND (mine.ends_on IS NULL OR mine.ends_on >= {}) ORDER BY mine.starts_on DESC LIMIT 1) "
    "ORDER BY a.bed",
    point=True,  # the beds of one unit
)

UNITS_ON = HotQuery(
    "SELECT u.id, u.building_id, b.code AS building_code, b.name AS building_name, u.floor, u.number, u.beds, "
    "u.status, l.firm_id, f.name AS firm_name, l.gender, "
    "(SELECT COUNT(*) FROM bed_assignment a WHERE a.unit_id = u.id AND a.starts_on <= {} "
    " AND (a.ends_on IS NULL OR a.ends_on >= {})) AS occupants "
    "FROM unit u JOIN building b ON b.id = u.building_id "
    "LEFT JOIN lease l ON l.unit_id = u.id AND l.starts_on <= {} AND (l.ends_on IS NULL OR l.ends_on >= {}) "
    "LEFT JOIN firm f ON f.id = l.firm_id "
    "WHERE u.status <> 'retired' "
    "ORDER BY b.code, u.floor, u.number"
)


class Roommate(msgspec.Struct):
    bed: int
    name: str


class NewBed(msgspec.Struct):
    building_code: str
    floor: int
    unit_number: str
    bed: int
    starts_on: date


class PendingMove(msgspec.Struct):
    """The worker's unit is being given up: leave bed `bed` of `unit_number` by `deadline`
    (the last night there); `new_bed` once HR has placed them, else null."""

    deadline: date
    building_code: str
    unit_number: str
    bed: int
    new_bed: NewBed | None


class MyBed(msgspec.Struct):
    building_code: str
    building_name: str
    floor: int
    unit_number: str
    bed: int
    beds: int
    since: date
    roommates: list[Roommate]
    pending_move: PendingMove | None = None


class UnitState(msgspec.Struct):
    id: int
    number: str
    beds: int
    status: str
    firm_id: int | None
    firm_name: str | None
    gender: str | None
    occupants: int


class FloorState(msgspec.Struct):
    floor: int
    units: int
    beds: int
    leased_beds: int
    occupied_beds: int
    free_beds: int
    unit_states: list[UnitState]


class BuildingState(msgspec.Struct):
    building_id: int
    code: str
    name: str
    floors: list[FloorState]


class Occupancy(msgspec.Struct):
    date: date
    buildings: list[BuildingState]


def summarise(rows: list[dict[str, Any]], day: date) -> Occupancy:
    """Group unit rows by building and floor and add them up. Free beds are leased beds with
    nobody in them (a bed not leased is not free for anyone's worker)."""
    buildings: dict[int, BuildingState] = {}
    floors: dict[tuple[int, int], list[UnitState]] = defaultdict(list)
    for row in rows:
        if row["building_id"] not in buildings:
            buildings[row["building_id"]] = BuildingState(
                row["building_id"], row["building_code"], row["building_name"], []
            )
        floors[row["building_id"], row["floor"]].append(
            UnitState(
                id=row["id"],
                number=row["number"],
                beds=row["beds"],
                status=row["status"],
                firm_id=row["firm_id"],
                firm_name=row["firm_name"],
                gender=row["gender"],
                occupants=int(row["occupants"]),
            )
        )
    for (building_id, floor), units in floors.items():
        beds = sum(u.beds for u in units)
        leased = sum(u.beds for u in units if u.firm_id is not None)
        occupied = sum(u.occupants for u in units)
        buildings[building_id].floors.append(
            FloorState(floor, len(units), beds, leased, occupied, max(0, leased - occupied), units)
        )
    return Occupancy(date=day, buildings=list(buildings.values()))


async def occupancy_on(day: date) -> Occupancy:
    """The 房态图's data for a park day (the API and the staff page read the same)."""
    return summarise(list(await UNITS_ON.rows(day, day, day, day)), day)


async def bed_of(worker_id: int | None, today: date) -> MyBed | None:
    """Where the worker sleeps tonight and with whom, and a move ahead of them; None without a bed
    (the page `/my` and `GET /api/me/bed` answer from this one function)."""
    rows = await MY_BED.rows(today, worker_id, today, today, today, worker_id, today, today)
    mine = next((r for r in rows if r["worker_id"] == worker_id), None)
    if mine is None:
        return None
    return MyBed(
        building_code=mine["building_code"],
        building_name=mine["building_name"],
        floor=mine["floor"],
        unit_number=mine["unit_number"],
        bed=mine["bed"],
        beds=mine["beds"],
        since=as_date(mine["starts_on"]),
        roommates=[Roommate(bed=r["bed"], name=r["worker_name"]) for r in rows if r is not mine],
        pending_move=pending_move(mine),
    )


class OccupancyController(Controller):
    tags = ["occupancy · 房态"]

    @get("/occupancy", opt=allow(STAFF))
    async def occupancy(
        self,
        request: Request[Any, Any, Any],
        day: Annotated[date | None, QueryParameter(name="date", description="park day; default today")] = None,
    ) -> Occupancy:
        """Per building and floor: units, beds, leased, occupied, free; per unit its firm and occupants."""
        return await occupancy_on(day or park_day(viewer_of(request).now))

    @get("/me/bed", opt=allow(WORKER))
    async def my_bed(self, request: Request[Any, Any, Any]) -> MyBed:
        """Where I sleep tonight: building, floor, unit, bed, since when, my roommates' names, and
        a pending move (deadline, and the new bed once HR has given one)."""
        viewer = viewer_of(request)
        bed = await bed_of(viewer.worker_id, park_day(viewer.now))
        if bed is None:
            raise not_found()
        return bed


def pending_move(row: dict[str, Any]) -> PendingMove | None:
    """The move columns of the worker's own `MY_BED` row (all NULL when no move is ahead)."""
    if row["move_deadline"] is None:
        return None
    new_bed = None
    if row["new_bed"] is not None:
        new_bed = NewBed(
            building_code=row["new_building_code"],
            floor=row["new_floor"],
            unit_number=row["new_unit_number"],
            bed=row["new_bed"],
            starts_on=as_date(row["new_starts_on"]),
        )
    return PendingMove(
        deadline=as_date(row["move_deadline"]),
        building_code=row["move_building_code"],
        unit_number=row["move_unit_number"],
        bed=row["move_bed"],
        new_bed=new_bed,
    )

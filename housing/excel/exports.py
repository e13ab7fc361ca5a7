"""Exports in the import's own columns, so an exported sheet imports back unchanged.

Labels are the Chinese ones the import reads (男/女, 白班), dates are dates, areas in m² and
rates in yuan as exact decimals, identifiers as text. HR's export shows ID numbers masked, as
everywhere else; the import reads a masked ID number of an existing worker as "unchanged".
"""

from __future__ import annotations

from typing import Any

import anyio

from housing.excel.columns import (
    BUILDING_COLUMNS,
    BUILDINGS_SHEET,
    FIRM_COLUMNS,
    FIRMS_SHEET,
    GENDER_LABELS,
    GENDER_RULE_LABELS,
    HOUSING_LABELS,
    SHIFT_LABELS,
    UNIT_COLUMNS,
    UNIT_STATUS_LABELS,
    UNITS_SHEET,
    WORKER_COLUMNS,
    WORKERS_SHEET,
    label_of,
)
from housing.excel.sheets import fen_to_yuan
from housing.excel.templates import build
from housing.register.tables import Building, Firm, Unit, Worker
from housing.register.units import area_m2
from housing.register.validators import mask_resident_id
from housing.web.access import Viewer
from housing.web.clock import as_date


def _day(value: Any) -> Any:
    return as_date(value) if value else None


async def export_workers(viewer: Viewer, firm_id: int | None = None) -> bytes:
    """Staff: every firm's workers (or one firm's); HR: its own firm's, ID numbers masked."""
    query = (
        Worker.select(
            Worker.name,
            Worker.gender,
            Worker.id_number,
            Worker.mobile,
            Worker.employee_no,
            Worker.firm_id.name.as_alias("firm_name"),
            Worker.shift,
            Worker.housing_status,
            Worker.hired_on,
            Worker.left_on,
        )
        .order_by(Worker.firm_id)
        .order_by(Worker.id)
    )
    if not viewer.is_staff:
        query = query.where(Worker.firm_id == viewer.firm_id)
    elif firm_id is not None:
        query = query.where(Worker.firm_id == firm_id)
    rows = [
        [
            r["name"],
            label_of(GENDER_LABELS, r["gender"]),
            r["id_number"] if viewer.is_staff else mask_resident_id(r["id_number"]),
            r["mobile"],
            r["employee_no"],
            r["firm_name"],
            label_of(SHIFT_LABELS, r["shift"]),
            label_of(HOUSING_LABELS, r["housing_status"]),
            _day(r["hired_on"]),
            _day(r["left_on"]),
        ]
        for r in await query
    ]
    return await anyio.to_thread.run_sync(build, [(WORKERS_SHEET, WORKER_COLUMNS, rows)])


async def export_register(viewer: Viewer) -> bytes:
    """Staff: the buildings, units and firms, one sheet each, in the template's columns."""
    buildings = [
        [r["code"], r["name"], r["floors"], label_of(GENDER_RULE_LABELS, r["gender_rule"])]
        for r in await Building.select(Building.code, Building.name, Building.floors, Building.gender_rule).order_by(
            Building.code
        )
    ]
    units = [
        [
            r["building_code"],
            r["floor"],
            r["number"],
            area_m2(r["area_centi_m2"]),
            r["beds"],
            label_of(UNIT_STATUS_LABELS, r["status"]),
            fen_to_yuan(r["rent_rate_fen_per_m2"]),
        ]
        for r in await Unit.select(
            Unit.building_id.code.as_alias("building_code"),
            Unit.floor,
            Unit.number,
            Unit.area_centi_m2,
            Unit.beds,
            Unit.status,
            Unit.rent_rate_fen_per_m2,
        ).order_by(Unit.id)
    ]
    firms = [
        [r["name"], r["uscc"], r["contact_name"], r["contact_phone"], "是" if r["is_key"] else "否"]
        for r in await Firm.select(Firm.name, Firm.uscc, Firm.contact_name, Firm.contact_phone, Firm.is_key).order_by(
            Firm.id
        )
    ]
    sheets = [
        (BUILDINGS_SHEET, BUILDING_COLUMNS, buildings),
        (UNITS_SHEET, UNIT_COLUMNS, units),
        (FIRMS_SHEET, FIRM_COLUMNS, firms),
    ]
    return await anyio.to_thread.run_sync(build, sheets)

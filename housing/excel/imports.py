"""Importing the register from .xlsx: another way in, not another set of rules.

Every row decodes into the API's request struct and meets the API's own rule functions
(`workers.check_fields`, `validators`, `units.area_to_centi`, …). All rows are checked before
anything is written; if any row is bad the answer names each bad row and column and nothing is
written; otherwise everything is written in one transaction, in bulk, with an audit entry per
written row.

Matching, so that export → import is a round trip: a row is the same record as an existing one
when it has the same key — a worker by (firm, 工号), a building by 楼栋编号, a unit by
(楼栋编号, 房号), a firm by 统一社会信用代码. An existing record whose fields all equal the
row's is left alone; one that differs is updated (only the differing fields); a row with no
match is created. A blank optional cell never changes an existing record. Importing an export
of an unchanged register therefore writes nothing (`written: 0`). Import never deactivates or
deletes anything: that stays an explicit act in the API.

The checks that need the database — duplicates against the register, the one-active-record
rule of ID numbers, references to buildings — read what they need once per import (not once
per row), inside the write transaction, so they still hold when the write lands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import msgspec
from piccolo.columns import JSON as JSONColumn
from piccolo.columns import Timestamptz
from stdnum.cn import ric

from housing.excel.columns import (
    BUILDING_COLUMNS,
    BUILDINGS_SHEET,
    FIRM_COLUMNS,
    FIRMS_SHEET,
    UNIT_COLUMNS,
    UNITS_SHEET,
    WORKER_COLUMNS,
    WORKERS_SHEET,
)
from housing.excel.reading import RowError, Rows, decode, find_sheet, open_book, problem_rows, read_rows
from housing.excel.templates import register_template, workers_template
from housing.register import buildings as building_rules
from housing.register import firms as firm_rules
from housing.register import units as unit_rules
from housing.register import validators
from housing.register.buildings import BuildingCreate
from housing.register.firms import FirmCreate
from housing.register.tables import Building, Firm, Unit, Worker
from housing.register.units import UnitCreate
from housing.register.workers import WorkerCreate, check_fields
from housing.web.access import Viewer
from housing.web.audit import changed_fields
from housing.web.clock import as_date
from housing.web.db import write_transaction
from housing.web.i18n import Lang, text
from housing.web.problems import FieldError, Problem
from housing.web.tables import AuditEntry

__all__ = [
    "ImportReport",
    "RowError",
    "import_register",
    "import_workers",
    "register_template",
    "workers_template",
]

BATCH = 500
AUDIT_ACTION_CREATE = "create"
AUDIT_ACTION_UPDATE = "update"


class ImportReport(msgspec.Struct):
    """`written` rows created or changed; `errors` non-empty means nothing was written."""

    written: int
    errors: list[RowError]


def _lang(lang: str) -> Lang:
    return "en" if lang == "en" else "zh"


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Plan:
    """What one table's import will do: rows to insert, (id, before, changes) to update."""

    table: type[Any]
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.creates) + len(self.updates)


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, bool) or isinstance(old, bool):
        return bool(old) == bool(new)
    if hasattr(new, "isoformat") and old is not None and not isinstance(old, type(new)):
        return as_date(old) == new
    return old == new


def _changes(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if not _same(current.get(name), value)}


async def _bulk_insert(table: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT … RETURNING id, values as parameters (ids in the rows' order).

    Piccolo's `insert(*objects)` builds a Table object and a query fragment per value, which
    is most of the write's time for thousands of rows; this writes the same statement once."""
    columns = table._meta.non_default_columns
    now = datetime.now(UTC)
    args: list[Any] = []
    for row in rows:
        for column in columns:
            name = column._meta.name
            value = row[name] if name in row else column.get_default_value()
            if isinstance(column, JSONColumn) and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            elif isinstance(column, Timestamptz) and not isinstance(value, datetime):
                value = now
            args.append(value)
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    sql = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES {", ".join(one for _ in rows)} RETURNING "id"'
    return [int(found["id"]) for found in await table.raw(sql, *args)]


async def _write(viewer: Viewer, plan: Plan) -> list[int]:
    """Insert in batches (ids back in order), update the changed fields, audit every row."""
    table = plan.table
    name = table._meta.tablename
    now = datetime.now(UTC)
    entries: list[dict[str, Any]] = []
    created_ids: list[int] = []

    def entry(row_id: int, action: str, changes: dict[str, Any]) -> dict[str, Any]:
        return {
            "at": now,
            "account_id": viewer.account_id,
            "username": viewer.username,
            "table_name": name,
            "row_id": row_id,
            "action": action,
            "changes": changes,
        }

    for batch in _chunks(plan.creates):
        ids = await _bulk_insert(table, batch)
        created_ids.extend(ids)
        entries.extend(
            entry(row_id, AUDIT_ACTION_CREATE, changed_fields(None, values))
            for row_id, values in zip(ids, batch, strict=True)
        )
    for row_id, before, changes in plan.updates:
        columns = {table._meta.get_column_by_name(key): value for key, value in changes.items()}
        await table.update(columns).where(table._meta.primary_key == row_id)
        entries.append(entry(row_id, AUDIT_ACTION_UPDATE, changed_fields({k: before.get(k) for k in changes}, changes)))
    for batch in _chunks(entries):
        await _bulk_insert(AuditEntry, batch)
    return created_ids


def _sorted(errors: Iterable[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.sheet, e.row))


# ---------------------------------------------------------------------------------- workers

WORKER_ALIASES = {"firm_id": "firm"}


@dataclass
class WorkerRow:
    row: int
    struct: WorkerCreate
    sent: set[str]  # the fields the row filled (a blank optional cell changes nothing)


def _firm_lookup(firms: Sequence[dict[str, Any]]) -> dict[str, int]:
    lookup = {}
    for firm in firms:
        lookup[str(firm["name"]).strip()] = firm["id"]
        lookup[str(firm["uscc"]).upper()] = firm["id"]
    return lookup


def _decode_workers(
    data: bytes, viewer: Viewer, firms: Sequence[dict[str, Any]], lang: Lang
) -> tuple[list[WorkerRow], list[RowError]]:
    """Read the sheet and decode each row into `WorkerCreate`, the firm chosen as the API
    chooses it: staff name it (by name or USCC), HR's rows are always HR's own firm — a row
    naming another firm is refused, exactly as `firm_id` is in an HR request."""
    book = open_book(data)
    try:
        page = find_sheet(book, WORKERS_SHEET, first_if_missing=True)
        title = page.title if page is not None else WORKERS_SHEET[0]
        rows = read_rows(page, WORKER_COLUMNS, title, lang) if page is not None else Rows(title)
    finally:
        book.close()
    lookup = _firm_lookup(firms)
    firm_header = next(c.zh for c in WORKER_COLUMNS if c.field == "firm")
    decoded: list[WorkerRow] = []
    errors = list(rows.errors)
    for number, values in rows.rows:
        named = values.pop("firm", None)
        if viewer.is_staff:
            if named is None:
                errors.append(RowError(number, firm_header, text("firm_id_required", lang), title))
                continue
            firm_id = lookup.get(named) or lookup.get(named.upper())
            if firm_id is None:
                errors.append(RowError(number, firm_header, text("excel_unknown_firm", lang, value=named), title))
                continue
        else:
            firm_id = viewer.firm_id
            if named is not None and lookup.get(named, lookup.get(named.upper())) != viewer.firm_id:
                errors.append(RowError(number, firm_header, text("firm_not_yours", lang), title))
                continue
        sent = set(values) | {"firm_id"}
        struct = decode(
            {**values, "firm_id": firm_id}, WorkerCreate, number, title, WORKER_COLUMNS, WORKER_ALIASES, lang
        )
        if isinstance(struct, RowError):
            errors.append(struct)
        else:
            decoded.append(WorkerRow(number, struct, sent))
    return decoded, errors


WORKER_FIELDS = ("name", "gender", "id_number", "mobile", "shift", "housing_status", "hired_on", "left_on")


def _plan_workers(
    rows: Sequence[WorkerRow],
    existing: dict[tuple[int, str], dict[str, Any]],
    active_holders: dict[str, int],
    viewer: Viewer,
    title: str,
    lang: Lang,
) -> Plan:
    """Each row against the rules, the file's other rows and the register (read once)."""
    plan = Plan(Worker)
    seen_keys: dict[tuple[int, str], int] = {}
    seen_ids: dict[str, int] = {}

    def fail(row: int, column_field: str, key: str, **params: Any) -> None:
        column = next(c.zh for c in WORKER_COLUMNS if c.field == column_field)
        plan.errors.append(RowError(row, column, text(key, lang, field=column, **params), title))

    for item in rows:
        struct = item.struct
        firm_id = struct.firm_id
        assert firm_id is not None
        employee_no = struct.employee_no.strip()
        key = (firm_id, employee_no)
        if key in seen_keys:
            fail(item.row, "employee_no", "excel_duplicate_in_file", other=seen_keys[key])
            continue
        seen_keys[key] = item.row
        current = existing.get(key)
        if current is None:
            values = {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not None}
        else:
            values = {k: getattr(struct, k) for k in WORKER_FIELDS if k in item.sent}
        if "*" in struct.id_number:
            # An HR export shows ID numbers masked; the masked form of the stored number means "unchanged".
            if current is not None and validators.mask_resident_id(current["id_number"]) == struct.id_number.upper():
                values.pop("id_number", None)
            else:
                fail(item.row, "id_number", "excel_id_masked")
                continue
        try:
            id_number = check_fields(values, current, viewer)
        except Problem as problem:
            plan.errors.extend(problem_rows(problem, item.row, title, WORKER_COLUMNS, WORKER_ALIASES, lang))
            continue
        if current is not None and id_number != current["id_number"]:
            # A 工号 given to someone else: never overwrite one person's record with another's
            # (a mistyped ID number of an existing worker is corrected in the API, one by one).
            fail(item.row, "employee_no", "excel_employee_no_taken", value=employee_no)
            continue
        if id_number in seen_ids:
            fail(item.row, "id_number", "excel_duplicate_in_file", other=seen_ids[id_number])
            continue
        seen_ids[id_number] = item.row
        active = bool(current["active"]) if current is not None else True
        holder = active_holders.get(id_number)
        if active and holder is not None and (current is None or holder != current["id"]):
            fail(item.row, "id_number", "id_number_registered")
            continue
        if current is None:
            plan.creates.append({**values, "firm_id": firm_id, "employee_no": employee_no, "created_at": viewer.now})
        else:
            values.pop("firm_id", None)
            changes = _changes(current, values)
            if changes:
                plan.updates.append((current["id"], current, changes))
    return plan


async def _workers_of(firm_ids: set[int]) -> dict[tuple[int, str], dict[str, Any]]:
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for firm_id in firm_ids:
        rows = await Worker.select(
            Worker.id,
            Worker.firm_id,
            Worker.employee_no,
            Worker.active,
            *[Worker._meta.get_column_by_name(name) for name in WORKER_FIELDS],
        ).where(Worker.firm_id == firm_id)
        found.update({(row["firm_id"], row["employee_no"]): row for row in rows})
    return found


async def _active_holders(id_numbers: Sequence[str]) -> dict[str, int]:
    """Which worker is the active record of each ID number in the file (one query per 1,000)."""
    holders: dict[str, int] = {}
    for batch in _chunks(sorted(set(id_numbers)), 1000):
        rows = (
            await Worker.select(Worker.id, Worker.id_number)
            .where(Worker.active == True)
            .where(Worker.id_number.is_in(list(batch)))
        )
        holders.update({row["id_number"]: row["id"] for row in rows})
    return holders


async def import_workers(viewer: Viewer, data: bytes, lang: str = "zh") -> ImportReport:
    """Workers from the 员工 sheet (staff: any firm, named per row; HR: its own firm)."""
    if not (viewer.is_staff or (viewer.is_hr and viewer.firm_id is not None)):
        raise Problem(403, "forbidden")  # the routes' guard says so too; the pages call this directly
    if viewer.is_hr and not viewer.firm_active:
        raise Problem(403, "firm_inactive")
    language = _lang(lang)
    firms = Firm.select(Firm.id, Firm.name, Firm.uscc)
    if not viewer.is_staff:
        firms = firms.where(Firm.id == viewer.firm_id)
    rows, errors = await anyio.to_thread.run_sync(partial(_decode_workers, data, viewer, await firms, language))
    title = WORKERS_SHEET[0]
    async with write_transaction():
        existing = await _workers_of({row.struct.firm_id for row in rows if row.struct.firm_id is not None})
        id_numbers = [ric.compact(row.struct.id_number.upper()) for row in rows if "*" not in row.struct.id_number]
        holders = await _active_holders(id_numbers)
        plan = await anyio.to_thread.run_sync(partial(_plan_workers, rows, existing, holders, viewer, title, language))
        errors = _sorted([*errors, *plan.errors])
        if errors:
            return ImportReport(written=0, errors=errors)
        await _write(viewer, plan)
    return ImportReport(written=plan.written, errors=[])


# --------------------------------------------------------------------------------- register

BUILDING_ALIASES: dict[str, str] = {}
UNIT_ALIASES = {"building_id": "building", "area_centi_m2": "area_m2"}
FIRM_ALIASES: dict[str, str] = {}
BUILDING_FIELDS = ("name", "floors", "gender_rule")
UNIT_FIELDS = ("floor", "area_centi_m2", "beds", "status", "rent_rate_fen_per_m2")
FIRM_FIELDS = ("name", "contact_name", "contact_phone", "is_key")


def _read_register(data: bytes, lang: Lang) -> dict[str, Rows | None]:
    book = open_book(data)
    try:
        found: dict[str, Rows | None] = {}
        for key, names, columns in (
            ("buildings", BUILDINGS_SHEET, BUILDING_COLUMNS),
            ("units", UNITS_SHEET, UNIT_COLUMNS),
            ("firms", FIRMS_SHEET, FIRM_COLUMNS),
        ):
            page = find_sheet(book, names, first_if_missing=False)
            found[key] = read_rows(page, columns, page.title, lang) if page is not None else None
    finally:
        book.close()
    if all(rows is None for rows in found.values()):
        raise Problem(422, "invalid_input", errors=[FieldError("file", "excel_no_register_sheet")])
    return found


def _error(
    plan: Plan, row: int, columns: Sequence[Any], field_name: str, title: str, lang: Lang, key: str, **params: Any
) -> None:
    column = next(c.zh for c in columns if c.field == field_name)
    plan.errors.append(RowError(row, column, text(key, lang, field=column, **params), title))


async def _plan_buildings(rows: Rows, viewer: Viewer, lang: Lang) -> tuple[Plan, dict[str, int]]:
    """Buildings by code; the floors a building will have (for the units sheet) are returned."""
    plan = Plan(Building)
    existing = {
        row["code"]: row
        for row in await Building.select(
            Building.id, Building.code, *[Building._meta.get_column_by_name(n) for n in BUILDING_FIELDS]
        )
    }
    highest: dict[int, int] = {}
    for unit in await Unit.select(Unit.building_id, Unit.floor):
        highest[unit["building_id"]] = max(highest.get(unit["building_id"], 0), unit["floor"])
    floors = {code: row["floors"] for code, row in existing.items()}
    seen: dict[str, int] = {}
    for number, values in rows.rows:
        struct = decode(values, BuildingCreate, number, rows.title, BUILDING_COLUMNS, BUILDING_ALIASES, lang)
        if isinstance(struct, RowError):
            plan.errors.append(struct)
            continue
        try:
            full = await building_rules.prepare(msgspec.structs.asdict(struct), None, viewer)
        except Problem as problem:
            plan.errors.extend(problem_rows(problem, number, rows.title, BUILDING_COLUMNS, BUILDING_ALIASES, lang))
            continue
        code = full["code"]
        if code in seen:
            _error(
                plan, number, BUILDING_COLUMNS, "code", rows.title, lang, "excel_duplicate_in_file", other=seen[code]
            )
            continue
        seen[code] = number
        current = existing.get(code)
        if current is None:
            plan.creates.append(full)
            floors[code] = full["floors"]
            continue
        sent = {k: full[k] for k in BUILDING_FIELDS if k in values}
        top = highest.get(current["id"], 0)
        if "floors" in sent and sent["floors"] < top:
            _error(
                plan, number, BUILDING_COLUMNS, "floors", rows.title, lang, "floor_out_of_range", floors=sent["floors"]
            )
            continue
        floors[code] = sent.get("floors", current["floors"])
        changes = _changes(current, sent)
        if changes:
            plan.updates.append((current["id"], current, changes))
    return plan, floors


async def _plan_firms(rows: Rows, viewer: Viewer, lang: Lang) -> Plan:
    """Firms by USCC; a name may belong to one firm only."""
    plan = Plan(Firm)
    existing = {
        row["uscc"]: row
        for row in await Firm.select(Firm.id, Firm.uscc, *[Firm._meta.get_column_by_name(n) for n in FIRM_FIELDS])
    }
    names = {row["name"]: uscc for uscc, row in existing.items()}
    seen: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for number, values in rows.rows:
        struct = decode(values, FirmCreate, number, rows.title, FIRM_COLUMNS, FIRM_ALIASES, lang)
        if isinstance(struct, RowError):
            plan.errors.append(struct)
            continue
        try:
            full = await firm_rules.prepare(msgspec.structs.asdict(struct), None, viewer)
        except Problem as problem:
            plan.errors.extend(problem_rows(problem, number, rows.title, FIRM_COLUMNS, FIRM_ALIASES, lang))
            continue
        uscc, name = full["uscc"], full["name"]
        if uscc in seen:
            _error(plan, number, FIRM_COLUMNS, "uscc", rows.title, lang, "excel_duplicate_in_file", other=seen[uscc])
            continue
        if name in seen_names:
            _error(
                plan, number, FIRM_COLUMNS, "name", rows.title, lang, "excel_duplicate_in_file", other=seen_names[name]
            )
            continue
        seen[uscc], seen_names[name] = number, number
        if names.get(name, uscc) != uscc:
            _error(plan, number, FIRM_COLUMNS, "name", rows.title, lang, "duplicate", value=name)
            continue
        current = existing.get(uscc)
        if current is None:
            plan.creates.append(full)
            continue
        changes = _changes(current, {k: full[k] for k in FIRM_FIELDS if k in values})
        if changes:
            plan.updates.append((current["id"], current, changes))
    return plan


async def _plan_units(rows: Rows, floors: dict[str, int], viewer: Viewer, lang: Lang) -> tuple[Plan, list[str]]:
    """Units by (building code, number); the building may be one the same workbook creates.
    Returns the plan and, per unit to create, its building's code (its id may not exist yet)."""
    plan = Plan(Unit)
    buildings = {row["code"]: row["id"] for row in await Building.select(Building.id, Building.code)}
    existing = {
        (row["building_id"], row["number"]): row
        for row in await Unit.select(
            Unit.id, Unit.building_id, Unit.number, *[Unit._meta.get_column_by_name(n) for n in UNIT_FIELDS]
        )
    }
    seen: dict[tuple[str, str], int] = {}
    codes: list[str] = []
    for number, values in rows.rows:
        code = str(values.pop("building")).upper()
        if code not in floors:
            _error(plan, number, UNIT_COLUMNS, "building", rows.title, lang, "excel_unknown_building", value=code)
            continue
        building_id = buildings.get(code)
        struct = decode(
            {**values, "building_id": building_id or 1},
            UnitCreate,
            number,
            rows.title,
            UNIT_COLUMNS,
            UNIT_ALIASES,
            lang,
        )
        if isinstance(struct, RowError):
            plan.errors.append(struct)
            continue
        try:
            area = unit_rules.area_to_centi(struct.area_m2)
        except Problem as problem:
            plan.errors.extend(problem_rows(problem, number, rows.title, UNIT_COLUMNS, UNIT_ALIASES, lang))
            continue
        if struct.floor > floors[code]:
            _error(plan, number, UNIT_COLUMNS, "floor", rows.title, lang, "floor_out_of_range", floors=floors[code])
            continue
        full = {**msgspec.structs.asdict(struct), "number": struct.number.upper(), "area_centi_m2": area}
        full.pop("area_m2")
        key = (code, full["number"])
        if key in seen:
            _error(plan, number, UNIT_COLUMNS, "number", rows.title, lang, "excel_duplicate_in_file", other=seen[key])
            continue
        seen[key] = number
        current = existing.get((building_id, full["number"])) if building_id else None
        if current is None:
            plan.creates.append(full)
            codes.append(code)
            continue
        sent = {k: full[k] for k in UNIT_FIELDS if k in values or (k == "area_centi_m2" and "area_m2" in values)}
        changes = _changes(current, sent)
        if changes:
            plan.updates.append((current["id"], current, changes))
    return plan, codes


async def import_register(viewer: Viewer, data: bytes, lang: str = "zh") -> ImportReport:
    """Staff: buildings (楼栋), units (房间) and firms (企业) from one workbook, any subset of
    the three sheets, all or nothing in one transaction."""
    if not viewer.is_staff:
        raise Problem(403, "forbidden")
    language = _lang(lang)
    sheets = await anyio.to_thread.run_sync(partial(_read_register, data, language))
    errors: list[RowError] = [e for rows in sheets.values() if rows is not None for e in rows.errors]
    async with write_transaction():
        buildings, floors = (
            await _plan_buildings(sheets["buildings"], viewer, language)
            if sheets["buildings"] is not None
            else (
                Plan(Building),
                {row["code"]: row["floors"] for row in await Building.select(Building.code, Building.floors)},
            )
        )
        firms = await _plan_firms(sheets["firms"], viewer, language) if sheets["firms"] is not None else Plan(Firm)
        units, codes = (
            await _plan_units(sheets["units"], floors, viewer, language)
            if sheets["units"] is not None
            else (Plan(Unit), [])
        )
        errors = _sorted([*errors, *buildings.errors, *firms.errors, *units.errors])
        if errors:
            return ImportReport(written=0, errors=errors)
        await _write(viewer, firms)
        created = await _write(viewer, buildings)
        ids = {row["code"]: row_id for row, row_id in zip(buildings.creates, created, strict=True)}
        ids.update({row["code"]: row["id"] for row in await Building.select(Building.id, Building.code)})
        for values, code in zip(units.creates, codes, strict=True):
            values["building_id"] = ids[code]
        await _write(viewer, units)
    return ImportReport(written=buildings.written + firms.written + units.written, errors=[])

"""Reading an uploaded workbook into rows of API values, and naming every bad cell.

The file is judged by its content (an .xlsx is a zip that openpyxl can open), never by its
name. Row 1 holds the headers (Chinese, or the English ones of the template's comments), in
any order; blank rows are skipped; at most `MAX_ROWS` data rows. Each cell goes through its
column's reader; a row whose cells all read well is decoded into the API's request struct,
so a spreadsheet meets exactly the limits a JSON request meets.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from housing.excel.columns import BLANK, CellError, Col
from housing.excel.templates import MAX_ROWS, NOTES_SHEET
from housing.web.i18n import Lang, text, translate_validation
from housing.web.problems import FieldError, Problem
from housing.web.uploads import MAX_UPLOAD_BYTES

StructT = TypeVar("StructT", bound=msgspec.Struct)
ZIP_MAGIC = b"PK\x03\x04"


class RowError(msgspec.Struct):
    """One bad cell (or row): the sheet's row number (the header is row 1), the column's
    Chinese header, what is wrong; `sheet` names the sheet in a workbook of several."""

    row: int
    column: str
    message: str
    sheet: str = ""


def open_book(data: bytes) -> Workbook:
    """The workbook, or 415 naming `file` when the bytes are not an .xlsx (a renamed .csv,
    an old .xls, a zip of something else); 413 above the upload limit."""
    if not data:
        raise Problem(422, "invalid_input", errors=[FieldError("file", "upload_empty")])
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem(413, "upload_too_large", errors=[FieldError("file", "upload_too_large")])
    if not data.startswith(ZIP_MAGIC):
        raise Problem(415, "excel_type", errors=[FieldError("file", "excel_type")])
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError, AttributeError):
        raise Problem(415, "excel_type", errors=[FieldError("file", "excel_type")]) from None
    except Exception:  # openpyxl raises many kinds on a damaged file; none of them is ours
        raise Problem(415, "excel_type", errors=[FieldError("file", "excel_type")]) from None


def find_sheet(book: Workbook, names: tuple[str, str], *, first_if_missing: bool) -> Any:
    """The sheet named in Chinese or English; for a one-sheet import, else the first data sheet."""
    wanted = {n.lower() for n in names}
    for page in book.worksheets:
        if page.title.strip().lower() in wanted:
            return page
    if first_if_missing:
        for page in book.worksheets:
            if page.title != NOTES_SHEET:
                return page
    return None


@dataclass
class Rows:
    """The rows of one sheet that read well (row number, field → value, blanks left out)."""

    title: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _header_key(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).rstrip("*＊").lower() if value is not None else ""


def read_rows(page: Any, columns: Sequence[Col], title: str, lang: Lang) -> Rows:
    result = Rows(title)
    by_header = {}
    for column in columns:
        by_header[_header_key(column.zh)] = column
        by_header[_header_key(column.en)] = column
    lines = page.iter_rows(values_only=True)
    header = next(lines, None) or ()
    positions: list[tuple[int, Col]] = []
    seen: set[str] = set()
    for index, value in enumerate(header):
        key = _header_key(value)
        if not key:
            continue
        known = by_header.get(key)
        if known is None:
            result.errors.append(RowError(1, str(value), text("excel_unknown_column", lang), title))
        elif known.field in seen:
            result.errors.append(RowError(1, known.zh, text("excel_repeated_column", lang), title))
        else:
            seen.add(known.field)
            positions.append((index, known))
    for column in columns:
        if column.required and column.field not in seen:
            result.errors.append(RowError(1, column.zh, text("excel_missing_column", lang), title))
    if result.errors:
        return result
    count = 0
    for number, line in enumerate(lines, 2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
            continue
        count += 1
        if count > MAX_ROWS:
            raise Problem(
                422, "excel_too_many_rows", errors=[FieldError("file", "excel_too_many_rows", {"max": MAX_ROWS})]
            )
        values: dict[str, Any] = {}
        bad = False
        for index, column in positions:
            cell = line[index] if index < len(line) else None
            try:
                value = column.read(cell)
            except CellError as error:
                result.errors.append(RowError(number, column.zh, text(error.key, lang, **error.params), title))
                bad = True
                continue
            if value is BLANK:
                if column.required:
                    result.errors.append(RowError(number, column.zh, text("excel_required", lang), title))
                    bad = True
                continue
            values[column.field] = value
        if not bad:
            result.rows.append((number, values))
    return result


def header_of(columns: Sequence[Col], field_name: str, aliases: Mapping[str, str]) -> str:
    """The Chinese header a field's error belongs under (`firm_id` → 企业)."""
    name = aliases.get(field_name, field_name)
    return next((c.zh for c in columns if c.field == name), name)


def decode(
    values: dict[str, Any],
    target: type[StructT],
    row: int,
    title: str,
    columns: Sequence[Col],
    aliases: Mapping[str, str],
    lang: Lang,
) -> StructT | RowError:
    """The row as the API's request struct, or the error naming the column at fault."""
    try:
        return msgspec.convert(values, target)
    except msgspec.ValidationError as error:
        message = str(error)
        at = re.search(r"at `\$\.(\w+)", message) or re.search(r"field `(\w+)`", message)
        column = header_of(columns, at.group(1), aliases) if at else ""
        return RowError(row, column, translate_validation(message, lang), title)


def problem_rows(
    problem: Problem, row: int, title: str, columns: Sequence[Col], aliases: Mapping[str, str], lang: Lang
) -> list[RowError]:
    """A rule's Problem (the same the API would answer) as row errors."""
    found = []
    for error in problem.errors or [FieldError("", problem.key, problem.params)]:
        column = header_of(columns, error.field, aliases) if error.field else ""
        found.append(RowError(row, column, text(error.key, lang, field=column, **error.params), title))
    return found

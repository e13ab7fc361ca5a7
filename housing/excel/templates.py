"""Blank templates and filled exports share one writer, so their columns cannot drift apart.

A sheet has the Chinese headers in row 1 (the English header and a hint in each header's
comment), widths, drop-down lists where a column takes fixed labels (男/女, 白班/夜班/倒班),
text format on the identifier columns (an ID number typed into a number cell loses digits),
dates as dates. A 说明 (notes) sheet explains every column with an example; it is never
imported.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from housing.excel.columns import (
    BUILDING_COLUMNS,
    BUILDINGS_SHEET,
    FIRM_COLUMNS,
    FIRMS_SHEET,
    UNIT_COLUMNS,
    UNITS_SHEET,
    WORKER_COLUMNS,
    WORKERS_SHEET,
    Col,
)

NOTES_SHEET = "说明"
MAX_ROWS = 20_000
"""Most data rows one import takes (a park's whole register fits; a runaway sheet does not)."""

FORMATS = {"text": "@", "date": "yyyy-mm-dd", "yuan": "0.00", "decimal": "0.00", "number": "0"}
TEXT_FIELDS = frozenset({"id_number", "mobile", "employee_no", "code", "number", "uscc", "contact_phone", "building"})


def write_sheet(page: Worksheet, columns: Sequence[Col], rows: Sequence[Sequence[Any]]) -> None:
    page.append([c.zh for c in columns])
    last = MAX_ROWS + 1
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        header = page.cell(row=1, column=index)
        header.font = Font(bold=True)
        required_en, required_zh = (" (required)", "必填。") if column.required else ("", "")
        hint = f"{column.en}{required_en}\n{required_zh}{column.help_zh}"
        header.comment = Comment(hint, "park")
        page.column_dimensions[letter].width = column.width
        if column.labels:
            listed = DataValidation(type="list", formula1='"' + ",".join(column.labels) + '"', allow_blank=True)
            listed.error = f"请从列表中选择：{'/'.join(column.labels)}"
            listed.errorTitle = column.zh
            page.add_data_validation(listed)
            listed.add(f"{letter}2:{letter}{last}")
    for row in rows:
        page.append(list(row))
    formats = [FORMATS["text"] if c.field in TEXT_FIELDS else FORMATS.get(c.kind) for c in columns]
    for cells in page.iter_rows(min_row=2, max_row=page.max_row):
        for cell, number_format in zip(cells, formats, strict=False):
            if number_format:
                cell.number_format = number_format
    page.freeze_panes = "A2"


def write_notes(book: Workbook, sheets: Sequence[tuple[tuple[str, str], Sequence[Col]]]) -> None:
    notes = book.create_sheet(NOTES_SHEET)
    notes.append(["工作表", "列名", "English", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for (title, _), columns in sheets:
        for column in columns:
            notes.append([title, column.zh, column.en, "是" if column.required else "", column.help_zh, column.example])
    notes.append([])
    notes.append(
        ["", "导入规则：第 1 行为列名；每一行都检查无误后才一次性写入，有任何一行出错则全部不写入，并逐行列出错误。"]
    )
    notes.append(["", "已有记录按编号对应：内容相同的行跳过，不同的行更新；空白的选填单元格不改动已有内容。"])
    for letter, width in zip("ABCDEF", (10, 22, 24, 6, 60, 24), strict=True):
        notes.column_dimensions[letter].width = width


def build(sheets: Sequence[tuple[tuple[str, str], Sequence[Col], Sequence[Sequence[Any]]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for (title, _), columns, rows in sheets:
        write_sheet(book.create_sheet(title), columns, rows)
    write_notes(book, [(names, columns) for names, columns, _ in sheets])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workers_template(lang: str = "zh") -> bytes:
    """The workers sheet, empty: Chinese headers, hints, drop-downs and the notes sheet."""
    return build([(WORKERS_SHEET, WORKER_COLUMNS, [])])


def register_template(lang: str = "zh") -> bytes:
    """Buildings, units and firms, one sheet each (any of them may be left empty or removed)."""
    return build(
        [(BUILDINGS_SHEET, BUILDING_COLUMNS, []), (UNITS_SHEET, UNIT_COLUMNS, []), (FIRMS_SHEET, FIRM_COLUMNS, [])]
    )

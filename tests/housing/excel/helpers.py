"""Workbooks for the import tests, written the way a clerk's Excel writes them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

WORKER_HEADERS = ["姓名", "性别", "身份证号", "手机号", "工号", "企业", "班次", "住宿", "入职日期", "离职日期"]


def xlsx(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        page = book.create_sheet(title)
        for row in rows:
            page.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workers_book(*rows: Sequence[Any], headers: Sequence[str] = WORKER_HEADERS) -> bytes:
    return xlsx({"员工": [headers, *rows]})


def sheet_rows(data: bytes, title: str) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def upload(data: bytes, name: str = "workers.xlsx") -> dict[str, Any]:
    return {"files": {"file": (name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}}

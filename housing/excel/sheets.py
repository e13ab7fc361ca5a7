"""Writing .xlsx files the way a park clerk opens them: Chinese headers, frozen header row,
money in yuan with two decimals (computed from fen, never from floats), sensible widths.

Every export goes through `workbook` and `xlsx_response`, so they all look alike. openpyxl is
CPU-bound: the bytes are built in a worker thread, off the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import anyio
from litestar import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as the clerk reads it
    width: int = 12
    yuan: bool = False  # the value is fen; shown in yuan


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _build(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        page = book.create_sheet(sheet.title)
        page.append([c.header for c in sheet.columns])
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append(
                [fen_to_yuan(v) if c.yuan and v is not None else v for c, v in zip(sheet.columns, row, strict=True)]
            )
        for index, column in enumerate(sheet.columns, 1):
            page.column_dimensions[get_column_letter(index)].width = column.width
            if column.yuan:
                for (cell,) in page.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = YUAN_FORMAT
        page.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def workbook(sheets: Sequence[Sheet]) -> bytes:
    return await anyio.to_thread.run_sync(_build, sheets)


def xlsx_response(data: bytes, filename: str) -> Response[bytes]:
    """A download named in Chinese (RFC 6266 `filename*`), with an ASCII fallback."""
    disposition = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})

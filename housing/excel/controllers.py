"""The Excel routes: templates, imports and exports of workers (staff and HR) and of the
register of buildings, units and firms (staff). Thin: read the upload, call the service,
answer.

An import takes a multipart form with the workbook in the field `file`. It answers
`200 {"written": n, "errors": []}` when every row was good (and all were written), or 422 —
problem details with `rows`, one entry per bad cell (sheet, row, Chinese column header,
message) — when any was bad (and nothing was written). A file that is not an .xlsx answers
415 naming `file`. The API's cookie is SameSite=Lax, so another site cannot post a form
here with it; the pages post through their own CSRF-protected routes to the same services.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from housing.excel.exports import export_register, export_workers
from housing.excel.imports import ImportReport, import_register, import_workers
from housing.excel.reading import RowError
from housing.excel.sheets import XLSX, xlsx_response
from housing.excel.templates import register_template, workers_template
from housing.web import resource
from housing.web.access import STAFF, STAFF_HR, allow, viewer_of
from housing.web.i18n import pick_language, text
from housing.web.problems import PROBLEM_MEDIA_TYPE, FieldError, FieldErrorOut, Problem, problem_response


class ImportProblem(msgspec.Struct):
    """422 of an import: problem details, and `rows` naming each bad cell (nothing was written)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldErrorOut] | msgspec.UnsetType = msgspec.UNSET
    written: int | msgspec.UnsetType = msgspec.UNSET
    rows: list[RowError] | msgspec.UnsetType = msgspec.UNSET


IMPORT_RESPONSES = {
    422: ResponseSpec(
        data_container=ImportProblem,
        media_type=PROBLEM_MEDIA_TYPE,
        description="Bad rows (each named in `rows`; nothing was written), or no `file`",
        generate_examples=False,
    )
}


async def uploaded(request: Request[Any, Any, Any]) -> bytes:
    """The bytes of the form field `file`, or 422 naming it.

    Read here rather than declared as a multipart `data` parameter: Litestar's form parser fails
    with a 500 on a binary part sent without a filename, which must be the client's 422."""
    try:
        form = await request.form()
    except UnicodeDecodeError:
        raise Problem(422, "invalid_input", errors=[FieldError("file", "excel_file_required")]) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Problem(422, "invalid_input", errors=[FieldError("file", "excel_file_required")])
    return await upload.read()


def answer(request: Request[Any, Any, Any], report: ImportReport) -> Response[Any]:
    if not report.errors:
        return Response(report, status_code=200)
    lang = pick_language(request.headers.get("accept-language"))
    where = "{sheet}第 {row} 行「{column}」" if lang == "zh" else "{sheet}row {row}, {column}"
    errors = [
        {
            "field": where.format(sheet=f"{e.sheet} " if e.sheet else "", row=e.row, column=e.column),
            "message": e.message,
        }
        for e in report.errors
    ]
    response = problem_response(
        request, 422, "excel_rows_invalid", text("excel_rows_invalid", lang, count=len(report.errors)), errors
    )
    response.content["written"] = 0
    response.content["rows"] = [msgspec.structs.asdict(e) for e in report.errors]
    return response


class WorkerSheetController(Controller):
    path = "/workers"
    tags = ["workers · 员工"]

    @get("/import-template", opt=allow(STAFF_HR), media_type=XLSX)
    async def workers_import_template(self) -> Response[bytes]:
        """The workers sheet to fill in: Chinese headers, drop-downs, a notes sheet."""
        return xlsx_response(await anyio.to_thread.run_sync(workers_template), "员工导入模板.xlsx")

    @post("/import", opt=allow(STAFF_HR), status_code=200, responses=IMPORT_RESPONSES)
    async def import_workers_sheet(self, request: Request[Any, Any, Any]) -> ImportReport:
        """Import workers from an .xlsx (multipart field `file`): all rows or none.

        HR imports into its own firm (a 企业 cell naming another firm is refused); staff name
        the firm per row by name or USCC. Rows matching an existing worker by (firm, 工号) update
        it where they differ; equal rows are skipped; so importing an export changes nothing."""
        viewer = viewer_of(request)
        lang = pick_language(request.headers.get("accept-language"))
        return answer(request, await import_workers(viewer, await uploaded(request), lang))  # type: ignore[return-value]

    @get("/export", opt=allow(STAFF_HR), media_type=XLSX)
    async def export_workers_sheet(
        self,
        request: Request[Any, Any, Any],
        firm_id: Annotated[
            int | None, QueryParameter(ge=1, le=resource.MAX_ID, description="staff only; HR exports its own firm")
        ] = None,
    ) -> Response[bytes]:
        """The workers in the import's columns (HR: its own firm, ID numbers masked)."""
        return xlsx_response(await export_workers(viewer_of(request), firm_id), "员工.xlsx")


class RegisterSheetController(Controller):
    path = "/register"
    tags = ["register · 登记表"]

    @get("/import-template", opt=allow(STAFF), media_type=XLSX)
    async def register_import_template(self) -> Response[bytes]:
        """Sheets 楼栋 / 房间 / 企业 to fill in (any of them may be left out)."""
        return xlsx_response(await anyio.to_thread.run_sync(register_template), "登记表导入模板.xlsx")

    @post("/import", opt=allow(STAFF), status_code=200, responses=IMPORT_RESPONSES)
    async def import_register_book(self, request: Request[Any, Any, Any]) -> ImportReport:
        """Import buildings, units and firms from one .xlsx (multipart field `file`): all or nothing.

        Matched by 楼栋编号, (楼栋编号, 房号) and 统一社会信用代码: equal rows are skipped,
        differing ones updated, new ones created; a unit may name a building of the same file."""
        viewer = viewer_of(request)
        lang = pick_language(request.headers.get("accept-language"))
        return answer(request, await import_register(viewer, await uploaded(request), lang))  # type: ignore[return-value]

    @get("/export", opt=allow(STAFF), media_type=XLSX)
    async def export_register_book(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The register (buildings, units, firms) in the import's columns."""
        return xlsx_response(await export_register(viewer_of(request)), "登记表.xlsx")

"""Workers in and out of Excel: the template, the all-or-nothing import, the export round trip."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from housing.register.tables import Worker
from housing.web.tables import AuditEntry
from tests.housing.excel.helpers import WORKER_HEADERS, sheet_rows, upload, workers_book, xlsx
from tests.housing.factories import resident_id

WOMAN = resident_id(date(2000, 1, 2), 44)
MAN = resident_id(date(1999, 6, 7), 55)


def row(**cells: Any) -> list[Any]:
    """A good row of the workers sheet, with some cells replaced (by header)."""
    good = {
        "姓名": "王芳",
        "性别": "女",
        "身份证号": WOMAN,
        "手机号": "13700002222",
        "工号": "N100",
        "企业": None,
        "班次": "夜班",
        "住宿": "宿舍",
        "入职日期": datetime(2024, 3, 1),
        "离职日期": None,
    }
    good.update(cells)
    return [good[h] for h in WORKER_HEADERS]


def cells(response: Any) -> set[tuple[int, str]]:
    return {(r["row"], r["column"]) for r in response.json()["rows"]}


async def test_template_has_chinese_headers_lists_and_notes(api: Any) -> None:
    response = await api.get("hr1", "/api/workers/import-template")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["员工", "说明"]
    page = book["员工"]
    assert [c.value for c in page[1]] == WORKER_HEADERS
    assert "Gender" in page["B1"].comment.text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in page.data_validations.dataValidation}
    assert lists["B2"] == '"男,女"'
    assert lists["G2"] == '"白班,夜班,倒班"'
    assert page.column_dimensions["C"].width > 15
    assert page.max_row == 1  # no example row to import by mistake: the example is on 说明
    notes = [r[1] for r in book["说明"].iter_rows(values_only=True)]
    assert "身份证号" in notes


async def test_hr_imports_into_its_own_firm_with_chinese_and_english_values(api: Any, counts: Any) -> None:
    before = await counts()
    data = workers_book(
        row(),
        row(
            姓名="李雷",
            性别="male",
            身份证号=MAN,
            手机号=13800003333,  # a number cell: its digits are the meaning
            工号=1001,
            班次="rotating",
            住宿="外租",
            入职日期="2024-05-06",
        ),
    )
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 200, response.text
    assert response.json() == {"written": 2, "errors": []}
    rows = await Worker.select().where(Worker.employee_no.is_in(["N100", "1001"])).order_by(Worker.employee_no)
    assert [(r["firm_id"], r["employee_no"], r["gender"], r["shift"], r["housing_status"]) for r in rows] == [
        (api.park.firm1, "1001", "male", "rotating", "off_site"),
        (api.park.firm1, "N100", "female", "night", "dorm"),
    ]
    assert str(rows[0]["hired_on"]) == "2024-05-06" and rows[0]["mobile"] == "13800003333"
    after = await counts()
    assert after["worker"] == before["worker"] + 2
    assert after["audit_entry"] == before["audit_entry"] + 2
    trail = (await api.get("staff", "/api/audit?table=worker")).json()["items"]
    created = [e for e in trail if e["row_id"] in {r["id"] for r in rows}]
    assert {e["action"] for e in created} == {"create"} and len(created) == 2
    assert all("*" in e["changes"]["id_number"][1] for e in created)  # masked in the trail
    assert {e["username"] for e in created} == {"hr1"}


async def test_wrong_types_and_blank_cells_are_named_by_row_and_column_and_nothing_is_written(
    api: Any, counts: Any
) -> None:
    before = await counts()
    data = workers_book(
        row(),  # row 2: good
        row(姓名=None, 工号="N101"),  # row 3: blank required cell
        row(身份证号=421002200001020447, 工号="N102"),  # row 4: an ID number in a number cell
        row(性别="未知", 工号="N103", 身份证号=MAN),  # row 5: not a choice
        row(入职日期="下周一", 工号="N104", 身份证号=resident_id(date(1990, 1, 1), 66)),  # row 6: not a date
        row(手机号="12345", 工号="N105", 身份证号=resident_id(date(1990, 1, 1), 68)),  # row 7: API validator
        row(性别="男", 工号="N106", 身份证号=resident_id(date(1991, 1, 1), 70)),  # row 8: gender vs ID number
        row(身份证号="421002200001020448", 工号="N107"),  # row 9: bad check digit
        row(姓名="x" * 51, 工号="N108", 身份证号=resident_id(date(1992, 1, 1), 72)),  # row 10: API length limit
        [None] * len(WORKER_HEADERS),  # blank rows are skipped
    )
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["written"] == 0
    assert cells(response) == {
        (3, "姓名"),
        (4, "身份证号"),
        (5, "性别"),
        (6, "入职日期"),
        (7, "手机号"),
        (8, "性别"),
        (9, "身份证号"),
        (10, "姓名"),
    }
    messages = {(r["row"], r["column"]): r["message"] for r in body["rows"]}
    assert "文本" in messages[(4, "身份证号")] and "15" in messages[(4, "身份证号")]
    assert messages[(5, "性别")] == "取值应为：男/女"
    assert messages[(8, "性别")] == "性别与身份证号码不符。"
    assert any(e["field"] == "员工 第 3 行「姓名」" for e in body["errors"])
    assert await counts() == before  # not even the good row 2

    fixed = workers_book(
        row(),
        row(姓名="周杰", 工号="N101", 身份证号=resident_id(date(1993, 1, 1), 13), 性别="男"),
    )
    response = await api.post("hr1", "/api/workers/import", **upload(fixed))
    assert response.status_code == 200, response.text
    assert response.json()["written"] == 2


async def test_messages_in_english_and_english_headers(api: Any) -> None:
    headers = [
        "Name",
        "Gender",
        "ID number",
        "Mobile",
        "Employee no.",
        "Firm",
        "Shift",
        "Housing",
        "Hired on",
        "Left on",
    ]
    data = workers_book(row(班次="morning"), headers=headers)
    response = await api.post("hr1", "/api/workers/import", headers={"Accept-Language": "en"}, **upload(data))
    assert response.status_code == 422
    assert response.json()["rows"] == [
        {"row": 2, "column": "班次", "message": "Must be one of: 白班/夜班/倒班", "sheet": "员工"}
    ]


async def test_duplicates_inside_the_file_and_against_the_register(api: Any, counts: Any) -> None:
    before = await counts()
    other_firms_worker = resident_id(date(1990, 12, 30), 33)  # 刘强, active in firm 2
    worker1_id = resident_id(date(1995, 3, 14), 11)
    data = workers_book(
        row(),  # 2
        row(工号="N200"),  # 3: same ID number as row 2
        row(身份证号=MAN, 性别="男"),  # 4: same 工号 as row 2
        row(身份证号=other_firms_worker, 性别="男", 工号="N300"),  # 5: active in another firm
        row(身份证号=MAN, 性别="男", 工号="E0002"),  # 6: 工号 of 陈静 (firm 1) with another ID number
        row(身份证号=worker1_id, 性别="男", 工号="N400"),  # 7: 张伟 is already firm 1's E0001
    )
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 422, response.text
    rows = {(r["row"], r["column"]): r["message"] for r in response.json()["rows"]}
    assert rows == {
        (3, "身份证号"): "与本文件第 2 行重复。",
        (4, "工号"): "与本文件第 2 行重复。",
        (5, "身份证号"): rows[(5, "身份证号")],
        (6, "工号"): rows[(6, "工号")],
        (7, "身份证号"): rows[(7, "身份证号")],
    }
    assert "已登记为园区内的在职员工" in rows[(5, "身份证号")]
    assert "荆州" not in rows[(5, "身份证号")] and "楚天" not in rows[(5, "身份证号")]  # never which firm
    assert "E0002" in rows[(6, "工号")]
    assert await counts() == before


async def test_hr_cannot_import_into_another_firm(api: Any, counts: Any) -> None:
    before = await counts()
    data = workers_book(row(企业="湖北楚天精密制造有限公司"))
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 422
    assert cells(response) == {(2, "企业")}
    assert "HR" in response.json()["rows"][0]["message"]
    assert await counts() == before
    own = workers_book(row(企业="荆州华鑫电子科技有限公司"))
    response = await api.post("hr1", "/api/workers/import", **upload(own))
    assert response.status_code == 200, response.text
    assert await Worker.exists().where(Worker.employee_no == "N100").where(Worker.firm_id == api.park.firm1)


async def test_staff_name_the_firm_by_name_or_credit_code(api: Any) -> None:
    firm2 = (await api.get("staff", f"/api/firms/{api.park.firm2}")).json()
    data = workers_book(
        row(企业="荆州华鑫电子科技有限公司"),
        row(企业=firm2["uscc"], 身份证号=MAN, 性别="男", 工号="N101"),
        row(企业=None, 身份证号=resident_id(date(1990, 1, 1), 66), 工号="N102"),
        row(企业="不存在的公司", 身份证号=resident_id(date(1990, 1, 1), 68), 工号="N103"),
    )
    response = await api.post("staff", "/api/workers/import", **upload(data))
    assert response.status_code == 422
    assert cells(response) == {(4, "企业"), (5, "企业")}
    response = await api.post(
        "staff",
        "/api/workers/import",
        **upload(
            workers_book(
                *[
                    row(企业="荆州华鑫电子科技有限公司"),
                    row(企业=firm2["uscc"], 身份证号=MAN, 性别="男", 工号="N101"),
                ]
            )
        ),
    )
    assert response.status_code == 200, response.text
    firms = {r["employee_no"]: r["firm_id"] for r in await Worker.select(Worker.employee_no, Worker.firm_id)}
    assert firms["N100"] == api.park.firm1 and firms["N101"] == api.park.firm2


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"name,gender\n\xe5\xbc\xa0,male\n", 415),  # a CSV renamed .xlsx
        (b"PK\x03\x04 not really a zip", 415),  # zip magic, not a workbook
        (b"", 422),
    ],
)
async def test_a_file_that_is_not_an_xlsx_is_refused_naming_file(
    api: Any, counts: Any, data: bytes, status: int
) -> None:
    before = await counts()
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["file"]
    assert await counts() == before


async def test_a_zip_of_something_else_and_no_file_at_all(api: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    response = await api.post("hr1", "/api/workers/import", **upload(buffer.getvalue()))
    assert response.status_code == 415
    response = await api.post("hr1", "/api/workers/import", files={"other": ("a.txt", b"x")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    response = await api.post("hr1", "/api/workers/import", data={"file": "x"})  # a form field, not a file
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        + b"\x89PNG\r\n\x1a\n\x00binary without a filename\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    response = await api.post(
        "hr1",
        "/api/workers/import",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"


async def test_rows_are_capped(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("housing.excel.reading.MAX_ROWS", 2)
    data = workers_book(row(), row(工号="N2"), row(工号="N3"))
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert "2" in response.json()["errors"][0]["message"]


async def test_missing_and_unknown_columns_are_named_in_row_1(api: Any) -> None:
    data = xlsx(
        {"员工": [["姓名", "性别", "身份证号", "手机号", "部门"], ["王芳", "女", WOMAN, "13700002222", "装配"]]}
    )
    response = await api.post("hr1", "/api/workers/import", **upload(data))
    assert response.status_code == 422
    assert cells(response) == {(1, "部门"), (1, "工号")}


@pytest.mark.parametrize("role", ["staff", "hr1"])
async def test_export_then_import_changes_nothing(api: Any, counts: Any, role: str) -> None:
    await api.post("hr1", "/api/workers/import", **upload(workers_book(row(), row(工号="N2", 身份证号=MAN, 性别="男"))))
    await api.delete("hr1", f"/api/workers/{api.park.firm1_other}")  # an inactive worker with a 离职日期 too
    exported = await api.get(role, "/api/workers/export")
    assert exported.status_code == 200
    rows = sheet_rows(exported.content, "员工")
    assert rows[0] == WORKER_HEADERS
    masked = [r[2] for r in rows[1:]]
    assert all("*" in m for m in masked) if role == "hr1" else all("*" not in m for m in masked)
    before = await counts()
    snapshot = await Worker.select().order_by(Worker.id)
    response = await api.post(role, "/api/workers/import", **upload(exported.content))
    assert response.status_code == 200, response.text
    assert response.json() == {"written": 0, "errors": []}
    assert await counts() == before
    assert await Worker.select().order_by(Worker.id) == snapshot

    # The same file with one mobile changed updates that worker only, and audits it.
    book = load_workbook(io.BytesIO(exported.content))
    book["员工"]["D2"] = "13900009999"
    buffer = io.BytesIO()
    book.save(buffer)
    response = await api.post(role, "/api/workers/import", **upload(buffer.getvalue()))
    assert response.json() == {"written": 1, "errors": []}
    entry = await AuditEntry.select().order_by(AuditEntry.id, ascending=False).first()
    assert entry["action"] == "update" and "mobile" in str(entry["changes"])


async def test_staff_export_of_one_firm(api: Any) -> None:
    response = await api.get("staff", f"/api/workers/export?firm_id={api.park.firm2}")
    rows = sheet_rows(response.content, "员工")
    assert [r[4] for r in rows[1:]] == ["E0001"] and rows[1][5] == "湖北楚天精密制造有限公司"
    hr = sheet_rows((await api.get("hr2", f"/api/workers/export?firm_id={api.park.firm1}")).content, "员工")
    assert {r[5] for r in hr[1:]} == {"湖北楚天精密制造有限公司"}  # HR exports its own firm, whatever it asks


async def test_the_services_refuse_roles_the_routes_refuse(api: Any) -> None:
    """The pages call the services directly: they check the role too, not only the route guard."""
    from housing.excel.imports import import_register, import_workers
    from housing.web.access import Viewer
    from housing.web.problems import Problem

    worker = Viewer(1, 1, "worker1", "worker", None, api.park.worker1)
    hr = Viewer(1, 1, "hr1", "hr", api.park.firm1, None)
    gone = Viewer(1, 1, "hr1", "hr", api.park.firm1, None, firm_active=False)
    calls = (
        import_workers(worker, workers_book(row())),
        import_register(hr, workers_book(row())),
        import_workers(gone, workers_book(row())),
    )
    for call in calls:
        with pytest.raises(Problem) as refused:
            await call
        assert refused.value.status_code == 403

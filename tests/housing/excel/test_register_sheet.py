"""Buildings, units and firms in and out of one workbook (staff)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from housing.register.tables import Building, Firm, Unit
from tests.housing.excel.helpers import sheet_rows, upload, xlsx
from tests.housing.factories import credit_code

BUILDING_HEADERS = ["楼栋编号", "楼栋名称", "层数", "性别限制"]
UNIT_HEADERS = ["楼栋编号", "楼层", "房号", "面积（m²）", "床位数", "状态", "租金单价（元/m²·月）"]
FIRM_HEADERS = ["企业名称", "统一社会信用代码", "联系人", "联系电话", "重点企业"]


def cells(response: Any) -> set[tuple[str, int, str]]:
    return {(r["sheet"], r["row"], r["column"]) for r in response.json()["rows"]}


async def test_template_has_the_three_sheets_and_notes(api: Any) -> None:
    response = await api.get("staff", "/api/register/import-template")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["楼栋", "房间", "企业", "说明"]
    assert [c.value for c in book["房间"][1]] == UNIT_HEADERS
    assert [c.value for c in book["企业"][1]] == FIRM_HEADERS


async def test_new_building_with_its_units_and_a_firm_in_one_workbook(api: Any, counts: Any) -> None:
    before = await counts()
    data = xlsx(
        {
            "楼栋": [BUILDING_HEADERS, ["b10", "员工之家10号楼", 5, "女"]],
            "房间": [
                UNIT_HEADERS,
                ["B10", 1, "101", 36.5, 4, "可用", 5],
                ["B10", "2", "201", "48.21", "6", None, None],
                ["B01", 3, "301", 30, 2, "维修", "5.50"],
            ],
            "企业": [FIRM_HEADERS, ["荆州新星科技有限公司", credit_code(77), "周先生", "13800001111", "是"]],
        }
    )
    response = await api.post("staff", "/api/register/import", **upload(data))
    assert response.status_code == 200, response.text
    assert response.json() == {"written": 5, "errors": []}
    building = await Building.select().where(Building.code == "B10").first()
    assert building["gender_rule"] == "female" and building["floors"] == 5
    units = await Unit.select().where(Unit.number.is_in(["101", "201", "301"])).order_by(Unit.id)
    new = [
        (u["building_id"], u["number"], u["area_centi_m2"], u["beds"], u["status"], u["rent_rate_fen_per_m2"])
        for u in units[-3:]
    ]
    assert new == [
        (building["id"], "101", 3650, 4, "available", 500),
        (building["id"], "201", 4821, 6, "available", 500),
        (api.park.building_any, "301", 3000, 2, "maintenance", 550),
    ]
    firm = await Firm.select().where(Firm.uscc == credit_code(77)).first()
    assert firm["is_key"] is True or firm["is_key"] == 1
    after = await counts()
    assert after["audit_entry"] == before["audit_entry"] + 5


async def test_bad_rows_in_any_sheet_are_named_and_nothing_is_written(api: Any, counts: Any) -> None:
    before = await counts()
    data = xlsx(
        {
            "楼栋": [BUILDING_HEADERS, ["B10", "员工之家10号楼", 5, None], ["B11", "十一号楼", "五", None]],
            "房间": [
                UNIT_HEADERS,
                ["B10", 6, "601", 30, 4, None, None],  # floor 6 of a 5-floor building
                ["B99", 1, "101", 30, 4, None, None],  # no such building
                ["B10", 1, "102", "30.123", 4, None, None],  # area precision
                ["B10", 1, "103", 30, 0, None, None],  # beds below the API's limit
                ["B01", 1, "101", 30, 4, "空置", None],  # status not a choice
            ],
            "企业": [
                FIRM_HEADERS,
                ["荆州新星科技有限公司", "91421000MA0000077Z", "周先生", "13800001111", None],  # USCC check digit
                ["荆州华鑫电子科技有限公司", credit_code(78), "孙经理", "13800001111", None],  # name of another firm
                ["荆州新月科技有限公司", credit_code(79), "钱女士", "13800001111", "也许"],
            ],
        }
    )
    response = await api.post("staff", "/api/register/import", **upload(data))
    assert response.status_code == 422, response.text
    assert cells(response) == {
        ("楼栋", 3, "层数"),
        ("房间", 2, "楼层"),
        ("房间", 3, "楼栋编号"),
        ("房间", 4, "面积（m²）"),
        ("房间", 5, "床位数"),
        ("房间", 6, "状态"),
        ("企业", 2, "统一社会信用代码"),
        ("企业", 3, "企业名称"),
        ("企业", 4, "重点企业"),
    }
    assert await counts() == before


async def test_duplicates_in_the_file_and_shrinking_below_used_floors(api: Any) -> None:
    data = xlsx(
        {
            "楼栋": [
                BUILDING_HEADERS,
                ["B01", "员工之家1号楼", 1, "不限"],
                ["B12", "十二号楼", 3, None],
                ["b12", "重复", 3, None],
            ],
            "房间": [UNIT_HEADERS, ["B02", 1, "102", 30, 4, None, None], ["B02", 1, "102", 30, 4, None, None]],
        }
    )
    response = await api.post("staff", "/api/register/import", **upload(data))
    assert response.status_code == 422
    assert cells(response) == {("楼栋", 2, "层数"), ("楼栋", 4, "楼栋编号"), ("房间", 3, "房号")}


async def test_any_subset_of_sheets_and_a_workbook_with_none_of_them(api: Any) -> None:
    data = xlsx({"企业": [FIRM_HEADERS, ["荆州新星科技有限公司", credit_code(77), "周先生", "07168123456", None]]})
    response = await api.post("staff", "/api/register/import", **upload(data))
    assert response.json() == {"written": 1, "errors": []}
    response = await api.post("staff", "/api/register/import", **upload(xlsx({"Sheet1": [["a"]]})))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


async def test_export_then_import_changes_nothing_and_an_edit_updates_one_row(api: Any, counts: Any) -> None:
    exported = await api.get("staff", "/api/register/export")
    assert exported.status_code == 200
    assert sheet_rows(exported.content, "房间")[1] == ["B01", 1, "101", 36.5, 4, "可用", 5]
    before = await counts()
    snapshot = [await t.select().order_by(t.id) for t in (Building, Unit, Firm)]
    response = await api.post("staff", "/api/register/import", **upload(exported.content))
    assert response.json() == {"written": 0, "errors": []}
    assert await counts() == before
    assert [await t.select().order_by(t.id) for t in (Building, Unit, Firm)] == snapshot

    book = load_workbook(io.BytesIO(exported.content))
    book["房间"]["E2"] = 5  # B01-101: 5 beds
    book["楼栋"]["B2"] = "员工之家一号楼"
    buffer = io.BytesIO()
    book.save(buffer)
    response = await api.post("staff", "/api/register/import", **upload(buffer.getvalue()))
    assert response.json() == {"written": 2, "errors": []}
    assert (await Unit.select(Unit.beds).where(Unit.id == api.park.units[0]).first())["beds"] == 5

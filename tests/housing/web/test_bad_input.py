"""Bad input answers 4xx as problem details naming the field, and writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.housing.factories import Park, credit_code, new_worker, resident_id

LONG = "长" * 10_000


def _valid_worker(park: Park) -> dict[str, Any]:
    return new_worker(firm_id=park.firm1, gender="male", id_number=resident_id(date(1999, 9, 9), 57))


def _valid_unit(park: Park) -> dict[str, Any]:
    return {"building_id": park.building_any, "floor": 2, "number": "202", "area_m2": "36.50", "beds": 4}


def _valid_firm(park: Park) -> dict[str, Any]:
    return {
        "name": "荆州新星科技有限公司",
        "uscc": credit_code(88),
        "contact_name": "周先生",
        "contact_phone": "13800001111",
    }


def _valid_building(park: Park) -> dict[str, Any]:
    return {"code": "B20", "name": "员工之家20号楼", "floors": 5}


BAD_CREATES: list[tuple[str, Any, dict[str, Any], str]] = [
    # (path, valid body factory, override, field named in the answer)
    ("/api/buildings", _valid_building, {"floors": "three"}, "floors"),
    ("/api/buildings", _valid_building, {"floors": 0}, "floors"),
    ("/api/buildings", _valid_building, {"name": LONG}, "name"),
    ("/api/buildings", _valid_building, {"code": "B 1!"}, "code"),
    ("/api/buildings", _valid_building, {"gender_rule": "children"}, "gender_rule"),
    ("/api/buildings", _valid_building, {"name": "   "}, "name"),
    ("/api/units", _valid_unit, {"beds": 0}, "beds"),
    ("/api/units", _valid_unit, {"beds": -4}, "beds"),
    ("/api/units", _valid_unit, {"beds": "4"}, "beds"),
    ("/api/units", _valid_unit, {"beds": 4.5}, "beds"),
    ("/api/units", _valid_unit, {"building_id": 999_999}, "building_id"),
    ("/api/units", _valid_unit, {"building_id": 10**30}, "building_id"),
    ("/api/units", _valid_unit, {"area_m2": "-3"}, "area_m2"),
    ("/api/units", _valid_unit, {"area_m2": "0"}, "area_m2"),
    ("/api/units", _valid_unit, {"area_m2": "36.505"}, "area_m2"),
    ("/api/units", _valid_unit, {"area_m2": "NaN"}, "area_m2"),
    ("/api/units", _valid_unit, {"area_m2": "lots"}, "area_m2"),
    ("/api/units", _valid_unit, {"floor": 7}, "floor"),  # building B01 has 6 floors
    ("/api/units", _valid_unit, {"number": LONG}, "number"),
    ("/api/units", _valid_unit, {"rent_rate_fen_per_m2": -500}, "rent_rate_fen_per_m2"),
    ("/api/units", _valid_unit, {"status": "demolished"}, "status"),
    ("/api/firms", _valid_firm, {"uscc": "91421000MA00000000"}, "uscc"),
    ("/api/firms", _valid_firm, {"contact_phone": "12345"}, "contact_phone"),
    ("/api/firms", _valid_firm, {"name": LONG}, "name"),
    ("/api/firms", _valid_firm, {"is_key": "yes"}, "is_key"),
    ("/api/workers", _valid_worker, {"id_number": "421002199909090571"}, "id_number"),  # wrong check digit
    ("/api/workers", _valid_worker, {"id_number": "42100219991309057X"}, "id_number"),  # month 13
    ("/api/workers", _valid_worker, {"id_number": resident_id(date(2015, 1, 1), 57)}, "id_number"),  # a child
    ("/api/workers", _valid_worker, {"gender": "female"}, "gender"),  # ID says male
    ("/api/workers", _valid_worker, {"gender": "other"}, "gender"),
    ("/api/workers", _valid_worker, {"mobile": "10086"}, "mobile"),
    ("/api/workers", _valid_worker, {"mobile": "02087654321"}, "mobile"),  # a landline is no mobile
    ("/api/workers", _valid_worker, {"firm_id": 999_999}, "firm_id"),
    ("/api/workers", _valid_worker, {"firm_id": "one"}, "firm_id"),
    ("/api/workers", _valid_worker, {"name": LONG}, "name"),
    ("/api/workers", _valid_worker, {"employee_no": LONG}, "employee_no"),
    ("/api/workers", _valid_worker, {"shift": "evening"}, "shift"),
    ("/api/workers", _valid_worker, {"surprise": 1}, "surprise"),
]


@pytest.mark.parametrize(
    ("path", "valid", "override", "field"),
    BAD_CREATES,
    ids=[f"{p} {next(iter(o))}={str(v)[:12]!s}" for p, _, o, _ in BAD_CREATES for v in o.values()],
)
async def test_bad_create_names_the_field_and_writes_nothing(api, counts, path, valid, override, field) -> None:
    body = {**valid(api.park), **override}
    before = await counts()
    response = await api.post("staff", path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert any(error["field"] == field for error in problem["errors"]), problem
    assert await counts() == before


async def test_the_valid_bodies_are_accepted(api) -> None:
    """The bad-input cases above differ from these in one field, so each 4xx is that field's."""
    for path, valid in [
        ("/api/buildings", _valid_building),
        ("/api/units", _valid_unit),
        ("/api/firms", _valid_firm),
        ("/api/workers", _valid_worker),
    ]:
        response = await api.post("staff", path, json=valid(api.park))
        assert response.status_code == 201, response.text


BAD_PATCHES: list[tuple[str, str, dict[str, Any], str]] = [
    ("buildings", "building_any", {"floors": 1}, "floors"),  # units on floor 2 would float in the air
    ("buildings", "building_any", {"floors": -1}, "floors"),
    ("buildings", "building_any", {"name": LONG}, "name"),
    ("units", "unit0", {"beds": 0}, "beds"),
    ("units", "unit0", {"building_id": 999_999}, "building_id"),
    ("units", "unit0", {"area_m2": "1.001"}, "area_m2"),
    ("units", "unit0", {"floor": 99}, "floor"),
    ("firms", "firm1", {"uscc": "123"}, "uscc"),
    ("firms", "firm1", {"contact_phone": LONG}, "contact_phone"),
    ("workers", "worker1", {"id_number": "421002199503140110"}, "id_number"),
    ("workers", "worker1", {"gender": "female"}, "gender"),
    ("workers", "worker1", {"firm_id": 999_999}, "firm_id"),
    ("workers", "worker1", {"mobile": "1381234"}, "mobile"),
    ("workers", "worker1", {"active": "no"}, "active"),
]


def _target(park: Park, name: str) -> int:
    return park.units[0] if name == "unit0" else getattr(park, name)


@pytest.mark.parametrize(("resource", "target", "body", "field"), BAD_PATCHES)
async def test_bad_patch_names_the_field_and_changes_nothing(api, resource, target, body, field) -> None:
    path = f"/api/{resource}/{_target(api.park, target)}"
    before = (await api.get("staff", path)).json()
    response = await api.patch("staff", path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert any(error["field"] == field for error in response.json()["errors"])
    assert (await api.get("staff", path)).json() == before


async def test_malformed_json_is_a_400_problem(api, counts) -> None:
    before = await counts()
    response = await api.post(
        "staff", "/api/buildings", content=b'{"code": "B1", ', headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await counts() == before


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=100000",
        "offset=-1",
        "building_id=abc",
        "status=broken",
        "beds=0",
        "building_id=99999999999999999999",
    ],
)
async def test_bad_query_parameters_are_4xx(api, query) -> None:
    response = await api.get("staff", f"/api/units?{query}")
    assert 400 <= response.status_code < 500, response.text


async def test_huge_path_id_is_4xx_not_500(api) -> None:
    response = await api.get("staff", "/api/units/99999999999999999999999")
    assert 400 <= response.status_code < 500


async def test_english_on_request(api) -> None:
    body = {**_valid_unit(api.park), "beds": 0}
    zh = (await api.post("staff", "/api/units", json=body)).json()
    en = (await api.post("staff", "/api/units", json=body, headers={"Accept-Language": "en-US,en;q=0.9"})).json()
    assert zh["title"] == "输入有误，请按提示修改。"
    assert en["title"].startswith("Invalid input")
    assert "1" in zh["errors"][0]["message"] and "1" in en["errors"][0]["message"]

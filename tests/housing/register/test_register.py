"""The register's own rules: rent arithmetic, duplicates, references, pagination and filters."""

from __future__ import annotations

import pytest

from housing.register.units import monthly_rent_fen
from tests.housing import factories
from tests.housing.factories import credit_code, new_worker


@pytest.mark.parametrize(
    ("area_centi", "rate", "expected"),
    [
        (3650, 500, 18250),  # 36.50 m² × 5.00 CNY = 182.50 CNY
        (3333, 500, 16665),
        (1, 50, 1),  # 0.01 m² × 0.50 CNY = 0.005 CNY → half-up to 1 fen
        (1, 49, 0),
        (4821, 333, 16054),  # 160.5393 → 160.54
    ],
)
def test_monthly_rent_is_exact_and_rounds_half_up_once(area_centi, rate, expected) -> None:
    assert monthly_rent_fen(area_centi, rate) == expected


async def test_unit_reads_back_with_exact_area_and_rent(api) -> None:
    body = {"building_id": api.park.building_any, "floor": 3, "number": "305", "area_m2": 36.5, "beds": 4}
    created = (await api.post("staff", "/api/units", json=body)).json()
    assert created["area_m2"] == "36.50"
    assert created["monthly_rent_fen"] == 18250
    assert created["rent_rate_fen_per_m2"] == 500
    assert created["building_code"] == "B01"
    changed = (await api.patch("staff", f"/api/units/{created['id']}", json={"rent_rate_fen_per_m2": 450})).json()
    assert changed["monthly_rent_fen"] == 16425


async def test_same_unit_number_in_a_building_is_409_but_fine_in_another(api, counts) -> None:
    body = {"building_id": api.park.building_any, "floor": 1, "number": "101", "area_m2": "30", "beds": 4}
    before = await counts()
    response = await api.post("staff", "/api/units", json=body)
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "number"
    assert await counts() == before
    other = {**body, "building_id": api.park.building_empty}
    assert (await api.post("staff", "/api/units", json=other)).status_code == 201


async def test_renumbering_onto_an_existing_unit_is_409(api) -> None:
    response = await api.patch("staff", f"/api/units/{api.park.units[1]}", json={"number": "101"})
    assert response.status_code == 409


async def test_same_employee_number_is_409_within_a_firm_only(api) -> None:
    body = new_worker(employee_no="E0001")
    assert (await api.post("hr1", "/api/workers", json=body)).status_code == 409
    # firm 2 also has an E0001, and the other firm's numbers are none of firm 1's business
    body["employee_no"] = "E0009"
    assert (await api.post("hr1", "/api/workers", json=body)).status_code == 201


async def test_building_with_units_cannot_be_deleted(api, counts) -> None:
    before = await counts()
    response = await api.delete("staff", f"/api/buildings/{api.park.building_any}")
    assert response.status_code == 409
    assert await counts() == before


async def test_firm_with_workers_cannot_be_deleted_but_can_be_deactivated(api) -> None:
    assert (await api.delete("staff", f"/api/firms/{api.park.firm2}")).status_code == 409
    response = await api.patch("staff", f"/api/firms/{api.park.firm2}", json={"active": False})
    assert response.status_code == 200 and response.json()["active"] is False


async def test_worker_delete_deactivates_and_patch_reactivates(api) -> None:
    path = f"/api/workers/{api.park.firm1_other}"
    assert (await api.delete("hr1", path)).json()["active"] is False
    listed = (await api.get("hr1", "/api/workers?active=true")).json()
    assert api.park.firm1_other not in [w["id"] for w in listed["items"]]
    assert (await api.patch("hr1", path, json={"active": True})).json()["active"] is True


async def test_pagination_reports_total_limit_offset(api) -> None:
    first = (await api.get("staff", "/api/units?limit=3")).json()
    second = (await api.get("staff", "/api/units?limit=3&offset=3")).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (4, 3, 0, 3)
    assert (second["total"], second["offset"], len(second["items"])) == (4, 3, 1)
    assert {u["id"] for u in first["items"]}.isdisjoint({u["id"] for u in second["items"]})


async def test_a_filtered_total_counts_every_match_beyond_the_page(api) -> None:
    """The total is counted over the same conditions as the page (a search sends its value
    twice, name or employee number), whatever the page's limit and offset."""
    await factories.men_of_firm(api.park.firm1, 7)  # 新工0 … 新工6, employee numbers P000 … P006
    seen = []
    for offset in (0, 3, 6, 9):
        page = (await api.get("hr1", f"/api/workers?q=新工&limit=3&offset={offset}")).json()
        assert page["total"] == 7 and page["offset"] == offset, page
        seen += [w["name"] for w in page["items"]]
    assert sorted(seen) == [f"新工{i}" for i in range(7)]
    assert (await api.get("hr1", "/api/workers?q=P00&gender=male&limit=2")).json()["total"] == 7
    assert (await api.get("hr2", "/api/workers?q=新工&limit=2")).json()["total"] == 0  # another firm's


async def test_filters(api) -> None:
    by_building = (await api.get("staff", f"/api/units?building_id={api.park.building_female}")).json()
    assert by_building["total"] == 1 and by_building["items"][0]["gender_rule"] == "female"
    assert (await api.get("staff", "/api/units?beds=6")).json()["total"] == 1
    assert (await api.get("staff", "/api/workers?shift=night")).json()["total"] == 1
    assert (await api.get("staff", "/api/workers?q=E000")).json()["total"] == 3
    assert (await api.get("staff", "/api/firms?is_key=true")).json()["total"] == 1
    assert (await api.get("staff", "/api/buildings?gender_rule=female")).json()["total"] == 1
    assert (await api.get("staff", "/api/buildings?q=b09")).json()["total"] == 1


async def test_codes_and_numbers_are_normalised(api) -> None:
    building = (await api.post("staff", "/api/buildings", json={"code": "b30", "name": " 30号楼 ", "floors": 2})).json()
    assert building["code"] == "B30" and building["name"] == "30号楼"
    code = credit_code(99)
    firm = await api.post(
        "staff",
        "/api/firms",
        json={"name": "测试", "uscc": code.lower(), "contact_name": "王", "contact_phone": "0716-8123456"},
    )
    assert firm.status_code == 201, firm.text
    assert firm.json()["uscc"] == code
    assert firm.json()["contact_phone"] == "07168123456"


async def test_employment_dates_follow_hiring_and_leaving(api) -> None:
    """A new worker is hired today unless told; leaving sets `left_on` today; coming back clears it."""
    created = (await api.post("hr1", "/api/workers", json=new_worker(employee_no="E0100"))).json()
    today = created["created_at"][:10]
    assert created["hired_on"] is not None and created["left_on"] is None
    path = f"/api/workers/{created['id']}"
    left = (await api.delete("hr1", path)).json()
    assert left["left_on"] is not None and left["left_on"] >= today[:8]
    back = (await api.patch("hr1", path, json={"active": True})).json()
    assert back["left_on"] is None and back["hired_on"] == created["hired_on"]


async def test_leaving_before_hiring_is_refused_naming_the_field(api) -> None:
    path = f"/api/workers/{api.park.firm1_other}"
    response = await api.patch("hr1", path, json={"left_on": "2019-12-31"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "left_on"
    stated = await api.post("hr1", "/api/workers", json=new_worker(employee_no="E0101", hired_on="2026-03-01"))
    assert stated.json()["hired_on"] == "2026-03-01"

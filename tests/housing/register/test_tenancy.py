"""HR sees and changes only its own firm's workers; a worker sees only itself; IDs are masked."""

from __future__ import annotations

from datetime import date

from housing.register.tables import Worker
from tests.housing.factories import new_worker, resident_id


async def test_hr2_cannot_read_change_or_deactivate_a_worker_of_firm1(api) -> None:
    path = f"/api/workers/{api.park.worker1}"
    assert (await api.get("hr2", path)).status_code == 404
    assert (await api.patch("hr2", path, json={"name": "改名"})).status_code == 404
    assert (await api.delete("hr2", path)).status_code == 404
    row = await Worker.select(Worker.name, Worker.active).where(Worker.id == api.park.worker1).first()
    assert row == {"name": "张伟", "active": True}


async def test_hr_list_is_its_own_firm_even_when_asking_for_another(api) -> None:
    own = (await api.get("hr2", "/api/workers")).json()
    assert own["total"] == 1 and {w["firm_id"] for w in own["items"]} == {api.park.firm2}
    asked = (await api.get("hr2", f"/api/workers?firm_id={api.park.firm1}")).json()
    assert asked["total"] == 0 and asked["items"] == []
    staff = (await api.get("staff", f"/api/workers?firm_id={api.park.firm1}")).json()
    assert staff["total"] == 2


async def test_hr_cannot_create_a_worker_in_another_firm(api, counts) -> None:
    before = await counts()
    response = await api.post("hr2", "/api/workers", json=new_worker(firm_id=api.park.firm1))
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "firm_id"
    assert await counts() == before


async def test_hr_created_worker_lands_in_hr_firm(api) -> None:
    response = await api.post("hr2", "/api/workers", json=new_worker())
    assert response.status_code == 201
    assert response.json()["firm_id"] == api.park.firm2


async def test_hr_cannot_move_its_worker_to_another_firm(api) -> None:
    path = f"/api/workers/{api.park.firm2_worker}"
    response = await api.patch("hr2", path, json={"firm_id": api.park.firm1})
    assert response.status_code == 403
    assert (await api.get("staff", path)).json()["firm_id"] == api.park.firm2


async def test_hr_reads_only_its_own_firm(api) -> None:
    listed = (await api.get("hr1", "/api/firms")).json()
    assert [f["id"] for f in listed["items"]] == [api.park.firm1] and listed["total"] == 1
    assert (await api.get("hr1", f"/api/firms/{api.park.firm2}")).status_code == 404


async def test_worker_reads_only_itself(api) -> None:
    assert (await api.get("worker1", f"/api/workers/{api.park.worker1}")).status_code == 200
    assert (await api.get("worker1", f"/api/workers/{api.park.firm1_other}")).status_code == 404
    assert (await api.get("worker1", f"/api/workers/{api.park.firm2_worker}")).status_code == 404
    assert (await api.get("worker1", "/api/workers")).status_code == 403


async def test_id_numbers_are_masked_for_everyone_but_staff(api) -> None:
    full = resident_id(date(1995, 3, 14), 11)
    path = f"/api/workers/{api.park.worker1}"
    assert (await api.get("staff", path)).json()["id_number"] == full
    masked = full[:4] + "*" * 10 + full[-4:]
    assert (await api.get("hr1", path)).json()["id_number"] == masked
    assert (await api.get("worker1", path)).json()["id_number"] == masked
    listed = (await api.get("hr1", "/api/workers")).json()["items"]
    assert all("*" * 10 in w["id_number"] for w in listed)
    assert all("*" * 10 not in w["id_number"] for w in (await api.get("staff", "/api/workers")).json()["items"])


async def test_same_person_cannot_be_active_in_two_firms(api, counts) -> None:
    before = await counts()
    # worker1's own number: the same person, active at firm 1
    body = new_worker(name="张伟", gender="male", id_number=resident_id(date(1995, 3, 14), 11), employee_no="E0100")
    response = await api.post("hr2", "/api/workers", json=body)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["field"] == "id_number"
    # It says whom to ask, and neither the number nor the firm that has the person.
    assert "园区管委会" in error["message"]
    assert body["id_number"] not in response.text and "华鑫" not in response.text
    assert await counts() == before
    # Once firm 1 lets them go, firm 2 can take them on.
    assert (await api.delete("hr1", f"/api/workers/{api.park.worker1}")).json()["active"] is False
    assert (await api.post("hr2", "/api/workers", json=body)).status_code == 201

"""Applications through the API: a worker applies for itself and uploads its contract, its HR
confirms, staff approve or reject; one live application per worker (even when two arrive at
once); a dorm bed rules it out; tenancy in every query; the contract checked by its content."""

from __future__ import annotations

import asyncio

from housing.subsidies.tables import RentalSubsidyApplication
from housing.web import uploads
from housing.web.tables import AuditEntry
from tests.housing.factories import PDF
from tests.housing.subsidies.conftest import lease_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 16
EXE = b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode."
BASE = "/api/subsidy-applications"


def _contract(data: bytes, name: str = "contract.pdf", media_type: str = "application/pdf") -> dict:
    return {"files": {"contract": (name, data, media_type)}}


def _field(response) -> str:
    return response.json()["errors"][0]["field"]


async def test_apply_confirm_upload_approve(sub) -> None:
    park = sub.park
    created = await sub.post("worker3", BASE, json=lease_body())
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "submitted" and application["worker_id"] == sub.worker3
    assert application["firm_id"] == park.firm1 and application["contract"] is None
    path = f"{BASE}/{application['id']}"

    early = await sub.post("staff", f"{path}/approve")
    assert early.status_code == 409 and "HR" in early.json()["detail"]
    confirmed = await sub.post("hr1", f"{path}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == "hr1"
    assert (await sub.post("hr1", f"{path}/confirm")).status_code == 409  # not submitted any more

    no_contract = await sub.post("staff", f"{path}/approve", headers={"Accept-Language": "en"})
    assert no_contract.status_code == 409 and "contract" in no_contract.json()["detail"]
    uploaded = await sub.post("worker3", f"{path}/contract", **_contract(PDF))
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["contract"]["media_type"] == "application/pdf"
    assert uploaded.json()["contract"]["size"] == len(PDF)

    approved = await sub.post("staff", f"{path}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "staff"
    actions = await AuditEntry.select(AuditEntry.action, AuditEntry.username).where(
        (AuditEntry.table_name == "rental_subsidy_application") & (AuditEntry.row_id == application["id"])
    )
    assert [(a["action"], a["username"]) for a in actions] == [
        ("create", "worker3"),
        ("confirm", "hr1"),
        ("upload_contract", "worker3"),
        ("approve", "staff"),
    ]


async def test_a_worker_holding_a_dorm_bed_cannot_apply(sub) -> None:
    refused = await sub.post("worker1", BASE, json=lease_body())
    assert refused.status_code == 409 and "宿舍" in refused.json()["detail"]
    assert (
        await RentalSubsidyApplication.count().where(RentalSubsidyApplication.worker_id == sub.park.worker1) == 1
    )  # the old one


async def test_one_live_application_per_worker(sub) -> None:
    again = await sub.post("worker2", BASE, json=lease_body())
    assert again.status_code == 409 and _field(again) == "worker_id"
    assert f"#{sub.park.application1}" in again.json()["errors"][0]["message"]
    withdrawn = await sub.post("worker2", f"{BASE}/{sub.park.application1}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_on"] is not None
    assert (await sub.post("worker2", BASE, json=lease_body())).status_code == 201


async def test_a_rejected_worker_may_apply_again(sub) -> None:
    path = f"{BASE}/{sub.park.application1}/reject"
    assert _field(await sub.post("staff", path, json={"reason": "   "})) == "reason"
    assert _field(await sub.post("staff", path, json={})) == "reason"
    rejected = await sub.post("staff", path, json={"reason": "合同上的承租人不是本人"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "合同上的承租人不是本人"
    assert (await sub.post("staff", path, json={"reason": "again"})).status_code == 409
    assert (await sub.post("worker2", BASE, json=lease_body())).status_code == 201


async def test_two_simultaneous_applications_one_lands(sub) -> None:
    headers = await sub.headers("worker3")
    sub.client.cookies.clear()
    responses = await asyncio.gather(*(sub.client.post(BASE, json=lease_body(), headers=headers) for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["errors"][0]["field"] == "worker_id"
    assert await RentalSubsidyApplication.count().where(RentalSubsidyApplication.worker_id == sub.worker3) == 1


async def test_many_simultaneous_applications_one_lands(sub) -> None:
    headers = await sub.headers("worker3")
    sub.client.cookies.clear()
    responses = await asyncio.gather(*(sub.client.post(BASE, json=lease_body(), headers=headers) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5, [r.text for r in responses]


async def test_the_database_keeps_one_live_application_per_worker(sub) -> None:
    """Even a write that skips the service's check cannot make a second live application."""
    import pytest

    row = await RentalSubsidyApplication.select().where(RentalSubsidyApplication.id == sub.park.application1).first()
    copy = {k: v for k, v in row.items() if k != "id"}
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await RentalSubsidyApplication.insert(RentalSubsidyApplication(**copy))
    await RentalSubsidyApplication.insert(
        RentalSubsidyApplication(**{**copy, "status": "rejected"})
    )  # a closed one may repeat


async def test_bad_applications_name_the_field(sub) -> None:
    cases = [
        (lease_body(lease_end="2020-01-01", lease_start="2020-02-01"), "lease_end"),
        (lease_body(lease_start="2020-01-01", lease_end="2020-12-31"), "lease_end"),  # already ended
        (lease_body(monthly_rent_fen=0), "monthly_rent_fen"),
        (lease_body(monthly_rent_fen="800"), "monthly_rent_fen"),
        (lease_body(address="  "), "address"),
        (lease_body(worker_id=sub.park.worker1), "worker_id"),  # a worker applies only for itself
    ]
    for body, field in cases:
        response = await sub.post("worker3", BASE, json=body)
        assert response.status_code == 422 and _field(response) == field, (body, response.text)
    assert await RentalSubsidyApplication.count().where(RentalSubsidyApplication.worker_id == sub.worker3) == 0


async def test_tenancy_hr_sees_its_firm_and_a_worker_itself(sub) -> None:
    park = sub.park
    assert (await sub.get("hr2", f"{BASE}/{park.application1}")).status_code == 404
    assert (await sub.post("hr2", f"{BASE}/{park.application1}/confirm")).status_code == 404
    assert (await sub.get("hr1", f"{BASE}/{park.application2}/contract")).status_code == 404
    assert (await sub.get("hr2", f"{BASE}/{park.application2}/contract")).status_code == 200
    assert {a["firm_id"] for a in (await sub.get("hr2", BASE)).json()["items"]} == {park.firm2}
    mine = (await sub.get("hr1", BASE)).json()
    assert {a["id"] for a in mine["items"]} == {park.application_old, park.application1}
    # HR cannot widen its view with a filter
    assert (await sub.get("hr1", BASE, params={"firm_id": park.firm2})).json()["total"] == 0

    assert (await sub.get("worker2", f"{BASE}/{park.application2}")).status_code == 404
    assert (await sub.get("worker2", f"{BASE}/{park.application2}/contract")).status_code == 404
    assert (await sub.post("worker2", f"{BASE}/{park.application2}/withdraw")).status_code == 404
    upload = await sub.post("worker2", f"{BASE}/{park.application2}/contract", **_contract(PDF))
    assert upload.status_code == 404
    own = (await sub.get("worker2", BASE)).json()
    assert [a["id"] for a in own["items"]] == [park.application1]
    assert (await sub.get("worker2", BASE, params={"worker_id": park.firm2_worker})).json()["total"] == 0


async def test_the_contract_downloads_as_stored_for_the_worker_its_hr_and_staff(sub) -> None:
    path = f"{BASE}/{sub.park.application1}/contract"
    assert (await sub.get("worker2", path)).status_code == 404  # nothing uploaded yet
    first = await sub.post("worker2", path, **_contract(PDF))
    old_token = (
        await RentalSubsidyApplication.select().where(RentalSubsidyApplication.id == sub.park.application1).first()
    )["contract_token"]
    # a photo of the contract replaces the PDF (the worker may name and label it as it likes)
    second = await sub.post("worker2", path, **_contract(PNG, name="合同照片.jpg", media_type="image/jpeg"))
    assert first.status_code == second.status_code == 200
    assert second.json()["contract"]["media_type"] == "image/png"
    for role in ("worker2", "hr1", "staff"):
        response = await sub.get(role, path)
        assert response.status_code == 200, (role, response.text)
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"contract-{sub.park.application1}.png" in disposition
        assert "filename*=UTF-8''" in disposition
        assert "no-store" in response.headers["cache-control"]
    folder = sub.client.app.state.settings.upload_dir / "contracts"
    assert not (folder / old_token).exists()  # the replaced file is gone


async def test_a_disguised_empty_or_oversized_contract_is_refused_naming_contract(sub) -> None:
    path = f"{BASE}/{sub.park.application1}/contract"
    folder = sub.client.app.state.settings.upload_dir / "contracts"
    before = sorted(folder.iterdir())

    exe = await sub.post("worker2", path, **_contract(EXE, name="contract.pdf", media_type="application/pdf"))
    assert exe.status_code == 415 and _field(exe) == "contract"
    assert "PDF" in exe.json()["errors"][0]["message"]
    empty = await sub.post("worker2", path, **_contract(b""))
    assert empty.status_code == 422 and _field(empty) == "contract"
    big = await sub.post("worker2", path, **_contract(b"%PDF-" + b"0" * uploads.MAX_UPLOAD_BYTES))
    assert big.status_code == 413 and _field(big) == "contract"
    huge = await sub.post("worker2", path, **_contract(b"%PDF-" + b"0" * (uploads.MAX_UPLOAD_BYTES * 2)))
    assert huge.status_code == 413
    as_json = await sub.post("worker2", path, json={"contract": "JVBERi0="})
    assert as_json.status_code == 415 and _field(as_json) == "contract"
    wrong_field = await sub.post("worker2", path, files={"file": ("contract.pdf", PDF, "application/pdf")})
    assert wrong_field.status_code == 422 and _field(wrong_field) == "contract"
    as_text = await sub.post(
        "worker2", path, data={"contract": "see attached"}, files={"x": ("x.txt", b"x", "text/plain")}
    )
    assert as_text.status_code == 415 and _field(as_text) == "contract"

    assert sorted(folder.iterdir()) == before  # nothing stored
    row = await RentalSubsidyApplication.select().where(RentalSubsidyApplication.id == sub.park.application1).first()
    assert row["contract_token"] is None


async def test_a_contract_of_exactly_10_mb_is_taken(sub) -> None:
    data = b"%PDF-" + b"0" * (uploads.MAX_UPLOAD_BYTES - 5)
    response = await sub.post("worker2", f"{BASE}/{sub.park.application1}/contract", **_contract(data))
    assert response.status_code == 200, response.text[:300]
    assert response.json()["contract"]["size"] == uploads.MAX_UPLOAD_BYTES


async def test_a_decided_application_is_closed(sub) -> None:
    park = sub.park
    assert (await sub.post("staff", f"{BASE}/{park.application2}/approve")).status_code == 200
    for role, action, kwargs in [
        ("staff", "approve", {}),
        ("staff", "reject", {"json": {"reason": "late"}}),
        ("hr2", "confirm", {}),
        ("worker4", "contract", _contract(PDF)),
    ]:
        response = await sub.post(role, f"{BASE}/{park.application2}/{action}", **kwargs)
        assert response.status_code == 409, (action, response.text)
    # the worker may still withdraw an approved application (it is paid through that day)
    withdrawn = await sub.post("worker4", f"{BASE}/{park.application2}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await sub.post("worker4", f"{BASE}/{park.application2}/withdraw")).status_code == 409

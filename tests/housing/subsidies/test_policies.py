"""Policies: staff write, everyone reads; never two on one day (the service says which, the
database refuses either way); a paid month is never rewritten — end the policy and make a new one."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from housing.subsidies.tables import RentalSubsidyPayout, RentalSubsidyPolicy

BASE = "/api/subsidy-policies"


async def test_staff_set_a_policy_and_everyone_reads_it(api) -> None:
    body = {"name": "2101 年起租房补贴", "share_percent": 50, "cap_fen": 30000, "valid_from": "2101-01-01"}
    created = await api.post("staff", BASE, json=body)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["valid_to"] is None and policy["cap_fen"] == 30000
    for role in ("hr1", "worker1"):
        assert (await api.get(role, f"{BASE}/{policy['id']}")).json() == policy


async def test_an_overlapping_policy_is_refused_naming_the_other(api) -> None:
    park = api.park
    body = {"name": "新政策", "share_percent": 60, "cap_fen": 40000, "valid_from": "2098-06-01"}
    refused = await api.post("staff", BASE, json=body)
    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert error["field"] == "valid_from" and f"#{park.policy1}" in error["message"]
    moved = await api.patch("staff", f"{BASE}/{park.policy2}", json={"valid_from": "2098-12-31"})
    assert moved.status_code == 409 and f"#{park.policy1}" in moved.json()["errors"][0]["message"]
    backwards = await api.post("staff", BASE, json={**body, "valid_from": "2099-06-01", "valid_to": "2099-05-31"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "valid_to"
    assert await RentalSubsidyPolicy.count() == 2


async def test_the_database_refuses_overlapping_policies_by_itself(api) -> None:
    row = RentalSubsidyPolicy(
        name="绕过检查", share_percent=10, cap_fen=100, valid_from=date(2050, 1, 1), created_at=datetime.now(UTC)
    )
    with pytest.raises(Exception, match="rental_subsidy_policy_no_overlap"):
        await RentalSubsidyPolicy.insert(row)
    with pytest.raises(Exception, match="rental_subsidy_policy_no_overlap"):
        await RentalSubsidyPolicy.update({RentalSubsidyPolicy.valid_to: None}).where(
            RentalSubsidyPolicy.id == api.park.policy1
        )


async def test_a_paid_month_is_never_rewritten(api) -> None:
    """policy1 paid 2020-01: its terms and those days stay; it can be ended, and a new one begun."""
    park = api.park
    path = f"{BASE}/{park.policy1}"
    for change in ({"share_percent": 60}, {"cap_fen": 50000}, {"valid_from": "2020-01-15"}, {"valid_to": "2020-01-20"}):
        refused = await api.patch("staff", path, json=change)
        assert refused.status_code == 409, (change, refused.text)
        assert "2020-01" in refused.json()["detail"]
    deleted = await api.delete("staff", path)
    assert deleted.status_code == 409 and "2020-01" in deleted.json()["detail"]
    assert (await api.patch("staff", path, json={"name": "2020 年租房补贴（旧）"})).status_code == 200

    # end it after the paid months and begin a new one: the way to change the terms
    ended = await api.patch("staff", path, json={"valid_to": "2027-03-31"})
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2027-03-31"
    new = {"name": "2027 年 4 月起", "share_percent": 60, "cap_fen": 40000, "valid_from": "2027-04-01"}
    created = await api.post("staff", BASE, json={**new, "valid_to": "2099-12-31"})
    assert created.status_code == 201, created.text

    # once a month of the new one is paid, it is frozen too
    await RentalSubsidyPayout.insert(
        RentalSubsidyPayout(
            application_id=park.application_old,
            worker_id=park.worker1,
            firm_id=park.firm1,
            month="2027-05",
            days=31,
            days_in_month=31,
            monthly_rent_fen=80000,
            amount_fen=40000,
            segments=[],
            paid_at=datetime.now(UTC),
        )
    )
    refused = await api.patch("staff", f"{BASE}/{created.json()['id']}", json={"cap_fen": 45000})
    assert refused.status_code == 409 and "2027-05" in refused.json()["detail"]
    # and a policy cannot start inside a paid month either
    assert (await api.patch("staff", path, json={"valid_to": "2027-05-31"})).status_code == 409


async def test_a_policy_nothing_was_paid_under_can_be_deleted(api) -> None:
    assert (await api.delete("staff", f"{BASE}/{api.park.policy2}")).status_code == 204
    assert not await RentalSubsidyPolicy.exists().where(RentalSubsidyPolicy.id == api.park.policy2)


async def test_bad_policies_name_the_field(api) -> None:
    good = {"name": "x", "share_percent": 50, "cap_fen": 30000, "valid_from": "2099-01-01"}
    for override, field in [
        ({"share_percent": 0}, "share_percent"),
        ({"share_percent": 101}, "share_percent"),
        ({"share_percent": 50.5}, "share_percent"),
        ({"cap_fen": -1}, "cap_fen"),
        ({"cap_fen": "300"}, "cap_fen"),
        ({"name": " "}, "name"),
        ({"valid_from": "2099-02-30"}, "valid_from"),
    ]:
        response = await api.post("staff", BASE, json={**good, **override})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (override, response.text)


async def test_two_overlapping_policies_sent_at_once_one_lands(api) -> None:
    headers = await api.headers("staff")
    api.client.cookies.clear()
    bodies = [
        {
            "name": f"政策{n}",
            "share_percent": 50,
            "cap_fen": 30000,
            "valid_from": f"2099-0{n}-01",
            "valid_to": "2099-12-31",
        }
        for n in (1, 2, 3)
    ]
    responses = await asyncio.gather(*(api.client.post(BASE, json=body, headers=headers) for body in bodies))
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [r.text for r in responses]
    assert all(r.json()["errors"][0]["field"] == "valid_from" for r in responses if r.status_code == 409)
    assert await RentalSubsidyPolicy.count() == 3  # policy1, policy2 and the one that landed


async def test_every_policy_write_is_audited(api) -> None:
    from housing.web.tables import AuditEntry

    path = f"{BASE}/{api.park.policy2}"
    await api.patch("staff", path, json={"cap_fen": 45000})
    await api.delete("staff", path)
    entries = (
        await AuditEntry.select(AuditEntry.action, AuditEntry.changes)
        .where((AuditEntry.table_name == "rental_subsidy_policy") & (AuditEntry.row_id == api.park.policy2))
        .order_by(AuditEntry.id)
    )
    assert [e["action"] for e in entries] == ["update", "delete"]

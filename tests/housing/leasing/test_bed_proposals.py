"""The second stage: the solver proposes where a firm's workers sleep, HR confirms it whole —
or, when anything changed since, gets 409 and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from housing.leasing.tables import BedAssignment, Lease, Move
from housing.register.tables import Worker
from tests.housing import factories


def _open_beds():
    return BedAssignment.select(BedAssignment.worker_id, BedAssignment.unit_id, BedAssignment.bed).where(
        BedAssignment.ends_on.is_null()
    )


async def test_hr_gets_beds_for_unplaced_workers_keeping_current_ones_and_confirms_once(api) -> None:
    park = api.park
    newcomers = await factories.men_of_firm(park.firm1, 2)
    made = await api.post("hr1", "/api/bed-assignments/proposals", json={"time_limit_s": 2})
    assert made.status_code == 201, made.text
    proposal = made.json()
    beds = {a["worker_id"]: a for a in proposal["assignments"]}
    assert beds[park.worker1]["change"] == "keep" and beds[park.worker1]["bed"] == 1
    assert {beds[w]["change"] for w in newcomers} == {"new"}
    assert {beds[w]["unit_id"] for w in newcomers} == {park.units[0]}
    assert len({(a["unit_id"], a["bed"]) for a in proposal["assignments"]}) == 3
    assert proposal["unassigned"] == [] and proposal["status"] == "proposed"

    confirmed = await api.post("hr1", f"/api/bed-assignments/proposals/{proposal['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    held = {r["worker_id"]: (r["unit_id"], r["bed"]) for r in await _open_beds()}
    assert all(held[w] == (beds[w]["unit_id"], beds[w]["bed"]) for w in [park.worker1, *newcomers])
    statuses = await Worker.select(Worker.housing_status).where(Worker.id.is_in(newcomers))
    assert {s["housing_status"] for s in statuses} == {"dorm"}
    again = await api.post("hr1", f"/api/bed-assignments/proposals/{proposal['id']}/confirm")
    assert again.status_code == 409
    assert len(await _open_beds()) == 3


async def test_a_proposal_is_refused_whole_when_the_beds_changed_since(api) -> None:
    park = api.park
    first, second = await factories.men_of_firm(park.firm1, 2)
    proposal = (await api.post("hr1", "/api/bed-assignments/proposals", json={})).json()
    by_hand = {"worker_id": first, "unit_id": park.units[0], "bed": 4}
    assert (await api.post("hr1", "/api/bed-assignments", json=by_hand)).status_code == 201
    before = await _open_beds()
    stale = await api.post("hr1", f"/api/bed-assignments/proposals/{proposal['id']}/confirm")
    assert stale.status_code == 409 and "重新生成" in stale.json()["detail"]
    assert sorted(map(str, await _open_beds())) == sorted(map(str, before))
    assert second not in {r["worker_id"] for r in await _open_beds()}


async def test_a_worker_on_the_move_list_gets_a_bed_in_the_firm_s_new_unit(api) -> None:
    """Firm 1 gives up unit 101 from day D and takes unit 102: worker1 must move. Once HR
    confirms, worker1 still sleeps in 101 until the night before D and sees the new bed."""
    park = api.park
    today = datetime.now(UTC).date()
    day = today + timedelta(days=5)
    await Lease.update({Lease.ends_on: day - timedelta(days=1)}).where(Lease.id == park.lease1)
    await Lease.insert(
        Lease(
            unit_id=park.units[1],
            firm_id=park.firm1,
            gender="male",
            starts_on=day,
            rent_rate_fen_per_m2=500,
            created_at=datetime.now(UTC),
        )
    )
    await Move.insert(
        Move(
            run_id=park.run1,
            worker_id=park.worker1,
            firm_id=park.firm1,
            bed_assignment_id=park.bed1,
            unit_id=park.units[0],
            bed=1,
            deadline=day - timedelta(days=1),
            created_at=datetime.now(UTC),
        )
    )
    waiting = (await api.get("worker1", "/api/me/bed")).json()["pending_move"]
    assert waiting["unit_number"] == "101" and waiting["new_bed"] is None
    proposal = (await api.post("hr1", "/api/bed-assignments/proposals", json={"starts_on": day.isoformat()})).json()
    (mine,) = [a for a in proposal["assignments"] if a["worker_id"] == park.worker1]
    assert mine["unit_id"] == park.units[1] and mine["change"] == "move" and mine["from_unit_id"] == park.units[0]
    assert (await api.post("hr1", f"/api/bed-assignments/proposals/{proposal['id']}/confirm")).status_code == 200
    moves = (await api.get("hr1", "/api/moves")).json()["items"]
    assert [m["status"] for m in moves if m["worker_id"] == park.worker1] == ["done"]
    me = (await api.get("worker1", "/api/me/bed")).json()
    assert (me["unit_number"], me["bed"]) == ("101", 1)  # tonight: still the old bed
    assert me["pending_move"]["new_bed"]["unit_number"] == "102"
    assert me["pending_move"]["new_bed"]["starts_on"] == day.isoformat()


async def test_who_may_ask_for_which_firm(api) -> None:
    park = api.park
    other = await api.post("hr2", "/api/bed-assignments/proposals", json={"firm_id": park.firm1})
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "firm_id"
    nameless = await api.post("staff", "/api/bed-assignments/proposals", json={})
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "firm_id"
    past = await api.post("hr1", "/api/bed-assignments/proposals", json={"starts_on": "2020-01-01"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "starts_on"
    assert (await api.get("hr2", f"/api/bed-assignments/proposals/{park.proposal1}")).status_code == 404

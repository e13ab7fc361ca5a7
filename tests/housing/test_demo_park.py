"""The demo park that ./scripts/run loads: the promised size, and data the register would accept."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from housing.register import validators
from housing.register.tables import Account, Building, Firm, Unit, Worker
from tests.housing import factories


def _demo_module():
    path = Path(__file__).resolve().parents[2] / "scripts" / "demo_park.py"
    spec = importlib.util.spec_from_file_location("demo_park", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_demo_park_has_the_promised_shape_and_valid_data(migrated) -> None:
    await factories.empty_database()
    demo = _demo_module()
    assert await demo.park_is_empty()
    counts = await demo.load()
    assert {k: counts[k] for k in ("buildings", "units", "firms", "workers")} == {
        "buildings": 5,
        "units": 131,
        "firms": 20,
        "workers": 500,
    }
    assert not await demo.park_is_empty()

    assert await Unit.count() == 131 and await Firm.count() == 20 and await Worker.count() == 500
    assert 4 <= await Building.count() <= 6
    units = await Unit.select(Unit.beds, Unit.area_centi_m2)
    assert {u["beds"] for u in units} == {2, 4, 6, 8}
    assert all(1500 <= u["area_centi_m2"] <= 7000 for u in units)

    for worker in await Worker.select(Worker.id_number, Worker.gender, Worker.mobile):
        assert validators.resident_id(worker["id_number"]) == worker["id_number"]
        assert validators.gender_of_resident_id(worker["id_number"]) == worker["gender"]
        assert validators.mobile(worker["mobile"]) == worker["mobile"]
    for firm in await Firm.select(Firm.uscc, Firm.contact_phone):
        assert validators.credit_code(firm["uscc"]) == firm["uscc"]
        assert validators.phone(firm["contact_phone"]) == firm["contact_phone"]

    roles = {
        row["user_id.username"]: row
        for row in await Account.select(
            Account.user_id.username, Account.role, Account.firm_id, Account.worker_id.firm_id
        )
    }
    first_firm = (await Firm.select(Firm.id).order_by(Firm.id).first())["id"]
    assert roles["staff"]["role"] == "staff"
    assert roles["hr1"]["role"] == "hr" and roles["hr1"]["firm_id"] == first_firm
    assert roles["hr2"]["role"] == "hr" and roles["hr2"]["firm_id"] != first_firm
    assert roles["worker1"]["role"] == "worker" and roles["worker1"]["worker_id.firm_id"] == first_firm


async def test_demo_park_lives_in_its_dorms_consistently(migrated) -> None:
    """Leases and beds agree with the register: every worker said to live in a dorm holds one
    bed of a unit leased to their firm for their gender; nobody else holds one; worker1 has
    roommates; the next period takes requests and most firms have filed."""
    from datetime import date

    from housing.leasing.tables import BedAssignment, HeadcountRequest, Period

    await factories.empty_database()
    counts = await _demo_module().load()
    beds = await BedAssignment.select(
        BedAssignment.worker_id,
        BedAssignment.unit_id,
        BedAssignment.worker_id.firm_id.as_alias("worker_firm"),
        BedAssignment.worker_id.gender.as_alias("worker_gender"),
        BedAssignment.lease_id.firm_id.as_alias("lease_firm"),
        BedAssignment.lease_id.gender.as_alias("lease_gender"),
    ).where(BedAssignment.ends_on.is_null())
    assert len(beds) == counts["beds"] > 300
    assert all(b["worker_firm"] == b["lease_firm"] and b["worker_gender"] == b["lease_gender"] for b in beds)
    in_dorm = {w["id"] for w in await Worker.select(Worker.id).where(Worker.housing_status == "dorm")}
    assert {b["worker_id"] for b in beds} == in_dorm
    worker1 = (await Account.select(Account.worker_id).where(Account.user_id.username == "worker1").first())[
        "worker_id"
    ]
    unit = next(b["unit_id"] for b in beds if b["worker_id"] == worker1)
    assert sum(1 for b in beds if b["unit_id"] == unit) >= 2
    upcoming = await Period.select().where(Period.request_deadline >= date.today())
    assert len(upcoming) == 1
    assert await HeadcountRequest.count().where(HeadcountRequest.period_id == upcoming[0]["id"]) >= 12


async def test_demo_park_has_worker2_on_the_rental_subsidy(migrated) -> None:
    """`worker2`: a worker of firm 1 hired long before, renting off-site with no bed, approved
    (with its contract) before last month began; last month pays it the full 300 CNY."""
    from datetime import UTC, date, datetime, timedelta

    from housing.leasing.tables import BedAssignment
    from housing.settings import Settings
    from housing.subsidies.applications import CONTRACT_FOLDER
    from housing.subsidies.payouts import run_month
    from housing.subsidies.tables import RentalSubsidyApplication, RentalSubsidyPolicy
    from housing.web import uploads
    from housing.web.access import Viewer

    await factories.empty_database()
    demo = _demo_module()
    await demo.load()
    (policy,) = await RentalSubsidyPolicy.select()
    assert (policy["share_percent"], policy["cap_fen"], policy["valid_to"]) == (50, 30000, None)

    account = await Account.select(Account.role, Account.worker_id).where(Account.user_id.username == "worker2").first()
    assert account is not None and account["role"] == "worker"
    worker = await Worker.select().where(Worker.id == account["worker_id"]).first()
    first_firm = (await Firm.select(Firm.id).order_by(Firm.id).first())["id"]
    today = date.today()
    assert worker["firm_id"] == first_firm and worker["housing_status"] == "off_site" and worker["active"]
    assert worker["hired_on"] < today - timedelta(days=365)
    assert not await BedAssignment.exists().where(BedAssignment.worker_id == worker["id"])

    (application,) = await RentalSubsidyApplication.select().where(RentalSubsidyApplication.worker_id == worker["id"])
    last_month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert application["status"] == "approved" and application["submitted_on"] < last_month_start
    assert application["decided_at"] < datetime.combine(last_month_start, datetime.min.time(), tzinfo=UTC)
    stored = uploads.path_of(Settings.from_env().upload_dir, CONTRACT_FOLDER, application["contract_token"])
    assert stored.read_bytes().startswith(b"%PDF-") and application["contract_media_type"] == "application/pdf"

    staff = await Account.select(Account.id, Account.user_id).where(Account.role == "staff").first()
    viewer = Viewer(
        account_id=staff["id"],
        user_id=staff["user_id"],
        username="staff",
        role="staff",
        firm_id=None,
        worker_id=None,
        now=datetime.now(UTC),
    )
    paid = await run_month(viewer, f"{last_month_start:%Y-%m}")
    assert [(p.worker_id, p.amount_fen) for p in paid.created] == [(worker["id"], 30000)]

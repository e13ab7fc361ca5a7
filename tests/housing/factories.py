"""The small park every API test starts from, and a way to empty the database between tests.

Two firms (so tenancy can be tested), a third firm with nobody in it (so deleting can be),
two buildings (one women-only) and an empty one, a handful of units and workers, and the
accounts `staff`, `hr1`, `hr2`, `worker1` — the same names as the demo park.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from piccolo.conf.apps import Finder
from piccolo.table import Table, sort_table_classes
from piccolo_api.session_auth.tables import SessionsBase
from stdnum.cn import ric, uscc

from housing.billing.tables import RentInvoice, RentInvoiceLine
from housing.jobs.tables import Job
from housing.leasing.tables import AllocationRun, BedAssignment, BedProposal, HeadcountRequest, Lease, Period
from housing.register.accounts import create_account
from housing.register.tables import Building, Firm, Role, Unit, Worker
from housing.settings import Settings
from housing.subsidies.tables import RentalSubsidyApplication, RentalSubsidyPayout, RentalSubsidyPolicy
from housing.web import uploads
from housing.web.db import engine
from housing.web.tables import LoginSession, LoginThrottle

PASSWORD = "demo1234"


def _tables_child_first() -> list[type[Table]]:
    """Every table of every app in piccolo_conf, children before their parents: a new
    feature's tables are emptied between tests without anyone having to list them here."""
    return list(reversed(sort_table_classes(Finder().get_table_classes())))


TABLES_CHILD_FIRST = _tables_child_first()
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def resident_id(birth: date, order: int, region: str = "421002") -> str:
    """A made-up resident ID number with a correct check digit (odd `order` = male)."""
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def credit_code(seed: int) -> str:
    body = f"91421000MA{seed:07d}"
    return body + uscc.calc_check_digit(body)


def new_worker(**overrides: object) -> dict[str, object]:
    """A body for `POST /api/workers` that the register accepts (a woman born 2001, not yet employed)."""
    body: dict[str, object] = {
        "name": "新员工",
        "gender": "female",
        "id_number": resident_id(date(2001, 5, 6), 48),
        "mobile": "13700001111",
        "employee_no": "N001",
    }
    return {**body, **overrides}


@dataclass
class Park:
    building_any: int
    building_female: int
    building_empty: int
    units: list[int]
    firm1: int
    firm2: int
    firm_empty: int
    worker1: int  # the worker behind the `worker1` account (firm 1)
    firm1_other: int  # another worker of firm 1
    firm2_worker: int
    worker1_account: int
    period_open: int  # requests accepted for 30 more days
    period_closed: int  # its deadline has passed; nobody filed
    request1: int  # firm 1's request in the open period
    lease1: int  # units[0] (B01-101, 4 beds) leased to firm 1 for men since 20 days ago, open-ended
    bed1: int  # worker1 sleeps in bed 1 of units[0] since the lease began
    lease2: int  # units[3] (the women's block, 8 beds) leased to firm 2 for a quarter a year on; empty
    invoice1: int  # firm 1's issued rent invoice for 2020-01 (one line: lease1, a whole month)
    run1: int  # a failed allocation run of the open period (nothing for the runner to do)
    proposal1: int  # firm 1's bed proposal made before the park changed (confirming it is 409)
    policy1: int  # rental subsidy: 50 % of the rent up to 300 CNY, 2020-01-01 … 2098-12-31 (2020-01 paid)
    policy2: int  # a policy for 2100 only, nothing paid under it (deletable)
    application_old: int  # worker1's, before it took a bed: approved with a contract, paid 2020-01, withdrawn
    application1: int  # firm1_other's (firm 1): submitted, no contract yet
    application2: int  # firm2_worker's (firm 2): confirmed by its HR, contract uploaded: ready to approve
    payout1: int  # application_old's payment for 2020-01 (31 days, 300 CNY)


async def men_of_firm(firm_id: int, count: int, shift: str = "day") -> list[int]:
    """`count` new men of a firm, with valid ID numbers and no bed (newcomers to place)."""
    ids = []
    for i in range(count):
        man = Worker(
            firm_id=firm_id,
            name=f"新工{i}",
            gender="male",
            id_number=resident_id(date(1991, 2, 1 + i), 301 + 2 * i),
            mobile=f"1370000{i:04d}",
            employee_no=f"P{i:03d}",
            shift=shift,
            created_at=datetime.now(UTC),
        )
        ids.append(await _insert(man))
    return ids


async def empty_database() -> None:
    """Every table emptied, children first, in one transaction (one commit). DELETE rather than
    PostgreSQL's TRUNCATE: for a test's few rows it is ~10× faster (TRUNCATE makes new files for
    every table and index, ~0.1 s per test). On PostgreSQL the ids go on counting across tests,
    which would show any id mix-up."""
    async with engine().transaction():
        for table in TABLES_CHILD_FIRST:
            await engine().run_ddl(f'DELETE FROM "{table._meta.tablename}"')


async def _insert(row: object) -> int:
    result = await type(row).insert(row)  # type: ignore[attr-defined]
    return int(result[0]["id"])


async def small_park() -> Park:
    """The park, in one transaction: one connection for all its rows (without a pool, each
    query on PostgreSQL would open its own)."""
    async with engine().transaction():
        park = await _small_park()
        # tickets feature: a ticket in each state, a department, a photo, surveys
        from tests.housing.tickets.rows import ticket_rows

        park.tickets = await ticket_rows(park)  # type: ignore[attr-defined]
        return park


async def _small_park() -> Park:
    b_any = await _insert(Building(code="B01", name="员工之家1号楼", floors=6, gender_rule="any"))
    b_female = await _insert(Building(code="B02", name="员工之家2号楼（女工楼）", floors=4, gender_rule="female"))
    b_empty = await _insert(Building(code="B09", name="在建9号楼", floors=3, gender_rule="any"))
    units = [
        await _insert(Unit(building_id=b_any, floor=1, number="101", area_centi_m2=3650, beds=4)),
        await _insert(Unit(building_id=b_any, floor=1, number="102", area_centi_m2=4821, beds=6)),
        await _insert(Unit(building_id=b_any, floor=2, number="201", area_centi_m2=2433, beds=2)),
        await _insert(Unit(building_id=b_female, floor=1, number="101", area_centi_m2=6010, beds=8)),
    ]
    firm1 = await _insert(
        Firm(
            name="荆州华鑫电子科技有限公司",
            uscc=credit_code(1),
            contact_name="王经理",
            contact_phone="07168123456",
            is_key=True,
        )
    )
    firm2 = await _insert(
        Firm(name="湖北楚天精密制造有限公司", uscc=credit_code(2), contact_name="李主管", contact_phone="13907161234")
    )
    firm_empty = await _insert(
        Firm(name="荆州恒达纺织有限公司", uscc=credit_code(3), contact_name="赵女士", contact_phone="13807160000")
    )
    worker1 = await _insert(
        Worker(
            firm_id=firm1,
            name="张伟",
            gender="male",
            id_number=resident_id(date(1995, 3, 14), 11),
            mobile="13812345678",
            employee_no="E0001",
            shift="day",
            housing_status="dorm",
            hired_on=date(2020, 1, 1),
        )
    )
    firm1_other = await _insert(
        Worker(
            firm_id=firm1,
            name="陈静",
            gender="female",
            id_number=resident_id(date(1998, 7, 2), 22),
            mobile="13912345678",
            employee_no="E0002",
            shift="night",
            housing_status="off_site",
            hired_on=date(2020, 1, 1),
        )
    )
    firm2_worker = await _insert(
        Worker(
            firm_id=firm2,
            name="刘强",
            gender="male",
            id_number=resident_id(date(1990, 12, 30), 33),
            mobile="15012345678",
            employee_no="E0001",
            shift="rotating",
            housing_status="dorm",
            hired_on=date(2020, 1, 1),
        )
    )
    await create_account("staff", PASSWORD, Role.staff)
    await create_account("hr1", PASSWORD, Role.hr, firm_id=firm1)
    await create_account("hr2", PASSWORD, Role.hr, firm_id=firm2)
    worker1_account = await create_account("worker1", PASSWORD, Role.worker, worker_id=worker1)
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    period_open = await _insert(
        Period(
            name="下季度",
            starts_on=today + timedelta(days=40),
            ends_on=today + timedelta(days=130),
            request_deadline=today + timedelta(days=30),
            created_at=now,
        )
    )
    period_closed = await _insert(
        Period(
            name="本季度",
            starts_on=today - timedelta(days=20),
            ends_on=today + timedelta(days=39),
            request_deadline=today - timedelta(days=30),
            created_at=now,
        )
    )
    request1 = await _insert(
        HeadcountRequest(period_id=period_open, firm_id=firm1, male_beds=6, female_beds=2, updated_at=now)
    )
    lease1 = await _insert(
        Lease(
            unit_id=units[0],
            firm_id=firm1,
            gender="male",
            starts_on=today - timedelta(days=20),
            rent_rate_fen_per_m2=500,
            created_at=now,
        )
    )
    bed1 = await _insert(
        BedAssignment(
            lease_id=lease1,
            unit_id=units[0],
            bed=1,
            worker_id=worker1,
            starts_on=today - timedelta(days=20),
            created_at=now,
        )
    )
    lease2 = await _insert(
        Lease(
            unit_id=units[3],
            firm_id=firm2,
            gender="female",
            starts_on=today + timedelta(days=400),
            ends_on=today + timedelta(days=490),
            rent_rate_fen_per_m2=500,
            created_at=now,
        )
    )
    invoice1 = await _insert(RentInvoice(firm_id=firm1, month="2020-01", total_fen=18250, issued_at=now))
    await _insert(
        RentInvoiceLine(
            invoice_id=invoice1,
            lease_id=lease1,
            unit_id=units[0],
            area_centi_m2=3650,
            rent_rate_fen_per_m2=500,
            days_leased=31,
            days_in_month=31,
            amount_fen=18250,
        )
    )
    job1 = await _insert(
        Job(kind="allocation", status="failed", params={}, error="example", created_at=now, finished_at=now)
    )
    run1 = await _insert(
        AllocationRun(
            period_id=period_open,
            job_id=job1,
            time_limit_s=5,
            instance={"format": "park-allocation/1", "units": [], "firms": [], "current": []},
            unit_ids={},
            inputs_digest="",
            created_at=now,
        )
    )
    proposal1 = await _insert(
        BedProposal(
            firm_id=firm1,
            starts_on=today,
            inputs_digest="0" * 64,
            assignments=[],
            unassigned=[],
            objective={},
            created_at=now,
        )
    )
    subsidy = await _subsidies(today, now, worker1, firm1, firm1_other, firm2_worker)
    return Park(
        b_any,
        b_female,
        b_empty,
        units,
        firm1,
        firm2,
        firm_empty,
        worker1,
        firm1_other,
        firm2_worker,
        worker1_account,
        period_open,
        period_closed,
        request1,
        lease1,
        bed1,
        lease2,
        invoice1,
        run1,
        proposal1,
        *subsidy,
    )


async def _subsidies(
    today: date, now: datetime, worker1: int, firm1: int, firm1_other: int, firm2_worker: int
) -> tuple[int, ...]:
    upload_dir = Settings.from_env().upload_dir
    policy1 = await _insert(
        RentalSubsidyPolicy(
            name="2020 年起租房补贴",
            share_percent=50,
            cap_fen=30000,
            valid_from=date(2020, 1, 1),
            valid_to=date(2098, 12, 31),
            created_at=now,
        )
    )
    policy2 = await _insert(
        RentalSubsidyPolicy(
            name="2100 年租房补贴",
            share_percent=60,
            cap_fen=40000,
            valid_from=date(2100, 1, 1),
            valid_to=date(2100, 12, 31),
            created_at=now,
        )
    )
    old_contract = uploads.store(upload_dir, "contracts", PDF)
    application_old = await _insert(
        RentalSubsidyApplication(
            worker_id=worker1,
            address="荆州市沙市区江津路 12 号 2 栋 301",
            landlord="黄女士",
            monthly_rent_fen=80000,
            lease_start=date(2019, 12, 1),
            lease_end=date(2020, 12, 31),
            status="withdrawn",
            submitted_at=datetime(2019, 12, 20, 2, 0, tzinfo=UTC),
            submitted_on=date(2019, 12, 20),
            confirmed_at=datetime(2019, 12, 21, 2, 0, tzinfo=UTC),
            confirmed_by="hr1",
            decided_at=datetime(2019, 12, 22, 2, 0, tzinfo=UTC),
            decided_by="staff",
            withdrawn_on=date(2021, 1, 5),
            contract_token=old_contract.token,
            contract_media_type=old_contract.media_type,
            contract_size=old_contract.size,
            contract_sha256=old_contract.sha256,
            contract_uploaded_at=datetime(2019, 12, 20, 2, 0, tzinfo=UTC),
        )
    )
    application1 = await _insert(
        RentalSubsidyApplication(
            worker_id=firm1_other,
            address="荆州市沙市区北京中路 88 号 3 栋 502",
            landlord="周先生",
            monthly_rent_fen=150000,
            lease_start=today - timedelta(days=30),
            lease_end=today + timedelta(days=335),
            status="submitted",
            submitted_at=now - timedelta(days=2),
            submitted_on=today - timedelta(days=2),
        )
    )
    contract = uploads.store(upload_dir, "contracts", PDF)
    application2 = await _insert(
        RentalSubsidyApplication(
            worker_id=firm2_worker,
            address="荆州市荆州区荆中路 6 号 1 栋 1201",
            landlord="吴先生",
            monthly_rent_fen=120000,
            lease_start=today - timedelta(days=60),
            lease_end=today + timedelta(days=300),
            status="confirmed",
            submitted_at=now - timedelta(days=10),
            submitted_on=today - timedelta(days=10),
            confirmed_at=now - timedelta(days=5),
            confirmed_by="hr2",
            contract_token=contract.token,
            contract_media_type=contract.media_type,
            contract_size=contract.size,
            contract_sha256=contract.sha256,
            contract_uploaded_at=now - timedelta(days=10),
        )
    )
    payout1 = await _insert(
        RentalSubsidyPayout(
            application_id=application_old,
            worker_id=worker1,
            firm_id=firm1,
            month="2020-01",
            days=31,
            days_in_month=31,
            monthly_rent_fen=80000,
            amount_fen=30000,
            segments=[{"policy_id": policy1, "days": 31, "monthly_amount_fen": "30000"}],
            paid_at=datetime(2020, 2, 1, 2, 0, tzinfo=UTC),
        )
    )
    return policy1, policy2, application_old, application1, application2, payout1


async def row_counts() -> dict[str, int]:
    """Rows of the register and its audit trail (logging in writes sessions and counters: not counted)."""
    login_state = {LoginSession, LoginThrottle, SessionsBase}
    return {t._meta.tablename: await t.count() for t in TABLES_CHILD_FIRST if t not in login_state}

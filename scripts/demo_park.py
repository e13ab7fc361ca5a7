"""Load a demo park into an empty database: 131 units in 5 buildings, 20 firms, ~500 workers.

Everything is made up but valid: resident ID numbers and credit codes carry correct check
digits, mobile numbers are real mainland formats. Seeded, so every machine gets the same park.
Run by ./scripts/run; `python scripts/demo_park.py` does nothing when the park has buildings.
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stdnum.cn import ric, uscc

from housing.leasing.tables import BedAssignment, HeadcountRequest, Lease, Period
from housing.register.accounts import create_account
from housing.register.tables import Building, Firm, Role, Unit, Worker
from housing.settings import Settings
from housing.subsidies.applications import CONTRACT_FOLDER
from housing.subsidies.tables import RentalSubsidyApplication, RentalSubsidyPolicy
from housing.web import uploads
from housing.web.db import write_transaction

DEMO_PASSWORD = "demo1234"
SEED = 20261122

# (code, name, floors, gender rule, units per floor)
BUILDINGS = [
    ("B01", "员工之家1号楼", 6, "any", 5),
    ("B02", "员工之家2号楼", 6, "any", 5),
    ("B03", "员工之家3号楼", 5, "any", 5),
    ("B04", "员工之家4号楼（女工楼）", 6, "female", 4),
    ("B05", "员工之家5号楼", 4, "any", 4),
]  # 30 + 30 + 25 + 24 + 16 = 125 …
EXTRA_UNITS_ON_TOP = {"B05": 6}  # … + 6 on B05's top floor = 131

# beds → (lowest, highest) floor area in m², realistic for Chinese dormitory units with a bathroom
UNIT_TYPES = {2: (22, 28), 4: (32, 40), 6: (44, 52), 8: (56, 66)}

FIRMS = [
    ("荆州华鑫电子科技有限公司", True),
    ("湖北楚天精密制造有限公司", True),
    ("荆州恒达纺织有限公司", False),
    ("江汉新材料股份有限公司", True),
    ("荆州市金穗食品有限公司", False),
    ("湖北荆楚汽车零部件有限公司", False),
    ("荆州鸿运物流有限公司", False),
    ("湖北长江光电有限公司", False),
    ("荆州瑞丰医疗器械有限公司", False),
    ("荆州宏图包装材料有限公司", False),
    ("湖北江陵智能装备有限公司", False),
    ("荆州美佳服饰有限公司", False),
    ("湖北荆州石化机械有限公司", False),
    ("荆州绿源环保科技有限公司", False),
    ("荆州天成电缆有限公司", False),
    ("湖北沙市印务有限公司", False),
    ("荆州嘉禾家具制造有限公司", False),
    ("荆州博锐新能源有限公司", False),
    ("湖北楚风建材有限公司", False),
    ("荆州安泰消防设备有限公司", False),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡"
    "蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲桂丹萍红琴云莲雪梅琳倩婷颖慧瑶佳雯璐"
REGION_CODES = ["421002", "421003", "421022", "421023", "421081", "421087", "420106", "430102", "411302"]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "199",
]


def credit_code(rng: random.Random) -> str:
    body = "91" + "421000" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def resident_id(rng: random.Random, gender: str, today: date) -> str:
    birth = today - timedelta(days=rng.randint(18 * 365 + 5, 55 * 365))
    order = rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)
    body = rng.choice(REGION_CODES) + birth.strftime("%Y%m%d") + f"{order:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def unit_area(rng: random.Random, beds: int) -> Decimal:
    low, high = UNIT_TYPES[beds]
    return Decimal(rng.randint(low * 100, high * 100)) / 100


async def park_is_empty() -> bool:
    return not await Building.exists()


async def load(
    seed: int = SEED, workers_total: int = 500, password: str = DEMO_PASSWORD, upload_dir: Path | None = None
) -> dict[str, int]:
    rng = random.Random(seed)
    today = date.today()
    async with write_transaction():
        building_ids: dict[str, int] = {}
        units: list[Unit] = []
        for code, name, floors, rule, per_floor in BUILDINGS:
            inserted = await Building.insert(Building(code=code, name=name, floors=floors, gender_rule=rule))
            building_ids[code] = inserted[0]["id"]
            for floor in range(1, floors + 1):
                count = per_floor + (EXTRA_UNITS_ON_TOP.get(code, 0) if floor == floors else 0)
                for index in range(1, count + 1):
                    beds = rng.choices([2, 4, 6, 8], weights=[1, 4, 3, 2])[0]
                    status = "maintenance" if rng.random() < 0.03 else "available"
                    units.append(
                        Unit(
                            building_id=building_ids[code],
                            floor=floor,
                            number=f"{floor}{index:02d}",
                            area_centi_m2=int(unit_area(rng, beds) * 100),
                            beds=beds,
                            status=status,
                        )
                    )
        await Unit.insert(*units)

        firm_ids: list[int] = []
        for index, (name, is_key) in enumerate(FIRMS, start=1):
            inserted = await Firm.insert(
                Firm(
                    name=name,
                    uscc=credit_code(rng),
                    contact_name=rng.choice(SURNAMES) + rng.choice(["经理", "主管", "女士", "先生"]),
                    contact_phone=f"0716{8_100_000 + index * 1_117:07d}",
                    is_key=is_key,
                )
            )
            firm_ids.append(inserted[0]["id"])

        # Bigger firms first: headcounts fall off like a real park's.
        weights = [1.0 / (rank + 2) for rank in range(len(firm_ids))]
        workers: list[Worker] = []
        seen_ids: set[str] = set()
        per_firm_counter = {firm_id: 0 for firm_id in firm_ids}
        for n in range(workers_total):
            firm_id = firm_ids[0] if n == 0 else rng.choices(firm_ids, weights=weights)[0]
            gender = "male" if n == 0 else rng.choices(["male", "female"], weights=[3, 2])[0]
            housing = "dorm" if n == 0 else rng.choices(["dorm", "off_site", "own_home"], weights=[7, 2, 1])[0]
            id_number = resident_id(rng, gender, today)
            while id_number in seen_ids:
                id_number = resident_id(rng, gender, today)
            seen_ids.add(id_number)
            per_firm_counter[firm_id] += 1
            given = GIVEN_MALE if gender == "male" else GIVEN_FEMALE
            workers.append(
                Worker(
                    firm_id=firm_id,
                    name=rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice([1, 2]))),
                    gender=gender,
                    id_number=id_number,
                    mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                    employee_no=f"E{per_firm_counter[firm_id]:04d}",
                    shift=rng.choices(["day", "night", "rotating"], weights=[6, 2, 2])[0],
                    housing_status=housing,
                    hired_on=today - timedelta(days=rng.randrange(60, 1500)),
                )
            )
        await Worker.insert(*workers)
        first_worker = await Worker.select(Worker.id).where(Worker.firm_id == firm_ids[0]).order_by(Worker.id).first()
        cycle = await housing_cycle(rng, today, firm_ids)

    await create_account("staff", password, Role.staff)
    for index, firm_id in enumerate(firm_ids, start=1):
        await create_account(f"hr{index}", password, Role.hr, firm_id=firm_id)
    await create_account("worker1", password, Role.worker, worker_id=first_worker["id"])
    await canteen_demo(rng, today, password)  # canteen (issue 11)
    await tickets_demo(password, firm_ids)  # tickets
    subsidy = await rental_subsidy(today, firm_ids[0], password, upload_dir or Settings.from_env().upload_dir)
    return {
        "buildings": len(BUILDINGS),
        "units": len(units),
        "firms": len(firm_ids),
        "workers": len(workers),
        **cycle,
        **subsidy,
    }


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(start: date) -> date:
    return date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)


async def housing_cycle(rng: random.Random, today: date, firm_ids: list[int]) -> dict[str, int]:
    """The current quarter's leases and beds, consistent with the workers who live in the dorms,
    and the next quarter open for requests, with requests from most firms.

    Each firm's dorm workers of each gender get whole units (of a building that takes that
    gender) until their beds cover them, then beds in order; anyone left without a bed when
    the park runs out is recorded as renting off-site, so the register never says `dorm` of
    someone with no bed.
    """
    now = datetime.now(UTC)
    current = quarter_start(today)
    following = next_quarter(current)
    if (following - today).days < 16:  # too late to file for it: open the one after
        following = next_quarter(following)
    periods = [
        Period(
            name=f"{current.year}年第{(current.month - 1) // 3 + 1}季度",
            starts_on=current,
            ends_on=next_quarter(current) - timedelta(days=1),
            request_deadline=current - timedelta(days=10),
            created_at=now,
        ),
        Period(
            name=f"{following.year}年第{(following.month - 1) // 3 + 1}季度",
            starts_on=following,
            ends_on=next_quarter(following) - timedelta(days=1),
            request_deadline=following - timedelta(days=7),
            created_at=now,
        ),
    ]
    await Period.insert(*periods)
    next_period = (await Period.select(Period.id).where(Period.starts_on == following).first())["id"]

    units = await (
        Unit.select(Unit.id, Unit.beds, Unit.rent_rate_fen_per_m2, Unit.building_id.gender_rule.as_alias("rule"))
        .where(Unit.status == "available")
        .order_by(Unit.id)
    )
    free = list(units)
    dorm = await (
        Worker.select(Worker.id, Worker.firm_id, Worker.gender)
        .where(Worker.housing_status == "dorm")
        .order_by(Worker.id)
    )
    leases: list[Lease] = []
    placements: list[tuple[int, int, int, int]] = []  # (unit index in leases, unit id, bed, worker)
    unplaced: list[int] = []
    lease_start = current - timedelta(days=365)
    for firm_id in firm_ids:
        for gender in ("male", "female"):
            people = [w["id"] for w in dorm if w["firm_id"] == firm_id and w["gender"] == gender]
            while people:
                unit = next((u for u in free if u["rule"] in ("any", gender)), None)
                if unit is None:
                    unplaced.extend(people)
                    break
                free.remove(unit)
                leases.append(
                    Lease(
                        unit_id=unit["id"],
                        firm_id=firm_id,
                        gender=gender,
                        starts_on=lease_start,
                        rent_rate_fen_per_m2=unit["rent_rate_fen_per_m2"],
                        created_at=now,
                    )
                )
                for bed in range(1, unit["beds"] + 1):
                    if not people:
                        break
                    placements.append((len(leases) - 1, unit["id"], bed, people.pop(0)))
    await Lease.insert(*leases)
    lease_ids = {row["unit_id"]: row["id"] for row in await Lease.select(Lease.id, Lease.unit_id)}
    await BedAssignment.insert(
        *(
            BedAssignment(
                lease_id=lease_ids[unit_id],
                unit_id=unit_id,
                bed=bed,
                worker_id=worker,
                starts_on=lease_start,
                created_at=now,
            )
            for _, unit_id, bed, worker in placements
        )
    )
    if unplaced:
        await Worker.update({Worker.housing_status: "off_site"}).where(Worker.id.is_in(unplaced))

    requests = []
    for firm_id in firm_ids:
        if rng.random() < 0.15:  # a few forget to file: they keep what they hold
            continue
        counts = {g: sum(1 for w in dorm if w["firm_id"] == firm_id and w["gender"] == g) for g in ("male", "female")}
        requests.append(
            HeadcountRequest(
                period_id=next_period,
                firm_id=firm_id,
                male_beds=round(counts["male"] * rng.uniform(0.8, 1.4)),
                female_beds=round(counts["female"] * rng.uniform(0.8, 1.4)),
                note=rng.choice(["", "", "新产线投产，需增加床位", "淡季，减少用房"]),
                updated_at=now,
            )
        )
    await HeadcountRequest.insert(*requests)
    return {"leases": len(leases), "beds": len(placements), "requests": len(requests)}


# --- canteen (issue 11) -------------------------------------------------------------------
async def canteen_demo(rng: random.Random, today: date, password: str = DEMO_PASSWORD) -> dict[str, int]:
    """Two canteens with prices, a park-funded subsidy policy, last month's meals of the demo
    workers (a few a day, subsidised by the same rule as the API, inserted set-based), and the
    terminal login `canteen1` of canteen 1."""
    from canteen.meal_records import insert_records
    from canteen.subsidy import Meal, Policy, allocate
    from canteen.tables import Canteen, CanteenTerminal, MealPrice, SubsidyPolicy
    from housing.web.clock import PARK_TZ

    prices = {"breakfast": 300, "lunch": 1200, "dinner": 1000, "night": 800}
    per_meal = {"breakfast": 200, "lunch": 600, "dinner": 500, "night": 400}
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = today.replace(day=1) - timedelta(days=1)
    month = f"{first:%Y-%m}"
    async with write_transaction():
        canteen_ids = [
            (await Canteen.insert(Canteen(name=name, location=where)))[0]["id"]
            for name, where in (("一食堂", "员工之家1号楼一楼"), ("二食堂", "员工之家4号楼旁"))
        ]
        for canteen_id, extra in zip(canteen_ids, (0, 100), strict=True):
            await MealPrice.insert(
                *(
                    MealPrice(canteen_id=canteen_id, meal_type=t, price_fen=p + extra, valid_from=date(2020, 1, 1))
                    for t, p in prices.items()
                )
            )
        policy_row = SubsidyPolicy(
            name="园区职工餐补",
            **{f"{t}_fen": fen for t, fen in per_meal.items()},
            daily_cap_fen=1000,
            monthly_cap_fen=20000,
            funded_by="park",
            valid_from=date(2020, 1, 1),
        )
        policy_id = (await SubsidyPolicy.insert(policy_row))[0]["id"]
        policy = Policy(policy_id, per_meal, 1000, 20000, "park", date(2020, 1, 1), None)
        workers = await Worker.select(Worker.id, Worker.firm_id, Worker.shift, Worker.hired_on).order_by(Worker.id)
        now = datetime.now(UTC)
        rows = []
        for worker in workers:
            canteen_id = canteen_ids[worker["id"] % 2]
            menu = (
                (("night", 0, 0.8), ("dinner", 17, 0.5))
                if worker["shift"] == "night"
                else (("breakfast", 7, 0.5), ("lunch", 12, 0.9), ("dinner", 18, 0.4))
            )
            meals = []
            day = max(first, worker["hired_on"] or first)
            while day <= last:
                for meal_type, hour, chance in menu:
                    if rng.random() < chance:
                        at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=PARK_TZ)
                        meals.append(
                            Meal(
                                at.astimezone(UTC),
                                f"demo-{worker['id']}-{day:%d}-{meal_type}",
                                day,
                                meal_type,
                                prices[meal_type] + (100 if canteen_id == canteen_ids[1] else 0),
                                policy,
                            )
                        )
                day += timedelta(days=1)
            allocate(meals)
            rows += [
                (
                    canteen_id,
                    m.txn_id,
                    worker["id"],
                    worker["firm_id"],
                    m.meal_type,
                    m.at,
                    m.day,
                    month,
                    m.price_fen,
                    m.subsidy_fen,
                    "park",
                    policy_id,
                    now,
                )
                for m in meals
            ]
        await insert_records(rows)
    terminal = await create_account("canteen1", password, Role.terminal)
    await CanteenTerminal.insert(CanteenTerminal(account_id=terminal, canteen_id=canteen_ids[0]))
    return {"canteens": len(canteen_ids), "meals": len(rows)}


# --- end canteen ---------------------------------------------------------------------------
# --- tickets feature: a repair department, a ticket in every state, one overdue and escalated, a closed survey ---
async def tickets_demo(password: str, firm_ids: list[int]) -> dict[str, int]:
    """`repair1` (a staff account) supervises 维修一组; its inbox shows the overdue ticket's escalation."""
    from housing.register.tables import Account, Department
    from housing.tickets import deadlines
    from housing.tickets.escalation import escalate
    from housing.tickets.tables import Survey, SurveyAnswer, Ticket, TicketEvent

    supervisor = await create_account("repair1", password, Role.staff)
    accounts = {
        row["user_id.username"]: row["id"]
        for row in await Account.select(Account.id, Account.user_id.username).where(
            Account.user_id.username.is_in(["staff", "hr1", "hr2", "worker1"])
        )
    }
    now = datetime.now(UTC).replace(microsecond=0)
    path = ["new", "sorted", "assigned", "in_progress", "resolved", "closed"]
    actions = ["report", "sort", "assign", "start", "resolve", "close"]
    async with write_transaction():
        department = (await Department.insert(Department(name="维修一组", supervisor_account_id=supervisor)))[0]["id"]
        worker = (
            await Worker.select(Worker.id, Worker.firm_id)
            .where(
                Worker.id
                == (await Account.select(Account.worker_id).where(Account.id == accounts["worker1"]).first())[
                    "worker_id"
                ]
            )
            .first()
        )
        bed = (
            await BedAssignment.select(BedAssignment.unit_id)
            .where((BedAssignment.worker_id == worker["id"]) & BedAssignment.ends_on.is_null())
            .first()
        )

        async def ticket(state: str, reporter: str, hours_ago: float, text: str, **extra: object) -> int:
            reported = now - timedelta(hours=hours_ago)
            due = extra.pop("due_at", None) or deadlines.ordinary_due(reported)
            firm = worker["firm_id"] if reporter in ("worker1", "hr1") else firm_ids[1]
            values: dict[str, object] = {
                "reporter_account_id": accounts[reporter],
                "firm_id": firm,
                "category": "repair",
                "description": text,
                "state": state,
                "reported_at": reported,
                "due_at": due,
                "warn_at": deadlines.warning_at(reported, due),  # type: ignore[arg-type]
            }
            if reporter == "worker1":
                values |= {"worker_id": worker["id"], "unit_id": bed["unit_id"] if bed else None}
            step = path.index(state)
            if step >= 2:
                values |= {"department_id": department, "assigned_at": reported + timedelta(hours=1)}
            if step >= 4:
                values |= {"resolved_at": reported + timedelta(hours=6), "resolution": "已修复"}
            values |= extra
            ticket_id = (await Ticket.insert(Ticket(**values)))[0]["id"]
            for i in range(step + 1):
                actor = reporter if i in (0, 5) else "staff"
                await TicketEvent.insert(
                    TicketEvent(
                        ticket_id=ticket_id,
                        at=reported + timedelta(hours=i),
                        account_id=accounts[actor],
                        actor=actor,
                        action=actions[i],
                        from_state=path[i - 1] if i else "",
                        to_state=path[i],
                    )
                )
            return int(ticket_id)

        await ticket("new", "worker1", 1, "宿舍热水器不出热水")
        await ticket("sorted", "hr1", 3, "3楼走廊灯不亮", category="dorm")
        await ticket("assigned", "hr2", 5, "食堂二楼空调漏水", category="canteen")
        await ticket("in_progress", "hr1", 10, "屋顶渗水", severity="major", due_at=now + timedelta(days=5))
        await ticket("resolved", "hr2", 30, "门锁损坏")
        await ticket(
            "closed",
            "hr1",
            60,
            "水龙头滴水",
            rating=5,
            rating_comment="处理很及时",
            closed_at=now - timedelta(hours=40),
        )
        overdue = await ticket("in_progress", "hr2", 30, "宿舍楼下水道堵塞")

        quarter_first = quarter_start(now.date())
        last_quarter = quarter_start(quarter_first - timedelta(days=1))
        label = f"{last_quarter.year}-Q{(last_quarter.month - 1) // 3 + 1}"
        survey = (
            await Survey.insert(
                Survey(
                    quarter=label,
                    status="closed",
                    opened_at=now - timedelta(days=60),
                    closed_at=now - timedelta(days=30),
                )
            )
        )[0]["id"]
        hr_accounts = await Account.select(Account.id, Account.firm_id).where(Account.role == "hr").order_by(Account.id)
        rng = random.Random(SEED)
        await SurveyAnswer.insert(
            *[
                SurveyAnswer(
                    survey_id=survey,
                    firm_id=row["firm_id"],
                    account_id=row["id"],
                    housing=rng.randint(3, 5),
                    canteen=rng.randint(2, 5),
                    repairs=rng.randint(3, 5),
                    subsidies=rng.randint(3, 5),
                    answered_at=now - timedelta(days=45),
                )
                for row in hr_accounts[:12]
            ]
        )
    done = await escalate(now)  # the overdue ticket: 维修一组's supervisor (repair1) is told
    return {
        "tickets": 7,
        "overdue_ticket": overdue,
        "escalations": done["warning"] + done["overdue"],
        "survey_answers": min(12, len(hr_accounts)),
    }


# --- end tickets feature ---


# ---------------------------------------------------------------------------------------------
# Rental subsidy (issue 11): the park's policy and `worker2`, a worker paid the subsidy.
# ---------------------------------------------------------------------------------------------


def demo_contract_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF saying `lines` (ASCII), built by hand: no PDF library needed."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def month_start(day: date, months_back: int) -> date:
    """The first day of the month `months_back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


async def rental_subsidy(today: date, firm_id: int, password: str, upload_dir: Path) -> dict[str, int]:
    """A policy of 50 % of the rent up to 300 CNY, valid from long ago, and the login `worker2`:
    a worker of firm 1 hired long before, renting off-site with no bed, whose application (with
    its contract) was approved before last month began — so staff can pay last month at once."""
    now = datetime.now(UTC)
    await RentalSubsidyPolicy.insert(
        RentalSubsidyPolicy(
            name="园区租房补贴", share_percent=50, cap_fen=30000, valid_from=date(2020, 1, 1), created_at=now
        )
    )
    bedded = BedAssignment.select(BedAssignment.worker_id).where(BedAssignment.ends_on.is_null())
    renter = await (
        Worker.select(Worker.id, Worker.name)
        .where((Worker.firm_id == firm_id) & (Worker.housing_status == "off_site") & Worker.id.not_in(bedded))
        .order_by(Worker.id)
        .first()
    )
    assert renter is not None, "the seeded park has off-site workers in firm 1"
    await Worker.update({Worker.hired_on: today - timedelta(days=3 * 365)}).where(Worker.id == renter["id"])
    await create_account("worker2", password, Role.worker, worker_id=renter["id"])

    lease_start = month_start(today, 2)  # the month before last: a two-year lease
    lease_end = lease_start.replace(year=lease_start.year + 2) - timedelta(days=1)
    applied = lease_start + timedelta(days=2)
    contract = uploads.store(
        upload_dir,
        CONTRACT_FOLDER,
        demo_contract_pdf(
            [
                "Housing lease contract (demo)",
                f"Tenant: worker no. {renter['id']} of firm no. {firm_id}",
                "Flat: Jingzhou, Shashi district, Hongmen Road 5, unit 1-602",
                "Rent: 1,200.00 CNY per month",
                f"Term: {lease_start.isoformat()} to {lease_end.isoformat()}",
            ]
        ),
        field="contract",
    )
    at = datetime.combine(applied, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)
    await RentalSubsidyApplication.insert(
        RentalSubsidyApplication(
            worker_id=renter["id"],
            address="荆州市沙市区红门路 5 号 1 单元 602",
            landlord="郑先生",
            monthly_rent_fen=120000,
            lease_start=lease_start,
            lease_end=lease_end,
            status="approved",
            submitted_at=at,
            submitted_on=applied,
            confirmed_at=at + timedelta(days=1),
            confirmed_by="hr1",
            decided_at=at + timedelta(days=3),
            decided_by="staff",
            contract_token=contract.token,
            contract_media_type=contract.media_type,
            contract_size=contract.size,
            contract_sha256=contract.sha256,
            contract_uploaded_at=at,
        )
    )
    return {"rental_subsidy_policies": 1, "rental_subsidy_applications": 1}


# ---------------------------------------------------------------------------------------------


async def main() -> None:
    if not await park_is_empty():
        print("demo park: the database already has a park; nothing loaded")
        return
    counts = await load()
    print(
        "demo park loaded: {buildings} buildings, {units} units, {firms} firms, {workers} workers, "
        "{leases} leases, {beds} beds taken, {requests} requests for the next period".format(**counts)
    )


if __name__ == "__main__":
    asyncio.run(main())

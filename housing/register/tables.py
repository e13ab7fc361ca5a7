"""The park register's tables.

Foreign keys are named `<name>_id`, exactly as the API names them, so a request body maps onto
a row without a translation table. Money is integer fen and floor area integer hundredths of a
m² (`area_centi_m2`): Piccolo's SQLite engine turns Numeric into floats, and rent = area × rate
must be exact. What must never happen twice (a unit number twice in a building, an employee
number twice in a firm, one person active twice) is a unique index made in the migrations.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class GenderRule(StrEnum):
    """Who a building may house: anyone, or one gender only (e.g. a women-only block)."""

    any = "any"
    male = "male"
    female = "female"


class Gender(StrEnum):
    male = "male"
    female = "female"


class UnitStatus(StrEnum):
    """`maintenance` units get no new lease; `retired` units are out of the register's stock."""

    available = "available"
    maintenance = "maintenance"
    retired = "retired"


class Shift(StrEnum):
    day = "day"
    night = "night"
    rotating = "rotating"


class HousingStatus(StrEnum):
    """Where the worker lives: a park dorm, a rented flat off-site (subsidy), or their own home."""

    dorm = "dorm"
    off_site = "off_site"
    own_home = "own_home"


class Role(StrEnum):
    staff = "staff"
    hr = "hr"
    worker = "worker"
    # canteen (issue 11): a canteen's meal terminal, which only posts meal records
    terminal = "terminal"


DEFAULT_RENT_RATE_FEN_PER_M2 = 500  # 5 CNY per m² per month, the park's default


class Building(Table):
    id: Serial
    code = Varchar(length=16, unique=True)
    name = Varchar(length=100)
    floors = Integer()
    gender_rule = Varchar(length=8, choices=GenderRule, default=GenderRule.any.value)


class Unit(Table):
    id: Serial
    building_id = ForeignKey(references=Building, on_delete=OnDelete.restrict, null=False)
    floor = Integer()
    number = Varchar(length=16)
    area_centi_m2 = Integer()
    beds = Integer()
    status = Varchar(length=12, choices=UnitStatus, default=UnitStatus.available.value)
    rent_rate_fen_per_m2 = Integer(default=DEFAULT_RENT_RATE_FEN_PER_M2)


class Firm(Table):
    id: Serial
    name = Varchar(length=100, unique=True)
    uscc = Varchar(length=18, unique=True)
    contact_name = Varchar(length=50)
    contact_phone = Varchar(length=20)
    is_key = Boolean(default=False)
    active = Boolean(default=True)


class Worker(Table):
    id: Serial
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False)
    name = Varchar(length=50)
    gender = Varchar(length=6, choices=Gender)
    id_number = Varchar(length=18)
    mobile = Varchar(length=20)
    employee_no = Varchar(length=32)
    shift = Varchar(length=10, choices=Shift, default=Shift.day.value)
    housing_status = Varchar(length=10, choices=HousingStatus, default=HousingStatus.dorm.value)
    active = Boolean(default=True)
    created_at = Timestamptz()
    # Employment dates (park days): subsidies and canteen meals count only days employed.
    hired_on = Date(null=True, default=None)
    left_on = Date(null=True, default=None)


class Account(Table):
    """A person's role in this system, beside Piccolo's `BaseUser` (which holds the login).

    Staff accounts also get `BaseUser.admin`, which is what lets them into Piccolo Admin.
    """

    id: Serial
    user_id = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, null=False, unique=True)
    role = Varchar(length=8, choices=Role)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=True)
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=True, unique=True)


# --- tickets feature: departments (who handles a ticket, and who is told when it runs late) ---
class Department(Table):
    """A team that handles service tickets (e.g. 维修一组); its supervisor is the staff account
    told when one of its tickets nears or passes its deadline."""

    id: Serial
    name = Varchar(length=50, unique=True)
    supervisor_account_id = ForeignKey(references=Account, on_delete=OnDelete.restrict, null=False, index=True)

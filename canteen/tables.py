"""The canteen's tables.

Money is integer fen. A meal record keeps what was decided when it arrived — the price, the
subsidy, who funds it, the worker's firm, the park day and month — so a settlement is a sum
over records, and a later price or policy change never rewrites a meal already eaten. What
must never happen twice (a terminal's transaction id, a month's settlement) is a unique index
made in the migrations.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    BigInt,
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

from housing.register.tables import Account, Firm, Worker


class MealType(StrEnum):
    breakfast = "breakfast"
    lunch = "lunch"
    dinner = "dinner"
    night = "night"  # the night shift's meal


class Funder(StrEnum):
    park = "park"  # the management committee pays the subsidy
    firm = "firm"  # the worker's firm pays it (billed at settlement)


class Canteen(Table):
    id: Serial
    name = Varchar(length=100, unique=True)
    location = Varchar(length=200, default="")
    active = Boolean(default=True)


class CanteenTerminal(Table):
    """A terminal login (an `account` of role `terminal`) and the one canteen it posts for."""

    id: Serial
    account_id = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False, unique=True)
    canteen_id = ForeignKey(references=Canteen, on_delete=OnDelete.restrict, null=False, index=True)


class MealPrice(Table):
    """A canteen's price of a meal type over a span of park days (`valid_to` empty: open-ended)."""

    id: Serial
    canteen_id = ForeignKey(references=Canteen, on_delete=OnDelete.restrict, null=False, index=True)
    meal_type = Varchar(length=10, choices=MealType)
    price_fen = Integer()
    valid_from = Date()
    valid_to = Date(null=True, default=None)


class SubsidyPolicy(Table):
    """Per-meal subsidy by meal type, daily and monthly caps per worker, who funds it, when.

    A policy with firms (`subsidy_policy_firm`) applies only to their workers and comes before a
    general one (no firms) on the same day.
    """

    id: Serial
    name = Varchar(length=100)
    breakfast_fen = Integer(default=0)
    lunch_fen = Integer(default=0)
    dinner_fen = Integer(default=0)
    night_fen = Integer(default=0)
    daily_cap_fen = Integer()
    monthly_cap_fen = Integer()
    funded_by = Varchar(length=4, choices=Funder, default=Funder.park.value)
    valid_from = Date()
    valid_to = Date(null=True, default=None)


class SubsidyPolicyFirm(Table):
    id: Serial
    policy_id = ForeignKey(references=SubsidyPolicy, on_delete=OnDelete.cascade, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)


class MealRecord(Table):
    """One meal a terminal reported, with what was decided for it at ingestion.

    `subsidy_fen` may be recomputed while the month is open (an earlier meal of the worker that
    arrives late moves the caps); `worker_paid = price_fen - subsidy_fen`.
    """

    id: Serial
    canteen_id = ForeignKey(references=Canteen, on_delete=OnDelete.restrict, null=False)
    txn_id = Varchar(length=64)  # the terminal's transaction id: unique per canteen
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=False)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False)  # the worker's firm then
    meal_type = Varchar(length=10, choices=MealType)
    at = Timestamptz()
    day = Date()  # park day (Asia/Shanghai) of `at`
    month = Varchar(length=7)  # park month, "2027-01"
    price_fen = Integer()
    subsidy_fen = Integer(default=0)
    funded_by = Varchar(length=4, null=True, default=None)  # park | firm; empty when no policy applied
    policy_id = ForeignKey(references=SubsidyPolicy, on_delete=OnDelete.restrict, null=True)
    received_at = Timestamptz()


class CanteenSettlement(Table):
    """A settled month: its totals. One per month (unique), and it closes the month to new meals."""

    id: Serial
    month = Varchar(length=7, unique=True)
    settled_at = Timestamptz()
    meals = BigInt(default=0)
    park_subsidy_fen = BigInt(default=0)
    firm_subsidy_fen = BigInt(default=0)
    worker_paid_fen = BigInt(default=0)
    revenue_fen = BigInt(default=0)


class SettlementLine(Table):
    """One row of a settlement: per firm (`kind=firm`), per canteen, or per worker statement."""

    id: Serial
    settlement_id = ForeignKey(references=CanteenSettlement, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=8)  # firm | canteen | worker
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=True)
    canteen_id = ForeignKey(references=Canteen, on_delete=OnDelete.restrict, null=True)
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=True)
    meals = BigInt(default=0)
    park_subsidy_fen = BigInt(default=0)
    firm_subsidy_fen = BigInt(default=0)
    worker_paid_fen = BigInt(default=0)
    revenue_fen = BigInt(default=0)

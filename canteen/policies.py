"""Meal-subsidy policies (`/api/canteen-subsidy-policies`), kept and read by staff.

A policy gives a subsidy per meal by meal type, caps it per worker per park day and per park
month, says who funds it (`park`, or the worker's `firm`, billed at settlement), may name the
firms it is for (none: every firm), and is valid over a span of park days. One policy applies
to a meal — a policy naming the worker's firm before a general one — so two general policies
never overlap in time, nor two policies naming the same firm (checked in the write
transaction; on PostgreSQL the table is locked for the check, on SQLite the IMMEDIATE
transaction already serialises it). Subsidies are decided when a meal arrives: changing a
policy later does not rewrite meals already recorded (the rule is `canteen.subsidy`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from canteen.prices import spans_overlap
from canteen.subsidy import Policy
from canteen.tables import SubsidyPolicy, SubsidyPolicyFirm
from housing.register.tables import Firm
from housing.web import audit, resource
from housing.web.access import STAFF, Viewer, allow, viewer_of
from housing.web.clock import as_date
from housing.web.db import engine, is_sqlite, write_transaction
from housing.web.problems import FieldError, Problem, invalid, not_found
from housing.web.resource import Id, PageDep, PathId, Row

Fen = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
FunderName = Annotated[str, msgspec.Meta(pattern="^(park|firm)$")]
FirmIds = Annotated[list[Id], msgspec.Meta(max_length=500)]
FIELDS = (
    "name",
    "breakfast_fen",
    "lunch_fen",
    "dinner_fen",
    "night_fen",
    "daily_cap_fen",
    "monthly_cap_fen",
    "funded_by",
    "valid_from",
    "valid_to",
)


class PolicyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    daily_cap_fen: Fen
    monthly_cap_fen: Fen
    valid_from: date
    valid_to: date | None = None
    breakfast_fen: Fen = 0
    lunch_fen: Fen = 0
    dinner_fen: Fen = 0
    night_fen: Fen = 0
    funded_by: FunderName = "park"
    firm_ids: FirmIds = msgspec.field(default_factory=list)


class PolicyPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    daily_cap_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    monthly_cap_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | None | msgspec.UnsetType = msgspec.UNSET
    breakfast_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    lunch_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    dinner_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    night_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    funded_by: FunderName | msgspec.UnsetType = msgspec.UNSET
    firm_ids: FirmIds | msgspec.UnsetType = msgspec.UNSET


class PolicyOut(msgspec.Struct):
    id: int
    name: str
    breakfast_fen: int
    lunch_fen: int
    dinner_fen: int
    night_fen: int
    daily_cap_fen: int
    monthly_cap_fen: int
    funded_by: str
    valid_from: date
    valid_to: date | None
    firm_ids: list[int]


def _date_or_none(value: Any) -> date | None:
    return None if value is None else as_date(value)


def as_policy(row: Row, firm_ids: frozenset[int]) -> Policy:
    return Policy(
        id=row["id"],
        per_meal_fen={t: row[f"{t}_fen"] for t in ("breakfast", "lunch", "dinner", "night")},
        daily_cap_fen=row["daily_cap_fen"],
        monthly_cap_fen=row["monthly_cap_fen"],
        funded_by=row["funded_by"],
        valid_from=as_date(row["valid_from"]),
        valid_to=_date_or_none(row["valid_to"]),
        firm_ids=firm_ids,
    )


async def _firms_of(policy_ids: list[int]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = {i: set() for i in policy_ids}
    if policy_ids:
        rows = await SubsidyPolicyFirm.select(SubsidyPolicyFirm.policy_id, SubsidyPolicyFirm.firm_id).where(
            SubsidyPolicyFirm.policy_id.is_in(policy_ids)
        )
        for r in rows:
            found[r["policy_id"]].add(r["firm_id"])
    return {k: frozenset(v) for k, v in found.items()}


async def policies_between(first: date, last: date) -> list[Policy]:
    """Every policy valid on some day of [first, last], with its firms (a handful of rows)."""
    rows = await SubsidyPolicy.select().where(
        (SubsidyPolicy.valid_from <= last) & (SubsidyPolicy.valid_to.is_null() | (SubsidyPolicy.valid_to >= first))
    )
    firms = await _firms_of([r["id"] for r in rows])
    return [as_policy(r, firms[r["id"]]) for r in rows]


def to_out(row: Row, firm_ids: frozenset[int]) -> PolicyOut:
    return PolicyOut(
        **{k: row[k] for k in FIELDS if k not in ("valid_from", "valid_to")},
        id=row["id"],
        valid_from=as_date(row["valid_from"]),
        valid_to=_date_or_none(row["valid_to"]),
        firm_ids=sorted(firm_ids),
    )


def clashes(a: Policy, b: Policy) -> bool:
    """Two policies that could both claim one meal: overlapping days, and both general or sharing a firm."""
    if not spans_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
        return False
    return (not a.firm_ids and not b.firm_ids) or bool(a.firm_ids & b.firm_ids)


async def _check(values: Row, firm_ids: frozenset[int], policy_id: int | None) -> None:
    valid_from, valid_to = as_date(values["valid_from"]), _date_or_none(values.get("valid_to"))
    if valid_to is not None and valid_to < valid_from:
        raise invalid("valid_to", "ends_before_start")
    if values["monthly_cap_fen"] < values["daily_cap_fen"]:
        raise invalid("monthly_cap_fen", "monthly_cap_below_daily")
    if firm_ids:
        known = {r["id"] for r in await Firm.select(Firm.id).where(Firm.id.is_in(list(firm_ids)))}
        if known != firm_ids:
            raise invalid("firm_ids", "unknown_reference")
    if not is_sqlite():
        await engine().run_ddl("LOCK TABLE subsidy_policy IN SHARE ROW EXCLUSIVE MODE")
    mine = as_policy({"id": policy_id or 0, **values}, firm_ids)
    for other in await policies_between(valid_from, valid_to or date.max):
        if other.id != policy_id and clashes(mine, other):
            raise Problem(409, "conflict", errors=[FieldError("valid_from", "policy_overlaps", {"other": other.id})])


async def fetch_policy(policy_id: int) -> PolicyOut:
    row = await SubsidyPolicy.select().where(SubsidyPolicy.id == policy_id).first()
    if row is None:
        raise not_found()
    return to_out(row, (await _firms_of([policy_id]))[policy_id])


async def create_policy(viewer: Viewer, body: PolicyCreate) -> PolicyOut:
    values = {k: getattr(body, k) for k in FIELDS}
    firm_ids = frozenset(body.firm_ids)
    resource.blank_to_error(values, "name")
    async with write_transaction():
        await _check(values, firm_ids, None)
        inserted = await SubsidyPolicy.insert(SubsidyPolicy(**values))
        policy_id = int(inserted[0]["id"])
        if firm_ids:
            await SubsidyPolicyFirm.insert(*(SubsidyPolicyFirm(policy_id=policy_id, firm_id=f) for f in firm_ids))
        await audit.record(
            viewer, "subsidy_policy", policy_id, "create", after={**values, "firm_ids": sorted(firm_ids)}
        )
        return await fetch_policy(policy_id)


async def update_policy(viewer: Viewer, policy_id: int, body: PolicyPatch) -> PolicyOut:
    sent = resource.sent(body)
    new_firms = sent.pop("firm_ids", None)
    resource.blank_to_error(sent, "name")
    async with write_transaction():
        current = await SubsidyPolicy.select().where(SubsidyPolicy.id == policy_id).first()
        if current is None:
            raise not_found()
        old_firms = (await _firms_of([policy_id]))[policy_id]
        firm_ids = frozenset(new_firms) if new_firms is not None else old_firms
        await _check({**current, **sent}, firm_ids, policy_id)
        if sent:
            await SubsidyPolicy.update({SubsidyPolicy._meta.get_column_by_name(k): v for k, v in sent.items()}).where(
                SubsidyPolicy.id == policy_id
            )
        if new_firms is not None and firm_ids != old_firms:
            await SubsidyPolicyFirm.delete().where(SubsidyPolicyFirm.policy_id == policy_id)
            if firm_ids:
                await SubsidyPolicyFirm.insert(*(SubsidyPolicyFirm(policy_id=policy_id, firm_id=f) for f in firm_ids))
            sent["firm_ids"] = sorted(firm_ids)
            current = {**current, "firm_ids": sorted(old_firms)}
        await audit.record(
            viewer, "subsidy_policy", policy_id, "update", before={k: current.get(k) for k in sent}, after=sent
        )
        return await fetch_policy(policy_id)


async def list_policies(page: resource.Page) -> OffsetPagination[PolicyOut]:
    rows = await SubsidyPolicy.select().order_by(SubsidyPolicy.id).limit(page.limit).offset(page.offset)
    firms = await _firms_of([r["id"] for r in rows])
    return OffsetPagination(
        items=[to_out(r, firms[r["id"]]) for r in rows],
        limit=page.limit,
        offset=page.offset,
        total=await SubsidyPolicy.count(),
    )


class SubsidyPolicyController(Controller):
    path = "/canteen-subsidy-policies"
    tags = ["canteen · 食堂"]

    @get("/", opt=allow(STAFF))
    async def list_policies(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[PolicyOut]:
        """Meal-subsidy policies, oldest first."""
        return await list_policies(page)

    @get("/{policy_id:int}", opt=allow(STAFF))
    async def get_policy(self, request: Request[Any, Any, Any], policy_id: PathId) -> PolicyOut:
        return await fetch_policy(policy_id)

    @post("/", opt=allow(STAFF))
    async def create_policy(self, request: Request[Any, Any, Any], data: JSONBody[PolicyCreate]) -> PolicyOut:
        """A policy: per-meal subsidy by meal type, caps per worker-day and worker-month, funder, firms, days."""
        return await create_policy(viewer_of(request), data)

    @patch("/{policy_id:int}", opt=allow(STAFF))
    async def update_policy(
        self, request: Request[Any, Any, Any], policy_id: PathId, data: JSONBody[PolicyPatch]
    ) -> PolicyOut:
        """Change a policy, e.g. end it (`valid_to`) before a new one starts; meals recorded keep their subsidy."""
        return await update_policy(viewer_of(request), policy_id, data)

"""Rental subsidy policies (`/api/subsidy-policies`): park staff set them, everyone logged in reads.

A policy says: monthly subsidy = min(rent × `share_percent` %, `cap_fen`), for the park days
`valid_from` … `valid_to` (null: until further notice). Policies never overlap — refused here
with a 409 naming the other policy, and by the database whatever happens. A paid month is never
rewritten: an edit (or a delete) that would change what any day of a paid month earns is
refused; to change the terms, end the policy after the paid months and create a new one.

Policy writes and payout runs take one lock (`lock_subsidy_money`), so a policy cannot change
under a payout run that is reading it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody
from piccolo.columns.combination import Combinable

from housing.subsidies.money import Policy, Span, changed_spans
from housing.subsidies.tables import RentalSubsidyPayout, RentalSubsidyPolicy
from housing.web import audit, resource
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.clock import as_date, as_datetime
from housing.web.db import is_sqlite, write_transaction
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Percent = Annotated[int, msgspec.Meta(ge=1, le=100, description="share of the monthly rent, in percent")]
CapFen = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="monthly cap in fen (30000 = 300 CNY)")]

LOCK_KEY = 4_711_002  # the advisory lock shared by policy writes and payout runs (PostgreSQL)


class PolicyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    share_percent: Percent
    cap_fen: CapFen
    valid_from: date
    valid_to: date | None = None


class PolicyPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    share_percent: Percent | msgspec.UnsetType = msgspec.UNSET
    cap_fen: CapFen | msgspec.UnsetType = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | None | msgspec.UnsetType = msgspec.UNSET


class PolicyOut(msgspec.Struct):
    id: int
    name: str
    share_percent: int
    cap_fen: int
    valid_from: date
    valid_to: date | None
    created_at: datetime


def to_out(row: Row, viewer: Viewer) -> PolicyOut:
    return PolicyOut(
        id=row["id"],
        name=row["name"],
        share_percent=row["share_percent"],
        cap_fen=row["cap_fen"],
        valid_from=as_date(row["valid_from"]),
        valid_to=as_date(row["valid_to"]) if row["valid_to"] is not None else None,
        created_at=as_datetime(row["created_at"]),
    )


def as_policy(row: Row) -> Policy:
    return Policy(
        id=row["id"],
        share_percent=row["share_percent"],
        cap_fen=row["cap_fen"],
        valid_from=as_date(row["valid_from"]),
        valid_to=as_date(row["valid_to"]) if row["valid_to"] is not None else None,
    )


POLICIES = resource.Resource(
    table=RentalSubsidyPolicy,
    columns=[
        RentalSubsidyPolicy.id,
        RentalSubsidyPolicy.name,
        RentalSubsidyPolicy.share_percent,
        RentalSubsidyPolicy.cap_fen,
        RentalSubsidyPolicy.valid_from,
        RentalSubsidyPolicy.valid_to,
        RentalSubsidyPolicy.created_at,
    ],
    to_out=to_out,
)

# The database's last word on overlaps (PostgreSQL names the constraint; SQLite's trigger raises its name).
unique_field(("rental_subsidy_policy_no_overlap",), "valid_from", "rental_policy_overlaps_any")


async def lock_subsidy_money() -> None:
    """Inside a write transaction: wait for any other policy write or payout run to finish.

    SQLite's IMMEDIATE write transactions already run one at a time; PostgreSQL takes a
    transaction-scoped advisory lock, released at commit or rollback.
    """
    if not is_sqlite():
        await RentalSubsidyPolicy.raw("SELECT pg_advisory_xact_lock({})", LOCK_KEY)


def valid_between(first: date, last: date | None) -> Combinable:
    """Policies valid on at least one day of [first, last] (None: open-ended)."""
    condition = RentalSubsidyPolicy.valid_to.is_null() | (RentalSubsidyPolicy.valid_to >= first)  # type: ignore[operator]
    if last is None:
        return condition
    return condition & (RentalSubsidyPolicy.valid_from <= last)  # type: ignore[operator]


def _month(day: date | None) -> str:
    return "9999-12" if day is None else f"{day:%Y-%m}"


async def first_paid_month(spans: list[Span]) -> str | None:
    """The earliest month with a payment that touches any of these days."""
    found = []
    for first, last in spans:
        row = await (
            RentalSubsidyPayout.select(RentalSubsidyPayout.month)
            .where((RentalSubsidyPayout.month >= _month(first)) & (RentalSubsidyPayout.month <= _month(last)))
            .order_by(RentalSubsidyPayout.month)
            .first()
        )
        if row is not None:
            found.append(row["month"])
    return min(found) if found else None


async def _check(values: Row, current: Row | None) -> None:
    """Dates in order; no other policy on any of its days; no paid month rewritten."""
    merged = {**(current or {}), **values}
    valid_from = as_date(merged["valid_from"])
    valid_to = as_date(merged["valid_to"]) if merged.get("valid_to") is not None else None
    if valid_to is not None and valid_to < valid_from:
        raise invalid("valid_to", "ends_before_start")
    clash_query = RentalSubsidyPolicy.select(
        RentalSubsidyPolicy.id, RentalSubsidyPolicy.valid_from, RentalSubsidyPolicy.valid_to
    ).where(valid_between(valid_from, valid_to))
    if current is not None:
        clash_query = clash_query.where(RentalSubsidyPolicy.id != current["id"])
    clash = await clash_query.order_by(RentalSubsidyPolicy.valid_from).first()
    if clash is not None:
        params = {
            "id": clash["id"],
            "valid_from": as_date(clash["valid_from"]).isoformat(),
            "valid_to": as_date(clash["valid_to"]).isoformat() if clash["valid_to"] is not None else "…",
        }
        raise Problem(409, "conflict", errors=[FieldError("valid_from", "rental_policy_overlaps", params)])
    new = as_policy({"id": 0, **merged, "valid_from": valid_from, "valid_to": valid_to})
    spans = changed_spans(as_policy(current), new) if current is not None else [(valid_from, valid_to)]
    if spans and (month := await first_paid_month(spans)):
        raise Problem(409, "rental_policy_month_paid", month=month)


async def _current(viewer: Viewer, policy_id: int) -> Row:
    return await resource.fetch_row(POLICIES, viewer, policy_id)


async def create_policy(viewer: Viewer, values: Row) -> PolicyOut:
    resource.blank_to_error(values, "name")
    async with write_transaction():
        await lock_subsidy_money()
        await _check(values, None)
        row = RentalSubsidyPolicy(**values, created_at=viewer.now)
        policy_id = (await RentalSubsidyPolicy.insert(row))[0]["id"]
        await audit.record(viewer, "rental_subsidy_policy", policy_id, "create", after=values)
        return await resource.fetch(POLICIES, viewer, policy_id)


async def update_policy(viewer: Viewer, policy_id: int, values: Row) -> PolicyOut:
    resource.blank_to_error(values, "name")
    async with write_transaction():
        await lock_subsidy_money()
        current = await _current(viewer, policy_id)
        if values:
            await _check(values, current)
            await RentalSubsidyPolicy.update(
                {RentalSubsidyPolicy._meta.get_column_by_name(k): v for k, v in values.items()}
            ).where(RentalSubsidyPolicy.id == policy_id)
            before = {name: current.get(name) for name in values}
            await audit.record(viewer, "rental_subsidy_policy", policy_id, "update", before=before, after=values)
        return await resource.fetch(POLICIES, viewer, policy_id)


async def delete_policy(viewer: Viewer, policy_id: int) -> None:
    """Delete a policy no paid month used (one made by mistake); otherwise end it instead."""
    async with write_transaction():
        await lock_subsidy_money()
        current = await _current(viewer, policy_id)
        policy = as_policy(current)
        if month := await first_paid_month([(policy.valid_from, policy.valid_to)]):
            raise Problem(409, "rental_policy_month_paid", month=month)
        await RentalSubsidyPolicy.delete().where(RentalSubsidyPolicy.id == policy_id)
        await audit.record(viewer, "rental_subsidy_policy", policy_id, "delete", before=current)


async def policies_between(first: date, last: date) -> list[Policy]:
    """The policies in force on any day of [first, last], oldest first."""
    rows = (
        await RentalSubsidyPolicy.select(*POLICIES.columns)
        .where(valid_between(first, last))
        .order_by(RentalSubsidyPolicy.valid_from)
    )
    return [as_policy(row) for row in rows]


class RentalSubsidyPolicyController(Controller):
    path = "/subsidy-policies"
    tags = ["rental subsidy · 租房补贴"]

    @get("/", opt=allow(EVERYONE))
    async def list_policies(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[PolicyOut]:
        """Subsidy policies, oldest first: share of the rent, monthly cap, validity."""
        return await resource.list_page(POLICIES, viewer_of(request), page)

    @get("/{policy_id:int}", opt=allow(EVERYONE))
    async def get_policy(self, request: Request[Any, Any, Any], policy_id: PathId) -> PolicyOut:
        return await resource.fetch(POLICIES, viewer_of(request), policy_id)

    @post("/", opt=allow(STAFF))
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[PolicyCreate]) -> PolicyOut:
        """A new policy, e.g. 50 % of the rent up to 300 CNY (`share_percent` 50, `cap_fen` 30000).

        Its days must not overlap another policy's (409 naming it) nor fall in a month already paid.
        """
        return await create_policy(viewer_of(request), resource.sent(data))

    @patch("/{policy_id:int}", opt=allow(STAFF))
    async def update(
        self, request: Request[Any, Any, Any], policy_id: PathId, data: JSONBody[PolicyPatch]
    ) -> PolicyOut:
        """Change a policy; a change that reaches into a paid month answers 409: end the policy
        after the paid months (`valid_to`) and create a new one instead."""
        return await update_policy(viewer_of(request), policy_id, resource.sent(data))

    @delete("/{policy_id:int}", opt=allow(STAFF))
    async def remove(self, request: Request[Any, Any, Any], policy_id: PathId) -> None:
        """Delete a policy made by mistake; one that paid any month answers 409."""
        await delete_policy(viewer_of(request), policy_id)

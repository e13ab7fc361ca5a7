"""Meal prices (`/api/meal-prices`): a canteen's price of a meal type over a span of park days.

Staff keep them, everyone logged in reads. Two prices of one canteen and meal type never
overlap in time, so a meal has at most one price (the check answers 409 naming `valid_from`;
on PostgreSQL an exclusion constraint is the last word, on SQLite the IMMEDIATE write
transaction serialises the check). A meal arriving on a day without a price is refused
(`no_price`), never charged nothing by accident.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, QueryParameter
from piccolo.columns.combination import Combinable

from canteen.tables import Canteen, MealPrice, MealType
from housing.web import resource
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.clock import as_date
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Fen = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
MealTypeName = Annotated[str, msgspec.Meta(pattern="^(breakfast|lunch|dinner|night)$")]
MEAL_TYPES = tuple(t.value for t in MealType)


class PriceCreate(msgspec.Struct, forbid_unknown_fields=True):
    canteen_id: Id
    meal_type: MealTypeName
    price_fen: Fen
    valid_from: date
    valid_to: date | None = None


class PricePatch(msgspec.Struct, forbid_unknown_fields=True):
    price_fen: Fen | msgspec.UnsetType = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | None | msgspec.UnsetType = msgspec.UNSET


class PriceOut(msgspec.Struct):
    id: int
    canteen_id: int
    canteen_name: str
    meal_type: str
    price_fen: int
    valid_from: date
    valid_to: date | None


def to_out(row: Row, viewer: Viewer) -> PriceOut:
    return PriceOut(
        id=row["id"],
        canteen_id=row["canteen_id"],
        canteen_name=row["canteen_name"],
        meal_type=row["meal_type"],
        price_fen=row["price_fen"],
        valid_from=as_date(row["valid_from"]),
        valid_to=as_date(row["valid_to"]) if row["valid_to"] is not None else None,
    )


def spans_overlap(from_a: date, to_a: date | None, from_b: date, to_b: date | None) -> bool:
    """Two spans of days (an empty end: open-ended) share at least one day."""
    return (to_b is None or from_a <= to_b) and (to_a is None or from_b <= to_a)


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    """The end is not before the start, and no other price of the canteen and meal type overlaps."""
    merged = {**(current or {}), **values}
    valid_from = as_date(merged["valid_from"])
    valid_to = as_date(merged["valid_to"]) if merged.get("valid_to") is not None else None
    if valid_to is not None and valid_to < valid_from:
        raise invalid("valid_to", "ends_before_start")
    if current is None and not await Canteen.exists().where(Canteen.id == merged["canteen_id"]):
        raise invalid("canteen_id", "unknown_reference")
    query = MealPrice.select(MealPrice.valid_from, MealPrice.valid_to).where(
        (MealPrice.canteen_id == merged["canteen_id"]) & (MealPrice.meal_type == merged["meal_type"])
    )
    if current is not None:
        query = query.where(MealPrice.id != current["id"])
    for other in await query:
        other_to = as_date(other["valid_to"]) if other["valid_to"] is not None else None
        if spans_overlap(valid_from, valid_to, as_date(other["valid_from"]), other_to):
            raise Problem(409, "conflict", errors=[FieldError("valid_from", "price_overlaps")])
    return values


unique_field(("meal_price_no_overlap",), "valid_from", "price_overlaps")


def scope(viewer: Viewer) -> Combinable | None:
    return None


PRICES = resource.Resource(
    table=MealPrice,
    columns=[
        MealPrice.id,
        MealPrice.canteen_id,
        MealPrice.canteen_id.name.as_alias("canteen_name"),
        MealPrice.meal_type,
        MealPrice.price_fen,
        MealPrice.valid_from,
        MealPrice.valid_to,
    ],
    to_out=to_out,
    scope=scope,
    prepare=prepare,
)


class MealPriceController(Controller):
    path = "/meal-prices"
    tags = ["canteen · 食堂"]

    @get("/", opt=allow(EVERYONE))
    async def list_prices(
        self,
        request: Request[Any, Any, Any],
        page: PageDep,
        canteen_id: Annotated[int | None, QueryParameter(ge=1, le=resource.MAX_ID)] = None,
        meal_type: Annotated[str | None, QueryParameter(pattern="^(breakfast|lunch|dinner|night)$")] = None,
    ) -> OffsetPagination[PriceOut]:
        """Prices, with the days each is valid."""
        filters = [resource.equals(MealPrice.canteen_id, canteen_id), resource.equals(MealPrice.meal_type, meal_type)]
        return await resource.list_page(PRICES, viewer_of(request), page, filters)

    @get("/{price_id:int}", opt=allow(EVERYONE))
    async def get_price(self, request: Request[Any, Any, Any], price_id: PathId) -> PriceOut:
        return await resource.fetch(PRICES, viewer_of(request), price_id)

    @post("/", opt=allow(STAFF))
    async def create_price(self, request: Request[Any, Any, Any], data: JSONBody[PriceCreate]) -> PriceOut:
        """A price of a canteen's meal type from `valid_from` (through `valid_to`, or open-ended)."""
        return await resource.create(PRICES, viewer_of(request), resource.sent(data))

    @patch("/{price_id:int}", opt=allow(STAFF))
    async def update_price(
        self, request: Request[Any, Any, Any], price_id: PathId, data: JSONBody[PricePatch]
    ) -> PriceOut:
        """E.g. end a price (`valid_to`) before the next one starts. Meals already recorded keep theirs."""
        return await resource.update(PRICES, viewer_of(request), price_id, resource.sent(data))

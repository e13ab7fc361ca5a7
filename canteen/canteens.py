"""Canteens (`/api/canteens`) and their terminals: staff keep them, everyone logged in reads.

A terminal is a login of role `terminal` bound to one canteen (`canteen_terminal`, one row
per account). Staff open it here (`POST /api/canteens/{id}/terminals`), in one transaction
with its account, so a terminal never exists without its canteen. `GET /api/me` names the
canteen through the hook housing offers (`housing.web.auth.on_terminal_canteen`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody
from piccolo.apps.user.tables import BaseUser

from canteen.tables import Canteen, CanteenTerminal
from housing.register.accounts import Password, Username, _insert_account
from housing.register.tables import Role
from housing.web import audit, resource
from housing.web.access import EVERYONE, STAFF, Viewer, allow, viewer_of
from housing.web.auth import on_terminal_canteen
from housing.web.db import HotQuery, write_transaction
from housing.web.passwords import check_new_password, hash_password
from housing.web.problems import FieldError, Problem, not_found, unique_field
from housing.web.resource import PageDep, PathId, Row

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Location = Annotated[str, msgspec.Meta(max_length=200)]


class CanteenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    location: Location = ""
    active: bool = True


class CanteenPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    location: Location | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class CanteenOut(msgspec.Struct):
    id: int
    name: str
    location: str
    active: bool


class TerminalCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password


class TerminalOut(msgspec.Struct):
    account_id: int
    username: str
    canteen_id: int


def to_out(row: Row, viewer: Viewer) -> CanteenOut:
    return CanteenOut(id=row["id"], name=row["name"], location=row["location"], active=bool(row["active"]))


async def prepare(values: Row, current: Row | None, viewer: Viewer) -> Row:
    resource.blank_to_error(values, "name")
    return values


unique_field(("canteen_name_key", "canteen.name"), "name")

CANTEENS = resource.Resource(
    table=Canteen,
    columns=[Canteen.id, Canteen.name, Canteen.location, Canteen.active],
    to_out=to_out,
    unique=[("name",)],
    prepare=prepare,
)

TERMINAL_CANTEEN = HotQuery("SELECT canteen_id FROM canteen_terminal WHERE account_id = {}", point=True)


async def canteen_of_terminal(account_id: int) -> int | None:
    """The canteen a terminal account posts for (None: not a terminal)."""
    row = await TERMINAL_CANTEEN.first(account_id)
    return None if row is None else int(row["canteen_id"])


on_terminal_canteen(canteen_of_terminal)


async def open_terminal(viewer: Viewer, canteen_id: int, body: TerminalCreate) -> TerminalOut:
    """A terminal login for one canteen: the account and its binding in one transaction."""
    check_new_password(body.password, "password", username=body.username)
    hashed = await hash_password(body.password)
    async with write_transaction():
        if not await Canteen.exists().where(Canteen.id == canteen_id):
            raise not_found()
        if await BaseUser.exists().where(BaseUser.username == body.username):
            raise Problem(409, "conflict", errors=[FieldError("username", "duplicate", {"value": body.username})])
        account_id = await _insert_account(body.username, hashed, Role.terminal, None, None)
        await CanteenTerminal.insert(CanteenTerminal(account_id=account_id, canteen_id=canteen_id))
        await audit.record(
            viewer, "account", account_id, "create", after={"username": body.username, "role": "terminal"}
        )
        await audit.record(
            viewer, "canteen_terminal", account_id, "create", after={"account_id": account_id, "canteen_id": canteen_id}
        )
    return TerminalOut(account_id=account_id, username=body.username, canteen_id=canteen_id)


async def terminals_of(canteen_id: int) -> list[TerminalOut]:
    rows = await (
        CanteenTerminal.select(
            CanteenTerminal.account_id,
            CanteenTerminal.account_id.user_id.username.as_alias("username"),  # type: ignore[union-attr]
            CanteenTerminal.canteen_id,
        )
        .where(CanteenTerminal.canteen_id == canteen_id)
        .order_by(CanteenTerminal.id)
    )
    return [TerminalOut(account_id=r["account_id"], username=r["username"], canteen_id=r["canteen_id"]) for r in rows]


class CanteenController(Controller):
    path = "/canteens"
    tags = ["canteen · 食堂"]

    @get("/", opt=allow(EVERYONE))
    async def list_canteens(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[CanteenOut]:
        """The park's canteens."""
        return await resource.list_page(CANTEENS, viewer_of(request), page)

    @get("/{canteen_id:int}", opt=allow(EVERYONE))
    async def get_canteen(self, request: Request[Any, Any, Any], canteen_id: PathId) -> CanteenOut:
        return await resource.fetch(CANTEENS, viewer_of(request), canteen_id)

    @post("/", opt=allow(STAFF))
    async def create_canteen(self, request: Request[Any, Any, Any], data: JSONBody[CanteenCreate]) -> CanteenOut:
        return await resource.create(CANTEENS, viewer_of(request), resource.sent(data))

    @patch("/{canteen_id:int}", opt=allow(STAFF))
    async def update_canteen(
        self, request: Request[Any, Any, Any], canteen_id: PathId, data: JSONBody[CanteenPatch]
    ) -> CanteenOut:
        return await resource.update(CANTEENS, viewer_of(request), canteen_id, resource.sent(data))

    @get("/{canteen_id:int}/terminals", opt=allow(STAFF))
    async def list_terminals(self, request: Request[Any, Any, Any], canteen_id: PathId) -> list[TerminalOut]:
        """The terminal logins of a canteen (lock one through `PATCH /api/accounts/{id}`)."""
        await resource.fetch(CANTEENS, viewer_of(request), canteen_id)
        return await terminals_of(canteen_id)

    @post("/{canteen_id:int}/terminals", opt=allow(STAFF))
    async def create_terminal(
        self, request: Request[Any, Any, Any], canteen_id: PathId, data: JSONBody[TerminalCreate]
    ) -> TerminalOut:
        """Open a terminal login bound to this canteen: it can post meal records for it and nothing else."""
        return await open_terminal(viewer_of(request), canteen_id, data)

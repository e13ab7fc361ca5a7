"""Accounts: a Piccolo `BaseUser` for the login plus an `Account` for the role.

Park staff create any account (staff, HR of one firm, a worker); HR gives logins to its own
firm's workers and can reset or deactivate them, and sees no other accounts. Passwords are
hashed in a worker thread (PBKDF2 with 600,000 rounds would stall every other request) and
never returned. Staff accounts also get `BaseUser.admin`, which is what opens Piccolo Admin.

A worker account's firm is the firm of its worker record, read at the moment of each query;
the account keeps no copy (`account.firm_id` is set only for HR), so when staff move a worker
to another firm, the login moves with it. A reset or a lock ends every session of the login.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody
from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column
from piccolo.columns.combination import Combinable

from housing.register.tables import Account, Firm, Role, Worker
from housing.web import audit, resource
from housing.web.access import STAFF_HR, Viewer, allow, viewer_of
from housing.web.auth import end_sessions, personal_identifiers
from housing.web.db import write_transaction
from housing.web.passwords import check_new_password, hash_password
from housing.web.problems import FieldError, Problem, invalid, unique_field
from housing.web.resource import Id, PageDep, PathId, Row

Username = Annotated[str, msgspec.Meta(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]
RoleName = Literal["staff", "hr", "worker"]


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: RoleName
    firm_id: Id | None = None
    worker_id: Id | None = None


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    password: Password | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class AccountOut(msgspec.Struct):
    id: int
    username: str
    role: str
    firm_id: int | None
    worker_id: int | None
    worker_name: str | None
    active: bool
    last_login: datetime | None


def to_out(row: Row, viewer: Viewer) -> AccountOut:
    last_login = row["last_login"]
    return AccountOut(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        firm_id=row["worker_firm_id"] if row["worker_id"] is not None else row["firm_id"],
        worker_id=row["worker_id"],
        worker_name=row["worker_name"],
        active=bool(row["active"]),
        # Piccolo's `last_login` is naive; this service writes UTC there.
        last_login=last_login.replace(tzinfo=UTC) if last_login is not None else None,
    )


def scope(viewer: Viewer) -> Combinable | None:
    """HR sees the logins of its own firm's workers, not other HR or staff accounts."""
    if viewer.is_staff:
        return None
    return (Account.worker_id.firm_id == viewer.firm_id) & (Account.role == Role.worker.value)


unique_field(("piccolo_user_username_key", "piccolo_user.username"), "username")
unique_field(("account_worker_id_key", "account.worker_id"), "worker_id", "worker_has_account")


ACCOUNTS = resource.Resource(
    table=Account,
    columns=[
        Account.id,
        Account.user_id.username.as_alias("username"),
        Account.role,
        Account.firm_id,
        Account.worker_id.firm_id.as_alias("worker_firm_id"),
        Account.worker_id,
        Account.worker_id.name.as_alias("worker_name"),
        Account.user_id.active.as_alias("active"),
        Account.user_id.last_login.as_alias("last_login"),
    ],
    to_out=to_out,
    scope=scope,
)


async def _insert_account(
    username: str, hashed_password: str, role: Role, firm_id: int | None, worker_id: int | None, active: bool = True
) -> int:
    """Both rows in the caller's transaction. `BaseUser.email` is unique and most workers have
    none: a placeholder under the reserved `.invalid` domain keeps it unique without pretending."""
    user = await BaseUser.insert(
        BaseUser(
            username=username,
            password=hashed_password,
            email=f"{username}@accounts.invalid",
            active=active,
            admin=role is Role.staff,
            superuser=role is Role.staff,
        )
    )
    inserted = await Account.insert(
        Account(
            user_id=user[0]["id"], role=role.value, firm_id=firm_id if role is Role.hr else None, worker_id=worker_id
        )
    )
    return int(inserted[0]["id"])


async def _firm_of_worker(worker_id: int, viewer: Viewer) -> int:
    query = Worker.select(Worker.firm_id).where(Worker.id == worker_id).where(Worker.active == True)
    if viewer.is_hr:
        query = query.where(Worker.firm_id == viewer.firm_id)
    row = await query.first()
    if row is None:
        raise invalid("worker_id", "unknown_reference")
    return int(row["firm_id"])


async def create_account(
    username: str,
    password: str,
    role: Role,
    *,
    firm_id: int | None = None,
    worker_id: int | None = None,
    active: bool = True,
) -> int:
    """Create a login with its role (for the demo park and tests). Returns the account id."""
    if role is Role.hr and firm_id is None:
        raise ValueError("an HR account speaks for one firm: firm_id is required")
    if role is Role.worker:
        if worker_id is None:
            raise ValueError("a worker account is one worker: worker_id is required")
    hashed = await hash_password(password)
    async with write_transaction():
        return await _insert_account(username, hashed, role, firm_id, worker_id, active)


async def open_account(body: AccountCreate, viewer: Viewer) -> AccountOut:
    """The API's create: who may make which account, checked before anything is written."""
    role = Role(body.role)
    firm_id = body.firm_id
    if viewer.is_hr and (role is not Role.worker or firm_id not in (None, viewer.firm_id)):
        raise Problem(403, "forbidden", errors=[FieldError("role", "hr_creates_worker_accounts")])
    if role is Role.hr and firm_id is None:
        raise invalid("firm_id", "firm_id_required")
    if role is Role.worker and body.worker_id is None:
        raise invalid("worker_id", "worker_id_required")
    if role is Role.staff and (firm_id is not None or body.worker_id is not None):
        raise invalid("role", "staff_has_no_firm")
    personal = await _worker_identifiers(body.worker_id) if body.worker_id is not None else ()
    check_new_password(body.password, "password", username=body.username, personal=personal)
    hashed = await hash_password(body.password)
    async with write_transaction():
        if role is Role.worker:
            firm_id = await _firm_of_worker(body.worker_id, viewer)  # type: ignore[arg-type]
            if await Account.exists().where(Account.worker_id == body.worker_id):
                raise Problem(409, "conflict", errors=[FieldError("worker_id", "worker_has_account")])
        elif role is Role.hr and not await Firm.exists().where(Firm.id == firm_id):
            raise invalid("firm_id", "unknown_reference")
        if await BaseUser.exists().where(BaseUser.username == body.username):
            raise Problem(409, "conflict", errors=[FieldError("username", "duplicate", {"value": body.username})])
        account_id = await _insert_account(body.username, hashed, role, firm_id, body.worker_id)
        opened = {"username": body.username, "role": role.value, "firm_id": firm_id, "worker_id": body.worker_id}
        await audit.record(viewer, "account", account_id, "create", after=opened)
    return await resource.fetch(ACCOUNTS, viewer, account_id)


async def _worker_identifiers(worker_id: int) -> tuple[str, ...]:
    row = await Worker.select(Worker.mobile, Worker.id_number).where(Worker.id == worker_id).first()
    return (row["mobile"], row["id_number"]) if row else ()


async def change_account(account_id: int, values: Row, viewer: Viewer) -> AccountOut:
    """Reset a password or (de)activate a login, for an account the viewer may see.

    Either ends every session of that login: a reset password or a lock takes effect now.
    """
    hashed = None
    if "password" in values:
        current = await resource.fetch_row(ACCOUNTS, viewer, account_id)
        personal = await personal_identifiers(account_id)
        check_new_password(values["password"], "password", username=current["username"], personal=personal)
        hashed = await hash_password(values["password"])
    async with write_transaction():
        row = await resource.fetch_row(ACCOUNTS, viewer, account_id)
        if row["id"] == viewer.account_id and values.get("active") is False:
            raise invalid("active", "cannot_deactivate_self")
        account = await Account.select(Account.user_id).where(Account.id == account_id).first()
        assert account is not None  # fetch_row just found it, inside this transaction
        changes: dict[Column | str, Any] = {}
        if hashed is not None:
            changes[BaseUser.password] = hashed
        if "active" in values:
            changes[BaseUser.active] = values["active"]
        if changes:
            await BaseUser.update(changes).where(BaseUser.id == account["user_id"])
            await end_sessions(account_id)
            before = {"active": bool(row["active"]), **({"password": None} if hashed else {})}
            await audit.record(viewer, "account", account_id, "update", before=before, after=values)
    return await resource.fetch(ACCOUNTS, viewer, account_id)


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts · 账号"]

    @get("/", opt=allow(STAFF_HR))
    async def list_accounts(
        self,
        request: Request,
        page: PageDep,
        role: FromQuery[RoleName | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> OffsetPagination[AccountOut]:
        """Logins; HR sees those of its own firm's workers."""
        filters = [resource.equals(Account.role, role), resource.equals(Account.user_id.active, active)]
        return await resource.list_page(ACCOUNTS, viewer_of(request), page, filters)

    @get("/{account_id:int}", opt=allow(STAFF_HR))
    async def get_account(self, request: Request, account_id: PathId) -> AccountOut:
        return await resource.fetch(ACCOUNTS, viewer_of(request), account_id)

    @post("/", opt=allow(STAFF_HR))
    async def create_account(self, request: Request, data: JSONBody[AccountCreate]) -> AccountOut:
        """Give someone a login: staff any role; HR only its own firm's workers."""
        return await open_account(data, viewer_of(request))

    @patch("/{account_id:int}", opt=allow(STAFF_HR))
    async def update_account(self, request: Request, account_id: PathId, data: JSONBody[AccountPatch]) -> AccountOut:
        """Reset the password or set `active: false` to lock a login (its sessions end at once)."""
        return await change_account(account_id, resource.sent(data), viewer_of(request))

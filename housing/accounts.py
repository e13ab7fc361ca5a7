"""Making accounts: a Piccolo `BaseUser` for the login plus an `Account` for the role.

Used by the demo loader and the tests today; an account API comes with the issue that needs it.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser

from housing.db import write_transaction
from housing.tables import Account, Role


async def create_account(
    username: str,
    password: str,
    role: Role,
    *,
    firm_id: int | None = None,
    worker_id: int | None = None,
    active: bool = True,
    email: str | None = None,
) -> int:
    """Create a login with its role; staff also get `admin` (Piccolo Admin). Returns the account id.

    `BaseUser.email` is unique and most workers have none; a placeholder under the reserved
    `.invalid` domain keeps it unique without pretending to be an address.
    """
    if role is Role.hr and firm_id is None:
        raise ValueError("an HR account speaks for one firm: firm_id is required")
    if role is Role.worker and worker_id is None:
        raise ValueError("a worker account is one worker: worker_id is required")
    async with write_transaction():
        user = await BaseUser.create_user(
            username=username,
            password=password,
            email=email or f"{username}@accounts.invalid",
            active=active,
            admin=role is Role.staff,
            superuser=role is Role.staff,
        )
        inserted = await Account.insert(Account(user_id=user.id, role=role.value, firm_id=firm_id, worker_id=worker_id))
        return int(inserted[0]["id"])

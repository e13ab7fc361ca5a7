"""The edge's own state, kept in the database so it survives restarts and is shared by every
API process: login sessions (what a token is worth) and failed-login counters (the throttle).
"""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from housing.register.tables import Account


class LoginSession(Table):
    """One login: a token names its session by `jti`; ending the session ends the token.

    Logout ends one session; a password change, a reset by staff or a deactivation ends every
    session of the account. The token's own `exp` bounds its life, so no expiry is stored.
    """

    id: Serial
    jti = Varchar(length=32, unique=True)
    account_id = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False, index=True)
    created_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class LoginThrottle(Table):
    """Failed logins counted per key (`pair:<name>|<address>` or `addr:<address>`) in a window
    that starts at the first failure; times are Unix seconds so both engines compare them alike."""

    id: Serial
    key = Varchar(length=200, unique=True)
    failures = Integer(default=0)
    window_started = BigInt(default=0)


class AuditEntry(Table):
    """One write through the API: who, when, what (table, row, action) and the fields it changed,
    before and after (ID numbers masked). Written in the same transaction as the write itself,
    so there is no write without its entry and no entry without its write."""

    id: Serial
    at = Timestamptz(index=True)
    account_id = ForeignKey(references=Account, on_delete=OnDelete.set_null, null=True, index=True)
    username = Varchar(length=100)
    table_name = Varchar(length=64, index=True)
    row_id = BigInt(index=True)
    action = Varchar(length=32)
    changes = JSON()

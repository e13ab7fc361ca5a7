"""What a new password must be, and hashing it off the event loop.

At least 8 characters, not one of the passwords guessers try first (the commonest in the
published leak lists, Chinese favourites included), and not the person's own username, mobile
number or ID number — the first things someone who knows them would type.
"""

from __future__ import annotations

import anyio
from piccolo.apps.user.tables import BaseUser

from housing.web.problems import invalid

MIN_LENGTH = 8

# The commonest passwords of at least 8 characters in public leak lists (rockyou, the 2011
# CSDN leak, yearly "worst passwords" lists); the shorter ones are refused by length anyway.
COMMON = frozenset(
    """
    12345678 123456789 1234567890 0123456789 87654321 987654321 9876543210 11111111 22222222
    33333333 44444444 55555555 66666666 77777777 88888888 99999999 00000000 11223344 12341234
    12344321 12121212 11112222 123123123 123321123 147258369 123456abc 12345678a 1234567a
    a12345678 a1234567 abc12345 abcd1234 1234abcd aa123456 a123456789 qq123456 woaini1314
    woaini520 5201314520 52013141 1314520520 iloveyou iloveyou1 password password1 password123
    passw0rd p@ssw0rd p@ssword qwertyui qwerty123 qwertyuiop 1qaz2wsx 1q2w3e4r 1q2w3e4r5t
    qazwsxedc zxcvbnm1 zxcvbnm123 asdfghjkl asdf1234 asdfasdf abcdefgh abcdefg1 sunshine
    princess football baseball superman batman123 trustno1 welcome1 welcome123 admin123
    administrator letmein1 monkey123 dragon123 master123 changeme 1234qwer qwer1234 q1w2e3r4
    demo1234 test1234 zhang123 wang1234 li123456 huawei123 xiaomi123 88888888a 666666666
    888888888 a11111111 aaaaaaaa 123456aa 123654789 741852963 159753123 147852369 12qwaszx
    """.split()
)


def check_new_password(password: str, field: str, *, username: str, personal: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, too common, or one of the person's own identifiers."""
    if len(password) < MIN_LENGTH:
        raise invalid(field, "password_too_short", min=MIN_LENGTH)
    folded = password.strip().lower()
    if folded in COMMON:
        raise invalid(field, "password_too_common")
    own = {username.strip().lower(), *(p.strip().lower() for p in personal if p)}
    if folded in own:
        raise invalid(field, "password_is_personal")


async def hash_password(password: str, salt: str = "", iterations: int | None = None) -> str:
    """Piccolo's PBKDF2 hash, computed in a worker thread: 600,000 rounds on the event loop
    would stall every other request for a noticeable moment."""
    return await anyio.to_thread.run_sync(BaseUser.hash_password, password, salt, iterations)

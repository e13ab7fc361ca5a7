"""Validation and masking of the identifiers people and firms carry.

python-stdnum knows the national algorithms (GB 11643 resident ID numbers, GB 32100 unified
social credit codes) and phonenumbers knows Chinese numbering; these functions only adapt them
to the register's rules and return the normalised form that is stored.
"""

from __future__ import annotations

from datetime import date

import phonenumbers
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from housing.web.privacy import mask_resident_id
from housing.web.problems import invalid

__all__ = ["credit_code", "gender_of_resident_id", "mask_resident_id", "mobile", "phone", "resident_id"]

MIN_WORKING_AGE = 16


def resident_id(value: str, field: str = "id_number", today: date | None = None) -> str:
    """A valid 18-digit resident ID (checksum, real birth date, known region), of someone at least 16.

    Not `ric.validate`: it also requires the region code to have existed in the birth year,
    but a code is the one in force when the card was first issued, so a worker born in 1978
    whose card says 421002 (沙市区, a code since 1994) is real and must not be refused.
    """
    number = ric.compact(value.strip().upper())
    if len(number) != 18 or not number[:17].isdigit() or number[-1] != ric.calc_check_digit(number):
        raise invalid(field, "id_number_invalid")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise invalid(field, "id_number_invalid") from None
    region = {key for _, props in numdb.get("cn/loc").info(number[:6]) for key in props}
    if "county" not in region:
        raise invalid(field, "id_number_invalid")
    today = today or date.today()
    if birth > today:
        raise invalid(field, "id_number_invalid")
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if age < MIN_WORKING_AGE:
        raise invalid(field, "id_number_too_young")
    return number


def gender_of_resident_id(number: str) -> str:
    """GB 11643: the 17th digit is odd for men, even for women."""
    return "male" if int(number[16]) % 2 == 1 else "female"


def credit_code(value: str, field: str = "uscc") -> str:
    try:
        return uscc.validate(value.strip().upper())
    except ValidationError:
        raise invalid(field, "uscc_invalid") from None


def _parse_cn(value: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(value.strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


def mobile(value: str, field: str = "mobile") -> str:
    """A mainland mobile number, stored as its 11 digits (what people write down)."""
    parsed = _parse_cn(value)
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if parsed is None or parsed.country_code != 86 or phonenumbers.number_type(parsed) not in mobile_types:
        raise invalid(field, "mobile_invalid")
    return str(parsed.national_number)


def phone(value: str, field: str = "contact_phone") -> str:
    """A mobile or landline number; landlines keep their trunk 0 (`07168123456`)."""
    parsed = _parse_cn(value)
    if parsed is None:
        raise invalid(field, "phone_invalid")
    if parsed.country_code != 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "").replace("-", "")

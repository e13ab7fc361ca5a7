"""How personal identifiers are shown to those who may not see them whole."""

from __future__ import annotations


def mask_resident_id(number: str) -> str:
    """`430102199001011234` → `4301**********1234`: enough to tell people apart, not to misuse."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]

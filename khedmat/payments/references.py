"""References people type at a bank: PAY-MOI-1405-000123-7 for a payment order,
RFD-MOI-1405-000004-2 for a refund.

The agency, the Solar Hijri year and a gap-free number per agency and year, then a Luhn check
digit over the digits, so that a mistyped reference is caught before it is looked up.
"""

from __future__ import annotations

import re

from khedmat.core.formatting import western_digits

_SHAPE = re.compile(r"^PAY-([A-Z][A-Z0-9]{1,9})-(\d{4})-(\d{6,})-(\d)$")


def luhn_digit(digits: str) -> int:
    """The Luhn check digit of a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def payment_reference(*, agency_code: str, year: int, number: int, prefix: str = "PAY") -> str:
    body = f"{year:04d}{number:06d}"
    return f"{prefix}-{agency_code}-{year:04d}-{number:06d}-{luhn_digit(body)}"


def refund_reference(*, agency_code: str, year: int, number: int) -> str:
    """A refund's reference: the same shape as a payment's, under its own prefix and numbers."""
    return payment_reference(agency_code=agency_code, year=year, number=number, prefix="RFD")


def normalize_reference(text: str) -> str:
    """A reference as typed (any case, spaces, Eastern digits) in its stored shape."""
    return re.sub(r"[\s‐-―]+", "-", western_digits(text.strip()).upper()).strip("-")


def reference_is_well_formed(reference: str) -> bool:
    """The shape is right and the check digit matches."""
    match = _SHAPE.match(reference)
    if match is None:
        return False
    return luhn_digit(match.group(2) + match.group(3)) == int(match.group(4))

"""Complaint references people can type into an SMS: C-1405-000123.

"C", the Solar Hijri year and a gap-free number per year, taken by `core.sequences` inside
the filing transaction (a rolled-back filing gives its number back), as application
references are (applications/references.py).
"""

from __future__ import annotations

import re

from khedmat.core.formatting import western_digits
from khedmat.core.sequences import sequence_next

from .models import ComplaintCounter

PREFIX = "C"
_SHAPE = re.compile(r"^C-(\d{4})-(\d{6,})$")


def format_reference(*, year: int, number: int) -> str:
    return f"{PREFIX}-{year:04d}-{number:06d}"


def reference_next(*, year: int) -> str:
    """The next complaint reference of `year`; call inside the filing transaction."""
    return format_reference(year=year, number=sequence_next(ComplaintCounter, year=year))


def normalize_reference(text: str) -> str:
    """A reference as typed (any case, spaces or no dashes, Eastern digits) in its stored shape:
    "c 1405 123", "C1405000123" and "C-۱۴۰۵-۰۰۰۱۲۳" all become C-1405-000123."""
    compact = re.sub(r"[\s\-‐-―_./]+", "", western_digits((text or "").strip()).upper())
    match = re.fullmatch(r"C(\d{4})(\d{1,9})", compact)
    if match is None:
        return compact[:20]
    return format_reference(year=int(match.group(1)), number=int(match.group(2)))


def reference_is_well_formed(reference: str) -> bool:
    return _SHAPE.match(reference) is not None

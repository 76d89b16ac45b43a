"""Tazkira (Afghan national identity card) numbers, checked loosely.

The electronic Tazkira number is digits in groups joined by dashes (1400-0101-12345);
older paper cards carry shorter numbers. We accept both, in either kind of digits, and
store Western digits so that searches and exports match whatever the reader's language.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from khedmat.core.formatting import TAZKIRA_EXAMPLE, isolate_ltr, western_digits
from khedmat.core.parsing import digits_only

# Dashes people type: hyphen-minus, Arabic/Persian keyboards' hyphen, en and em dash, minus.
_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-", "ـ": "-"})
_PATTERN = re.compile(r"^[0-9]+(?:-[0-9]+)*$")
MIN_DIGITS = 5
MAX_DIGITS = 20


def normalize_tazkira_number(raw: str) -> str:
    """Return the number with Western digits and no spaces, or "" for none; raise on nonsense."""
    text = western_digits(raw or "").translate(_DASHES)
    text = re.sub(r"\s+", "", text)
    if not text:
        return ""
    digit_count = len(digits_only(text))
    if not _PATTERN.match(text) or not MIN_DIGITS <= digit_count <= MAX_DIGITS:
        raise ValidationError(
            _("Enter the Tazkira number as it is printed on the card, digits and dashes only, "
              "such as %(example)s."),
            code="invalid", params={"example": isolate_ltr(TAZKIRA_EXAMPLE)},
        )
    return text

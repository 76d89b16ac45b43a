"""What an officer can find a file by, and how a typed search becomes a condition.

Each submitted file carries `search_text`: its reference, the name, mobile number and Tazkira
number of the person it is for, folded by `core.search.search_key` (one form of each Arabic
letter, Western digits, lower case) and joined by spaces. A search is folded the same way and
every word of it must appear in that text. One column, so PostgreSQL answers from one trigram
index (migration 0003) and SQLite from the agency's rows, both keeping the inbox's keyset order.

To add a field (the applicant's own name and Tazkira, when the application records them),
add it to `search_text_for` and backfill: nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.parsing import digits_only
from khedmat.core.search import MAX_SEARCH_LENGTH, search_key

if TYPE_CHECKING:
    from .models import Application

# Fewer characters than this match too many files to be a search.
MIN_TERM_LENGTH = 2
MAX_TERMS = 6
_NUMBER_CHARACTERS = set("0123456789 +-()./")


def _phone_forms(e164: str) -> list[str]:
    """A stored +93 number as people type it: 0700123456 and 93700123456 (digits only)."""
    digits = digits_only(e164)
    if not digits:
        return []
    forms = [digits]
    if digits.startswith("93"):
        forms.insert(0, "0" + digits[2:])
    return forms


def search_text_for(application: Application) -> str:
    """The folded text a file is found by (read at submission; see the module's docstring)."""
    holder = application.applicant
    parts = [
        application.reference or "",
        digits_only(application.reference),  # its number as typed without letters: 1405-000123
        holder.full_name,
        *_phone_forms(holder.phone_number or ""),
        digits_only(holder.tazkira_number),
        # The person the file is for, when not the account holder (branch i10-correct adds
        # these fields; read only when present, so this works before and after that merge).
        getattr(application, "applicant_name", "") or "",
        digits_only(getattr(application, "applicant_tazkira", "") or ""),
    ]
    return search_key(" ".join(part for part in parts if part))


@dataclass(frozen=True)
class SearchTerms:
    """The words every match must contain (folded), or none for an empty search."""

    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words)


def search_terms(raw: str | None) -> SearchTerms:
    """What to look for in `raw`, as typed in the inbox's search box.

    A mobile number in any common form (0700 123 456, +93 700…, 93700…, Eastern digits) is
    looked for as 0700123456; other numbers (a Tazkira 1400-0101-12345, part of a reference)
    by their digits; anything else word by word. Too long input is cut, words too short to
    mean anything are dropped.
    """
    text = search_key((raw or "")[: MAX_SEARCH_LENGTH * 2])[:MAX_SEARCH_LENGTH]
    if not text:
        return SearchTerms()
    if set(text) <= _NUMBER_CHARACTERS and any(character.isdigit() for character in text):
        digits = digits_only(text)
        if 9 <= len(digits) <= 13:
            try:
                return SearchTerms((_phone_forms(normalize_mobile_number(text))[0],))
            except ValidationError:
                pass
        return SearchTerms((digits,)) if len(digits) >= MIN_TERM_LENGTH else SearchTerms()
    words = [word for word in text.split(" ") if len(word) >= MIN_TERM_LENGTH]
    return SearchTerms(tuple(dict.fromkeys(words))[:MAX_TERMS])

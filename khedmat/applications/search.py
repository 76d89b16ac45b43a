"""What an officer can find a file by, and how a typed search becomes a condition.

Each submitted file carries `search_text`: its reference, the name and Tazkira number of the
person it is for and of the account holder, and the holder's mobile number, folded by
`core.search.search_key` (one form of each Arabic letter, Western digits, lower case) and joined
by spaces. A search is folded the same way and every word of it must appear in that text. One
column, so PostgreSQL answers from one trigram index (migration 0004) and SQLite from the
agency's rows, both keeping the inbox's keyset order.

The person a file is for (`applicant_name`, `applicant_tazkira`) and the account holder who
filed it (name, mobile number, Tazkira) are both searchable; each word of their names also by
its consonant skeleton (`~krm`), so a name typed in Latin letters finds it written in Dari or
Pashto letters and back. To add a field, add it to
`search_text_for` and backfill: nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.parsing import digits_only
from khedmat.core.search import MAX_SEARCH_LENGTH, SKELETON_MARK, name_skeleton, search_key

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
    holder = application.applicant  # the account holder: their mobile number is the file's
    parts = [
        application.reference or "",
        digits_only(application.reference),  # its number as typed without letters: 1405-000123
        application.applicant_name,  # the person the file is for (a son, filed by his mother)
        digits_only(application.applicant_tazkira),
        holder.full_name,
        *_phone_forms(holder.phone_number or ""),
        digits_only(holder.tazkira_number),
    ]
    # Each word of either name also by its skeleton, so "Karimi" finds "کریمی" and back.
    skeletons = {name_skeleton(word) for name in (application.applicant_name, holder.full_name)
                 for word in search_key(name).split(" ")}
    parts += sorted(SKELETON_MARK + skeleton for skeleton in skeletons if skeleton)
    return search_key(" ".join(part for part in parts if part))


@dataclass(frozen=True)
class SearchTerms:
    """The words every match must contain (folded), or none for an empty search."""

    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words)

    def alternatives(self) -> list[tuple[str, ...]]:
        """What may stand for each word in a file's text: the word itself, or, for a word of a
        name, its skeleton in either script (`core.search.name_skeleton`)."""
        return [(word, SKELETON_MARK + skeleton) if (skeleton := name_skeleton(word)) else (word,)
                for word in self.words]


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
    if set(text) <= _NUMBER_CHARACTERS and any(character in "0123456789" for character in text):
        digits = digits_only(text)
        if 9 <= len(digits) <= 13:
            try:
                return SearchTerms((_phone_forms(normalize_mobile_number(text))[0],))
            except ValidationError:
                pass
        return SearchTerms((digits,)) if len(digits) >= MIN_TERM_LENGTH else SearchTerms()
    words = [word for word in text.split(" ") if len(word) >= MIN_TERM_LENGTH]
    return SearchTerms(tuple(dict.fromkeys(words))[:MAX_TERMS])

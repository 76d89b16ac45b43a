"""Text as a search key: one form of each letter, whatever keyboard or script typed it.

Afghan keyboards and phones type the Arabic forms of some letters (ي for ی, ك for ک), add
short vowels, tatweel and joiners, and write digits in Eastern forms. A name stored one way
and searched for another must still meet, so both sides go through `search_key`.
"""

from __future__ import annotations

import re
import unicodedata

from .formatting import western_digits

# Arabic letter forms folded into the Persian letters Dari and Pashto write; hamza-seated
# alefs into the bare alef (people type them either way); marks and joiners removed.
_LETTER_FORMS = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ۍ": "ی", "ې": "ی", "ك": "ک", "ګ": "گ", "ة": "ه", "ۀ": "ه", "ە": "ه",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و",
    "ـ": "", "\u200c": "", "\u200d": "", "\u200e": "", "\u200f": "", "\u2066": "", "\u2067": "",
    "\u2068": "", "\u2069": "", "\u202a": "", "\u202b": "", "\u202c": "", "\u202d": "", "\u202e": "",
    "‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-", "_": "-",
})
# Short vowels and other combining marks (Arabic harakat, Latin accents after NFKD).
_MARKS = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed]")
# Longest text a search reads: longer input is cut, never stored or sent to the database whole.
MAX_SEARCH_LENGTH = 100


def search_key(text: str | None) -> str:
    """`text` folded for matching: Western digits, one form of each letter, no marks, lower
    case, single spaces. "علي  رضا" and "علی رضا" give the same key; so do "AHMAD" and "ahmad"."""
    folded = unicodedata.normalize("NFKD", western_digits(str(text or "")))
    folded = _MARKS.sub("", folded).translate(_LETTER_FORMS).casefold()
    return " ".join(folded.split())

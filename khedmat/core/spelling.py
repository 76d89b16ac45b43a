"""The spellings people type interchangeably, folded to one, so that a search finds what it means.

Arabic and Persian keyboards give different yehs and kafs for the same letter; Pashto writes
some sounds with its own letters (ټ ډ ړ ږ ښ ګ ڼ ې ۍ) where a Dari speaker types the nearest
Dari letter (پاسپورټ, پاسپورت); diacritics, the tatweel and the zero-width non-joiner come and
go; digits may be Western, Persian or Arabic-Indic. Both sides of a comparison go through
`fold`, so stored text need not have been folded by the same version of this module.
"""

from __future__ import annotations

import re

from .formatting import western_digits

_VARIANTS = str.maketrans({
    # Arabic letters and their Persian forms; ta marbuta and heh with yeh as heh; alef forms.
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "ؤ": "و",
    # Pashto letters as the Dari letter typed for them.
    "ټ": "ت", "ډ": "د", "ړ": "ر", "ږ": "ژ", "ښ": "ش", "ګ": "گ", "ڭ": "گ", "ڼ": "ن", "ې": "ی", "ۍ": "ی",
    "ے": "ی",
    # A zero-width non-joiner separates the parts of a word as a space would; a joiner and the
    # tatweel only stretch letters.
    "\u200c": " ", "\u200d": "", "ـ": "",
})
# Harakat, tanween, superscript alef, hamza above and below (U+064B–U+065F, U+0670).
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")


def fold(text: str) -> str:
    """`text` in one spelling: letter variants and Pashto letters as Dari ones, no diacritics,
    Western digits, case-folded, single spaces."""
    text = _DIACRITICS.sub("", western_digits(text.translate(_VARIANTS)))
    return " ".join(text.casefold().split())

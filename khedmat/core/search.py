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


# --- one name in either script ---------------------------------------------------------------
# A name written in Latin letters ("Karimi") and in Dari or Pashto letters ("کریمی") meet on
# their consonant skeleton: each letter to the consonant it sounds as, vowels and the letters
# that write vowels (alef, medial vav and yeh, a final heh) dropped, repeats collapsed:
# both give "krm". Coarse on purpose: it finds candidates for an officer to look at.
SKELETON_MARK = "~"  # a skeleton's prefix in a search text: never typed, so never confused
_ARABIC_CONSONANTS = {
    "ب": "b", "پ": "p", "ت": "t", "ط": "t", "ټ": "t", "ث": "s", "س": "s", "ص": "s", "ج": "j", "چ": "c",
    "ځ": "z", "څ": "s", "ح": "h", "خ": "k", "د": "d", "ډ": "d", "ذ": "z", "ر": "r", "ړ": "r", "ز": "z",
    "ژ": "z", "ږ": "z", "ش": "x", "ښ": "x", "ض": "z", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ک": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n", "ڼ": "n", "ه": "h",
}
# In this order: a written x first, then the digraphs (sh and ch held in capitals meanwhile, so
# that c → k does not reach them), then the single letters.
_LATIN_DIGRAPHS = (("x", "ks"), ("kh", "k"), ("gh", "g"), ("sh", "X"), ("ch", "C"), ("zh", "z"), ("ph", "f"),
                   ("th", "t"), ("dh", "z"), ("q", "k"), ("v", "w"), ("c", "k"), ("X", "x"), ("C", "c"))
_LATIN_DROPPED = set("aeiou'`-")
_MIN_SKELETON = 2


def _collapse(consonants: list[str]) -> str:
    return "".join(c for i, c in enumerate(consonants) if i == 0 or c != consonants[i - 1])


def name_skeleton(word: str) -> str:
    """The consonant skeleton of one word of a name, in Latin or Arabic script ("" when too short
    to mean anything, or in neither script)."""
    word = search_key(word)
    if not word:
        return ""
    consonants: list[str] = []
    if all("\u0600" <= character <= "\u06ff" for character in word):
        for index, character in enumerate(word):
            if character in "یو":
                if index == 0:  # a yeh or vav that starts a word is a consonant: Yusuf, Wali
                    consonants.append("y" if character == "ی" else "w")
                continue  # otherwise it writes a vowel (i, u, o, ay)
            if character == "ه" and index == len(word) - 1 and index > 0:
                continue  # a final heh writes a vowel: Fatima فاطمه
            consonant = _ARABIC_CONSONANTS.get(character)
            if consonant:
                consonants.append(consonant)
    elif word.isascii() and word.isalpha():
        latin = word
        for digraph, consonant in _LATIN_DIGRAPHS:
            latin = latin.replace(digraph, consonant)
        for index, character in enumerate(latin):
            if character in _LATIN_DROPPED or (character in "wy" and index > 0):
                continue
            if character == "h" and index == len(latin) - 1 and index > 0:
                continue  # Shah, Allah: the final heh the other script drops too
            consonants.append(character)
    else:
        return ""
    skeleton = _collapse(consonants)
    return skeleton if len(skeleton) >= _MIN_SKELETON else ""

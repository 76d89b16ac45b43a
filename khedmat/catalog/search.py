"""The catalog search, forgiving of typos and of the script or spelling a word is typed in.

Every word typed must match a word of the service (its names in three languages, its codes,
its agency's names): exactly, as a part of it, or within a few typing slips (RapidFuzz's
normalized Indel similarity, the same on SQLite and PostgreSQL). Both sides are folded by
`core.spelling` first, so Arabic and Persian letters, Pashto and Dari letters, diacritics and
digits of any kind compare equal. docs/decisions/0022-forgiving-search.md says why this runs in
Python over the small catalog rather than in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

from khedmat.core.spelling import fold

MAX_WORDS = 8
_WORD = re.compile(r"\w+")
# Words this short match only exactly or as a part of a word: "id" is no typo of "in".
MIN_FUZZY_LENGTH = 4


def query_words(query: str) -> list[str]:
    """The words of a search, folded; at most MAX_WORDS."""
    return _WORD.findall(fold(query))[:MAX_WORDS]


def _cutoff(word: str) -> float:
    """How alike (0–100) a word must be to a service's word: one slip in four or five letters,
    two in eight (pasport, paasport, license for passport and licence)."""
    return 85.0 if len(word) < 6 else 78.0


@lru_cache(maxsize=4096)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_WORD.findall(fold(text))))


def word_scores(word: str, vocabulary: Iterable[str]) -> dict[str, float]:
    """The words of the vocabulary that a typed (folded) word may mean, with how well: 100 for
    a word it is part of, else the similarity when above the cutoff."""
    vocabulary = list(vocabulary)
    scores = {candidate: 100.0 for candidate in vocabulary if word in candidate}
    if len(word) >= MIN_FUZZY_LENGTH:
        for candidate, score, _ in process.extract(word, vocabulary, scorer=fuzz.ratio,
                                                   score_cutoff=_cutoff(word), limit=None):
            scores.setdefault(candidate, float(score))
    return scores


def rank(words: list[str], candidates: Iterable[tuple[int, str]]) -> list[int]:
    """The keys of the candidates (key, search text) that match every word, best first
    (ties keep the candidates' order). Each typed word is compared once with each distinct
    word of the catalog, not once per service."""
    candidate_words = [(key, _words_of(text)) for key, text in candidates]
    vocabulary = {word for _, its_words in candidate_words for word in its_words}
    scores = [word_scores(word, vocabulary) for word in words]
    scored = []
    for position, (key, its_words) in enumerate(candidate_words):
        total = 0.0
        for score in scores:
            best = max((score.get(word, 0.0) for word in its_words), default=0.0)
            if not best:
                break
            total += best
        else:
            scored.append((-total, position, key))
    return [key for _, _, key in sorted(scored)]

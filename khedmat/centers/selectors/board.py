"""The display board's feed as the hall's screens poll it: its calls and their version (the
ETag), kept in the cache under the tokens of khedmat/centers/board_cache.py.

A screen polls every half second; while nothing is called, the answer ("not modified", or the
calls) comes from one round trip to the cache and no statement. When nothing is kept (or what
is kept was kept under a token since replaced), the centre and its calls are read from the
database as objects, and the answer kept for the next poll, per language.

Each process also remembers its last answer per address and language for BOARD_MEMO_SECONDS
(half a poll's interval, decision 0031): the many screens polling the same centre are then
answered without even that round trip, and a call reaches the screens that much later at most.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from khedmat.catalog import fragments
from khedmat.core.caching import CACHE_UNAVAILABLE, cache_unavailable

from .. import board_cache
from ..models import Center
from .centers import center_open_by_slug


@dataclass(frozen=True)
class BoardFeed:
    slug: str
    version: str
    calls_json: str  # the calls as the feed sends them, already JSON


_MAX_MEMO = 1024
# (address, language) → (time.monotonic() when read, the answer): this process's last answers.
_memo: dict[tuple[str, str], tuple[float, BoardFeed]] = {}


def board_feed_calls(*, slug: str, language: str,
                     render: Callable[[Center], tuple[str, list[dict[str, Any]]]]) -> BoardFeed | None:
    """The board's version and calls at this address in this language (None: no active centre
    there), kept in the cache. `render(center)` gives them from the database (in the active
    language): only what it returns is kept."""
    seconds: float = settings.BOARD_MEMO_SECONDS
    if seconds > 0:
        remembered = _memo.get((slug, language))
        if remembered is not None and time.monotonic() - remembered[0] < seconds:
            return remembered[1]
    feed = _board_feed_calls(slug=slug, language=language, render=render)
    if seconds > 0 and feed is not None:
        if len(_memo) >= _MAX_MEMO:
            _memo.clear()
        _memo[(slug, language)] = (time.monotonic(), feed)
    return feed


def _board_feed_calls(*, slug: str, language: str,
                      render: Callable[[Center], tuple[str, list[dict[str, Any]]]]) -> BoardFeed | None:
    known = _known(slug)
    found = board_cache.read([board_cache.token_key(known), board_cache.calls_key(known, language)]
                             if known is not None else [])
    if known is not None and _still_at(slug, found):
        tokens = board_cache.kept_tokens(found, known)
        kept = found.get(board_cache.calls_key(known, language))
        if tokens is not None and kept is not None and kept[0] == tokens:
            version, calls_json = kept[1]
            return BoardFeed(slug=slug, version=version, calls_json=calls_json)
    center = center_open_by_slug(slug=slug)
    if center is None:
        board_cache.forget_center(slug)
        return None
    if known != center.pk or not _still_at(slug, found):
        _remember(slug, found, center.pk)
    tokens = board_cache.current_tokens(center.pk, found)  # before the calls are read
    version, calls = render(center)
    calls_json = json.dumps(calls, cls=DjangoJSONEncoder, ensure_ascii=False)
    board_cache.keep(board_cache.calls_key(center.pk, language), tokens, (version, calls_json))
    return BoardFeed(slug=center.slug, version=version, calls_json=calls_json)


def _known(slug: str) -> int | None:
    known = board_cache.known_center(slug)
    return known[1] if known is not None else None


def _still_at(slug: str, found: dict[str, Any]) -> bool:
    """Whether the address was resolved under the catalog version the cache holds now."""
    known = board_cache.known_center(slug)
    return known is not None and bool(found.get(fragments.VERSION_KEY)) and \
        known[0] == found.get(fragments.VERSION_KEY)


def _remember(slug: str, found: dict[str, Any], center_id: int) -> None:
    """Note the centre at this address under the catalog version read before the database."""
    catalog = found.get(fragments.VERSION_KEY)
    if not catalog:
        try:
            fragments.version()  # made now: it is read before the database next time
        except CACHE_UNAVAILABLE as error:
            cache_unavailable("board feed", error)
        return
    board_cache.remember_center(slug, catalog, center_id)

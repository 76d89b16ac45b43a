"""The display board's feed, kept in the cache under tokens that every change of it replaces.

Every screen of every hall asks for the feed every half second and nearly always hears "not
modified": the answer is kept in the shared cache (Redis in production), so a poll reads one
round trip to the cache and no statement (docs/performance.md, "Board feed").

A kept answer holds the tokens it was computed under, read *before* the database was:
- the centre's **board token**, replaced whenever a ticket of the centre is called, recalled,
  sent on, marked a no-show, deleted or renumbered, or one of its counters or queue groups
  changes (signals on Ticket, Counter, QueueGroup; `board_changed` for any other writer), at
  once and again when the transaction commits;
- the **catalog version** (khedmat/catalog/fragments.py), replaced on every save of a centre
  (its address, closing it) and of the services whose names the calls show;
- today's date (the board shows today's calls).

An answer computed from rows read before a change committed was stored under the token that
change replaces, so it is never used after the commit: the board is never older than the last
committed call. Answers also expire after KEEP_SECONDS, in case a token could not be replaced
while the cache was away (a token that is missing is made anew, which invalidates everything).
Only tickets that join the queue (new, waiting) and a call's progress at its counter (started,
served: the call stays on the board as it was) leave the token alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from khedmat.catalog import fragments
from khedmat.core.caching import CACHE_UNAVAILABLE, cache_unavailable

KEEP_SECONDS = 15  # a kept answer's life whatever happens (a token replacement lost to a cache outage)
TOKEN_SECONDS = 2 * 24 * 60 * 60  # a missing token is made anew: that only invalidates
_MAX_KNOWN_SLUGS = 1024

# What a ticket's save must touch to change the board (its calls: number, letter, counter,
# time of call, and the service named on the 200 answer).
_BOARD_FIELDS = frozenset({"status", "counter", "called_at", "number", "group", "day", "center", "service"})
# A call's progress at the counter (called → serving → served): shown the same before and after.
_PROGRESS_FIELDS = frozenset({"status", "started_at"})

# slug → (catalog version it was read under, centre id): an address is resolved once per
# process and catalog version (a centre renamed or closed gives the catalog a new version).
_known: dict[str, tuple[str, int]] = {}


def token_key(center_id: int) -> str:
    return f"centers:board:token:{center_id}"


def version_key(center_id: int) -> str:
    return f"centers:board:version:{center_id}"


def calls_key(center_id: int, language: str) -> str:
    return f"centers:board:calls:{center_id}:{language}"


Tokens = tuple[str, str, str]  # catalog version, board token, today's date


def known_center(slug: str) -> tuple[str, int] | None:
    return _known.get(slug)


def remember_center(slug: str, catalog_version: str, center_id: int) -> None:
    if len(_known) >= _MAX_KNOWN_SLUGS:
        _known.clear()
    _known[slug] = (catalog_version, center_id)


def forget_center(slug: str) -> None:
    _known.pop(slug, None)


def read(keys: list[str]) -> dict[str, Any]:
    """The keys kept, in one round trip ({} while the cache is away: the caller reads the database)."""
    try:
        return cache.get_many([fragments.VERSION_KEY, *keys])
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("board feed", error)
        return {}


def current_tokens(center_id: int, found: dict[str, Any]) -> Tokens | None:
    """The tokens to compute an answer under, made when missing: call before reading the
    database. None while the cache is away (then nothing is kept)."""
    try:
        catalog = found.get(fragments.VERSION_KEY) or fragments.version()
        board = found.get(token_key(center_id))
        if board is None:
            cache.add(token_key(center_id), uuid.uuid4().hex, timeout=TOKEN_SECONDS)
            board = cache.get(token_key(center_id))
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("board feed", error)
        return None
    if not catalog or not board:
        return None
    return catalog, board, timezone.localdate().isoformat()


def kept_tokens(found: dict[str, Any], center_id: int) -> Tokens | None:
    """The tokens as the cache holds them now (None if one is missing)."""
    catalog, board = found.get(fragments.VERSION_KEY), found.get(token_key(center_id))
    if not catalog or not board:
        return None
    return catalog, board, timezone.localdate().isoformat()


def keep(key: str, tokens: Tokens | None, value: Any) -> None:
    if tokens is None:
        return
    try:
        cache.set(key, (tokens, value), timeout=KEEP_SECONDS)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("board feed", error)


def _replace_token(center_id: int) -> None:
    try:
        cache.set(token_key(center_id), uuid.uuid4().hex, timeout=TOKEN_SECONDS)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable("board feed", error)


class _ReplaceOnCommit:
    """The replacement of a centre's token when the transaction commits (one per transaction)."""

    def __init__(self, center_id: int) -> None:
        self.center_id = center_id

    def __call__(self) -> None:
        _replace_token(self.center_id)


def board_changed(center_id: int) -> None:
    """The centre's board changed (or may have): its kept answers are not used again, now and
    once more when the transaction commits. A writer that bypasses the model's save (plain SQL,
    QuerySet.update) on tickets, counters or queue groups must call this (a call or a recall
    publishes TicketCalled, which calls it)."""
    _replace_token(center_id)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # One replacement on commit per centre and transaction (a call saves the ticket and
        # publishes TicketCalled): one registered at this savepoint level or an outer one runs
        # whenever this change commits; one inside a savepoint that may roll back is not relied on.
        open_savepoints = set(connection.savepoint_ids)
        for savepoint_ids, callback, _robust in connection.run_on_commit:  # type: ignore[misc]  # 3-tuples (Django 4.2+)
            if isinstance(callback, _ReplaceOnCommit) and callback.center_id == center_id \
                    and set(savepoint_ids) <= open_savepoints:
                return
    transaction.on_commit(_ReplaceOnCommit(center_id))


# --- signals -----------------------------------------------------------------------------------

def _ticket_saved(sender: type[models.Model], instance: Any, created: bool, update_fields: Any,
                  **kwargs: Any) -> None:
    if created:
        if instance.called_at is None:  # joined the queue: not on the board
            return
    elif update_fields is not None:
        fields = frozenset(update_fields)
        if not fields & _BOARD_FIELDS:
            return
        if fields <= _PROGRESS_FIELDS and instance.status in ("serving", "served"):
            return
    board_changed(instance.center_id)


def _center_part_saved(sender: type[models.Model], instance: Any, update_fields: Any, **kwargs: Any) -> None:
    # A counter's number, a queue group's letter (their state, pictogram... are not shown).
    if update_fields is not None and not frozenset(update_fields) & {"number", "letter", "center"}:
        return
    board_changed(instance.center_id)


def _deleted(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    board_changed(instance.center_id)


def _ticket_called(event: Any, request: Any) -> None:
    # A call written without the model's save (plain SQL) still says so through its event.
    board_changed(event.ticket.center_id)


def register() -> None:
    """Connect the signals that replace a centre's board token (CentersConfig.ready)."""
    from khedmat.core import events

    from .events import TicketCalled
    from .models import Counter, QueueGroup, Ticket

    events.subscribe(TicketCalled, _ticket_called)

    connections: list[tuple[Any, Callable[..., None], type[models.Model], str]] = [
        (post_save, _ticket_saved, Ticket, "ticket-saved"),
        (post_delete, _deleted, Ticket, "ticket-deleted"),
        (post_save, _center_part_saved, Counter, "counter-saved"),
        (post_delete, _deleted, Counter, "counter-deleted"),
        (post_save, _center_part_saved, QueueGroup, "group-saved"),
        (post_delete, _deleted, QueueGroup, "group-deleted"),
    ]
    for signal, receiver, model, name in connections:
        signal.connect(receiver, sender=model, dispatch_uid=f"centers-board-{name}")

"""Waking an outbox's worker after a commit, with at most one wake on its way per outbox
(decision 0045).

Each commit that wrote to an outbox (an SMS, a webhook delivery) used to publish a Celery task
of its own: 0.50 ms of the web request's CPU, measured alone against Redis (kombu builds the
message, its headers and its body), against 0.10 ms for the key below. The worker's task does
not need to be told which rows to send: it drains everything due. So a commit only needs a
wake to be *on its way*:

- the request adds a short-lived key (`SET NX`, one round trip, ~0.1 ms); only the request that
  adds it publishes the task, which runs `WAKE_DELAY_SECONDS` later;
- the task deletes the key *before* it claims what is due, so a row committed before another
  request found the key set is always seen by that claim, and a row committed after the
  delete adds the key again and publishes a wake of its own;
- the key expires after `WAKE_KEY_SECONDS`, so a wake lost with a killed worker holds back
  later ones no longer than that; the periodic sweep finds anything in between. Nothing is
  lost either way: the rows are in the database.

Under load the requests of half a second share one task: its worker claims them in batches,
which is also cheaper for the worker (docs/performance.md). With no broker (`make run`, the
tests) the task runs at once, in the process."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache

from .caching import CACHE_UNAVAILABLE, cache_unavailable

logger = logging.getLogger(__name__)

# How long after the first commit the woken task runs: the others of that half second join it.
WAKE_DELAY_SECONDS = 0.5
# How long a wake holds back the next one at most (a worker killed with the task in hand).
WAKE_KEY_SECONDS = 10


def _key(outbox: str) -> str:
    return f"outbox-wake:{outbox}"


def wake_worker(task: Any, *, outbox: str) -> None:
    """After a commit that wrote to `outbox`: have `task` (no arguments) run soon, unless a
    wake of that outbox is already on its way. If the broker cannot be reached, the rows wait
    for the periodic sweep."""
    try:
        first = cache.add(_key(outbox), 1, timeout=WAKE_KEY_SECONDS)
    except CACHE_UNAVAILABLE as error:  # publish anyway: the key is only an economy
        cache_unavailable(f"outbox {outbox} wake", error)
        first = True
    if not first:
        return
    try:
        task.apply_async(countdown=WAKE_DELAY_SECONDS, ignore_result=True)
    except Exception:  # the broker is down: the sweep will find the rows
        _forget(outbox)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("outbox %s: broker unreachable, rows left for the sweep", outbox, exc_info=True)


def wake_taken(outbox: str) -> None:
    """Called by the woken task before it claims anything: a commit from now on wakes again."""
    _forget(outbox)


def _forget(outbox: str) -> None:
    try:
        cache.delete(_key(outbox))
    except CACHE_UNAVAILABLE as error:  # the key expires by itself
        cache_unavailable(f"outbox {outbox} wake key not removed", error)

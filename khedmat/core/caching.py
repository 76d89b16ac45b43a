"""What a cache server being away looks like, so that code using the cache for counting or
speed can carry on without it (docs/decisions/0028-cache-outages.md).

The cache (Redis in production) holds throttle counts and copies of rarely changed rows:
nothing that is the only record of anything. While it restarts, a request must not fail for
it: throttles let the attempt through uncounted and copies are read from the database. Code
whose answer depends on what only the cache holds (a one-time code) lets the error through:
failing there is the safe side.
"""

from __future__ import annotations

import logging
import uuid

logger = logging.getLogger("khedmat.cache")


def _errors() -> tuple[type[Exception], ...]:
    """The exceptions a cache backend raises when its server cannot be reached or answered:
    socket errors, and the client library's own (redis-py's do not derive from OSError)."""
    found: list[type[Exception]] = [OSError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover (redis is in requirements.txt)
        pass
    else:
        found += [RedisConnectionError, RedisTimeoutError]
    return tuple(found)


CACHE_UNAVAILABLE: tuple[type[Exception], ...] = _errors()


def cache_unavailable(what: str, error: Exception) -> None:
    """Log that the cache was away while doing `what` (the operator's signal of an outage)."""
    logger.warning("cache unavailable (%s): %s: %s", what, type(error).__name__, error)


class CacheVersion:
    """A version token kept under one cache key, which every change of what it stands for
    replaces: values kept under an older token are no longer read (the catalog's fragments,
    the public figures' pages). None while the cache is away: then nothing is kept or read."""

    def __init__(self, key: str, what: str) -> None:
        self.key = key
        self.what = what  # for the outage's log line

    def current(self) -> str | None:
        """The current token (a new one is made when the cache has none)."""
        from django.core.cache import cache

        try:
            current = cache.get(self.key)
            if current is None:
                cache.add(self.key, uuid.uuid4().hex, timeout=None)
                current = cache.get(self.key)
        except CACHE_UNAVAILABLE as error:
            cache_unavailable(self.what, error)
            return None
        return current

    def renew(self) -> None:
        """A new token now; while the cache is away, what was kept may be shown until it comes
        back empty or the next change renews it (docs/decisions/0028)."""
        from django.core.cache import cache

        try:
            cache.set(self.key, uuid.uuid4().hex, timeout=None)
        except CACHE_UNAVAILABLE as error:
            cache_unavailable(f"{self.what} not renewed", error)

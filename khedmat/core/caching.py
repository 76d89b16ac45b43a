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

"""Django's Redis cache, with one Redis client object per connection pool.

Django's own `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call;
each one fills a table of some 170 response callbacks (about 0.3 ms of CPU here). A join POST
makes six cache calls (two throttles, counted and checked), so that was 2–3 ms a request for
nothing (docs/performance.md, "Submission, join and inbox"). A `redis.Redis` is safe to share
between threads: it takes a connection from its pool for each command. Same servers, same
pools, same keys and values: only the wrapper object is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

BACKEND = "khedmat.core.cache.RedisCache"
DJANGO_BACKEND = "django.core.cache.backends.redis.RedisCache"


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Keeps the `redis.Redis` made for each connection pool."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's, not in the stubs
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache backend with `ReusedClientRedisCacheClient`."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


def with_reused_clients(caches: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`caches` with each of Django's Redis caches served by this backend (anything else as given)."""
    return {alias: ({**config, "BACKEND": BACKEND} if config.get("BACKEND") == DJANGO_BACKEND else config)
            for alias, config in caches.items()}

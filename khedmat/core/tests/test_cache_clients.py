"""The Redis cache keeps one client object per connection pool (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from khedmat.core.cache import BACKEND, DJANGO_BACKEND, RedisCache, with_reused_clients
from khedmat.core.deployment import SHARED_CACHE_BACKENDS


def test_every_cache_call_uses_the_same_client_and_pool() -> None:
    # No command is sent: a client connects only when it runs one.
    cache = RedisCache("redis://127.0.0.1:6379/7", {})
    inner: Any = cache._cache  # type: ignore[attr-defined]  # Django's client object, not in the stubs
    client = inner.get_client()
    assert inner.get_client(write=True) is client
    assert client.connection_pool is inner._get_connection_pool(write=True)


def test_only_djangos_redis_cache_is_swapped_and_it_still_counts_as_shared() -> None:
    caches = with_reused_clients({
        "default": {"BACKEND": DJANGO_BACKEND, "LOCATION": "redis://127.0.0.1:6379/1"},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    })
    assert caches["default"] == {"BACKEND": BACKEND, "LOCATION": "redis://127.0.0.1:6379/1"}
    assert caches["local"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert BACKEND in SHARED_CACHE_BACKENDS  # production's check: every process shares it

"""On Redis, guard() checks and counts every limit in one round trip (a script), with the same
keys, values and windows as the two-step path: a refusal counts nothing, the wait is the
longest full window, the counts are those Throttle reads and resets."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from khedmat.core.ratelimit import Throttle, Throttled, ensure_allowed, guard

REDIS_URL = os.environ.get("KHEDMAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache() -> Iterator[Any]:
    """The default cache on a real Redis, under a prefix of this test's own (skipped without Redis)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({error}); set KHEDMAT_TEST_REDIS_URL")
    prefix = f"test-throttle-{uuid.uuid4().hex[:12]}"
    config = {"default": {"BACKEND": "khedmat.core.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    with override_settings(CACHES=config):
        client = caches["default"]._cache.get_client(None, write=True)  # type: ignore[attr-defined]
        yield client
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def _round_trips(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    original = type(client).execute_command

    def counting(self: Any, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(type(client), "execute_command", counting)
    return sent


def test_guard_is_one_round_trip_and_counts_as_throttle_reads(redis_cache: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    per_phone, per_ip = Throttle("t-phone", 2, 600), Throttle("t-ip", 5, 3600)
    sent = _round_trips(redis_cache, monkeypatch)
    guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    assert sent == ["EVAL"]
    guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    assert per_phone.count_of("700") == 2 and per_ip.count_of("1.2.3.4") == 2
    with pytest.raises(Throttled) as refused:
        guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    assert refused.value.minutes == 10
    assert per_ip.count_of("1.2.3.4") == 2  # the refused attempt was not counted anywhere
    guard((per_phone, "701"), (per_ip, "1.2.3.4"))  # another number from the same address still works
    assert per_ip.count_of("1.2.3.4") == 3


def test_a_new_count_expires_with_its_window_and_hit_and_reset_share_it(redis_cache: Any) -> None:
    throttle = Throttle("t-window", 3, 120)
    guard((throttle, "a"))
    key = cache.make_and_validate_key(throttle._key("a"))
    assert 0 < redis_cache.ttl(key) <= 120
    assert throttle.hit("a") == 2  # the two-step path counts on the same key
    guard((throttle, "a"))
    with pytest.raises(Throttled):
        guard((throttle, "a"))
    with pytest.raises(Throttled):
        ensure_allowed((throttle, "a"))
    throttle.reset("a")
    guard((throttle, "a"))
    assert throttle.count_of("a") == 1


def test_the_wait_is_the_longest_full_window_and_empty_identities_are_skipped(redis_cache: Any) -> None:
    short, long = Throttle("t-short", 1, 60), Throttle("t-long", 1, 30 * 60)
    guard((short, "x"), (long, "y"), (Throttle("t-none", 1, 60), ""))
    with pytest.raises(Throttled) as refused:
        guard((short, "x"), (long, "y"))
    assert refused.value.minutes == 30
    with pytest.raises(Throttled) as refused:
        guard((short, "x"), (long, "z"))
    assert refused.value.minutes == 1
    assert long.count_of("z") == 0
    guard((Throttle("t-none", 1, 60), ""), (Throttle("t-none", 1, 60), ""))  # never counted, never full

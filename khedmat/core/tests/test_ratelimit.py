"""Throttles count per client address, also behind load balancers, and cannot be dodged; one
helper checks every limit, counts and words the wait; trusted networks get more."""

from __future__ import annotations

import warnings

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import CacheKeyWarning
from django.test import RequestFactory, override_settings
from django.utils import translation

from khedmat.core.ratelimit import Throttle, Throttled, client_ip, ensure_allowed, guard, network_factor


def test_without_proxies_the_socket_address_counts_and_the_header_is_ignored() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote() -> None:
    # The client forged "1.2.3.4"; our load balancer appended the address it really saw.
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=2)
def test_a_short_header_falls_back_to_the_socket() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "10.0.0.5"


def test_a_throttle_refuses_past_its_limit_and_counts_per_identity() -> None:
    throttle = Throttle("test", 2, 60)
    assert not throttle.is_exceeded("a")
    throttle.hit("a")
    throttle.hit("a")
    assert throttle.is_exceeded("a")
    assert not throttle.is_exceeded("b")
    throttle.reset("a")
    assert not throttle.is_exceeded("a")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_guard_counts_until_full_then_refuses_without_counting() -> None:
    per_phone = Throttle("test-phone", 2, 600)
    per_ip = Throttle("test-ip", 5, 3600)
    guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    with pytest.raises(Throttled) as refused:
        guard((per_phone, "700"), (per_ip, "1.2.3.4"))
    assert refused.value.minutes == 10
    assert per_ip.count_of("1.2.3.4") == 2  # the refused attempt was not counted
    guard((per_phone, "701"), (per_ip, "1.2.3.4"))  # another number from the same address still works


def test_an_empty_identity_is_neither_checked_nor_counted() -> None:
    throttle = Throttle("test-empty", 1, 60)
    guard((throttle, ""))
    guard((throttle, ""))
    assert throttle.count_of("") == 0


def test_the_wait_is_worded_in_the_users_language() -> None:
    with translation.override("fa"):
        message = Throttled(minutes=15).message
    assert "۱۵" in message
    assert Throttled(minutes=1).message == "Too many attempts. Try again in 1 minute."


@override_settings(THROTTLE_TRUSTED_NETWORKS=[("10.20.0.0/16", 10), ("2001:db8::/32", 4)])
def test_a_trusted_network_gets_a_larger_limit_per_address() -> None:
    assert network_factor("10.20.3.4") == 10
    assert network_factor("2001:db8::1") == 4
    assert network_factor("10.21.0.1") == 1
    assert network_factor("not an address") == 1
    per_ip = Throttle("test-centre", 3, 600)
    for _ in range(30):
        guard((per_ip.for_address("10.20.3.4"), "10.20.3.4"))
    with pytest.raises(Throttled):
        ensure_allowed((per_ip.for_address("10.20.3.4"), "10.20.3.4"))
    for _ in range(3):
        guard((per_ip.for_address("192.0.2.1"), "192.0.2.1"))
    with pytest.raises(Throttled):
        guard((per_ip.for_address("192.0.2.1"), "192.0.2.1"))


@pytest.mark.parametrize("identity", ["\x00\x1b õ", "x" * 5_000, "+93 700 000 001", "ali baba", "\ud800", "²"])
def test_a_throttle_key_is_plain_and_short_whatever_was_typed(identity: str) -> None:
    """Memcached refuses keys with spaces, control characters or over 250 bytes (a server error
    there); the cache also holds no typed name or number in clear."""
    throttle = Throttle("login-account", 5, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        assert throttle.hit(identity) == 1
        assert throttle.hit(identity) == 2
    key = throttle._key(identity)
    assert len(key) < 100 and key.isascii() and " " not in key
    assert identity not in key


# --- the cache server away (a Redis restart; docs/decisions/0028-cache-outages.md) ---------------

# A Redis no one listens on: every call is refused at once, as while the server restarts.
REDIS_AWAY = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0",
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}


@override_settings(CACHES=REDIS_AWAY)
def test_while_the_cache_is_away_a_throttle_lets_the_attempt_through_and_says_so_in_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle("away", 1, 60)
    with caplog.at_level("WARNING", logger="khedmat.cache"):
        for _ in range(3):
            guard((throttle, "a"))  # over its limit of 1, but nothing can be counted: no refusal
    assert throttle.count_of("a") == 0
    assert "cache unavailable (throttle away)" in caplog.text

"""Throttles: the one place that checks limits, works out the wait, words it and counts.

Fixed windows kept in the cache (Redis in production), shared by all workers. A limit is a
(count, seconds) pair from settings, counted per identity (an account, a phone number, an
address, a device). Callers build their checks and call `guard()` (check every limit, then
count) or `ensure_allowed()` and `count()` apart when only failures should be counted.

While the cache server is away (a Redis restart), a throttle lets the attempt through
uncounted and logs it, rather than refusing everyone with an error: fail open
(docs/decisions/0028-cache-outages.md). The counts that guard secrets for long (staff
second-factor codes) are kept in the database, not here.

Addresses inside settings.THROTTLE_TRUSTED_NETWORKS (a centre's network, a carrier's NAT)
get their limit multiplied, so thirty people behind one address are not locked out by one
another; per-number and per-account limits stay the main defence.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.utils.translation import ngettext

from .caching import CACHE_UNAVAILABLE, cache_unavailable
from .formatting import format_number


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    @classmethod
    def from_setting(cls, name: str, *, scope: str | None = None) -> Throttle:
        """The throttle a (limit, seconds) setting describes, read at call time."""
        limit, window = getattr(settings, name)
        return cls(scope or name.lower(), int(limit), int(window))

    def for_address(self, address: str) -> Throttle:
        """This throttle as it applies to a client address: larger inside a trusted network."""
        factor = network_factor(address)
        return self if factor == 1 else Throttle(self.scope, self.limit * factor, self.window_seconds)

    def _key(self, identity: str) -> str:
        # The identity is what someone typed (a username, a number, any text): hashed, a key
        # is short and plain whatever they typed (memcached refuses spaces, control characters
        # and keys over 250 bytes), and the cache holds no phone number or name in clear.
        digest = hashlib.sha256(str(identity).encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"throttle:{self.scope}:{digest}"

    def count_of(self, identity: str) -> int:
        """Attempts counted in the current window; 0 while the cache is away (fail open)."""
        try:
            return int(cache.get(self._key(identity), 0))
        except CACHE_UNAVAILABLE as error:
            cache_unavailable(f"throttle {self.scope}", error)
            return 0

    def is_exceeded(self, identity: str) -> bool:
        return self.count_of(identity) >= self.limit

    def hit(self, identity: str) -> int:
        """Count one attempt and return the count in the current window (0: not counted, the
        cache is away)."""
        key = self._key(identity)
        try:
            if cache.add(key, 1, timeout=self.window_seconds):
                return 1
            try:
                return int(cache.incr(key))
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, timeout=self.window_seconds)
                return 1
        except CACHE_UNAVAILABLE as error:
            cache_unavailable(f"throttle {self.scope}", error)
            return 0

    def reset(self, identity: str) -> None:
        cache.delete(self._key(identity))


Check = tuple[Throttle, str]


class Throttled(Exception):
    """A limit is full: the caller refuses, and says when to try again (`message`)."""

    def __init__(self, *, minutes: int) -> None:
        super().__init__(f"throttled for {minutes} minutes")
        self.minutes = minutes

    @property
    def message(self) -> str:
        return ngettext("Too many attempts. Try again in %(minutes)s minute.",
                        "Too many attempts. Try again in %(minutes)s minutes.",
                        self.minutes) % {"minutes": format_number(self.minutes)}


def wait_minutes(throttles: Iterable[Throttle]) -> int:
    """Minutes to announce: the whole longest window (the window's start is not kept), so the
    wait is never longer than promised; at least one."""
    return max([1] + [math.ceil(throttle.window_seconds / 60) for throttle in throttles])


def ensure_allowed(*checks: Check) -> None:
    """Raise Throttled if any (throttle, identity) pair is full; an empty identity is not checked
    (every count read in one round trip)."""
    checks = tuple((throttle, identity) for throttle, identity in checks if identity)
    if not checks:
        return
    keys = [throttle._key(identity) for throttle, identity in checks]
    try:
        counts = cache.get_many(keys)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable(f"throttle {checks[0][0].scope}", error)
        return
    full = [throttle for (throttle, _identity), key in zip(checks, keys, strict=True)
            if int(counts.get(key, 0)) >= throttle.limit]
    if full:
        raise Throttled(minutes=wait_minutes(full))


def count(*checks: Check) -> None:
    """Count one attempt against every (throttle, identity) pair with an identity."""
    for throttle, identity in checks:
        if identity:
            throttle.hit(identity)


def guard(*checks: Check) -> None:
    """Check every limit, then count this attempt: raise Throttled (counting nothing) when full.

    On Redis this is one round trip (a script checks and counts every limit atomically): a
    kiosk ticket and a join from a phone pass here on every request, and four to eight cache
    calls each were a tenth of their CPU (docs/performance.md). Elsewhere, two steps."""
    checks = tuple((throttle, identity) for throttle, identity in checks if identity)
    if not checks:
        return
    client = _redis_client()
    if client is None:
        ensure_allowed(*checks)
        count(*checks)
        return
    keys = [cache.make_and_validate_key(throttle._key(identity)) for throttle, identity in checks]
    arguments = [throttle.limit for throttle, _identity in checks] + \
        [throttle.window_seconds for throttle, _identity in checks]
    try:
        full = client.eval(_GUARD_SCRIPT, len(keys), *keys, *arguments)
    except CACHE_UNAVAILABLE as error:
        cache_unavailable(f"throttle {checks[0][0].scope}", error)
        return
    if full:
        raise Throttled(minutes=wait_minutes(checks[int(index) - 1][0] for index in full))


# KEYS: the counters; ARGV: their limits, then their windows (seconds). Returns the (1-based)
# positions of the full ones, counting nothing; or, none full, counts each and returns none.
# The same fixed windows and values as Throttle.hit (a new counter expires after its window).
_GUARD_SCRIPT = """
local n = #KEYS
local full = {}
for i = 1, n do
  local counted = tonumber(redis.call('GET', KEYS[i])) or 0
  if counted >= tonumber(ARGV[i]) then full[#full + 1] = i end
end
if #full > 0 then return full end
for i = 1, n do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[n + i]) end
end
return full
"""


def _redis_client() -> Any:
    """The redis-py client of the default cache when it is Django's Redis cache (ours too), else None."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, DjangoRedisCache):
        return None
    return backend._cache.get_client(None, write=True)  # type: ignore[attr-defined]  # Django's, not in the stubs


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[tuple[str, int], ...]) -> tuple[tuple[_Network, int], ...]:
    return tuple((ipaddress.ip_network(network, strict=False), int(factor)) for network, factor in entries)


def network_factor(address: str) -> int:
    """How many times the per-address limits an address gets (1 outside trusted networks)."""
    configured = getattr(settings, "THROTTLE_TRUSTED_NETWORKS", ())
    entries = tuple((str(network), int(factor)) for network, factor in configured)
    if not entries:
        return 1
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return 1
    return max([1] + [factor for network, factor in _trusted_networks(entries) if ip.version == network.version
                      and ip in network])


def client_ip(request: object) -> str:
    """The client's address: the socket's, or — behind settings.TRUSTED_PROXIES load
    balancers — the address the outermost trusted proxy saw, from X-Forwarded-For.

    Only the entries our own proxies appended are believed: a client can put anything in
    the header, but not past the proxies that add to it.
    """
    meta = getattr(request, "META", {})
    trusted = settings.TRUSTED_PROXIES
    if trusted:
        hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return str(meta.get("REMOTE_ADDR", "unknown"))

"""Fixed-window throttles kept in the cache (Redis in production), shared by all workers.

Used for sign-in attempts and for one-time codes sent by SMS: each is a (limit, window)
pair from settings, counted per key (an account, a phone number, an IP address).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window_seconds: int

    def _key(self, identity: str) -> str:
        return f"throttle:{self.scope}:{identity}"

    def is_exceeded(self, identity: str) -> bool:
        return int(cache.get(self._key(identity), 0)) >= self.limit

    def hit(self, identity: str) -> int:
        """Count one attempt and return the count in the current window."""
        key = self._key(identity)
        if cache.add(key, 1, timeout=self.window_seconds):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window_seconds)
            return 1

    def reset(self, identity: str) -> None:
        cache.delete(self._key(identity))


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

"""The Redis broker transport of the outbox's hand-off, with the client kept per channel.

kombu's Redis channel makes a new `redis.Redis` client for every message it publishes
(`conn_or_acquire` → `_create_client`). The TCP connection comes from the channel's pool and
is reused, but building the client (redis-py fills its table of ~170 response callbacks) was
a sixth of each publish's CPU: every write that sends an SMS hands its message to a worker
after commit (join: ~0.2 ms of ~1 ms). Here the channel keeps the one client it made over its
pool (a client is only a pool and its callbacks, safe to share between threads) and makes it
again when the pool is replaced (after a reconnection). Everything else is kombu's own.
Selected by `CELERY_BROKER_TRANSPORT` when the broker is `redis://` (config/settings/base.py).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    """kombu's channel, its synchronous client made once per connection pool."""

    _kept_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        kept = self._kept_client
        if kept is None or kept.connection_pool is not self.pool:
            kept = self._kept_client = super()._create_client()
        return kept


class Transport(redis.Transport):
    """kombu's Redis transport with the channel above."""

    Channel = Channel

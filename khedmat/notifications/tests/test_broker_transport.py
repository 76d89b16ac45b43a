"""The outbox's Redis transport keeps one publishing client per channel pool (kombu's makes one
per message), and publishes and consumes exactly as kombu's: a message sent is the message
read, nothing lost, nothing twice. Needs Redis (skipped without, as the throttle's tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection, Queue

from khedmat.notifications import broker

REDIS_URL = os.environ.get("KHEDMAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def connection() -> Iterator[Any]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({error}); set KHEDMAT_TEST_REDIS_URL")
    with Connection(REDIS_URL, transport="khedmat.notifications.broker:Transport") as opened:
        yield opened


def test_the_settings_choose_it_for_a_redis_broker_only() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis://"):
        assert settings.CELERY_BROKER_TRANSPORT == "khedmat.notifications.broker:Transport"
    else:  # the tests' eager mode (memory://) keeps kombu's own choice
        assert not getattr(settings, "CELERY_BROKER_TRANSPORT", None)


def test_one_client_per_pool_and_every_message_read_once(connection: Any) -> None:
    name = f"test-broker-{uuid.uuid4().hex[:12]}"
    queue = Queue(name, routing_key=name)
    channel = connection.default_channel
    assert isinstance(channel, broker.Channel)
    made: list[Any] = []
    original = broker.redis.Channel._create_client

    def counting(self: Any, asynchronous: bool = False) -> Any:
        client = original(self, asynchronous=asynchronous)
        made.append(client)
        return client

    try:
        broker.redis.Channel._create_client = counting  # type: ignore[method-assign]
        producer = connection.Producer(channel)
        for index in range(5):
            producer.publish({"n": index}, routing_key=name, declare=[queue], serializer="json")
        assert len(made) <= 1  # kombu's own makes one a message
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second and first.connection_pool is channel.pool
        read = []
        simple = connection.SimpleQueue(queue)
        for _ in range(5):
            message = simple.get(timeout=2)
            read.append(message.payload["n"])
            message.ack()
        with pytest.raises(simple.Empty):
            simple.get(timeout=0.2)
        assert read == [0, 1, 2, 3, 4]
        channel._disconnect_pools()  # a reconnection (or a fork) replaces the pool: a new client over it
        with channel.conn_or_acquire() as again:
            assert again is not first and again.connection_pool is channel.pool
    finally:
        broker.redis.Channel._create_client = original  # type: ignore[method-assign]
        with channel.conn_or_acquire() as client:
            client.delete(name)
        queue(channel).delete()

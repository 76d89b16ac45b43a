"""Celery tasks of the webhooks' outbox. With no broker configured (`make run`, the tests)
Celery runs them eagerly, in the process, right after the commit that wrote the deliveries."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from khedmat.core.wake import wake_taken, wake_worker

from .webhook_delivery import deliver_webhooks

OUTBOX = "webhooks"
DRAIN_LIMIT_BATCHES = 10  # batches one woken task sends at most before it wakes the next


@shared_task(name="api.deliver_webhooks", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(delivery_ids: list[int]) -> dict[str, int]:
    """Send these deliveries now (those still due: a delivered one is never posted again).
    Tasks published before decision 0045 name their rows; commits now wake `deliver_woken`."""
    return deliver_webhooks(ids=delivery_ids)


@shared_task(name="api.deliver_webhooks_woken", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_woken() -> dict[str, int]:
    """Send every due delivery (khedmat.core.wake: woken by the commits of the last moment,
    which share this one task). If it stopped at its batch limit, the rest wake it again."""
    wake_taken(OUTBOX)
    counts = deliver_webhooks(max_batches=DRAIN_LIMIT_BATCHES)
    if counts["claimed"] >= DRAIN_LIMIT_BATCHES * settings.WEBHOOK_BATCH_SIZE:
        wake_worker(deliver_woken, outbox=OUTBOX)
    return counts


def deliver_webhooks_soon(delivery_ids: list[int]) -> None:
    """Deliveries were just committed: wake a worker (one wake on its way for every commit of
    the moment, khedmat.core.wake). If the broker cannot be reached they wait in the outbox for
    the periodic sweep (`webhooks_deliver_due`): nothing is lost."""
    if delivery_ids:
        wake_worker(deliver_woken, outbox=OUTBOX)

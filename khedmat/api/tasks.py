"""Celery tasks of the webhooks' outbox. With no broker configured (`make run`, the tests)
Celery runs them eagerly, in the process, right after the commit that wrote the deliveries."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .webhook_delivery import deliver_webhooks

logger = logging.getLogger(__name__)


@shared_task(name="api.deliver_webhooks", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(delivery_ids: list[int]) -> dict[str, int]:
    """Send these deliveries now (those still due: a delivered one is never posted again)."""
    return deliver_webhooks(ids=delivery_ids)


def deliver_webhooks_soon(delivery_ids: list[int]) -> None:
    """Hand deliveries just committed to a worker. If the broker cannot be reached they wait in
    the outbox for the periodic sweep (`webhooks_deliver_due`): nothing is lost."""
    if not delivery_ids:
        return
    try:
        deliver.apply_async(args=[delivery_ids], ignore_result=True)
    except Exception:  # the broker is down: the sweep will find them
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("webhooks: %s delivery(ies) left for the sweep", len(delivery_ids), exc_info=True)

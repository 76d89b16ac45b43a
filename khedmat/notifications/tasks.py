"""Celery tasks of the outbox. With no broker configured (`make run`, the tests) Celery runs
them eagerly, in the process, right after the commit that wrote the messages."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from khedmat.core.wake import wake_taken, wake_worker

from .delivery import deliver_messages

OUTBOX = "sms"
DRAIN_LIMIT_BATCHES = 50  # batches one woken task sends at most before it wakes the next


@shared_task(name="notifications.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(message_ids: list[int]) -> dict[str, object]:
    """Send these messages now (those still due: a message is never sent twice), with other
    due messages in the same batch: under load a worker woken for one message takes many,
    and the tasks of the others find them sent, instead of paying a claim and the gateways'
    health per message (measured: 6.4 ms of CPU a message one by one, 2.1 in batches of 50).
    Tasks published before decision 0045 name their messages; commits now wake `deliver_woken`."""
    return deliver_messages(ids=message_ids, with_others=True).as_dict()


@shared_task(name="notifications.deliver_woken", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_woken() -> dict[str, object]:
    """Send every due message (khedmat.core.wake: woken by the commits of the last moment,
    which share this one task). If it stopped at its batch limit, the rest wake it again."""
    wake_taken(OUTBOX)
    run = deliver_messages(max_batches=DRAIN_LIMIT_BATCHES)
    if run.claimed >= DRAIN_LIMIT_BATCHES * settings.SMS_BATCH_SIZE:
        wake_worker(deliver_woken, outbox=OUTBOX)
    return run.as_dict()


def deliver_soon(message_ids: list[int]) -> None:
    """Messages were just committed: wake a worker (one wake on its way for every commit of the
    moment, khedmat.core.wake). If the broker cannot be reached the messages wait in the
    outbox for the periodic sweep (`deliver_due`): nothing is lost."""
    if message_ids:
        wake_worker(deliver_woken, outbox=OUTBOX)

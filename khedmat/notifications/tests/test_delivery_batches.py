"""A worker woken for one message takes the other due messages with it (one claim, one batch),
and the tasks of those find nothing left to send; messages in doubt are the sweep's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from khedmat.notifications import tasks
from khedmat.notifications.delivery import deliver_messages
from khedmat.notifications.models import Message, Status
from khedmat.notifications.services import message_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_waiting(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[int]:
    """Three committed messages whose hand-offs were lost (as when the broker was down)."""
    settings.SMS_GATEWAYS = [{"name": "console", "plugin": "console", "priority": 1}]
    monkeypatch.setattr(tasks, "deliver_soon", lambda ids: None)
    with transaction.atomic():
        messages = [message_queue(to=f"+9370012340{n}", key="ticket.called", language="en",
                                  values={"number": f"B-00{n}", "counter": "1"}) for n in range(3)]
    return [message.pk for message in messages if message is not None]


def test_the_task_for_one_message_sends_the_others_due_in_the_same_batch(three_waiting: list[int]) -> None:
    first, *others = three_waiting
    assert tasks.deliver([first]) == {"claimed": 3, "handed_over": 3, "delivered": 3, "retrying": 0, "failed": 0,
                                      "by_gateway": {"console": 3}}
    assert set(Message.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    claims = {message.history.get(status=Status.SENDING).detail for message in Message.objects.all()}
    assert len(claims) == 1  # one claim took all three
    for pk in others:  # their own tasks come later and find them sent
        assert tasks.deliver([pk])["claimed"] == 0
    assert Message.objects.filter(attempts=1).count() == 3


def test_delivering_given_ids_alone_leaves_the_others(three_waiting: list[int]) -> None:
    first, *others = three_waiting
    assert deliver_messages(ids=[first]).claimed == 1
    assert list(Message.objects.filter(pk__in=others).values_list("status", flat=True)) == [Status.CREATED] * 2


def test_a_full_batch_of_given_ids_is_not_topped_up(three_waiting: list[int]) -> None:
    assert deliver_messages(ids=three_waiting[:2], batch_size=2, with_others=True).claimed == 2
    assert Message.objects.get(pk=three_waiting[2]).status == Status.CREATED


def test_a_message_in_doubt_is_left_to_the_sweep(three_waiting: list[int], settings: Any) -> None:
    """A worker died after claiming it: its lease and the grace for a receipt ran out."""
    in_doubt, fresh, _ = three_waiting
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.SMS_LEASE_SECONDS
                                                   + settings.SMS_IN_DOUBT_GRACE_SECONDS + 1)
    Message.objects.filter(pk=in_doubt).update(status=Status.SENDING, lease_until=long_ago, claimed_by="gone:1",
                                               attempts=1)
    assert tasks.deliver([fresh])["claimed"] == 2  # the other two waiting, not the one in doubt
    assert Message.objects.get(pk=in_doubt).handed_over_at is None
    assert deliver_messages().claimed == 1  # the sweep (deliver_due) takes it
    assert Message.objects.get(pk=in_doubt).attempts == 2

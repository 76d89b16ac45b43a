"""The outbox hands each message over once, retries what failed for a while, fails over to the
next gateway, and believes a signed delivery receipt over anything else."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from khedmat.notifications.delivery import deliver_messages
from khedmat.notifications.models import GatewayHealth, Message, Status
from khedmat.notifications.services import message_queue, receipt_apply, receipt_url
from khedmat.notifications.sms.base import Receipt, ReceiptStatus
from khedmat.notifications.sms.contrib import scripted

pytestmark = pytest.mark.django_db


def queue(text: str = "hello", to: str = "+93700123456") -> Message:
    with transaction.atomic():
        message = message_queue(to=to, key="ticket.called", language="en", values={"number": text, "counter": "1"})
    assert message is not None
    return message


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def statuses(message: Message) -> list[str]:
    return list(message.history.order_by("at", "id").values_list("status", flat=True))


def test_a_message_is_handed_over_once_however_often_workers_look(gateways: Callable[..., None]) -> None:
    gateways(("primary", "accept"))
    message = queue()
    deliver_messages()
    deliver_messages()
    deliver_messages(ids=[message.pk])
    assert len(scripted.SENT) == 1
    message = fresh(message)
    assert message.status == Status.DELIVERED and message.gateway == "primary" and message.attempts == 1
    assert statuses(message) == ["sending", "delivered"]  # created: Message.created_at


def test_an_empty_number_writes_nothing(db: None) -> None:
    with transaction.atomic():
        assert message_queue(to="", key="ticket.called", language="en", values={}) is None
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_outbox_refuses() -> None:
    with pytest.raises(RuntimeError):
        message_queue(to="+93700123456", key="ticket.called", language="en", values={})


def test_a_gateway_that_is_down_is_retried_with_growing_waits_then_given_up(gateways: Callable[..., None]) -> None:
    gateways(("primary", "down"))
    message = queue()
    deliver_messages()
    first = fresh(message)
    assert first.status == Status.TEMPORARY_FAILURE and first.attempts == 1
    wait_1 = first.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=20) < wait_1 < datetime.timedelta(seconds=40)
    deliver_messages()  # not due yet: nothing happens
    assert fresh(message).attempts == 1
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    deliver_messages()
    second = fresh(message)
    assert second.attempts == 2 and second.next_attempt_at - timezone.now() > datetime.timedelta(seconds=45)
    # 72 hours later: given up for good.
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now(), give_up_at=timezone.now())
    deliver_messages()
    assert fresh(message).status == Status.PERMANENT_FAILURE and not scripted.SENT


def test_a_number_the_gateway_refuses_fails_at_once(gateways: Callable[..., None]) -> None:
    gateways(("primary", "refuse"), ("backup", "accept"))
    message = queue()
    deliver_messages()
    assert fresh(message).status == Status.PERMANENT_FAILURE and not scripted.SENT


def test_our_own_misconfiguration_is_a_technical_failure_unless_another_gateway_works(
        gateways: Callable[..., None]) -> None:
    gateways(("primary", "misconfigured"))
    broken = queue("A-001")
    deliver_messages()
    assert fresh(broken).status == Status.TECHNICAL_FAILURE
    gateways(("primary", "misconfigured"), ("backup", "accept"))
    message = queue("A-002")
    deliver_messages()
    assert fresh(message).status == Status.DELIVERED and fresh(message).gateway == "backup"


def test_traffic_moves_to_the_backup_when_the_primary_fails_and_comes_back_after_its_rest(
        gateways: Callable[..., None], settings: Any) -> None:
    settings.SMS_GATEWAY_FAILURES_TO_REST = 2
    gateways(("primary", "down"), ("backup", "accept"))
    messages = [queue(f"A-00{index}") for index in range(4)]
    deliver_messages()
    assert {fresh(m).gateway for m in messages} == {"backup"}
    assert all(fresh(m).status == Status.DELIVERED for m in messages)
    health = GatewayHealth.objects.get(name="primary")
    assert health.failures_in_row >= 2 and health.resting_until is not None
    # While it rests the primary is not even tried.
    scripted.SENT.clear()
    gateways(("primary", "accept"), ("backup", "accept"))
    queue("A-010")
    deliver_messages()
    assert [name for name, _sms in scripted.SENT] == ["backup"]
    # After its rest it takes traffic again.
    GatewayHealth.objects.filter(name="primary").update(resting_until=timezone.now() - datetime.timedelta(1))
    scripted.SENT.clear()
    queue("A-011")
    deliver_messages()
    assert [name for name, _sms in scripted.SENT] == ["primary"]


def test_a_gateway_whose_receipts_stopped_loses_its_traffic(gateways: Callable[..., None], settings: Any) -> None:
    settings.SMS_RECEIPT_SILENCE_SECONDS = 600
    gateways(("primary", "accept", {"receipts": True}), ("backup", "accept", {"receipts": True}))
    queue("A-001")
    deliver_messages()
    assert scripted.SENT[-1][0] == "primary"
    # Handed over twenty minutes ago and no receipt since: the primary is silent.
    GatewayHealth.objects.filter(name="primary").update(
        awaiting_receipt_since=timezone.now() - datetime.timedelta(minutes=20))
    queue("A-002")
    deliver_messages()
    assert scripted.SENT[-1][0] == "backup"
    # A receipt from the primary brings it back.
    message = Message.objects.filter(gateway="primary").first()
    assert message is not None
    receipt_apply(gateway="primary", receipt=Receipt(message_id=message.pk, status=ReceiptStatus.DELIVERED))
    queue("A-003")
    deliver_messages()
    assert scripted.SENT[-1][0] == "primary"


def test_a_message_a_dead_worker_held_waits_for_a_receipt_before_it_is_sent_again(
        gateways: Callable[..., None], settings: Any) -> None:
    """A worker that dies after the gateway took the message but before saying so leaves it
    'sending'. Its receipt proves the hand-over; without one, after the grace, it goes again."""
    settings.SMS_IN_DOUBT_GRACE_SECONDS = 60
    gateways(("primary", "accept", {"receipts": True}))
    taken, lost = queue("A-001"), queue("A-002")
    past = timezone.now() - datetime.timedelta(seconds=30)
    Message.objects.filter(pk__in=[taken.pk, lost.pk]).update(
        status=Status.SENDING, claimed_by="dead-worker", lease_until=past, attempts=1)
    deliver_messages()
    assert not scripted.SENT  # still within the grace: a receipt may yet come
    assert receipt_apply(gateway="primary", receipt=Receipt(message_id=taken.pk, status=ReceiptStatus.ACCEPTED))
    assert fresh(taken).handed_over_at is not None
    Message.objects.filter(pk__in=[taken.pk, lost.pk]).update(lease_until=past - datetime.timedelta(minutes=2))
    deliver_messages()
    assert [sms.message_id for _name, sms in scripted.SENT] == [lost.pk]
    assert fresh(taken).attempts == 1 and fresh(lost).attempts == 2


def test_receipts_only_move_a_message_forward(gateways: Callable[..., None]) -> None:
    gateways(("primary", "accept", {"receipts": True}))
    message = queue()
    deliver_messages()
    assert fresh(message).status == Status.SENDING and fresh(message).handed_over_at is not None

    def apply(status: str) -> bool | None:
        return receipt_apply(gateway="primary", receipt=Receipt(message_id=message.pk, status=status))

    assert apply(ReceiptStatus.ACCEPTED) is True
    assert apply(ReceiptStatus.ACCEPTED) is False  # replayed
    assert apply(ReceiptStatus.DELIVERED) is True
    history = statuses(fresh(message))
    assert apply(ReceiptStatus.DELIVERED) is False
    assert apply(ReceiptStatus.PERMANENT_FAILURE) is False  # late news cannot undo a delivery
    assert fresh(message).status == Status.DELIVERED and statuses(fresh(message)) == history
    assert receipt_apply(gateway="primary", receipt=Receipt(message_id=999_999, status="delivered")) is None


# --- the receipt endpoint ----------------------------------------------------------------------

@pytest.fixture
def kannel_like(settings: Any) -> None:
    settings.SMS_GATEWAYS = [{"name": "roshan", "plugin": "kannel", "priority": 1, "url": "http://127.0.0.1:9/",
                              "username": "u", "password": "p"}]


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_signed_receipt_is_applied_and_a_replay_changes_nothing(kannel_like: None, client: Client) -> None:
    message = queue()
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, handed_over_at=timezone.now(),
                                                 gateway="roshan")
    url = _path(receipt_url(gateway="roshan", message_id=message.pk))
    assert client.get(url + "&type=8").content == b"ok\n"
    assert client.get(url + "&type=1").content == b"ok\n"
    history = statuses(fresh(message))
    replay = client.get(url + "&type=1")
    assert replay.status_code == 200 and replay.content == b"no change\n"
    assert fresh(message).status == Status.DELIVERED and statuses(fresh(message)) == history


def test_receipts_that_are_not_ours_are_refused(kannel_like: None, client: Client) -> None:
    message = queue()
    url = _path(receipt_url(gateway="roshan", message_id=message.pk))
    forged = url.replace(f"m={message.pk}", f"m={message.pk + 1}")
    assert client.get(forged + "&type=1").status_code == 403  # the signature is for another message
    assert client.get(url.replace("sig=", "sig=0") + "&type=1").status_code == 403
    assert client.get(url.replace("/roshan/", "/nobody/") + "&type=1").status_code == 404
    assert client.get(url + "&type=banana").status_code == 400
    gone = _path(receipt_url(gateway="roshan", message_id=987_654))
    assert client.get(gone + "&type=1").status_code == 404
    assert fresh(message).status == Status.CREATED

"""After a commit, the messages a transaction queued reach a worker in one task; a rolled-back
savepoint takes its own messages' hand-off with it, and a rolled-back transaction hands off
nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from khedmat.notifications import tasks
from khedmat.notifications.models import Message
from khedmat.notifications.services import message_queue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handed_off(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The id lists given to workers, one list per task published."""
    published: list[list[int]] = []
    monkeypatch.setattr(tasks, "deliver_soon", lambda ids: published.append(list(ids)))
    return published


def _queue(number: int) -> int:
    message = message_queue(to=f"+9370055500{number}", key="ticket.called", language="en",
                            values={"number": f"B-00{number}", "counter": "1"})
    assert message is not None
    return message.pk


def test_two_messages_of_one_transaction_are_handed_off_in_one_task(handed_off: list[list[int]]) -> None:
    with transaction.atomic():
        first, second = _queue(1), _queue(2)
        assert handed_off == []  # nothing before the commit
    assert handed_off == [[first, second]]


def test_each_transaction_hands_off_its_own(handed_off: list[list[int]]) -> None:
    with transaction.atomic():
        first = _queue(1)
    with transaction.atomic():
        second = _queue(2)
    assert handed_off == [[first], [second]]


def test_a_rolled_back_savepoint_takes_only_its_own_messages(handed_off: list[list[int]]) -> None:
    with transaction.atomic():
        kept_before = _queue(1)
        try:
            with transaction.atomic():
                _queue(2)
                raise RuntimeError("the inner change fails")
        except RuntimeError:
            pass
        with transaction.atomic():  # a savepoint that is released: its message commits
            kept_inside = _queue(3)
        kept_after = _queue(4)
    sent = sorted(pk for ids in handed_off for pk in ids)
    assert sent == sorted([kept_before, kept_inside, kept_after])
    assert sorted(Message.objects.values_list("pk", flat=True)) == sent


def test_a_rolled_back_transaction_hands_off_nothing(handed_off: list[list[int]]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue(1)
        raise RuntimeError("the change fails")
    with transaction.atomic():
        later = _queue(2)
    assert handed_off == [[later]]
    assert list(Message.objects.values_list("pk", flat=True)) == [later]


def test_a_call_that_texts_several_people_publishes_once(handed_off: list[list[int]]) -> None:
    """The counter calls a ticket taken by phone; the next ones in line hear their turn is near."""
    from khedmat.centers.services import ticket_call_next, ticket_issue
    from khedmat.centers.tests.conftest import build_hall

    hall = build_hall(counter_count=2)
    for number in range(3):
        ticket_issue(center=hall.center, service=hall.passport, phone=f"+9370012300{number}", language="en")
    counter = hall.open(1)
    handed_off.clear()  # the tickets' own messages, one task each
    ticket_call_next(counter=counter)
    [task] = handed_off
    assert sorted(task) == sorted(Message.objects.filter(template__in=["ticket.called", "ticket.turn_near"])
                                  .values_list("pk", flat=True))
    assert len(task) == 3  # the called one, and the two now near

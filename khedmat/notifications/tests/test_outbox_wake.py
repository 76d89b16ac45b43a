"""Commits wake the outbox's worker with one task on its way at a time (khedmat.core.wake,
decision 0045): the task sends everything due, including what was committed while it waited;
a commit after it started wakes again; a broker or cache outage loses nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from khedmat.core import wake
from khedmat.notifications import tasks
from khedmat.notifications.models import Message, Status
from khedmat.notifications.services import message_queue

pytestmark = pytest.mark.django_db(transaction=True)


class Broker:
    """Celery's publish, recorded instead of sent: the tasks wait here until `run_all`."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.down = False

    def apply_async(self, **options: Any) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.published.append(options)

    def run_all(self) -> list[dict[str, object]]:
        waiting, self.published = self.published, []
        return [tasks.deliver_woken() for _ in waiting]


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Broker:
    settings.SMS_GATEWAYS = [{"name": "console", "plugin": "console", "priority": 1}]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete("outbox-wake:sms")
    fake = Broker()
    monkeypatch.setattr(tasks.deliver_woken, "apply_async", fake.apply_async)
    return fake


def _commit_message(number: int) -> int:
    with transaction.atomic():
        message = message_queue(to=f"+9370012340{number}", key="ticket.called", language="en",
                                values={"number": f"B-00{number}", "counter": "1"})
    assert message is not None
    return message.pk


def _statuses() -> list[str]:
    return list(Message.objects.order_by("pk").values_list("status", flat=True))


def test_commits_of_one_moment_share_one_task_which_sends_them_all(broker: Broker) -> None:
    for number in range(3):
        _commit_message(number)
    assert len(broker.published) == 1
    assert broker.published[0]["countdown"] == wake.WAKE_DELAY_SECONDS
    assert _statuses() == [Status.CREATED] * 3  # nothing sent in the requests

    [run] = broker.run_all()
    assert run["claimed"] == 3
    assert _statuses() == [Status.DELIVERED] * 3


def test_a_commit_after_the_task_started_wakes_again(broker: Broker) -> None:
    _commit_message(1)
    broker.run_all()
    _commit_message(2)
    assert len(broker.published) == 1  # a new wake: the first task had taken its key
    broker.run_all()
    assert _statuses() == [Status.DELIVERED] * 2


def test_a_commit_while_the_task_runs_is_sent_by_it_or_wakes_another(broker: Broker,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The task forgets its key before it claims: a message committed in between is either in
    the claim or, committed after the key went, wakes a task of its own. Never neither."""
    _commit_message(1)
    original = wake.wake_taken
    committed_in_between: list[int] = []

    def taken_then_commit(outbox: str) -> None:
        original(outbox)
        committed_in_between.append(_commit_message(2))

    monkeypatch.setattr(tasks, "wake_taken", taken_then_commit)
    broker.run_all()
    monkeypatch.setattr(tasks, "wake_taken", original)
    assert committed_in_between and _statuses() == [Status.DELIVERED] * 2
    assert len(broker.published) == 1  # the second commit woke again; that task finds nothing left
    assert broker.run_all() == [{"claimed": 0, "handed_over": 0, "delivered": 0, "retrying": 0, "failed": 0,
                                 "by_gateway": {}}]


def test_a_broker_outage_leaves_the_message_for_the_sweep_and_the_next_commit_wakes(broker: Broker) -> None:
    broker.down = True
    first = _commit_message(1)  # the request is answered: the message is saved
    assert Message.objects.get(pk=first).status == Status.CREATED
    broker.down = False
    _commit_message(2)
    assert len(broker.published) == 1  # the failed wake held nothing back
    broker.run_all()
    assert _statuses() == [Status.DELIVERED] * 2


def test_a_cache_outage_still_wakes_the_worker(broker: Broker, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("cache unreachable")  # an OSError, as a socket gives

    monkeypatch.setattr(wake.cache, "add", unreachable)
    monkeypatch.setattr(wake.cache, "delete", unreachable)
    _commit_message(1)
    _commit_message(2)
    assert len(broker.published) == 2  # without the key each commit publishes, as before
    broker.run_all()
    assert _statuses() == [Status.DELIVERED] * 2


def test_a_task_that_stops_at_its_limit_wakes_the_next(broker: Broker, monkeypatch: pytest.MonkeyPatch,
                                                       settings: Any) -> None:
    settings.SMS_BATCH_SIZE = 1
    monkeypatch.setattr(tasks, "DRAIN_LIMIT_BATCHES", 2)
    for number in range(3):
        _commit_message(number)
    broker.run_all()  # two sent, the limit reached: it wakes another
    assert _statuses().count(Status.DELIVERED) == 2
    assert len(broker.published) == 1
    broker.run_all()
    assert _statuses() == [Status.DELIVERED] * 3


def test_without_a_broker_the_message_is_sent_at_once(settings: Any) -> None:
    """`make run` and the tests: the woken task runs in the process, right after the commit."""
    settings.SMS_GATEWAYS = [{"name": "console", "plugin": "console", "priority": 1}]
    assert settings.CELERY_TASK_ALWAYS_EAGER
    _commit_message(1)
    _commit_message(2)
    assert _statuses() == [Status.DELIVERED] * 2



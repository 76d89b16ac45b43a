"""What the kiosk, the ticket and the board read: groups, places in the queue, last calls."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import override_settings
from django.utils import timezone

from khedmat.centers.models import Counter, PriorityGroup, QueueGroup
from khedmat.centers.selectors import (
    board_calls,
    board_version,
    kiosk_layout,
    priority_groups,
    service_minutes,
    ticket_position,
)
from khedmat.centers.services import (
    counter_upsert,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

from .conftest import Hall


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    now = timezone.now().replace(hour=6, minute=0)  # 10:30 in Kabul

    def at(minutes: int) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: now + datetime.timedelta(minutes=minutes))

    at(0)
    return at


def test_the_kiosk_shows_the_groups_with_their_services_and_womens_desks(hall: Hall,
                                                                         django_assert_max_num_queries: Callable
                                                                         ) -> None:
    counter_upsert(center=hall.center, number=1, designation=Counter.Designation.WOMEN, services=[hall.passport])
    empty = QueueGroup.objects.create(center=hall.center, letter="Z", name_en="Empty", name_fa="-", name_ps="-")
    with django_assert_max_num_queries(4):
        layout = kiosk_layout(center=hall.center)
        names = [(entry.group.letter, [service.name for service in entry.services]) for entry in layout]
    assert [letter for letter, _ in names] == ["D", "P"]  # the group with no service is left out
    assert empty.letter not in [letter for letter, _ in names]
    by_letter = {entry.group.letter: entry for entry in layout}
    assert by_letter["P"].women_desk_services == frozenset({hall.passport.pk})
    assert by_letter["D"].women_desk_services == frozenset()


def test_active_priority_groups_in_kiosk_order(db: None) -> None:
    assert [group.code for group in priority_groups()] == ["elderly", "disability", "pregnant"]
    PriorityGroup.objects.filter(code="pregnant").update(is_active=False)
    assert [group.code for group in priority_groups()] == ["elderly", "disability"]


def test_people_ahead_count_the_same_group_and_desk(hall: Hall, clock: Callable[[int], None]) -> None:
    first = ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.licence)  # another group: not ahead
    ticket_issue(center=hall.center, service=hall.passport, desk="women")  # another desk: not ahead
    second = ticket_issue(center=hall.center, service=hall.passport)
    assert ticket_position(ticket=first).people_ahead == 0
    position = ticket_position(ticket=second)
    assert position.people_ahead == 1
    assert position.estimated_wait_minutes == 8  # QUEUE_DEFAULT_SERVICE_MINUTES, one counter at least


def test_the_estimate_uses_recent_service_times_and_open_counters(hall: Hall, clock: Callable[[int], None]) -> None:
    counters = [hall.open(3), hall.open(4)]
    for minutes, counter in ((0, counters[0]), (20, counters[1])):
        clock(minutes)
        ticket = ticket_issue(center=hall.center, service=hall.passport)
        ticket_call_next(counter=counter)
        ticket_start(counter=counter, ticket=ticket)
        clock(minutes + 4)  # four minutes of service each
        ticket_finish(counter=counter, ticket=ticket)
    assert service_minutes(center_id=hall.center.pk, service_ids=[hall.passport.pk]) == 4
    tickets = [ticket_issue(center=hall.center, service=hall.passport) for _ in range(5)]
    position = ticket_position(ticket=tickets[-1])
    assert position.people_ahead == 4
    assert position.estimated_wait_minutes == 8  # 4 people × 4 minutes ÷ 2 open counters


@override_settings(QUEUE_DEFAULT_SERVICE_MINUTES=10)
def test_old_service_times_are_forgotten(hall: Hall, clock: Callable[[int], None]) -> None:
    counter = hall.open(3)
    clock(-200)
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    ticket_call_next(counter=counter)
    ticket_start(counter=counter, ticket=ticket)
    clock(-197)
    ticket_finish(counter=counter, ticket=ticket)
    clock(0)
    assert service_minutes(center_id=hall.center.pk, service_ids=[hall.passport.pk]) == 10


def test_a_called_ticket_has_nobody_ahead(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    called = ticket_call_next(counter=hall.open(3))
    assert called is not None
    assert ticket_position(ticket=called).people_ahead == 0


def test_the_position_costs_a_few_queries(hall: Hall, django_assert_max_num_queries: Callable) -> None:
    for _ in range(3):
        ticket = ticket_issue(center=hall.center, service=hall.passport)
    with django_assert_max_num_queries(3):
        ticket_position(ticket=ticket)


def test_the_board_shows_the_last_calls_newest_first_with_counters(hall: Hall, clock: Callable[[int], None],
                                                                   django_assert_num_queries: Callable) -> None:
    for _ in range(3):
        ticket_issue(center=hall.center, service=hall.passport)
    counters = [hall.open(3), hall.open(4)]
    assert board_calls(center=hall.center) == []
    clock(1)
    first = ticket_call_next(counter=counters[0])
    clock(2)
    second = ticket_call_next(counter=counters[1])
    assert first is not None and second is not None
    with django_assert_num_queries(1):
        calls = board_calls(center=hall.center)
    assert [(call.number, call.counter) for call in calls] == [("P-002", 4), ("P-001", 3)]
    assert calls[0].service == hall.passport.name and calls[0].called_at == second.called_at
    version = board_version(calls)
    assert board_version(board_calls(center=hall.center)) == version  # unchanged: same version
    clock(3)
    ticket_recall(counter=counters[0], ticket=first)  # a recall is a new call
    calls = board_calls(center=hall.center)
    assert [call.number for call in calls] == ["P-001", "P-002"]
    assert board_version(calls) != version
    ticket_start(counter=counters[0], ticket=first)
    ticket_finish(counter=counters[0], ticket=first)  # served: still the day's latest call (issue 10)
    assert [call.number for call in board_calls(center=hall.center, limit=1)] == ["P-001"]
    ticket_transfer(counter=counters[1], ticket=second, service=hall.licence)  # sent on: waits, uncalled
    assert [call.number for call in board_calls(center=hall.center)] == ["P-001"]

"""The electronic queue: gap-free ticket numbers, fair calling, desks, counters, no ticket
called twice."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from khedmat.applications.tests.test_concurrency import SQLiteFile, in_parallel, needs_postgresql
from khedmat.centers.models import Counter, PriorityGroup, Ticket, TicketVisit
from khedmat.centers.services import (
    QueueError,
    counter_close,
    counter_open,
    counter_pause,
    counter_resume,
    counter_upsert,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_join,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from khedmat.notifications.models import Message

from .conftest import Hall, make_service


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Set the time to `minutes` from now (negative: in the past)."""
    now = timezone.now().replace(hour=10, minute=0)

    def at(minutes: int) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: now + datetime.timedelta(minutes=minutes))

    at(0)
    yield at


def _state(hall: Hall) -> list[tuple]:
    """Everything a refusal must leave as it was."""
    return [*Ticket.objects.order_by("pk").values_list("pk", "status", "counter_id", "service_id", "called_at",
                                                       "recalls"),
            *Counter.objects.order_by("pk").values_list("pk", "state", "operator_id"),
            ("visits", TicketVisit.objects.count())]


# --- issuing ---------------------------------------------------------------------------------

def test_a_ticket_joined_from_a_phone_always_has_the_number_its_link_goes_to(hall: Hall) -> None:
    with pytest.raises(QueueError) as refused:
        ticket_join(center=hall.center, service=hall.passport, phone="  ")
    assert refused.value.code == "bad_phone"
    assert not Ticket.objects.exists()
    joined = ticket_join(center=hall.center, service=hall.passport, phone="۰۷۹۹۱۲۳۴۵۶", idempotency_key="k1")
    assert (joined.channel, joined.phone) == (Ticket.Channel.ONLINE, "+93799123456")
    assert ticket_join(center=hall.center, service=hall.passport, phone="0799123456", idempotency_key="k1") == joined


def test_numbers_run_per_group_and_day_and_read_aloud_easily(hall: Hall) -> None:
    first = ticket_issue(center=hall.center, service=hall.passport)
    second = ticket_issue(center=hall.center, service=hall.passport)
    other = ticket_issue(center=hall.center, service=hall.licence)
    assert [first.display_number, second.display_number, other.display_number] == ["P-001", "P-002", "D-001"]
    assert first.channel == Ticket.Channel.KIOSK and first.queue_position_at == first.issued_at


def test_a_service_the_center_does_not_queue_is_refused(hall: Hall) -> None:
    stranger = make_service("VHR", "vehicle-registration")
    with pytest.raises(QueueError) as refused:
        ticket_issue(center=hall.center, service=stranger)
    assert refused.value.code == "not_served"
    assert not Ticket.objects.exists()


def test_a_priority_ticket_stands_its_groups_head_start_ahead(hall: Hall, elderly: PriorityGroup) -> None:
    elderly.advance_minutes = 20
    elderly.save()
    ticket = ticket_issue(center=hall.center, service=hall.passport, priority_group=elderly)
    assert ticket.priority_group == elderly
    assert ticket.issued_at - ticket.queue_position_at == datetime.timedelta(minutes=20)


def test_an_inactive_priority_group_is_refused(hall: Hall, elderly: PriorityGroup) -> None:
    elderly.is_active = False
    elderly.save()
    with pytest.raises(QueueError) as refused:
        ticket_issue(center=hall.center, service=hall.passport, priority_group=elderly)
    assert refused.value.code == "bad_priority"
    assert not Ticket.objects.exists()


def test_the_phone_is_kept_in_e164_and_a_wrong_one_is_refused(hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport, phone="0700 123 456")
    assert ticket.phone == "+93700123456"
    with pytest.raises(QueueError) as refused:
        ticket_issue(center=hall.center, service=hall.passport, phone="12")
    assert refused.value.code == "bad_phone"
    assert Ticket.objects.count() == 1


def test_a_womens_desk_ticket_needs_a_womens_desk_for_the_service(hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport, desk="women")
    assert ticket.desk == "women"
    counter_upsert(center=hall.center, number=1, designation=Counter.Designation.WOMEN, services=[hall.licence])
    with pytest.raises(QueueError) as refused:
        ticket_issue(center=hall.center, service=hall.passport, desk="women")
    assert refused.value.code == "no_women_desk"
    with pytest.raises(QueueError):
        ticket_issue(center=hall.center, service=hall.passport, desk="vip")
    assert Ticket.objects.count() == 1


# --- counters --------------------------------------------------------------------------------

def test_an_operator_opens_pauses_resumes_and_closes_a_counter(hall: Hall) -> None:
    counter, operator = hall.counter(3), hall.operator(3)
    opened = counter_open(counter=counter, operator=operator)
    assert opened.state == Counter.State.OPEN and opened.operator == operator and opened.state_changed_at
    assert counter_pause(counter=counter, operator=operator).state == Counter.State.PAUSED
    assert counter_resume(counter=counter, operator=operator).state == Counter.State.OPEN
    closed = counter_close(counter=counter, operator=operator)
    assert closed.state == Counter.State.CLOSED and closed.operator is None


def test_an_operator_of_another_center_cannot_open_a_counter(hall: Hall, other_center_operator: object) -> None:
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        counter_open(counter=hall.counter(3), operator=other_center_operator)
    assert refused.value.code == "not_your_center"
    assert _state(hall) == before


def test_one_operator_per_counter(hall: Hall) -> None:
    hall.open(3)
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        counter_open(counter=hall.counter(3), operator=hall.operator(4))
    assert refused.value.code == "counter_taken"
    assert _state(hall) == before
    with pytest.raises(QueueError) as refused:
        counter_pause(counter=hall.counter(3), operator=hall.operator(4))
    assert refused.value.code == "not_your_counter"


def test_one_counter_per_operator_opening_another_closes_the_first(hall: Hall) -> None:
    operator = hall.operator(3)
    counter_open(counter=hall.counter(3), operator=operator)
    counter_open(counter=hall.counter(4), operator=operator)
    assert Counter.objects.get(number=3).state == Counter.State.CLOSED
    assert Counter.objects.get(number=3).operator is None
    assert Counter.objects.get(number=4).operator == operator


def test_an_operator_serving_a_ticket_cannot_move_to_another_counter(hall: Hall) -> None:
    counter = hall.open(3)
    ticket_issue(center=hall.center, service=hall.passport)
    assert ticket_call_next(counter=counter) is not None
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        counter_open(counter=hall.counter(4), operator=hall.operator(3))
    assert refused.value.code == "busy"
    with pytest.raises(QueueError):
        counter_close(counter=counter, operator=hall.operator(3))
    assert _state(hall) == before


def test_a_manager_may_close_a_counter_left_open(hall: Hall, manager: object) -> None:
    hall.open(3)
    assert counter_close(counter=hall.counter(3), operator=manager).state == Counter.State.CLOSED


def test_a_closed_or_paused_counter_calls_nobody(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    with pytest.raises(QueueError) as refused:
        ticket_call_next(counter=hall.counter(3))
    assert refused.value.code == "not_open"
    counter = hall.open(3)
    counter_pause(counter=counter, operator=hall.operator(3))
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        ticket_call_next(counter=counter)
    assert refused.value.code == "paused" and "paused" in refused.value.message
    assert _state(hall) == before


# --- calling order ---------------------------------------------------------------------------

def test_next_is_called_in_order_of_arrival(hall: Hall) -> None:
    tickets = [ticket_issue(center=hall.center, service=hall.passport) for _ in range(3)]
    counter = hall.open(3)
    called = []
    for _ in range(4):
        ticket = ticket_call_next(counter=counter)
        called.append(ticket.pk if ticket else None)
        if ticket:
            ticket_finish(counter=counter, ticket=ticket)
    assert called == [tickets[0].pk, tickets[1].pk, tickets[2].pk, None]
    assert Ticket.objects.get(pk=tickets[0].pk).counter == counter


def test_a_counter_with_a_ticket_in_hand_must_finish_it_before_calling_the_next(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    assert ticket_call_next(counter=counter) is not None
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        ticket_call_next(counter=counter)
    assert refused.value.code == "busy" and "P-001" in refused.value.message
    assert _state(hall) == before


def _call_all(counter: Counter) -> list[Ticket]:
    order = []
    while (ticket := ticket_call_next(counter=counter)) is not None:
        order.append(ticket)
        ticket_finish(counter=counter, ticket=ticket)
    return order


def test_priority_goes_ahead_but_never_starves_a_long_wait(hall: Hall, elderly: PriorityGroup,
                                                          clock: Callable[[int], None]) -> None:
    clock(-30)
    long_wait = ticket_issue(center=hall.center, service=hall.passport)  # waited 30 minutes
    clock(-5)
    recent = ticket_issue(center=hall.center, service=hall.passport)  # waited 5 minutes
    clock(0)
    old_person = ticket_issue(center=hall.center, service=hall.passport, priority_group=elderly)
    # 15 minutes' advance: ahead of the 5-minute wait, not of the 30-minute one.
    assert [t.pk for t in _call_all(hall.open(3))] == [long_wait.pk, old_person.pk, recent.pk]


def test_a_priority_desk_calls_priority_tickets_first_then_the_others(hall: Hall, elderly: PriorityGroup,
                                                                     clock: Callable[[int], None]) -> None:
    clock(-60)
    walk_in = ticket_issue(center=hall.center, service=hall.passport)
    clock(0)
    old_person = ticket_issue(center=hall.center, service=hall.passport, priority_group=elderly)
    assert [t.pk for t in _call_all(hall.open(2))] == [old_person.pk, walk_in.pk]


def test_a_womens_desk_ticket_goes_only_to_the_womens_desk(hall: Hall, clock: Callable[[int], None]) -> None:
    clock(-10)
    woman = ticket_issue(center=hall.center, service=hall.passport, desk="women")
    clock(0)
    walk_in = ticket_issue(center=hall.center, service=hall.passport)
    general = hall.open(3)
    assert [t.pk for t in _call_all(general)] == [walk_in.pk]
    assert Ticket.objects.get(pk=woman.pk).status == Ticket.Status.WAITING


def test_the_womens_desk_calls_women_first_then_anyone(hall: Hall, clock: Callable[[int], None]) -> None:
    clock(-30)
    walk_in = ticket_issue(center=hall.center, service=hall.passport)
    clock(0)
    woman = ticket_issue(center=hall.center, service=hall.passport, desk="women")
    assert [t.pk for t in _call_all(hall.open(1))] == [woman.pk, walk_in.pk]


def test_a_checked_in_appointment_stands_at_its_slot_time(hall: Hall, clock: Callable[[int], None]) -> None:
    clock(-20)
    before_slot = ticket_issue(center=hall.center, service=hall.passport)
    clock(-2)
    after_slot = ticket_issue(center=hall.center, service=hall.passport)
    clock(0)
    slot_start = timezone.now() - datetime.timedelta(minutes=5)
    holder = ticket_issue(center=hall.center, service=hall.passport, channel=Ticket.Channel.APPOINTMENT,
                          queue_position_at=slot_start)
    assert [t.pk for t in _call_all(hall.open(3))] == [before_slot.pk, holder.pk, after_slot.pk]


def test_a_counter_calls_only_the_services_it_serves(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.licence)
    counter_upsert(center=hall.center, number=3, services=[hall.passport])
    assert ticket_call_next(counter=hall.open(3)) is None


def test_yesterdays_tickets_are_not_called(hall: Hall, clock: Callable[[int], None]) -> None:
    clock(-24 * 60)
    ticket_issue(center=hall.center, service=hall.passport)
    clock(0)
    assert ticket_call_next(counter=hall.open(3)) is None


# --- at the counter --------------------------------------------------------------------------

def test_a_ticket_is_recalled_before_it_is_marked_a_no_show(hall: Hall, clock: Callable[[int], None]) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    called = ticket_call_next(counter=counter)
    assert called is not None and called.operator == hall.operator(3)
    with pytest.raises(QueueError) as refused:
        ticket_no_show(counter=counter, ticket=called)
    assert refused.value.code == "recall_first"
    assert not TicketVisit.objects.exists()
    clock(1)
    recalled = ticket_recall(counter=counter, ticket=called)
    assert recalled.called_at and called.called_at and recalled.called_at > called.called_at  # shown again
    ticket_recall(counter=counter, ticket=called)
    assert ticket_no_show(counter=counter, ticket=called).status == Ticket.Status.NO_SHOW
    visit = TicketVisit.objects.get()
    assert visit.outcome == TicketVisit.Outcome.NO_SHOW and visit.counter == counter


@override_settings(QUEUE_MAX_RECALLS=0)
def test_the_number_of_recalls_is_configurable(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    called = ticket_call_next(counter=counter)
    assert called is not None
    assert ticket_no_show(counter=counter, ticket=called).status == Ticket.Status.NO_SHOW


def test_serving_writes_a_visit_with_its_times(hall: Hall, clock: Callable[[int], None]) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    clock(4)
    ticket_call_next(counter=counter)
    clock(5)
    started = ticket_start(counter=counter, ticket=ticket)
    assert started.status == Ticket.Status.SERVING
    clock(12)
    assert ticket_finish(counter=counter, ticket=ticket).status == Ticket.Status.SERVED
    visit = TicketVisit.objects.get()
    assert visit.outcome == TicketVisit.Outcome.SERVED and not visit.by_appointment
    assert visit.operator == hall.operator(3) and visit.service == hall.passport
    assert visit.started_at is not None and visit.called_at is not None
    assert (visit.called_at - visit.waiting_since) == datetime.timedelta(minutes=4)
    assert (visit.ended_at - visit.started_at) == datetime.timedelta(minutes=7)


def test_serving_and_transfer_keep_the_number_and_the_place(hall: Hall) -> None:
    first = ticket_issue(center=hall.center, service=hall.passport)
    later = ticket_issue(center=hall.center, service=hall.licence)
    counter, other = hall.open(3), hall.open(4)
    called = ticket_call_next(counter=counter)
    assert called is not None and called.pk == first.pk
    ticket_start(counter=counter, ticket=called)
    moved = ticket_transfer(counter=counter, ticket=called, service=hall.licence)
    assert moved.display_number == "P-001" and moved.status == Ticket.Status.WAITING
    assert moved.service == hall.licence and moved.counter is None
    assert TicketVisit.objects.get().outcome == TicketVisit.Outcome.TRANSFERRED
    # It kept its place: it is called before the licence ticket issued after it.
    again = ticket_call_next(counter=other)
    assert again is not None and again.pk == first.pk
    ticket_start(counter=other, ticket=again)
    assert ticket_finish(counter=other, ticket=again).status == Ticket.Status.SERVED
    assert Ticket.objects.get(pk=later.pk).status == Ticket.Status.WAITING
    assert list(TicketVisit.objects.values_list("service__slug", "outcome")) == [
        ("passport", "transferred"), ("driving-licence", "served")]


def test_a_ticket_sent_to_a_counter_is_called_by_that_counter_only(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    counter, elsewhere, target = hall.open(3), hall.open(4), hall.open(5)
    called = ticket_call_next(counter=counter)
    assert called is not None
    ticket_transfer(counter=counter, ticket=called, to_counter=hall.counter(5))
    assert ticket_call_next(counter=elsewhere) is None
    assert ticket_call_next(counter=counter) is None
    again = ticket_call_next(counter=target)
    assert again is not None and again.pk == called.pk


def test_a_transfer_to_a_counter_that_does_not_serve_the_service_is_refused(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    counter_upsert(center=hall.center, number=5, services=[hall.licence])
    called = ticket_call_next(counter=counter)
    assert called is not None
    before = _state(hall)
    with pytest.raises(QueueError) as refused:
        ticket_transfer(counter=counter, ticket=called, to_counter=hall.counter(5))
    assert refused.value.code == "counter_not_serving"
    with pytest.raises(QueueError) as refused:
        ticket_transfer(counter=counter, ticket=called)
    assert refused.value.code == "no_target"
    stranger = make_service("VHR", "vehicle-registration")
    with pytest.raises(QueueError):
        ticket_transfer(counter=counter, ticket=called, service=stranger)
    assert _state(hall) == before


def test_another_counter_cannot_act_on_a_ticket_it_did_not_call(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    called = ticket_call_next(counter=hall.open(3))
    assert called is not None
    before = _state(hall)
    for action in (ticket_start, ticket_finish, ticket_recall, ticket_no_show):
        with pytest.raises(QueueError) as refused:
            action(counter=hall.counter(4), ticket=called)
        assert refused.value.code == "not_here"
    assert _state(hall) == before


def test_the_holder_gets_an_sms_when_called(hall: Hall, django_capture_on_commit_callbacks: Callable) -> None:
    ticket_issue(center=hall.center, service=hall.passport, phone="0700123456", language="en")
    ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    with django_capture_on_commit_callbacks(execute=True):
        called = ticket_call_next(counter=counter)
    assert called is not None
    message = Message.objects.get()
    assert message.to == "+93700123456" and message.body == "Asan Khedmat: ticket P-001, please come to counter 3."
    with django_capture_on_commit_callbacks(execute=True):
        ticket_finish(counter=counter, ticket=called)
        ticket_call_next(counter=counter)  # no phone: no SMS
    assert Message.objects.count() == 1


# --- many at once ----------------------------------------------------------------------------

@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_parallel_issues_give_exactly_1_to_200(hall: Hall) -> None:
    center, passport = hall.center, hall.passport

    def issue_five(_index: int) -> list[int]:
        return [ticket_issue(center=center, service=passport).number for _ in range(5)]

    results = in_parallel(issue_five, 40)
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == list(range(1, 201))


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_kiosk_form_posted_ten_times_at_once_gives_one_ticket_and_no_gap(hall: Hall) -> None:
    center, passport = hall.center, hall.passport
    results = in_parallel(lambda _i: ticket_issue(center=center, service=passport, idempotency_key="tap"), 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {ticket.pk for ticket in results} == {Ticket.objects.get().pk}
    assert ticket_issue(center=center, service=passport).number == 2, "the losers gave their numbers back"


def test_the_same_form_token_gives_the_same_ticket(hall: Hall) -> None:
    first = ticket_issue(center=hall.center, service=hall.passport, idempotency_key="tap-1")
    again = ticket_issue(center=hall.center, service=hall.passport, idempotency_key="tap-1")
    other = ticket_issue(center=hall.center, service=hall.passport, idempotency_key="tap-2")
    assert again.pk == first.pk and other.number == first.number + 1


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_counters_calling_at_once_never_share_a_ticket(hall: Hall) -> None:
    for _ in range(30):
        ticket_issue(center=hall.center, service=hall.passport)
    counters = [hall.open(number) for number in range(1, 21)]
    results = in_parallel(lambda index: ticket_call_next(counter=counters[index]), 20)
    assert not [r for r in results if isinstance(r, Exception)], results
    called = [ticket.pk for ticket in results if ticket is not None]
    assert len(called) == 20 and len(set(called)) == 20
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == 20
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).values("counter").distinct().count() == 20


@pytest.mark.django_db(transaction=True)
def test_parallel_issues_and_calls_on_sqlite_queue_instead_of_failing(hall: Hall, sqlite_file: SQLiteFile) -> None:
    assert connection.vendor == "sqlite"
    for _ in range(3):
        ticket_issue(center=hall.center, service=hall.passport)
    counters = [hall.open(number) for number in (3, 4, 5)]
    sqlite_file.copy()

    def work(index: int) -> object:
        sqlite_file.use()
        if index < 5:
            return ticket_issue(center=hall.center, service=hall.passport).number
        return ticket_call_next(counter=counters[index - 5])

    results = in_parallel(work, 8)
    assert not [r for r in results if isinstance(r, Exception)], results  # no "database is locked"
    assert sorted(results[:5]) == [4, 5, 6, 7, 8]
    called = [ticket.pk for ticket in results[5:] if isinstance(ticket, Ticket)]
    assert len(called) == 3 and len(set(called)) == 3



# --- setting up the hall ---------------------------------------------------------------------

def test_a_queue_group_holds_what_its_center_offers_and_a_service_is_in_one_group(hall: Hall) -> None:
    from django.core.exceptions import ValidationError

    from khedmat.centers.models import QueueGroup
    from khedmat.centers.services import queue_group_upsert

    stranger = make_service("VHR", "vehicle-registration")
    group = queue_group_upsert(center=hall.center, letter="p", name={"en": "Passports", "fa": "-", "ps": "-"},
                               services=[hall.passport, stranger])
    assert group.pk == hall.passports.pk and list(group.services.all()) == [hall.passport]
    with pytest.raises(ValidationError, match="passport"):
        queue_group_upsert(center=hall.center, letter="X", name={"en": "X", "fa": "-", "ps": "-"},
                           services=[hall.passport])
    with pytest.raises(ValidationError):
        queue_group_upsert(center=hall.center, letter="1", name={"en": "X", "fa": "-", "ps": "-"}, services=[])
    assert QueueGroup.objects.filter(center=hall.center).count() == 2


def test_a_center_manager_administers_the_queue_groups_of_their_center_only(hall: Hall, manager: object) -> None:
    from khedmat.catalog.tests.factories import verified_client
    from khedmat.centers.models import QueueGroup

    from .conftest import make_center

    other = make_center(code="HRT", slug="herat", name="Herat")
    foreign = QueueGroup.objects.create(center=other, letter="A", name_en="Herat A", name_fa="-", name_ps="-")
    client = verified_client(manager)  # type: ignore[arg-type]
    listing = client.get("/admin/centers/queuegroup/")
    assert listing.status_code == 200
    assert "Passports" in listing.content.decode() and "Herat A" not in listing.content.decode()
    assert client.get(f"/admin/centers/queuegroup/{hall.passports.pk}/change/").status_code == 200
    assert client.get(f"/admin/centers/queuegroup/{foreign.pk}/change/").status_code == 404
    assert client.get("/admin/centers/appointmentschedule/").status_code == 200
    assert client.get("/admin/centers/prioritygroup/").status_code == 200
    elderly = PriorityGroup.objects.get(code="elderly")
    page = client.get(f"/admin/centers/prioritygroup/{elderly.pk}/change/")
    assert page.status_code == 200 and 'name="advance_minutes"' not in page.content.decode()  # view only


def test_a_queue_group_form_with_a_service_number_beyond_64_bits_is_refused_not_a_server_error(
        hall: Hall, manager: object) -> None:
    from khedmat.catalog.tests.factories import verified_client
    from khedmat.centers.models import QueueGroup

    client = verified_client(manager)  # type: ignore[arg-type]
    before = QueueGroup.objects.count()
    for services in (["9" * 30], ["²"], [str(hall.passport.pk), "-1"]):
        page = client.post("/admin/centers/queuegroup/add/", {
            "letter": "Z", "name_en": "Z", "name_fa": "-", "name_ps": "-", "services": services, "position": "0"})
        assert page.status_code == 200, services
        assert "Select a valid choice" in page.content.decode()
    assert QueueGroup.objects.count() == before

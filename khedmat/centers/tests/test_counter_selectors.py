"""The counter screen's plain SQL reads say what the ORM's selectors say (selectors/counters.py):
the same counter, ticket, waiting count and transfer choices, in every language."""

from __future__ import annotations

import pytest
from django.utils import translation

from khedmat.centers.models import Counter, PriorityGroup, Ticket
from khedmat.centers.selectors import (
    counter_current_ticket,
    counter_of,
    counter_screen,
    counter_waiting_count,
    transfer_choices,
    transfer_counters,
    transfer_services,
)
from khedmat.centers.services import (
    counter_upsert,
    ticket_call_next,
    ticket_issue,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

from .conftest import Hall, make_center


def _queue(hall: Hall, elderly: PriorityGroup) -> None:
    """Tickets of every kind: ordinary, women's desk, priority, of both services."""
    for service in (hall.passport, hall.licence, hall.passport):
        ticket_issue(center=hall.center, service=service)
    ticket_issue(center=hall.center, service=hall.passport, desk=Counter.Designation.WOMEN)
    ticket_issue(center=hall.center, service=hall.licence, priority_group=elderly)


def _agrees(hall: Hall, number: int) -> None:
    counter = hall.counter(number)
    screen = counter_screen(user=hall.operator(number))
    assert screen is not None and screen.counter.pk == counter.pk
    assert screen.waiting == counter_waiting_count(counter=counter)
    expected = counter_current_ticket(counter=counter)
    assert (screen.ticket.pk if screen.ticket else None) == (expected.pk if expected else None)
    assert screen.counter.center.pk == hall.center.pk
    for language in ("en", "fa", "ps"):
        with translation.override(language):
            assert screen.counter.center.name == hall.center.name
            if expected is not None:
                assert screen.ticket is not None
                assert screen.ticket.display_number == expected.display_number
                assert screen.ticket.service.name == expected.service.name
                assert screen.ticket.get_status_display() == expected.get_status_display()
                assert (screen.ticket.priority_group.name if screen.ticket.priority_group else None) == (
                    expected.priority_group.name if expected.priority_group else None)
                for field in ("status", "recalls", "called_at", "waiting_since", "channel", "desk", "public_id"):
                    assert getattr(screen.ticket, field) == getattr(expected, field), field


def test_nobody_signed_in_has_no_counter_screen(hall: Hall) -> None:
    assert counter_screen(user=hall.operator(3)) is None
    assert counter_of(user=hall.operator(3)) is None


@pytest.mark.parametrize("number", [1, 2, 3])  # the women's desk, the priority desk, an ordinary one
def test_the_screen_reads_what_the_selectors_read(hall: Hall, elderly: PriorityGroup, number: int) -> None:
    for open_number in (1, 2, 3, 4):
        hall.open(open_number)
    _queue(hall, elderly)
    _agrees(hall, number)  # nothing called yet
    called = ticket_call_next(counter=hall.counter(number))
    assert called is not None
    _agrees(hall, number)
    ticket_recall(counter=hall.counter(number), ticket=called)
    ticket_start(counter=hall.counter(number), ticket=called)
    _agrees(hall, number)
    # Sent on to counter 4: that counter alone calls it, and counts it.
    ticket_transfer(counter=hall.counter(number), ticket=called, to_counter=hall.counter(4))
    _agrees(hall, number)
    _agrees(hall, 4)


def test_a_counter_counts_only_its_services_and_todays_tickets(hall: Hall, elderly: PriorityGroup) -> None:
    counter_upsert(center=hall.center, number=3, services=[hall.licence])
    hall.open(3)
    _queue(hall, elderly)
    Ticket.objects.filter(service=hall.passport).update(day=Ticket.objects.first().day.replace(year=2000))  # type: ignore[union-attr]
    ticket_issue(center=hall.center, service=hall.passport)
    _agrees(hall, 3)
    assert counter_screen(user=hall.operator(3)).waiting == 2  # type: ignore[union-attr]


def test_the_transfer_choices_are_the_selectors_choices(hall: Hall) -> None:
    counter_upsert(center=hall.center, number=7, services=[hall.passport], is_active=False)
    other = make_center(code="HRT", slug="herat", name="Herat")
    counter_upsert(center=other, number=1)
    counter = hall.counter(3)
    services, counters = transfer_choices(counter=counter)
    assert [c.pk for c in counters] == [c.pk for c in transfer_counters(counter=counter)]
    assert [c.number for c in counters] == [c.number for c in transfer_counters(counter=counter)]
    assert counter.pk not in [c.pk for c in counters] and 7 not in [c.number for c in counters]
    for language in ("en", "fa", "ps"):
        with translation.override(language):
            expected = transfer_services(center=hall.center)
            assert [(s.pk, s.name) for s in services] == [(s.pk, s.name) for s in expected]
    assert {s.pk for s in services} == {hall.passport.pk, hall.licence.pk}
    type(hall.licence).objects.filter(pk=hall.licence.pk).update(is_active=False)  # withdrawn: not offered
    assert [s.pk for s in transfer_choices(counter=counter)[0]] == [s.pk for s in transfer_services(center=hall.center)]
    assert [s.pk for s in transfer_choices(counter=counter)[0]] == [hall.passport.pk]


@pytest.mark.parametrize("language", ["en", "fa", "ps"])
def test_the_transfer_options_are_the_markup_of_the_forms_widgets(hall: Hall, language: str) -> None:
    """staff_forms.transfer_options writes what TransferForm's <select>s write (escaped)."""
    import re

    from khedmat.centers.selectors.counters import CounterNumber, ServiceName
    from khedmat.centers.staff_forms import TransferForm, transfer_options

    services = [ServiceName(pk=7, name_en='Tom & "Jerry" <b>', name_fa="گذرنامه", name_ps="پاسپورت"),
                ServiceName(pk=9, name_en="Licence", name_fa="جواز 'رانندگی'", name_ps="جواز")]
    counters = [CounterNumber(pk=3, number=12), CounterNumber(pk=4, number=2)]
    with translation.override(language):
        options = transfer_options(services=services, counters=counters)
        form = TransferForm(services=services, counters=counters)
        for name in ("service", "to_counter"):
            widget = str(form[name])
            inner = re.sub(r">\s+<", "><", widget[widget.index(">") + 1:widget.rindex("</select>")].strip())
            assert options[name] == inner, name


def test_the_transfer_options_kept_per_process_follow_every_name_number_and_language(hall: Hall) -> None:
    from khedmat.centers.selectors.counters import CounterNumber, ServiceName
    from khedmat.centers.staff_forms import transfer_options

    services = [ServiceName(pk=7, name_en="Passport", name_fa="گذرنامه", name_ps="پاسپورت")]
    counters = [CounterNumber(pk=3, number=12)]
    with translation.override("en"):
        first = transfer_options(services=services, counters=counters)
        assert transfer_options(services=services, counters=counters) == first
        assert ">Passport</option>" in first["service"] and ">Counter 12</option>" in first["to_counter"]
        renamed = [ServiceName(pk=7, name_en="E-passport", name_fa="گذرنامه", name_ps="پاسپورت")]
        assert ">E-passport</option>" in transfer_options(services=renamed, counters=counters)["service"]
        renumbered = transfer_options(services=services, counters=[CounterNumber(pk=3, number=13)])
        assert ">Counter 13</option>" in renumbered["to_counter"]
        assert ">Counter 12</option>" in transfer_options(services=services, counters=counters)["to_counter"]
    with translation.override("fa"):
        dari = transfer_options(services=services, counters=counters)
        assert ">گذرنامه</option>" in dari["service"] and "۱۲" in dari["to_counter"]

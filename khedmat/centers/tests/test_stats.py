"""The dashboard's figures (khedmat.centers.selectors.dashboard) on hand-made days: known waits and service
times give known medians and 90th percentiles; breaches of the waiting-time standard counted."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone

from khedmat.centers.models import Counter, Ticket
from khedmat.centers.selectors import day_report, live_counters, live_services, percentile
from khedmat.centers.services import (
    center_set_hours,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from khedmat.feedback.services import rating_submit

from .conftest import ALL_WEEK, Hall

MINUTE = datetime.timedelta(minutes=1)


@dataclass
class Clock:
    """Stands in for timezone.now: the services read the time from it."""

    now: datetime.datetime

    def at(self, when: datetime.datetime) -> None:
        self.now = when


def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the test moves by hand, standing in for timezone.now (undone after the test)."""
    clock = Clock(timezone.now())
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock.now)
    return clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return stopped_clock(monkeypatch)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def ten_passports(hall: Hall, clock: Clock, day: datetime.date,
                  after_finish: Callable[[Ticket], None] | None = None) -> list[Ticket]:
    """Ticket i (1…10) is issued at 09:00 + 20·(i−1) minutes, waits i minutes, is served for
    i minutes at counter 3: waits and service times are both 1…10 minutes.
    Issued per hour: 09 → 3, 10 → 3, 11 → 3, 12 → 1. The hall opens 08:00–16:00 every day."""
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=ALL_WEEK)
    clock.at(local(day, 8))
    counter = hall.open(3)
    tickets = []
    for i in range(1, 11):
        issued = local(day, 9) + 20 * (i - 1) * MINUTE
        clock.at(issued)
        ticket = ticket_issue(center=hall.center, service=hall.passport)
        clock.at(issued + i * MINUTE)
        assert ticket_call_next(counter=counter) == ticket
        ticket_start(counter=counter, ticket=ticket)
        clock.at(issued + 2 * i * MINUTE)
        ticket = ticket_finish(counter=counter, ticket=ticket)
        if after_finish:
            after_finish(ticket)
        tickets.append(ticket)
    return tickets


# --- arithmetic ---------------------------------------------------------------------------------------

def test_percentiles_interpolate_between_the_nearest_values() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.5) == 5.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([10, 1, 5], 0.5) == 5  # order does not matter


# --- a day -----------------------------------------------------------------------------------------------

def test_a_hand_made_day_gives_known_medians_percentiles_and_breaches(hall: Hall, clock: Clock) -> None:
    day = yesterday()
    hall.center.wait_standard_minutes = 5  # waits of 6…10 minutes breach it; exactly 5 does not
    hall.center.save()
    ten_passports(hall, clock, day)
    clock.at(local(day + datetime.timedelta(days=1), 12))

    report = day_report(center=hall.center, day=day)
    total = report.total
    assert (total.issued, total.served, total.transferred, total.no_shows) == (10, 10, 0, 0)
    assert (total.waiting.median_minutes, total.waiting.p90_minutes) == (5.5, 9.1)
    assert (total.service_time.median_minutes, total.service_time.p90_minutes) == (5.5, 9.1)
    assert total.breaches == 5

    [passport] = report.services
    assert passport.key == "passport" and passport.issued == 10
    assert (passport.waiting.median_minutes, passport.waiting.p90_minutes, passport.breaches) == (5.5, 9.1, 5)
    [counter] = report.counters
    assert counter.key == "3" and counter.issued is None and counter.served == 10

    hours = {row.key: row for row in report.hours}
    assert list(hours) == [f"{hour:02d}:00" for hour in range(8, 16)], "the center's opening hours"
    assert [hours[key].issued for key in ("08:00", "09:00", "10:00", "11:00", "12:00", "13:00")] == [0, 3, 3, 3, 1, 0]
    # 09:00 → waits 1, 2, 3 minutes.
    assert (hours["09:00"].waiting.median_minutes, hours["09:00"].waiting.p90_minutes) == (2.0, 2.8)
    assert hours["08:00"].waiting.median_minutes is None

    bars = {bar.hour: bar for bar in report.chart.bars}
    assert report.chart.peak == 3 and bars[9].height > 0 and bars[8].height == 0
    assert report.chart.busiest is not None and report.chart.busiest.hour == 9

    assert day_report(center=hall.center, day=day - datetime.timedelta(days=1)).total.issued == 0


def test_appointments_are_held_to_their_own_standard(hall: Hall, clock: Clock) -> None:
    day = yesterday()
    clock.at(local(day, 9))
    counter = hall.open(3)
    walk_in = ticket_issue(center=hall.center, service=hall.passport)
    booked = ticket_issue(center=hall.center, service=hall.passport, channel=Ticket.Channel.APPOINTMENT)
    clock.at(local(day, 9, 7))  # both waited 7 minutes: within 15 for a walk-in, beyond 5 for an appointment
    for ticket in (walk_in, booked):
        assert ticket_call_next(counter=counter) == ticket
        ticket_finish(counter=counter, ticket=ticket)
    assert day_report(center=hall.center, day=day).total.breaches == 1


def test_transfers_and_no_shows_count_where_they_happened(hall: Hall, clock: Clock) -> None:
    day = yesterday()
    clock.at(local(day, 13))
    three, four = hall.open(3), hall.open(4)
    # A driving-licence ticket called at counter 4, recalled twice, never came.
    absent = ticket_issue(center=hall.center, service=hall.licence)
    clock.at(local(day, 13, 2))
    assert ticket_call_next(counter=four) == absent
    ticket_recall(counter=four, ticket=absent)
    ticket_recall(counter=four, ticket=absent)
    clock.at(local(day, 13, 5))
    ticket_no_show(counter=four, ticket=absent)
    # A passport ticket sent on from counter 3 to the driving licence, then served at counter 4.
    clock.at(local(day, 13, 10))
    moved = ticket_issue(center=hall.center, service=hall.passport)
    clock.at(local(day, 13, 12))
    assert ticket_call_next(counter=three) == moved
    clock.at(local(day, 13, 15))
    ticket_transfer(counter=three, ticket=moved, service=hall.licence)
    clock.at(local(day, 13, 20))
    assert ticket_call_next(counter=four) == moved
    ticket_start(counter=four, ticket=moved)
    clock.at(local(day, 13, 30))
    ticket_finish(counter=four, ticket=moved)

    report = day_report(center=hall.center, day=day)
    assert (report.total.issued, report.total.served, report.total.transferred, report.total.no_shows) == (2, 1, 1, 1)
    services = {row.key: row for row in report.services}
    # Issued once, under the service it was issued for; the transfer counts at the passport desk.
    assert (services["passport"].issued, services["passport"].transferred, services["passport"].served) == (1, 1, 0)
    assert (services["driving-licence"].issued, services["driving-licence"].served,
            services["driving-licence"].no_shows) == (1, 1, 1)
    # The second visit waited from the transfer (13:15) to its call (13:20), and was served 10 minutes.
    assert services["driving-licence"].service_time.median_minutes == 10.0
    counters = {row.key: row for row in report.counters}
    assert (counters["3"].transferred, counters["4"].served, counters["4"].no_shows) == (1, 1, 1)


def test_average_rating_per_service(hall: Hall, clock: Clock) -> None:
    day = yesterday()
    scores = iter([5, 4, 3, 2, 1, 5, 5, 4, 4, 5])
    reasons = {2: "long_wait", 1: "rude"}

    def rate(ticket: Ticket) -> None:
        score = next(scores)
        rating_submit(ticket=ticket, score=score, reason=reasons.get(score, ""), channel="tablet")

    ten_passports(hall, clock, day, after_finish=rate)
    report = day_report(center=hall.center, day=day)
    [passport] = report.services
    assert (passport.rating_average, passport.ratings) == (3.8, 10)
    assert (report.total.rating_average, report.total.ratings) == (3.8, 10)
    assert report.counters[0].rating_average == 3.8


def test_the_day_report_reads_a_fixed_number_of_queries(hall: Hall, clock: Clock,
                                                        django_assert_max_num_queries: Callable) -> None:
    day = yesterday()
    ten_passports(hall, clock, day)
    with django_assert_max_num_queries(8):
        day_report(center=hall.center, day=day)


# --- live -----------------------------------------------------------------------------------------------

def test_live_waiting_longest_wait_and_counter_states(hall: Hall, clock: Clock) -> None:
    today = timezone.localdate()
    clock.at(local(today, 9))
    ticket_issue(center=hall.center, service=hall.passport)
    clock.at(local(today, 9, 10))
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.passport, channel=Ticket.Channel.APPOINTMENT)
    three = hall.open(3)
    hall.open(4)
    from khedmat.centers.services import counter_pause

    counter_pause(counter=hall.counter(4), operator=hall.operator(4))
    clock.at(local(today, 9, 20))
    called = ticket_call_next(counter=three)
    assert called is not None and called.display_number == "P-001"

    services = {line.service.slug: line for line in live_services(center=hall.center)}
    # Left waiting: P-002 (walk-in, 10 minutes) and P-003 (appointment, 10 minutes, beyond its 5).
    assert (services["passport"].waiting, services["passport"].longest_wait_minutes,
            services["passport"].over_standard) == (2, 10, 1)
    assert (services["driving-licence"].waiting, services["driving-licence"].longest_wait_minutes) == (0, None)

    counters = {line.counter.number: line for line in live_counters(center=hall.center)}
    assert counters[3].counter.state == Counter.State.OPEN and counters[3].ticket == called
    assert counters[3].counter.operator == hall.operator(3)
    assert counters[4].counter.state == Counter.State.PAUSED and counters[4].ticket is None
    assert counters[5].counter.state == Counter.State.CLOSED

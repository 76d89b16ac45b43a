"""Reads for the center manager's dashboard: live figures and the statistics of a day.

A day's statistics are read from `TicketVisit` rows (one per finished stop of a ticket) and
computed in Python: a center's day is a few thousand rows at most, and percentiles computed
here come out the same on SQLite and PostgreSQL. Percentiles interpolate linearly between
the two nearest values (PostgreSQL's `percentile_cont`, Python's `statistics.quantiles`
"inclusive" method), so the median of an even number of waits is the mean of the middle two.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, F, Min, Q
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors

from ..hours import MIDNIGHT
from ..models import Center, Counter, Ticket, TicketVisit
from .counters import ACTIVE_STATUSES

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


# --- arithmetic ------------------------------------------------------------------------------------

def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile of `values` (0.5: the median), interpolated; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes with one decimal, as the dashboard and the CSV show them."""
    return None if seconds is None else round(seconds / 60, 1)


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile of a list of durations (seconds)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Durations:
        return cls(count=len(seconds), median=percentile(seconds, 0.5), p90=percentile(seconds, 0.9))

    @property
    def median_minutes(self) -> float | None:
        return minutes(self.median)

    @property
    def p90_minutes(self) -> float | None:
        return minutes(self.p90)


# --- live figures ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceNow:
    service: Service
    waiting: int
    longest_wait_minutes: int | None
    over_standard: int


@dataclass(frozen=True)
class CounterNow:
    counter: Counter
    ticket: Ticket | None
    state_since: datetime.datetime | None


def live_services(*, center: Center, now: datetime.datetime | None = None) -> list[ServiceNow]:
    """Per service the center offers: people waiting now, the longest current wait, and how
    many already wait beyond the center's waiting-time standard."""
    now = now or timezone.now()
    walk_in_limit = now - datetime.timedelta(minutes=center.wait_standard_minutes)
    appointment_limit = now - datetime.timedelta(minutes=center.appointment_wait_standard_minutes)
    by_appointment = Q(channel=Ticket.Channel.APPOINTMENT)
    rows = {
        row["service_id"]: row for row in
        Ticket.objects.filter(center=center, day=timezone.localdate(now), status=Ticket.Status.WAITING)
        .values("service_id").order_by()
        .annotate(waiting=Count("id"), oldest=Min("waiting_since"),
                  over=Count("id", filter=(by_appointment & Q(waiting_since__lt=appointment_limit))
                             | (~by_appointment & Q(waiting_since__lt=walk_in_limit))))
    }
    services = {service.pk: service for service in
                center.services.select_related("current_version").order_by("current_version__name_en", "slug")}
    missing = set(rows) - set(services)  # a service the center stopped offering, tickets still waiting
    if missing:
        services.update(catalog_selectors.services_by_ids(ids=missing))
    result = []
    for pk, service in services.items():
        row = rows.get(pk)
        oldest = row["oldest"] if row else None
        longest = max(0, int((now - oldest).total_seconds() // 60)) if oldest else None
        result.append(ServiceNow(service=service, waiting=row["waiting"] if row else 0,
                                 longest_wait_minutes=longest, over_standard=row["over"] if row else 0))
    return result


def live_counters(*, center: Center) -> list[CounterNow]:
    """Every counter in use: its state, who is signed in, and the ticket at it (two queries)."""
    counters = list(Counter.objects.filter(center=center, is_active=True).select_related("operator")
                    .order_by("number"))
    tickets: dict[int, Ticket] = {}
    for ticket in (Ticket.objects.filter(counter__in=counters, status__in=ACTIVE_STATUSES)
                   .select_related("group", "service__current_version").order_by("called_at")):
        assert ticket.counter_id is not None
        tickets[ticket.counter_id] = ticket  # the latest call wins
    return [CounterNow(counter=counter, ticket=tickets.get(counter.pk), state_since=counter.state_changed_at)
            for counter in counters]


# --- a day ---------------------------------------------------------------------------------------------

@dataclass
class _Tally:
    issued: int = 0
    served: int = 0
    transferred: int = 0
    no_shows: int = 0
    breaches: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """The figures of one service, one counter, one hour, or the whole day.

    `issued` is None for a counter (tickets are issued for a service, not to a counter).
    Waiting time runs from the moment the holder started waiting for this service to their
    call; service time from the start of service to its end.
    """

    scope: str
    key: str
    label: str
    issued: int | None
    served: int
    transferred: int
    no_shows: int
    waiting: Durations
    service_time: Durations
    breaches: int
    rating_average: float | None = None
    ratings: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.issued or self.served or self.transferred or self.no_shows or self.waiting.count)


@dataclass(frozen=True)
class Bar:
    """One bar of the tickets-per-hour chart, in the chart's own coordinates."""

    hour: int
    count: int
    x: float
    y: float
    width: float
    height: float
    label_x: float

    @property
    def hour_label(self) -> str:
        return f"{self.hour:02d}"

    @property
    def value_y(self) -> float:
        """Where the bar's count is written: just above the bar."""
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class HourChart:
    width: int
    height: int
    baseline: float
    label_y: float
    bars: list[Bar]
    peak: int

    @property
    def busiest(self) -> Bar | None:
        """The hour with the most tickets (the earliest such), or None on a day without any."""
        best = max(self.bars, key=lambda bar: bar.count, default=None)
        return best if best is not None and best.count else None


@dataclass(frozen=True)
class DayReport:
    center: Center
    day: datetime.date
    total: Row
    services: list[Row]
    counters: list[Row]
    hours: list[Row]
    chart: HourChart
    wait_standard_minutes: int
    appointment_wait_standard_minutes: int

    def rows(self) -> Iterable[Row]:
        """Every row, as the CSV lists them: the day, then per service, counter and hour."""
        yield self.total
        yield from self.services
        yield from self.counters
        yield from self.hours


def _seconds(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _row(scope: str, key: str, label: str, tally: _Tally, *, issued: bool = True,
         rating: tuple[float | None, int] = (None, 0)) -> Row:
    return Row(scope=scope, key=key, label=label, issued=tally.issued if issued else None, served=tally.served,
               transferred=tally.transferred, no_shows=tally.no_shows, waiting=Durations.of(tally.waits),
               service_time=Durations.of(tally.service_times), breaches=tally.breaches,
               rating_average=None if rating[0] is None else round(rating[0], 2), ratings=rating[1])


def _ratings(center: Center, day: datetime.date, by: str) -> dict[Any, tuple[float | None, int]]:
    """Average score and number of ratings of the day's tickets, per `by` (service or counter).

    The feedback app depends on this one (a rating is of a ticket), so ratings are read
    through the tickets' reverse relation rather than by importing feedback's models.
    """
    return {row["key"]: (row["average"], row["count"]) for row in
            Ticket.objects.filter(center=center, day=day, rating__isnull=False)
            .values(key=F(f"rating__{by}_id")).order_by()
            .annotate(average=Avg("rating__score"), count=Count("rating"))}


def _chart(hours: list[int], counts: dict[int, int], *, rtl: bool) -> HourChart:
    """Bars of tickets issued per hour, earliest hour at the reading start (right in Dari)."""
    width, height, top, bottom = 640, 200, 20, 30
    slot = width / max(1, len(hours))
    peak = max([counts.get(hour, 0) for hour in hours] or [0])
    usable = height - top - bottom
    bars = []
    for index, hour in enumerate(hours):
        count = counts.get(hour, 0)
        bar_height = 0.0 if peak == 0 else usable * count / peak
        position = (len(hours) - 1 - index) if rtl else index
        x = position * slot + slot * 0.15
        bars.append(Bar(hour=hour, count=count, x=round(x, 1), y=round(top + usable - bar_height, 1),
                        width=round(slot * 0.7, 1), height=round(bar_height, 1),
                        label_x=round(position * slot + slot / 2, 1)))
    return HourChart(width=width, height=height, baseline=height - bottom, label_y=height - 10, bars=bars, peak=peak)


def day_report(*, center: Center, day: datetime.date, rtl: bool = False) -> DayReport:
    """The figures of `day` at `center`, per service, per counter and per hour.

    A ticket counts as issued once, under the service it was issued for (before any
    transfer). A visit belongs to the hour its holder was called (the hour it ended, if it
    never was). A visit breaches the waiting-time standard when its wait exceeds the
    center's standard (the appointment standard for a checked-in appointment).
    """
    walk_in_standard = center.wait_standard_minutes * 60
    appointment_standard = center.appointment_wait_standard_minutes * 60
    visits = list(TicketVisit.objects.filter(center=center, day=day).order_by("ended_at", "id").values_list(
        "ticket_id", "service_id", "counter_id", "by_appointment", "waiting_since", "called_at", "started_at",
        "ended_at", "outcome"))
    tickets = list(Ticket.objects.filter(center=center, day=day).values_list("id", "service_id", "issued_at"))

    total = _Tally()
    by_service: dict[int, _Tally] = {}
    by_counter: dict[int | None, _Tally] = {}
    by_hour: dict[int, _Tally] = {}

    first_service: dict[int, int] = {}
    for ticket_id, service_id, *_rest in visits:
        first_service.setdefault(ticket_id, service_id)
    for ticket_id, service_id, issued_at in tickets:
        hour = timezone.localtime(issued_at).hour
        for tally in (total, by_service.setdefault(first_service.get(ticket_id, service_id), _Tally()),
                      by_hour.setdefault(hour, _Tally())):
            tally.issued += 1

    for (_ticket_id, service_id, counter_id, by_appointment, waiting_since, called_at, started_at, ended_at,
         outcome) in visits:
        hour = timezone.localtime(called_at or ended_at).hour
        wait = _seconds(waiting_since, called_at)
        service_time = _seconds(started_at, ended_at)
        breach = wait is not None and wait > (appointment_standard if by_appointment else walk_in_standard)
        for tally in (total, by_service.setdefault(service_id, _Tally()),
                      by_counter.setdefault(counter_id, _Tally()), by_hour.setdefault(hour, _Tally())):
            if outcome == TicketVisit.Outcome.SERVED:
                tally.served += 1
            elif outcome == TicketVisit.Outcome.TRANSFERRED:
                tally.transferred += 1
            elif outcome == TicketVisit.Outcome.NO_SHOW:
                tally.no_shows += 1
            if wait is not None:
                tally.waits.append(wait)
                tally.breaches += breach
            if service_time is not None and outcome != TicketVisit.Outcome.NO_SHOW:
                tally.service_times.append(service_time)

    services = catalog_selectors.services_by_ids(ids=by_service)
    counters = {counter.pk: counter for counter in Counter.objects.filter(center=center)}
    service_ratings = _ratings(center, day, "service")
    counter_ratings = _ratings(center, day, "counter")
    all_ratings = [value for value in service_ratings.values()]
    rated = sum(count for _average, count in all_ratings)
    day_average = (sum((average or 0) * count for average, count in all_ratings) / rated) if rated else None

    service_rows = sorted(
        (_row("service", services[pk].slug, services[pk].name, tally, rating=service_ratings.get(pk, (None, 0)))
         for pk, tally in by_service.items()),
        key=lambda row: row.label.casefold())
    def counter_number(pk: int | None) -> int:
        return counters[pk].number if pk in counters else 0

    counter_rows = [
        _row("counter", str(counter_number(pk) or ""), str(counter_number(pk) or ""), tally, issued=False,
             rating=counter_ratings.get(pk, (None, 0)))
        for pk, tally in sorted(by_counter.items(), key=lambda item: counter_number(item[0]))
    ]
    opening = center.opens_at.hour
    closing = 24 if center.closes_at == MIDNIGHT else center.closes_at.hour + (1 if center.closes_at.minute else 0)
    hours = sorted(set(range(opening, max(opening + 1, closing))) | set(by_hour))
    hour_rows = [_row("hour", f"{hour:02d}:00", f"{hour:02d}:00", by_hour.get(hour, _Tally())) for hour in hours]
    chart = _chart(hours, {hour: tally.issued for hour, tally in by_hour.items()}, rtl=rtl)
    return DayReport(
        center=center, day=day, total=_row("day", day.isoformat(), day.isoformat(), total, rating=(day_average, rated)),
        services=service_rows, counters=counter_rows, hours=hour_rows, chart=chart,
        wait_standard_minutes=center.wait_standard_minutes,
        appointment_wait_standard_minutes=center.appointment_wait_standard_minutes,
    )


# --- monitoring ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueWaiting:
    """One active center's queue now: tickets of today still waiting, and the longest wait."""

    center_code: str
    waiting: int
    oldest_wait_seconds: float


def queue_waiting_by_center(now: datetime.datetime | None = None) -> list[QueueWaiting]:
    """Every active center (zero when nobody waits), for the metrics scrape: two queries."""
    now = now or timezone.now()
    rows = {
        row["center_id"]: row for row in
        Ticket.objects.filter(day=timezone.localdate(now), status=Ticket.Status.WAITING)
        .values("center_id").annotate(waiting=Count("id"), oldest=Min("waiting_since")).order_by()
    }
    result = []
    for center_id, code in Center.objects.filter(is_active=True).order_by("code").values_list("id", "code"):
        row = rows.get(center_id)
        oldest = row["oldest"] if row else None
        result.append(QueueWaiting(center_code=code, waiting=row["waiting"] if row else 0,
                                   oldest_wait_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0))
    return result

"""The manager dashboard's figures per operator (the counter staff), over a day or a range.

Like the day's figures (selectors.dashboard), they are read from `TicketVisit` rows, each
finished stop of a ticket, with the operator who ended it, and computed in Python.
An operator's figures: tickets served, the median time of their service, the median wait
of the tickets they called, the tickets they marked as not come, and the average rating of
the tickets they served (a rating is of the service that ended the ticket).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count

from ..models import Center, Ticket, TicketVisit
from .dashboard import Durations, Row


@dataclass
class _OperatorTally:
    served: int = 0
    transferred: int = 0
    no_shows: int = 0
    breaches: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)


def _seconds(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    return None if start is None or end is None else max(0.0, (end - start).total_seconds())


def operator_rows(*, center: Center, start: datetime.date, end: datetime.date) -> list[Row]:
    """One row per operator who ended a visit at `center` from `start` to `end` (both
    included), by name; a visit without an operator (one since deleted) is left out."""
    tallies: dict[int, _OperatorTally] = {}
    standards = {False: center.wait_standard_minutes * 60, True: center.appointment_wait_standard_minutes * 60}
    visits = (TicketVisit.objects.filter(center=center, day__gte=start, day__lte=end, operator__isnull=False)
              .values_list("operator_id", "by_appointment", "waiting_since", "called_at", "started_at", "ended_at",
                           "outcome"))
    for operator_id, by_appointment, waiting_since, called_at, started_at, ended_at, outcome in visits.iterator():
        tally = tallies.setdefault(operator_id, _OperatorTally())
        if outcome == TicketVisit.Outcome.SERVED:
            tally.served += 1
            service_time = _seconds(started_at, ended_at)
            if service_time is not None:
                tally.service_times.append(service_time)
        elif outcome == TicketVisit.Outcome.TRANSFERRED:
            tally.transferred += 1
        elif outcome == TicketVisit.Outcome.NO_SHOW:
            tally.no_shows += 1
        wait = _seconds(waiting_since, called_at)
        if wait is not None:
            tally.waits.append(wait)
            tally.breaches += wait > standards[bool(by_appointment)]
    # A ticket is rated once, for the visit that served it: read through the ticket's reverse
    # relation (feedback depends on centers, not the other way round).
    ratings = {row["operator_id"]: (row["average"], row["count"]) for row in
               TicketVisit.objects.filter(center=center, day__gte=start, day__lte=end, operator__isnull=False,
                                          outcome=TicketVisit.Outcome.SERVED, ticket__rating__isnull=False)
               .values("operator_id").order_by()
               .annotate(average=Avg("ticket__rating__score"), count=Count("ticket__rating"))}
    people = {user.pk: user for user in get_user_model().objects.filter(pk__in=tallies)}
    rows = []
    for pk, tally in tallies.items():
        person = people.get(pk)
        average, count = ratings.get(pk, (None, 0))
        rows.append(Row(
            scope="operator", key=person.get_username() if person else str(pk),
            label=str(person) if person else str(pk), issued=None, served=tally.served,
            transferred=tally.transferred, no_shows=tally.no_shows, waiting=Durations.of(tally.waits),
            service_time=Durations.of(tally.service_times), breaches=tally.breaches,
            rating_average=None if average is None else round(average, 2), ratings=count))
    return sorted(rows, key=lambda row: (row.label.casefold(), row.key))


# Ratings at or below this score are listed for the manager's follow-up (feedback's
# Rating.REASON_REQUIRED_AT_OR_BELOW: feedback depends on centers, so the number is repeated
# here and a test holds the two together).
LOW_RATING_AT_OR_BELOW = 2


def low_ratings_not_followed_up(*, center: Center) -> int:
    """How many low ratings of the center's tickets nobody has followed up yet (the dashboard
    links to feedback's list of them)."""
    return Ticket.objects.filter(center=center, rating__score__lte=LOW_RATING_AT_OR_BELOW,
                                 rating__follow_ups__isnull=True).count()

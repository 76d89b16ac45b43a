"""Reading ratings, and the tickets waiting for one (through the centers' selectors)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from khedmat.centers import selectors as center_selectors

from .models import Rating, RatingFollowUp

if TYPE_CHECKING:
    from khedmat.centers.models import Counter, Ticket

# The tablet offers the rating of a ticket finished at its counter this long ago at most.
RATING_WINDOW = datetime.timedelta(minutes=10)


def ticket_for_rating(*, public_id: uuid.UUID) -> Ticket | None:
    """The ticket behind a rating link (its unguessable id is the only key), with what the
    rating page shows; None if there is no such ticket."""
    return center_selectors.ticket_by_public_id(public_id=public_id)


def rating_for_ticket(*, ticket: Ticket) -> Rating | None:
    return Rating.objects.filter(ticket_id=ticket.pk).first()


def ticket_to_rate_for_phone(*, phone: str, days: int = 7) -> Ticket | None:
    """The latest ticket of this mobile number served in the last `days` days and not rated yet."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return center_selectors.tickets_served_for_phone(phone=phone, since=since).filter(rating__isnull=True).first()


# --- the counter tablet ---------------------------------------------------------------------------

def _window_start(now: datetime.datetime | None) -> datetime.datetime:
    return (now or timezone.now()) - RATING_WINDOW


def ticket_to_rate(*, counter: Counter, now: datetime.datetime | None = None) -> Ticket | None:
    """The ticket this counter finished most recently, within the rating window, if it has
    not been rated yet; None when the tablet should show its welcome screen."""
    visit = center_selectors.served_visits_at(counter=counter, since=_window_start(now)).first()
    if visit is None or Rating.objects.filter(ticket_id=visit.ticket_id).exists():
        return None
    return visit.ticket


def ticket_rateable_at(*, counter: Counter, public_id: uuid.UUID | str,
                       now: datetime.datetime | None = None) -> Ticket | None:
    """A ticket the tablet may still send a rating for: served at this counter within the window."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    visit = center_selectors.served_visits_at(counter=counter, since=_window_start(now),
                                              ticket_public_id=key).first()
    return visit.ticket if visit is not None else None


# --- low ratings, for the center manager's follow-up ----------------------------------------------

# The list shows at most this many ratings (the newest): narrow the days to see older ones.
LOW_RATINGS_SHOWN = 200


@dataclass(frozen=True)
class LowRating:
    """A rating of 2 or below with what the manager needs to follow it up."""

    rating: Rating
    operator: Any | None  # who served the ticket (None if unknown)
    follow_ups: list[RatingFollowUp]

    @property
    def followed_up(self) -> bool:
        return bool(self.follow_ups)


def low_ratings(*, center_id: int, start: datetime.date, end: datetime.date,
                open_only: bool = False) -> list[LowRating]:
    """The center's ratings of 2 or below of tickets of `start`…`end`, newest first, each with
    the operator who served the ticket and the follow-ups recorded so far."""
    ratings = (Rating.objects.filter(center_id=center_id, score__lte=Rating.REASON_REQUIRED_AT_OR_BELOW,
                                     ticket__day__gte=start, ticket__day__lte=end)
               .select_related("ticket__group", "service__current_version", "counter")
               .prefetch_related("ticket__visits__operator", "follow_ups__by")
               .order_by("-created_at", "-id"))
    if open_only:
        ratings = ratings.filter(follow_ups__isnull=True)
    result = []
    for rating in ratings[:LOW_RATINGS_SHOWN]:
        served = [visit for visit in rating.ticket.visits.all() if visit.outcome == "served"]
        operator = served[-1].operator if served else None
        result.append(LowRating(rating=rating, operator=operator, follow_ups=list(rating.follow_ups.all())))
    return result


def low_rating_of_center(*, center_id: int | None, rating_id: int) -> Rating | None:
    """Rating `rating_id` if it is a low rating of this center (any other is not found)."""
    if center_id is None:
        return None
    return Rating.objects.filter(pk=rating_id, center_id=center_id,
                                 score__lte=Rating.REASON_REQUIRED_AT_OR_BELOW).first()


@dataclass(frozen=True)
class RatingsCount:
    """Ratings given in a window for one service at one center: how many, their sum, how many 4–5."""

    service_id: int
    agency_id: int
    center_id: int
    count: int
    total: int
    good: int


def ratings_counted_between(*, start: datetime.datetime, end: datetime.datetime) -> list[RatingsCount]:
    """Ratings made in [start, end), grouped by service and center (one query; for the public figures)."""
    rows = (Rating.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("service_id", "agency_id", "center_id")
            .annotate(count=Count("id"), total=Sum("score"), good=Count("id", filter=Q(score__gte=4))).order_by())
    return [RatingsCount(service_id=row["service_id"], agency_id=row["agency_id"], center_id=row["center_id"],
                         count=row["count"], total=row["total"] or 0, good=row["good"]) for row in rows]

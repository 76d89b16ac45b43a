"""Reading ratings, and the tickets waiting for one (through the centers' selectors)."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.utils import timezone

from khedmat.centers import selectors as center_selectors

from .models import Rating

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

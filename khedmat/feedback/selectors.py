"""Reading ratings."""

from __future__ import annotations

import uuid

from khedmat.centers.models import Ticket

from .models import Rating


def ticket_for_rating(*, public_id: uuid.UUID) -> Ticket | None:
    """The ticket behind a rating link (its unguessable id is the only key), with what the
    rating page shows; None if there is no such ticket."""
    return (Ticket.objects.select_related("center", "group", "service__current_version")
            .filter(public_id=public_id).first())


def rating_for_ticket(*, ticket: Ticket) -> Rating | None:
    return Rating.objects.filter(ticket_id=ticket.pk).first()

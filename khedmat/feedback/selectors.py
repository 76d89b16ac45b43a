"""Reading ratings."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from khedmat.centers.models import Ticket

from .models import Rating


def ticket_for_rating(*, public_id: uuid.UUID) -> Ticket | None:
    """The ticket behind a rating link (its unguessable id is the only key), with what the
    rating page shows; None if there is no such ticket."""
    return (Ticket.objects.select_related("center", "group", "service__current_version")
            .filter(public_id=public_id).first())


def rating_for_ticket(*, ticket: Ticket) -> Rating | None:
    return Rating.objects.filter(ticket_id=ticket.pk).first()


def ticket_to_rate_for_phone(*, phone: str, days: int = 7) -> Ticket | None:
    """The latest ticket of this mobile number served in the last `days` days and not rated yet."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return (Ticket.objects.select_related("group", "center", "service")
            .filter(phone=phone, status=Ticket.Status.SERVED, day__gte=since, rating__isnull=True)
            .order_by("-day", "-issued_at", "-id").first())

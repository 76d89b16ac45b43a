"""The electronic queue: issuing tickets and calling the next one to a counter.

Ticket numbers are gap-free per queue group and day (khedmat.core.sequences). Calling the
next ticket locks the chosen row; on PostgreSQL with SKIP LOCKED, so that counters calling
at the same moment each get a different ticket without waiting for one another. On SQLite
writers are serialised (IMMEDIATE transactions), which gives the same guarantee.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.catalog.models import Service
from khedmat.core.sequences import sequence_next

from .models import Center, Counter, QueueGroup, Ticket, TicketSequence


class QueueError(Exception):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _advance(priority: str) -> datetime.timedelta:
    """How far ahead of its issue time a priority ticket stands: bounded, so a walk-in
    who waited longer than the advance is still called first."""
    return datetime.timedelta(minutes=settings.QUEUE_PRIORITY_ADVANCE_MINUTES) if priority else datetime.timedelta()


@transaction.atomic
def ticket_issue(*, center: Center, service: Service, priority: str = "",
                 channel: str = Ticket.Channel.KIOSK) -> Ticket:
    """Give the next ticket of the service's queue group at this center, today."""
    if priority not in Ticket.Priority.values:
        raise QueueError(_("Unknown priority group."), code="bad_priority")
    group = QueueGroup.objects.filter(center=center, services=service).first()
    if group is None:
        raise QueueError(_("This service is not served at this center."), code="not_served")
    now = timezone.now()
    day = timezone.localdate(now)
    # The counter row is locked last, for as short a time as possible.
    number = sequence_next(TicketSequence, group=group, day=day)
    return Ticket.objects.create(
        center=center, group=group, service=service, day=day, number=number, priority=priority,
        channel=channel, issued_at=now, queue_position_at=now - _advance(priority),
    )


@transaction.atomic
def ticket_call_next(*, counter: Counter) -> Ticket | None:
    """Call the ticket that has stood longest (priority advance included) among today's
    waiting tickets for the services this counter serves; None if nobody waits."""
    waiting = (
        Ticket.objects.filter(center_id=counter.center_id, day=timezone.localdate(), status=Ticket.Status.WAITING,
                              service__in=counter.services.all())
        .order_by("queue_position_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True, of=("self",))
    ticket = waiting.first()
    if ticket is None:
        return None
    ticket.status = Ticket.Status.CALLED
    ticket.counter = counter
    ticket.called_at = timezone.now()
    ticket.save(update_fields=["status", "counter", "called_at"])
    return ticket

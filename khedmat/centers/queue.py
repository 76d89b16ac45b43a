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
from khedmat.core.errors import Refusal
from khedmat.core.sequences import sequence_next

from .models import Center, Counter, QueueGroup, Ticket, TicketSequence


class QueueError(Refusal):
    """A queue operation refused (see core.errors.Refusal)."""


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


def _ticket_at(counter: Counter, ticket: Ticket, *, statuses: tuple[str, ...]) -> Ticket:
    """Lock `ticket` and check it is this counter's, in one of `statuses`."""
    locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if locked.counter_id != counter.pk or locked.status not in statuses:
        raise QueueError(_("This ticket is not waiting at your counter."), code="not_here")
    return locked


@transaction.atomic
def ticket_recall(*, counter: Counter, ticket: Ticket) -> Ticket:
    """Call the same ticket again; after QUEUE_MAX_RECALLS recalls it can be marked a no-show."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    locked.recalls += 1
    locked.called_at = timezone.now()
    locked.save(update_fields=["recalls", "called_at"])
    return locked


@transaction.atomic
def ticket_no_show(*, counter: Counter, ticket: Ticket) -> Ticket:
    """Close a called ticket whose holder did not come, once it was recalled enough times."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    if locked.recalls < settings.QUEUE_MAX_RECALLS:
        raise QueueError(_("Recall the ticket first: its holder may not have heard."), code="recall_first")
    locked.status = Ticket.Status.NO_SHOW
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def ticket_start(*, counter: Counter, ticket: Ticket) -> Ticket:
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    locked.status = Ticket.Status.SERVING
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def ticket_finish(*, counter: Counter, ticket: Ticket) -> Ticket:
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.SERVING,))
    locked.status = Ticket.Status.SERVED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def ticket_transfer(*, counter: Counter, ticket: Ticket, service: Service) -> Ticket:
    """Send the holder on to another service of the center, keeping their number and their
    place: the ticket waits again where it stood in the queue."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED, Ticket.Status.SERVING))
    if not QueueGroup.objects.filter(center_id=locked.center_id, services=service).exists():
        raise QueueError(_("This service is not served at this center."), code="not_served")
    locked.service = service
    locked.status = Ticket.Status.WAITING
    locked.counter = None
    locked.called_at = None
    locked.recalls = 0
    locked.save(update_fields=["service", "status", "counter", "called_at", "recalls"])
    return locked

"""What the public figures (khedmat.insights) read of the halls: a day's served visits and their waits."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import TicketVisit


@dataclass(frozen=True)
class Served:
    """One visit served at a counter: how long its holder waited to be called."""

    service_id: int
    agency_id: int
    center_id: int
    waiting_since: datetime.datetime
    called_at: datetime.datetime | None


def visits_served_on(*, day: datetime.date) -> Iterator[Served]:
    """The visits served on `day` (one query, streamed; no ticket number or phone)."""
    rows = (TicketVisit.objects.filter(day=day, outcome=TicketVisit.Outcome.SERVED)
            .values_list("service_id", "service__agency_id", "center_id", "waiting_since", "called_at", "started_at")
            .order_by())
    for service_id, agency_id, center_id, waiting_since, called_at, started_at in rows.iterator(chunk_size=2000):
        yield Served(service_id=service_id, agency_id=agency_id, center_id=center_id,
                     waiting_since=waiting_since, called_at=called_at or started_at)

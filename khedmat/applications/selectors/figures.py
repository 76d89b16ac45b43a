"""What the public figures (khedmat.insights) read of applications: a day's filings and decisions.

Aggregates only: no applicant's name, reference or answers leaves this module.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q

from ..models import Application


@dataclass(frozen=True)
class Filed:
    """Files sent in one window, counted by service, center and channel."""

    service_id: int
    agency_id: int
    center_id: int | None
    channel: str
    assisted: bool  # filed by an operator for someone else (the assisted channel)
    count: int


@dataclass(frozen=True)
class Decided:
    """One final decision: when the file was sent, decided, and its deadline."""

    service_id: int
    agency_id: int
    center_id: int | None
    submitted_at: datetime.datetime
    decided_at: datetime.datetime
    due_date: datetime.date | None


def applications_filed_between(*, start: datetime.datetime, end: datetime.datetime) -> list[Filed]:
    """Files sent in [start, end), grouped: one query, a row per service × center × channel."""
    assisted = ExpressionWrapper(Q(filed_by__isnull=False) & ~Q(filed_by_id=F("applicant_id")),
                                 output_field=BooleanField())
    rows = (Application.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
            .annotate(assisted=assisted)
            .values("service_id", "agency_id", "center_id", "channel", "assisted")
            .annotate(count=Count("id")).order_by())
    return [Filed(service_id=row["service_id"], agency_id=row["agency_id"], center_id=row["center_id"],
                  channel=row["channel"], assisted=bool(row["assisted"]), count=row["count"]) for row in rows]


def applications_decided_between(*, start: datetime.datetime, end: datetime.datetime) -> Iterator[Decided]:
    """Files that reached a final state in [start, end) (one query, streamed)."""
    rows = (Application.objects.filter(decided_at__gte=start, decided_at__lt=end, is_final=True,
                                       submitted_at__isnull=False)
            .values_list("service_id", "agency_id", "center_id", "submitted_at", "decided_at", "due_date")
            .order_by())
    for service_id, agency_id, center_id, submitted_at, decided_at, due_date in rows.iterator(chunk_size=2000):
        assert submitted_at is not None and decided_at is not None  # the filter's own conditions
        yield Decided(service_id=service_id, agency_id=agency_id, center_id=center_id,
                      submitted_at=submitted_at, decided_at=decided_at, due_date=due_date)

"""Complaints in the public figures: the one place that reads the complaints app."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from khedmat.complaints import selectors as complaint_selectors


@dataclass(frozen=True)
class ComplaintCounts:
    """One day's complaints about one service at one center (center None: not about a center)."""

    service_id: int
    agency_id: int
    center_id: int | None
    received: int = 0
    answered: int = 0
    answered_in_time: int = 0


def complaint_figures(*, start: datetime.datetime, end: datetime.datetime) -> list[ComplaintCounts]:
    """Complaints received in a day [start, end), and answered in it (in time: by their due date)."""
    return [ComplaintCounts(service_id=row.service_id, agency_id=row.agency_id, center_id=row.center_id,
                            received=row.received, answered=row.answered, answered_in_time=row.answered_in_time)
            for row in complaint_selectors.complaint_counts_between(start=start, end=end)]

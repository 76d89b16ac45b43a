"""Complaints in the public figures: the one place that reads the complaints app.

Until `khedmat.complaints` is installed (it is built on another branch) every count is zero;
wiring it means filling `complaint_figures` from the complaints app's selectors, nothing else.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class ComplaintCounts:
    """One day's complaints about one service at one center (center None: not about a center)."""

    service_id: int
    agency_id: int
    center_id: int | None
    received: int = 0
    answered: int = 0
    answered_in_time: int = 0


def complaint_figures(day: datetime.date) -> list[ComplaintCounts]:
    """Complaints received on `day`, and answered on `day` (in time: by their due date)."""
    if not apps.is_installed("khedmat.complaints"):
        return []
    # The lead wires this once the complaints app is merged: received = filed on `day`,
    # answered = answered on `day`, in time = answered on or before the complaint's due date.
    return []

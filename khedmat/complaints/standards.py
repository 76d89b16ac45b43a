"""The complaint time standard and the rungs of its escalation ladder, in working days.

15 working days by default, 30 once an investigation is opened, both settable per agency
(ComplaintPolicy) over the platform's defaults (settings.COMPLAINTS_*). The ladder's rungs
are dates: a rung is climbed on the first day after it, while the complaint is unanswered.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings

from khedmat.core.workdays import add_working_days

from .models import ComplaintPolicy

SUPERVISOR, HEAD, OMBUDSMAN = 1, 2, 3
TOP = OMBUDSMAN


@dataclass(frozen=True)
class Standard:
    standard_days: int
    investigation_days: int


def standard_for(*, agency_id: int | None) -> Standard:
    """The agency's own time standards, else the platform's."""
    policy = ComplaintPolicy.objects.filter(agency_id=agency_id).first() if agency_id else None
    if policy is not None:
        return Standard(policy.standard_days, policy.investigation_days)
    return Standard(settings.COMPLAINTS_STANDARD_DAYS, settings.COMPLAINTS_INVESTIGATION_DAYS)


def rung_days(level: int, days: int) -> int:
    """Working days after the clock's start at which rung `level` is reached."""
    percent = {SUPERVISOR: settings.COMPLAINTS_SUPERVISOR_PERCENT, HEAD: 100,
               OMBUDSMAN: settings.COMPLAINTS_OMBUDSMAN_PERCENT}[level]
    return max(1, math.ceil(days * percent / 100))


def rung_date(level: int, *, started_on: datetime.date, days: int) -> datetime.date | None:
    """The last day before rung `level` is climbed (None past the top)."""
    if level > TOP:
        return None
    return add_working_days(started_on, rung_days(level, days))

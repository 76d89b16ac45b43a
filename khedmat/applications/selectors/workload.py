"""The supervisor's view of an agency's work: open files per officer, by state, against the
time standard (working days, docs/time-standards.md), the oldest waiting, decided this week.

A fixed number of queries whatever the agency's size: the counts are grouped by the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.core.workdays import add_working_days

from ..models import Application, ApplicationEvent
from .inbox import DUE_SOON_WORKING_DAYS
from .office import agency_colleagues, inbox_filter_choices, person_name

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# The Afghan week starts on Saturday: "this week" is from the last Saturday on.
WEEK_STARTS_ON = 5


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass
class OfficerLoad:
    """One officer's open files (or, with `officer` None, the files nobody holds)."""

    officer: User | None
    name: str
    open_files: int = 0
    overdue: int = 0
    due_soon: int = 0
    oldest_submitted_at: datetime.datetime | None = None
    decided_this_week: int = 0
    by_state: list[StateCount] = field(default_factory=list)

    @property
    def inbox_filter(self) -> str:
        """The inbox's `assignment` filter that lists these files."""
        return str(self.officer.pk) if self.officer is not None else "nobody"


@dataclass(frozen=True)
class Workload:
    rows: list[OfficerLoad]
    week_start: datetime.date
    due_soon_until: datetime.date
    total_open: int
    total_overdue: int


def week_start(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=(today.weekday() - WEEK_STARTS_ON) % 7)


def agency_workload(*, agency_id: int, today: datetime.date | None = None) -> Workload:
    """Each colleague's open files of the agency, then the unassigned ones (five queries)."""
    today = today or timezone.localdate()
    soon_until = add_working_days(today, DUE_SOON_WORKING_DAYS)
    running = Q(clock_paused_on__isnull=True)
    groups = (
        Application.objects.filter(agency_id=agency_id, is_final=False).exclude(state=Application.DRAFT)
        .values("assigned_to_id", "state")
        .annotate(files=Count("id"),
                  overdue=Count("id", filter=running & Q(due_date__lt=today)),
                  soon=Count("id", filter=running & Q(due_date__gte=today, due_date__lte=soon_until)),
                  oldest=Min("submitted_at"))
        .order_by()
    )
    labels = dict(inbox_filter_choices(agency_id=agency_id).states)
    rows: dict[int | None, OfficerLoad] = {
        user.pk: OfficerLoad(officer=user, name=person_name(user)) for user in agency_colleagues(agency_id=agency_id)}
    for group in groups:
        key = group["assigned_to_id"]
        row = rows.get(key)
        if row is None:  # nobody, or someone who has since left the agency
            row = rows.setdefault(key, OfficerLoad(officer=None, name=""))
        row.open_files += group["files"]
        row.overdue += group["overdue"]
        row.due_soon += group["soon"]
        if group["oldest"] is not None and (row.oldest_submitted_at is None
                                            or group["oldest"] < row.oldest_submitted_at):
            row.oldest_submitted_at = group["oldest"]
        row.by_state.append(StateCount(group["state"], labels.get(group["state"], group["state"]), group["files"]))
    start = week_start(today)
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    # The step that closed each file decided it: its actor is who decided.
    decided = (ApplicationEvent.objects
               .filter(application__agency_id=agency_id, application__is_final=True,
                       application__decided_at__gte=start_at, occurred_at__gte=start_at,
                       to_state=F("application__state"), actor__isnull=False)
               .values("actor_id").annotate(files=Count("application_id", distinct=True)).order_by())
    for group in decided:
        if group["actor_id"] in rows:
            rows[group["actor_id"]].decided_this_week = group["files"]
    ordered = [row for key, row in rows.items() if key is not None and row.officer is not None]
    ordered.sort(key=lambda row: (-row.overdue, -row.open_files, row.name))
    nobody = [row for key, row in rows.items() if key is None or row.officer is None]
    if nobody:
        merged = OfficerLoad(officer=None, name=_("Not assigned"))
        for row in nobody:
            merged.open_files += row.open_files
            merged.overdue += row.overdue
            merged.due_soon += row.due_soon
            merged.by_state.extend(row.by_state)
            if row.oldest_submitted_at and (merged.oldest_submitted_at is None
                                            or row.oldest_submitted_at < merged.oldest_submitted_at):
                merged.oldest_submitted_at = row.oldest_submitted_at
        ordered.append(merged)
    for row in ordered:
        row.by_state.sort(key=lambda count: (-count.count, count.label))
    return Workload(rows=ordered, week_start=start, due_soon_until=soon_until,
                    total_open=sum(row.open_files for row in ordered),
                    total_overdue=sum(row.overdue for row in ordered))

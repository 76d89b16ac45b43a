"""Building the public figures: one day's rows, replaced whole (decisions/0034).

`figures_build_day` reads a day of filings, decisions, served visits, ratings and complaints
through the other apps' selectors, replaces that day's `DailyFigure` rows and then its Solar
Hijri month's `MonthlyFigure` rows. Running it again for the same day gives the same rows; two
runs of one day at once queue on the day's `FigureDay` row.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from khedmat.applications import selectors as application_selectors
from khedmat.centers import selectors as center_selectors
from khedmat.core import jobs
from khedmat.core.calendar import to_solar_hijri
from khedmat.core.workdays import working_days_between
from khedmat.feedback import selectors as feedback_selectors

from .complaints import complaint_figures
from .histograms import (
    DECISION_DAY_BOUNDS,
    DECISION_FIELDS,
    WAIT_FIELDS,
    WAIT_MINUTE_BOUNDS,
    bucket_of,
)
from .kept import figures_changed
from .models import DailyFigure, FigureDay, MonthlyFigure

MEASURE_FIELDS: tuple[str, ...] = (
    "received", "received_online", "received_center", "received_assisted", "received_sms",
    "decided", "decided_in_time", "served", "rated", "rating_sum", "rated_good",
    "complaints_received", "complaints_answered", "complaints_answered_in_time",
    *DECISION_FIELDS, *WAIT_FIELDS,
)

Key = tuple[int, int | None]  # (service_id, center_id)


def month_key(day: datetime.date) -> int:
    """The Solar Hijri month a day falls in, as year × 100 + month (140509 = Qaws 1405)."""
    solar = to_solar_hijri(day)
    return solar.year * 100 + solar.month


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return start, end


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _gather(day: datetime.date) -> dict[Key, dict[str, Any]]:
    """A day's counts keyed by (service, center), each with its agency."""
    start, end = local_day_bounds(day)
    rows: dict[Key, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(MEASURE_FIELDS, 0))

    def row(service_id: int, agency_id: int, center_id: int | None) -> dict[str, Any]:
        found = rows[(service_id, center_id)]
        found["agency_id"] = agency_id
        return found

    for filed in application_selectors.applications_filed_between(start=start, end=end):
        counts = row(filed.service_id, filed.agency_id, filed.center_id)
        counts["received"] += filed.count
        if filed.assisted:
            counts["received_assisted"] += filed.count
        elif filed.channel == "online":
            counts["received_online"] += filed.count
        elif filed.channel == "sms":
            counts["received_sms"] += filed.count
        else:
            counts["received_center"] += filed.count

    working_days: dict[tuple[datetime.date, datetime.date], int] = {}
    for decided in application_selectors.applications_decided_between(start=start, end=end):
        counts = row(decided.service_id, decided.agency_id, decided.center_id)
        sent_on, decided_on = _local_date(decided.submitted_at), _local_date(decided.decided_at)
        if (sent_on, decided_on) not in working_days:
            working_days[(sent_on, decided_on)] = max(working_days_between(sent_on, decided_on), 0)
        counts["decided"] += 1
        counts[DECISION_FIELDS[bucket_of(working_days[(sent_on, decided_on)], DECISION_DAY_BOUNDS)]] += 1
        if decided.due_date is not None and decided_on <= decided.due_date:
            counts["decided_in_time"] += 1

    for served in center_selectors.visits_served_on(day=day):
        counts = row(served.service_id, served.agency_id, served.center_id)
        counts["served"] += 1
        if served.called_at is not None:
            waited = (served.called_at - served.waiting_since).total_seconds() / 60
            counts[WAIT_FIELDS[bucket_of(waited, WAIT_MINUTE_BOUNDS)]] += 1

    for rated in feedback_selectors.ratings_counted_between(start=start, end=end):
        counts = row(rated.service_id, rated.agency_id, rated.center_id)
        counts["rated"] += rated.count
        counts["rating_sum"] += rated.total
        counts["rated_good"] += rated.good

    for complaints in complaint_figures(start=start, end=end):
        counts = row(complaints.service_id, complaints.agency_id, complaints.center_id)
        counts["complaints_received"] += complaints.received
        counts["complaints_answered"] += complaints.answered
        counts["complaints_answered_in_time"] += complaints.answered_in_time
    return rows


@transaction.atomic
def figures_build_day(*, day: datetime.date) -> int:
    """Replace `day`'s figures and its month's (the number of daily rows written)."""
    now = timezone.now()
    FigureDay.objects.get_or_create(day=day, defaults={"built_at": now})
    marker = FigureDay.objects.select_for_update().get(day=day)  # a second build of the day waits here
    rows = _gather(day)
    month = month_key(day)
    DailyFigure.objects.filter(day=day).delete()
    DailyFigure.objects.bulk_create([
        DailyFigure(day=day, month=month, service_id=service_id, center_id=center_id, **counts)
        for (service_id, center_id), counts in sorted(rows.items(), key=lambda item: (item[0][0], item[0][1] or 0))
    ])
    month_rebuild(month=month)
    figures_changed()
    marker.built_at = now
    marker.save(update_fields=["built_at"])
    return len(rows)


def month_rebuild(*, month: int) -> int:
    """Replace a month's rows by the sums of its daily rows (inside the caller's transaction)."""
    assert transaction.get_connection().in_atomic_block, "month_rebuild runs inside the day's build"
    sums = (DailyFigure.objects.filter(month=month).values("service_id", "center_id", "agency_id")
            .annotate(**{f"sum_{name}": Sum(name) for name in MEASURE_FIELDS}).order_by())
    MonthlyFigure.objects.filter(month=month).delete()
    made = MonthlyFigure.objects.bulk_create([
        MonthlyFigure(month=month, service_id=row["service_id"], center_id=row["center_id"],
                      agency_id=row["agency_id"], **{name: row[f"sum_{name}"] or 0 for name in MEASURE_FIELDS})
        for row in sums
    ])
    return len(made)


def figures_build_range(*, first: datetime.date, last: datetime.date) -> int:
    """Build every day from `first` to `last` (each in its own transaction); the rows written."""
    written = 0
    day = first
    while day <= last:
        written += figures_build_day(day=day)
        day += datetime.timedelta(days=1)
    return written


def figures_build_recent() -> int:
    """The periodic job: yesterday (now complete) and today so far."""
    today = timezone.localdate()
    return figures_build_range(first=today - datetime.timedelta(days=1), last=today)


def register_jobs() -> None:
    jobs.register("insights_build_figures", every_seconds=3600, run=figures_build_recent,
                  description="rebuilds yesterday's and today's public figures (insights)")

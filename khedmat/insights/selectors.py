"""Reads of the public figures: only the pre-aggregated rows, never applications or tickets.

A page asks for a period of Solar Hijri months and sums `MonthlyFigure` rows in the database
(a handful of statements per page, whatever the number of files behind them).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors
from khedmat.core.calendar import MONTHS, to_solar_hijri

from .figures import Figures
from .models import DailyFigure, FigureDay, MonthlyFigure
from .services import MEASURE_FIELDS

PERIOD_MONTHS = 12


@dataclass(frozen=True)
class Month:
    key: int  # Solar Hijri year × 100 + month

    @property
    def year(self) -> int:
        return self.key // 100

    @property
    def number(self) -> int:
        return self.key % 100

    def name(self, language: str) -> str:
        return MONTHS.get(language, MONTHS["en"])[self.number - 1]

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"


def months_ending(day: datetime.date, count: int = PERIOD_MONTHS) -> list[Month]:
    """The `count` Solar Hijri months up to and including `day`'s, oldest first."""
    solar = to_solar_hijri(day)
    index = solar.year * 12 + solar.month - 1
    return [Month(key=(i // 12) * 100 + i % 12 + 1) for i in range(index - count + 1, index + 1)]


def current_period() -> list[Month]:
    return months_ending(timezone.localdate())


def _sums() -> dict[str, Any]:
    return {name: Sum(name) for name in MEASURE_FIELDS}


def _clean(row: dict[str, Any]) -> dict[str, int]:
    return {name: int(row.get(name) or 0) for name in MEASURE_FIELDS}


def _in_period(period: list[Month]) -> QuerySet[MonthlyFigure]:
    return MonthlyFigure.objects.filter(month__gte=period[0].key, month__lte=period[-1].key)


def figures_total(*, period: list[Month], **where: Any) -> Figures:
    """One sum over the period (where: service_id=, agency_id= or center_id=)."""
    return Figures(_clean(_in_period(period).filter(**where).aggregate(**_sums())))


def figures_by_month(*, period: list[Month], **where: Any) -> list[tuple[Month, Figures]]:
    """The period month by month, oldest first (months with no row are zeros)."""
    rows = {row["month"]: _clean(row) for row in
            _in_period(period).filter(**where).values("month").annotate(**_sums()).order_by()}
    return [(month, Figures(rows.get(month.key, {}))) for month in period]


def figures_by(*, period: list[Month], key: str, **where: Any) -> dict[int | None, Figures]:
    """The period's sums grouped by `key` (service_id, agency_id or center_id)."""
    rows = _in_period(period).filter(**where).values(key).annotate(**_sums()).order_by()
    return {row[key]: Figures(_clean(row)) for row in rows}


def last_built() -> datetime.datetime | None:
    """When the figures were last rebuilt (shown on the pages and in the open data index)."""
    found = FigureDay.objects.order_by("-built_at").values_list("built_at", flat=True).first()
    return found


def services_named() -> dict[int, Any]:
    """The published services by id (for lists of figures)."""
    return {service.pk: service for service in catalog_selectors.service_list()}


def agencies_named() -> dict[int, Any]:
    return {agency.pk: agency for agency in catalog_selectors.agency_list()}


def centers_named() -> dict[int, Any]:
    return {center.pk: center for center in center_selectors.center_list()}


# Open data -------------------------------------------------------------------------------------

def figure_days(*, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The days from `first` to `last` whose figures were built."""
    return list(FigureDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True))


def daily_rows(*, first: datetime.date, last: datetime.date) -> Iterator[dict[str, Any]]:
    """Daily rows from `first` to `last` with the slugs of their agency, service and center."""
    rows = (DailyFigure.objects.filter(day__gte=first, day__lte=last)
            .values("day", "month", "agency__slug", "service__slug", "center__slug", *MEASURE_FIELDS)
            .order_by("day", "service__slug", "center__slug"))
    yield from rows.iterator(chunk_size=2000)


def monthly_rows(*, first: int | None = None, last: int | None = None) -> Iterator[dict[str, Any]]:
    """Monthly rows (months as year × 100 + month) with the slugs of their agency, service and center."""
    rows = MonthlyFigure.objects.all()
    if first is not None:
        rows = rows.filter(month__gte=first)
    if last is not None:
        rows = rows.filter(month__lte=last)
    values = (rows.values("month", "agency__slug", "service__slug", "center__slug", *MEASURE_FIELDS)
              .order_by("month", "service__slug", "center__slug"))
    yield from values.iterator(chunk_size=2000)


def months_built() -> list[int]:
    return list(MonthlyFigure.objects.values_list("month", flat=True).distinct().order_by("month"))

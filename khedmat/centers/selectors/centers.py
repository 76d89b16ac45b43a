"""Reading centers: which are open, what they offer, their priority groups and desks."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery

from khedmat.catalog import selectors as catalog_selectors

from ..models import AppointmentSchedule, Center, Counter, PriorityGroup
from . import rows

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


def center_list(*, service: Service | None = None) -> QuerySet[Center]:
    """Active centers (those offering `service`, if given), with their number of counters.

    Given a service, each center also carries `appointment_schedule_id`: the schedule that
    books that service there, or None when the center takes no appointments for it (its
    "Book an appointment" link leads straight to that booking page, and only where it can).
    """
    centers = Center.objects.filter(is_active=True)
    if service is not None:
        schedules = AppointmentSchedule.objects.filter(center=OuterRef("pk"), service=service, is_active=True)
        centers = centers.filter(services=service).annotate(
            appointment_schedule_id=Subquery(schedules.values("pk")[:1]))
    return centers.annotate(counter_count=Count("counters", distinct=True)).order_by("name_en")


def center_names(*, codes: Iterable[str]) -> dict[str, str]:
    """The names of the centers with these codes, in the reader's language (one query)."""
    codes = set(codes)
    return {center.code: center.name for center in Center.objects.filter(code__in=codes)} if codes else {}


def center_services_offered(*, center_id: int) -> QuerySet[Service]:
    """The active, published services an active center offers, with their agency and current version."""
    return (catalog_selectors.services_with_a_version(active_only=True)
            .filter(centers=center_id, centers__is_active=True).distinct())


def priority_groups() -> QuerySet[PriorityGroup]:
    """The priority groups a ticket may be issued for, in kiosk order."""
    return PriorityGroup.objects.filter(is_active=True).order_by("position", "code")


def center_by_id(*, pk: int) -> Center | None:
    return Center.objects.filter(pk=pk, is_active=True).first()


def center_open_by_slug(*, slug: str) -> Center | None:
    """The active center at this address (a closed-down one is not found). One plain
    statement written once per process: the hall's public pages (the join, a browser sent
    from the kiosk) ask it on every request (docs/performance.md)."""
    sql, center_columns = _center_open_by_slug_sql(connection.vendor)
    row = rows.fetch_one(sql, [slug])
    return center_columns.build(row) if row is not None else None


@functools.lru_cache(maxsize=4)
def _center_open_by_slug_sql(vendor: str) -> tuple[str, rows.Columns[Center]]:
    center_columns = rows.columns(Center, "c")
    sql = (f"SELECT {center_columns.select} FROM {rows.table(Center)} c "  # noqa: S608 - our names
           f"WHERE c.{rows.column(Center, 'slug')} = %s AND c.{rows.column(Center, 'is_active')}")
    return sql, center_columns


def center_by_slug(*, slug: str) -> Center | None:
    return Center.objects.filter(slug=slug).first()


def centers_for_dashboard() -> list[Center]:
    """Every active center, for a platform administrator's choice."""
    return list(Center.objects.filter(is_active=True).order_by("name_en"))


def women_desk_service_ids(*, center: Center) -> set[int]:
    """Services for which the center has an active women's-desk counter (the kiosk offers the
    desk for those only, and a ticket for it is refused for any other)."""
    return set(
        Counter.services.through.objects.filter(
            counter__center=center, counter__is_active=True, counter__designation=Counter.Designation.WOMEN,
        ).values_list("service_id", flat=True)
    )


def centers_for_handover(*, service_id: int, codes: Iterable[str] = ()) -> list[Center]:
    """Where a service hands things over: the active centers offering it (only those with
    `codes`, when its definition narrows the choice), by name."""
    centers = Center.objects.filter(is_active=True, services__id=service_id)
    codes = list(codes)
    if codes:
        centers = centers.filter(code__in=codes)
    return list(centers.distinct().order_by("name_en"))


def center_by_code(*, code: str) -> Center | None:
    return Center.objects.filter(code=code).first() if code else None

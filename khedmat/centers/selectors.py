"""Reading centers and counters."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from khedmat.catalog.models import Service

from .models import Center


def center_list(*, service: Service | None = None) -> QuerySet[Center]:
    """Active centers (those offering `service`, if given), with their number of counters."""
    centers = Center.objects.filter(is_active=True)
    if service is not None:
        centers = centers.filter(services=service)
    return centers.annotate(counter_count=Count("counters", distinct=True)).order_by("name_en")

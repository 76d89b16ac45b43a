"""Reading the catalog. Each list is a fixed number of queries, whatever its length."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .definition import normalize_for_search
from .models import Agency, Category, Service


def _published_services() -> QuerySet[Service]:
    return (
        Service.objects.filter(is_active=True, agency__is_active=True, current_version__isnull=False)
        .select_related("agency", "current_version", "current_version__category")
    )


def service_list(*, category: Category | None = None, agency: Agency | None = None,
                 query: str = "") -> QuerySet[Service]:
    """Published services, optionally in one category, of one agency, or matching a search.

    The search matches every word typed against the names in English, Dari and Pashto,
    the codes and the agency's names, whatever the spelling variants of Arabic letters.
    """
    services = _published_services()
    if category is not None:
        services = services.filter(current_version__category=category)
    if agency is not None:
        services = services.filter(agency=agency)
    for word in normalize_for_search(query).split()[:8]:
        services = services.filter(current_version__search_text__contains=word)
    return services.order_by("current_version__category__position", "current_version__name_en")


def service_get(*, slug: str) -> Service | None:
    return _published_services().filter(slug=slug).first()


def category_list() -> QuerySet[Category]:
    """Categories that hold at least one published service, with their counts."""
    counts = (
        _published_services().filter(current_version__category=OuterRef("pk"))
        .order_by().values("current_version__category").annotate(total=Count("pk")).values("total")
    )
    return (
        Category.objects.annotate(service_count=Coalesce(Subquery(counts), 0))
        .filter(service_count__gt=0)
        .order_by("position", "name_en")
    )


def agency_list() -> QuerySet[Agency]:
    """Active agencies with the number of services each publishes."""
    return (
        Agency.objects.filter(is_active=True)
        .annotate(service_count=Count(
            "services", filter=Q(services__is_active=True, services__current_version__isnull=False)))
        .order_by("name_en")
    )


def agency_get(*, slug: str) -> Agency | None:
    return Agency.objects.filter(slug=slug, is_active=True).first()


def category_get(*, slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()

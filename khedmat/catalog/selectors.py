"""Reading the catalog. Each list is a fixed number of queries, whatever its length."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from . import search
from .models import Agency, Category, Service, ServiceVersion


def _published_services() -> QuerySet[Service]:
    return (
        Service.objects.filter(is_active=True, agency__is_active=True, current_version__isnull=False)
        .select_related("agency", "current_version", "current_version__category")
    )


def service_list(*, category: Category | None = None, agency: Agency | None = None,
                 query: str = "") -> QuerySet[Service]:
    """Published services, optionally in one category, of one agency, or matching a search.

    The search forgives typos and spellings (catalog.search): every word typed must match a
    word of the names in English, Dari and Pashto, the codes or the agency's names; the best
    matches come first. Two queries, whatever the size of the catalog.
    """
    services = _published_services()
    if category is not None:
        services = services.filter(current_version__category=category)
    if agency is not None:
        services = services.filter(agency=agency)
    ordered = services.order_by("current_version__category__position", "current_version__name_en")
    words = search.query_words(query)
    if not words:
        return ordered
    found = search.rank(words, ordered.values_list("pk", "current_version__search_text"))
    if not found:
        return services.none()
    relevance = Case(*(When(pk=pk, then=Value(place)) for place, pk in enumerate(found)),
                     output_field=IntegerField())
    return services.filter(pk__in=found).order_by(relevance)


def service_get(*, slug: str) -> Service | None:
    return _published_services().filter(slug=slug).first()


def service_by_codes(*, agency_code: str, service_code: str) -> Service | None:
    """A published service by its agency's and its own code ("MOI", "PSP"), as people write
    them in a text ("COMPLAIN MOI-PSP …")."""
    return _published_services().filter(agency__code__iexact=agency_code, code__iexact=service_code).first()


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


def agency_get_by_code(*, code: str) -> Agency | None:
    """Any agency, active or not, by its code (a document names its issuer by code)."""
    return Agency.objects.filter(code=code).first()


def agency_list_all() -> QuerySet[Agency]:
    """Every agency, active or not, by code: for reports that go through them all."""
    return Agency.objects.order_by("code")


def agency_names(*, codes: Iterable[str]) -> dict[str, str]:
    """The names of the agencies with these codes, in the reader's language (one query)."""
    codes = set(codes)
    return {agency.code: agency.name for agency in Agency.objects.filter(code__in=codes)} if codes else {}


def services_with_a_version(*, agency_id: int | None = None, active_only: bool = False) -> QuerySet[Service]:
    """Services that have a published version, with their agency and current version: what a
    center may offer, and the choices of an agency's inbox filters."""
    services = Service.objects.filter(current_version__isnull=False).select_related("agency", "current_version")
    if agency_id is not None:
        services = services.filter(agency_id=agency_id)
    return services.filter(is_active=True) if active_only else services


def services_by_ids(*, ids: Iterable[int]) -> dict[int, Service]:
    """Services by primary key, with their current version (one query)."""
    return Service.objects.select_related("current_version").in_bulk(set(ids))


def service_versions_by_ids(*, ids: Iterable[int]) -> dict[int, ServiceVersion]:
    """Service versions by primary key (one query)."""
    return ServiceVersion.objects.in_bulk(set(ids))

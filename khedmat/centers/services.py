"""Changing centers: opening a center, its counters, and the services it offers.

Upserts are keyed on codes and numbers so that reference data (the demonstration
centers, a ministry's own list) can be loaded again without creating duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction

from khedmat.catalog.models import Service

from .models import Center, Counter

LANGUAGES = ("en", "fa", "ps")


@transaction.atomic
def center_upsert(*, code: str, slug: str, name: dict[str, str], city: dict[str, str],
                  address: dict[str, str], opens_at: time, closes_at: time, is_active: bool = True) -> Center:
    """Create the center with this code, or bring an existing one up to date."""
    if opens_at >= closes_at:
        raise ValidationError("A center must open before it closes.")
    center, _created = Center.objects.update_or_create(
        code=code,
        defaults={
            "slug": slug, "opens_at": opens_at, "closes_at": closes_at, "is_active": is_active,
            **{f"name_{lang}": name[lang] for lang in LANGUAGES},
            **{f"city_{lang}": city[lang] for lang in LANGUAGES},
            **{f"address_{lang}": address[lang] for lang in LANGUAGES},
        },
    )
    return center


@transaction.atomic
def center_offer_services(*, center: Center, services: Iterable[Service]) -> None:
    """Make `services` exactly what the center offers.

    A counter cannot serve what its center no longer offers, so a service withdrawn from
    the center is withdrawn from its counters too.
    """
    offered = list(services)
    center.services.set(offered)
    offered_ids = {service.pk for service in offered}
    for counter in center.counters.prefetch_related("services"):
        withdrawn = [service for service in counter.services.all() if service.pk not in offered_ids]
        if withdrawn:
            counter.services.remove(*withdrawn)


@transaction.atomic
def counter_upsert(*, center: Center, number: int, designation: str = Counter.Designation.GENERAL,
                   services: Iterable[Service] = (), is_active: bool = True) -> Counter:
    """Create or update counter `number` of `center`, serving exactly `services`.

    Refuses a service the center does not offer: a ticket for it could never be issued there.
    """
    if designation not in Counter.Designation.values:
        raise ValidationError(f"Unknown counter designation {designation!r}.")
    served = list(services)
    offered_ids = set(center.services.values_list("pk", flat=True))
    foreign = [service.slug for service in served if service.pk not in offered_ids]
    if foreign:
        raise ValidationError(f"Center {center.code} does not offer: {', '.join(sorted(foreign))}.")
    counter, _created = Counter.objects.update_or_create(
        center=center, number=number,
        defaults={"designation": designation, "is_active": is_active},
    )
    counter.services.set(served)
    return counter

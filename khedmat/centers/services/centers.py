"""Setting centers up: opening a center, its counters, and the services it offers.

Upserts are keyed on codes and numbers so that reference data (the demonstration
centers, a ministry's own list) can be loaded again without creating duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from khedmat.core.pictograms import PICTOGRAMS

from ..hours import MIDNIGHT
from ..models import AppointmentSchedule, Center, Counter, QueueGroup

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

LANGUAGES = ("en", "fa", "ps")


def check_hours(opens_at: time, closes_at: time, open_weekdays: Iterable[int] | None = None) -> list[int] | None:
    """The weekdays as stored (sorted, unique), after refusing hours that close before they
    open (00:00 closes at midnight) and weekdays that are not Python's 0–6."""
    if closes_at != MIDNIGHT and opens_at >= closes_at:
        raise ValidationError("A center must open before it closes.")
    if open_weekdays is None:
        return None
    days = sorted(set(open_weekdays))
    if any(not isinstance(day, int) or not 0 <= day <= 6 for day in days):
        raise ValidationError(f"Weekdays are numbers 0 (Monday) to 6 (Sunday), not {days!r}.")
    return days


@transaction.atomic
def center_upsert(*, code: str, slug: str, name: dict[str, str], city: dict[str, str],
                  address: dict[str, str], opens_at: time, closes_at: time, is_active: bool = True,
                  open_weekdays: Iterable[int] | None = None, open_on_holidays: bool | None = None) -> Center:
    """Create the center with this code, or bring an existing one up to date. `open_weekdays`
    (Python numbers, Monday = 0) defaults to the platform's working week for a new center and
    is left as it is for an existing one, as is `open_on_holidays` when not given."""
    days = check_hours(opens_at, closes_at, open_weekdays)
    center, _created = Center.objects.update_or_create(
        code=code,
        defaults={
            "slug": slug, "opens_at": opens_at, "closes_at": closes_at, "is_active": is_active,
            **({"open_weekdays": days} if days is not None else {}),
            **({"open_on_holidays": open_on_holidays} if open_on_holidays is not None else {}),
            **{f"name_{lang}": name[lang] for lang in LANGUAGES},
            **{f"city_{lang}": city[lang] for lang in LANGUAGES},
            **{f"address_{lang}": address[lang] for lang in LANGUAGES},
        },
    )
    return center


@transaction.atomic
def center_set_hours(*, center: Center, opens_at: time, closes_at: time, open_weekdays: Iterable[int]) -> Center:
    """When the center opens: its weekdays and its hours (00:00 closing is midnight)."""
    days = check_hours(opens_at, closes_at, open_weekdays)
    center.opens_at, center.closes_at, center.open_weekdays = opens_at, closes_at, days
    center.save(update_fields=["opens_at", "closes_at", "open_weekdays"])
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


@transaction.atomic
def queue_group_upsert(*, center: Center, letter: str, name: dict[str, str],
                       services: Iterable[Service]) -> QueueGroup:
    """Create or update the center's queue group `letter`, holding exactly those of
    `services` the center offers. Refuses a service already in another group of the center:
    a ticket's letter must be certain."""
    letter = letter.strip().upper()
    if not letter or not letter.isalpha() or len(letter) > 2:
        raise ValidationError(f"A queue group's letter is one or two letters, not {letter!r}.")
    offered_ids = set(center.services.values_list("pk", flat=True))
    kept = [service for service in services if service.pk in offered_ids]
    elsewhere = sorted(QueueGroup.services.through.objects
                       .filter(queuegroup__center=center, service__in=kept).exclude(queuegroup__letter=letter)
                       .values_list("service__slug", flat=True))
    if elsewhere:
        raise ValidationError(f"Center {center.code}: already in another queue group: {', '.join(elsewhere)}.")
    group, _created = QueueGroup.objects.update_or_create(
        center=center, letter=letter, defaults={f"name_{lang}": name[lang] for lang in LANGUAGES})
    group.services.set(kept)
    return group


def queue_group_set_pictogram(*, group: QueueGroup, pictogram: str) -> QueueGroup:
    """Choose the group's picture on the kiosk ("" for the generic one)."""
    if pictogram and pictogram not in PICTOGRAMS:
        raise ValidationError(f"No pictogram {pictogram!r} (khedmat/core/pictograms.py).")
    if group.pictogram != pictogram:
        group.pictogram = pictogram
        group.save(update_fields=["pictogram"])
    return group


@transaction.atomic
def appointment_schedule_upsert(*, center: Center, service: Service, starts_at: time, ends_at: time,
                                slot_minutes: int = 15, capacity: int = 2, days_ahead: int = 14,
                                is_active: bool = True) -> AppointmentSchedule:
    """Create or update the center's appointment hours for `service` (keyed on both)."""
    if not center.services.filter(pk=service.pk).exists():
        raise ValidationError(f"Center {center.code} does not offer {service.slug}.")
    if starts_at >= ends_at:
        raise ValidationError("Appointments must start before they end.")
    if not 5 <= slot_minutes <= 240 or capacity < 1:
        raise ValidationError("A slot lasts 5 to 240 minutes and takes at least one person.")
    schedule, _created = AppointmentSchedule.objects.update_or_create(
        center=center, service=service,
        defaults={"starts_at": starts_at, "ends_at": ends_at, "slot_minutes": slot_minutes, "capacity": capacity,
                  "days_ahead": days_ahead, "is_active": is_active},
    )
    return schedule

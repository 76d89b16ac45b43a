"""Human-readable, gap-free references: AGENCY-SERVICE-YEAR-NUMBER, e.g. MOI-PSP-1405-000123.

The number comes from a counter row per service and Solar Hijri year, incremented in the
submitting transaction: a rolled-back submission gives its number back, so there are no
gaps, and two submissions never share one. The row is locked last and briefly, so
submissions to different services never wait for each other.
"""

from __future__ import annotations

from django.db import transaction

from khedmat.catalog.models import Service

from .models import ReferenceCounter


def format_reference(*, agency_code: str, service_code: str, year: int, number: int) -> str:
    return f"{agency_code}-{service_code}-{year}-{number:06d}"


def reference_next(*, service: Service, year: int) -> str:
    """Take the next number for `service` in `year`; call inside the submitting transaction."""
    assert transaction.get_connection().in_atomic_block, "a reference must be taken inside a transaction"
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(service=service, year=year, last_number=0)], ignore_conflicts=True,
    )
    counter = ReferenceCounter.objects.select_for_update().get(service=service, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return format_reference(agency_code=service.agency.code, service_code=service.code, year=year,
                            number=counter.last_number)

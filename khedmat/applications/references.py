"""Human-readable, gap-free references: AGENCY-SERVICE-YEAR-NUMBER, e.g. MOI-PSP-1405-000123.

The number comes from a counter row per service and Solar Hijri year, incremented in the
submitting transaction: a rolled-back submission gives its number back, so there are no
gaps, and two submissions never share one. The row is locked last and briefly, so
submissions to different services never wait for each other (khedmat.core.sequences).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from khedmat.core.sequences import sequence_next

from .models import ReferenceCounter

if TYPE_CHECKING:
    from khedmat.catalog.models import Service


def format_reference(*, agency_code: str, service_code: str, year: int, number: int) -> str:
    return f"{agency_code}-{service_code}-{year}-{number:06d}"


def reference_next(*, service: Service, year: int) -> str:
    """Take the next number for `service` in `year`; call inside the submitting transaction."""
    number = sequence_next(ReferenceCounter, service=service, year=year)
    return format_reference(agency_code=service.agency.code, service_code=service.code, year=year, number=number)

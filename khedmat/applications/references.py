"""Human-readable, gap-free references: AGENCY-SERVICE-YEAR-NUMBER, e.g. MOI-PSP-1405-000123.

The number comes from a counter row per service and Solar Hijri year, incremented in the
submitting transaction: a rolled-back submission gives its number back, so there are no
gaps, and two submissions never share one. The row is locked last and briefly, so
submissions to different services never wait for each other. Taking a number is one
statement (UPDATE … RETURNING), the counter being made on the first submission of a year.
"""

from __future__ import annotations

from django.db import connection, transaction

from khedmat.catalog.models import Service

from .models import ReferenceCounter


def format_reference(*, agency_code: str, service_code: str, year: int, number: int) -> str:
    return f"{agency_code}-{service_code}-{year}-{number:06d}"


def reference_next(*, service: Service, year: int) -> str:
    """Take the next number for `service` in `year`; call inside the submitting transaction."""
    assert transaction.get_connection().in_atomic_block, "a reference must be taken inside a transaction"
    number = _take_number(service_id=service.pk, year=year)
    if number is None:  # the service's first submission this year: open its counter
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(service=service, year=year, last_number=0)], ignore_conflicts=True,
        )
        number = _take_number(service_id=service.pk, year=year)
        assert number is not None
    return format_reference(agency_code=service.agency.code, service_code=service.code, year=year, number=number)


def _take_number(*, service_id: int, year: int) -> int | None:
    """Add one to the counter and read it back in one statement, which also locks the row
    until the transaction ends (a parallel submission waits here, then takes the next one).
    UPDATE … RETURNING: PostgreSQL, and SQLite from 3.35."""
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 - the table name is ours
            "WHERE service_id = %s AND year = %s RETURNING last_number",
            [service_id, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None

"""The tables written on every visit carry no index that another one covers (decision 0047).

A ticket is written when issued, called and finished; each write enters every index of its table
(on PostgreSQL an update of an indexed column cannot stay on its page, so all of them). An index
on `center_id` alone, beside one on `(center_id, status, …)`, serves no lookup the other does
not, and costs each of those writes.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from khedmat.applications.tests.test_concurrency import needs_postgresql
from tests import database_roles

# Written by a citizen's or an operator's every step: a ticket, its visits, the audit trail, a
# submitted file, its payment order, a rating.
WRITTEN_ON_EVERY_VISIT = ("centers_ticket", "centers_ticketvisit", "audit_auditevent", "applications_application",
                          "payments_paymentorder", "feedback_rating")
DROPPED = {
    "centers_ticket": ["center_id", "group_id"],
    "centers_ticketvisit": ["center_id", "service_id"],
    "audit_auditevent": ["subject_id"],
    "payments_paymentorder": ["agency_id"],
    "feedback_rating": ["agency_id"],
}
# LIKE copies (PostgreSQL's varchar_pattern_ops) something does look up by prefix: the agency's
# reconciliation reads its payment orders by the reference's prefix (payments/selectors.py).
LIKE_NEEDED = {"payments_paymentorder_reference_29ec2b2c_like"}


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    # Indexes, and the unique constraints' (PostgreSQL reports those as constraints only).
    return {name: info["columns"] for name, info in found.items()
            if (info["index"] or info["unique"]) and not info["primary_key"] and info["columns"]}


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(DROPPED))
def test_a_column_indexed_with_others_has_no_index_of_its_own(table: str) -> None:
    indexes = _indexes(table)
    for column in DROPPED[table]:
        alone = [name for name, columns in indexes.items() if columns == [column]]
        leading = [name for name, columns in indexes.items() if len(columns) > 1 and columns[0] == column]
        assert not alone, f"{table}.{column} is indexed alone as well: {alone}"
        assert leading, f"{table}.{column} leads no index: its lookups would read the whole table"


@needs_postgresql
@pytest.mark.django_db
def test_no_index_of_a_table_written_on_every_visit_is_covered_by_another() -> None:
    """On PostgreSQL, with what introspection leaves out: partial indexes cover nothing, and a
    LIKE copy is covered by the plain index of its column unless a prefix lookup needs it."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, i.indrelid::regclass::text, i.indisunique, i.indpred IS NOT NULL,
                   pg_get_indexdef(i.indexrelid) LIKE '%%pattern_ops%%',
                   array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
        """, [list(WRITTEN_ON_EVERY_VISIT)])
        rows = cursor.fetchall()
    assert {row[1] for row in rows} == set(WRITTEN_ON_EVERY_VISIT)
    covered = []
    for name, table, unique, partial, like, columns in rows:
        if unique or partial or name in LIKE_NEEDED:
            continue
        for other, other_table, _unique, other_partial, other_like, other_columns in rows:
            if (other != name and other_table == table and not other_partial and (like or not other_like)
                    and other_columns[:len(columns)] == columns):
                covered.append(f"{name} {columns} by {other} {other_columns}")
                break
    assert not covered, covered


@pytest.mark.django_db(transaction=True)
def test_going_back_builds_the_dropped_index_again_and_forward_drops_it() -> None:
    """The migrations' shared step both ways (khedmat/core/covered_indexes.py), on the smallest
    of them; CONCURRENTLY on PostgreSQL, outside any transaction. As the tables' owner, who
    migrates in production (README, "Production")."""
    database_roles.become_owner()
    try:
        call_command("migrate", "feedback", "0003", verbosity=0)
        assert _indexes("feedback_rating").get("feedback_rating_agency_id_234b8e35") == ["agency_id"]
    finally:
        call_command("migrate", "feedback", verbosity=0)
        database_roles.become_serving_role()
    assert "feedback_rating_agency_id_234b8e35" not in _indexes("feedback_rating")

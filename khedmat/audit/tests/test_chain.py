"""The audit trail proves itself: any edit, deletion or reordering is found and named, and on
PostgreSQL the database refuses to change audit rows at all."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from khedmat.audit.database import append_only_tables
from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.audit.selectors import audit_verify_chain
from khedmat.audit.services import audit_record, audit_seal_pending
from tests.database_roles import as_tables_owner, owner_connection

pytestmark = pytest.mark.django_db
# The trigger's refusal (any role), or the grants' (the serving role, when it runs apart).
REFUSED = r"append-only|permission denied"


def _record(count: int) -> list[AuditEvent]:
    events = [audit_record(action="catalog.viewed", target_type="service", target_id=n, reason=f"look {n}")
              for n in range(count)]
    audit_seal_pending()
    return events


def _verify_fails(match: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("audit_verify", stdout=StringIO())


def test_sealed_chain_verifies() -> None:
    _record(5)
    assert AuditSeal.objects.count() == 5
    assert list(AuditSeal.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert audit_verify_chain() is None
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "verified: 5 sealed event(s)" in out.getvalue()


def test_sealing_twice_adds_nothing() -> None:
    _record(3)
    assert audit_seal_pending() == 0
    assert AuditSeal.objects.count() == 3


# Attacks by someone holding the owner's password (the triggers switched off): another
# connection, so these tests commit what they record (transaction=True).

@pytest.mark.django_db(transaction=True)
def test_edited_event_is_named() -> None:
    events = _record(5)
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing to see", events[2].pk])
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 3 and fault.event_id == events[2].pk
    assert "altered" in fault.problem
    _verify_fails(f"sequence 3 \\(event id {events[2].pk}\\): altered")


@pytest.mark.django_db(transaction=True)
def test_deleted_event_is_named() -> None:
    events = _record(5)
    with as_tables_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE event_id = %s", [events[1].pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 2
    assert "deleted" in fault.problem
    _verify_fails("at sequence 2 .*deleted")


@pytest.mark.django_db(transaction=True)
def test_reordered_events_are_found() -> None:
    events = _record(4)
    first, second = AuditSeal.objects.get(event=events[1]), AuditSeal.objects.get(event=events[2])
    with as_tables_owner() as cursor:  # swap which event sits at sequence 2 and 3
        cursor.execute("UPDATE audit_auditseal SET sequence = 1000 WHERE id = %s", [first.pk])
        cursor.execute("UPDATE audit_auditseal SET sequence = 2 WHERE id = %s", [second.pk])
        cursor.execute("UPDATE audit_auditseal SET sequence = 3 WHERE id = %s", [first.pk])
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 2
    _verify_fails("at sequence 2")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only triggers exist on PostgreSQL")
def test_database_refuses_update_delete_and_truncate_of_audit_rows() -> None:
    """Whoever the application connects as: the serving role has no such right, and the
    triggers refuse even the owner."""
    events = _record(1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(reason="changed")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditSeal.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE waits for the deferred key checks
    for table in append_only_tables():
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.filter(pk=events[0].pk, reason="look 0").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only triggers exist on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_tables_owner_is_refused_too_until_it_switches_the_triggers_off() -> None:
    _record(1)
    owner = owner_connection()
    try:
        for statement in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditseal",
                          "TRUNCATE audit_auditseal"):
            with pytest.raises(DatabaseError, match="append-only"), owner.cursor() as cursor:
                cursor.execute(statement)
    finally:
        owner.close()

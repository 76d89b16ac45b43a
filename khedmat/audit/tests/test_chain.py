"""The audit trail proves itself: any edit, deletion or reordering is found and named."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from khedmat.audit.models import AuditEvent, AuditSeal
from khedmat.audit.selectors import audit_verify_chain
from khedmat.audit.services import audit_record, audit_seal_pending

pytestmark = pytest.mark.django_db


def _record(count: int) -> list[AuditEvent]:
    events = [audit_record(action="catalog.viewed", target_type="service", target_id=n, reason=f"look {n}")
              for n in range(count)]
    audit_seal_pending()
    return events


def _bypass_append_only_guard() -> None:
    """Tests play the attacker who edits rows behind the application's back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a superuser's way round triggers, for this transaction
            cursor.execute("SET LOCAL session_replication_role = replica")


def test_sealed_chain_verifies() -> None:
    _record(5)
    assert AuditSeal.objects.count() == 5
    assert list(AuditSeal.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert audit_verify_chain() is None
    call_command("audit_verify")


def test_sealing_twice_adds_nothing() -> None:
    _record(3)
    assert audit_seal_pending() == 0
    assert AuditSeal.objects.count() == 3


def test_edited_event_is_named() -> None:
    events = _record(5)
    _bypass_append_only_guard()
    AuditEvent.objects.filter(pk=events[2].pk).update(reason="nothing to see")
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 3 and fault.event_id == events[2].pk
    assert "altered" in fault.problem
    with pytest.raises(CommandError, match="sequence 3"):
        call_command("audit_verify")


def test_deleted_event_is_named() -> None:
    events = _record(5)
    _bypass_append_only_guard()
    AuditSeal.objects.filter(event=events[1]).delete()
    AuditEvent.objects.filter(pk=events[1].pk).delete()
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 2
    assert "deleted" in fault.problem


def test_reordered_events_are_found() -> None:
    events = _record(4)
    _bypass_append_only_guard()
    first, second = AuditSeal.objects.get(event=events[1]), AuditSeal.objects.get(event=events[2])
    # Swap which event sits at sequence 2 and 3.
    AuditSeal.objects.filter(pk=first.pk).update(sequence=1000)
    AuditSeal.objects.filter(pk=second.pk).update(sequence=2)
    AuditSeal.objects.filter(pk=first.pk).update(sequence=3)
    fault = audit_verify_chain()
    assert fault is not None and fault.sequence == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL")
def test_database_refuses_update_and_delete_of_audit_rows() -> None:
    events = _record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(reason="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.all().delete()

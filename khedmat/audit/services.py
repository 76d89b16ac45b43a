"""Writing the audit trail. Services call `audit_record` explicitly, never through signals."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from khedmat.core.ratelimit import client_ip

from .chain import GENESIS_HASH, event_payload, link_hash
from .models import AuditEvent, AuditSeal

_SEAL_LOCK_ID = 4_711_001  # PostgreSQL advisory lock: one sealer at a time
# How far back, in event ids, a sealer after a commit looks for events that committed after
# later ones were sealed (transactions finish out of order). Older stragglers, left by a
# transaction open while more events than this came and went, wait for a full pass.
LOOKBACK_EVENTS = 500


def audit_record(*, action: str, target_type: str, target_id: object, actor: Any = None,
                 subject: Any = None, reason: str = "", data: dict[str, Any] | None = None,
                 request: HttpRequest | None = None) -> AuditEvent:
    """Append one event. Cheap: one insert, no shared row; the chain is extended after commit."""
    event = AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_role=getattr(actor, "role", "") or "",
        actor_agency_code=getattr(getattr(actor, "agency", None), "code", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        subject=subject,
        reason=reason[:300],
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip_address=client_ip(request) if request is not None and client_ip(request) != "unknown" else None,
        data=data or {},
    )
    transaction.on_commit(audit_seal_pending)
    return event


def audit_seal_pending(*, batch_size: int = 500, full: bool = False) -> int:
    """Link committed, unsealed events into the chain, in id order. Returns how many.

    Only one sealer runs at a time (an advisory lock on PostgreSQL; SQLite's single writer
    does the same). Safe to call often, from any process: it does nothing when all is sealed.

    After a commit (the default) it looks only at events after the last one sealed, less
    LOOKBACK_EVENTS, and gives way if another sealer is already at work (that one, or the
    next, takes the new events too): every request then reads a short index range, not
    the whole log, and no request queues behind another's sealing. `full=True`
    (`manage.py audit_verify`) waits its turn and looks at every event.
    """
    sealed = 0
    floor = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Seals can always be made again from the events, so this commit need
                    # not wait for the disk: a crash loses at most the newest seals (never a
                    # link in the middle), and the next sealer makes them again.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    if full:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_ID])
                    else:
                        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEAL_LOCK_ID])
                        if not cursor.fetchone()[0]:
                            return sealed
            last = AuditSeal.objects.order_by("-sequence").first()
            sequence = last.sequence if last else 0
            previous_hash = last.hash if last else GENESIS_HASH
            if last is not None and not full:
                floor = max(floor, last.event_id - LOOKBACK_EVENTS)
            # Both sides limited to ids above the floor: PostgreSQL merges two short index
            # ranges instead of probing, or hashing, the whole chain.
            sealed_above = AuditSeal.objects.filter(event_id=OuterRef("pk"), event_id__gt=floor)
            pending = list(AuditEvent.objects.filter(id__gt=floor).exclude(Exists(sealed_above))
                           .order_by("id")[:batch_size])
            if not pending:
                return sealed
            seals = []
            for event in pending:
                sequence += 1
                digest = link_hash(sequence=sequence, previous_hash=previous_hash, payload=event_payload(event))
                seals.append(AuditSeal(event=event, sequence=sequence, previous_hash=previous_hash, hash=digest))
                previous_hash = digest
            AuditSeal.objects.bulk_create(seals)
            sealed += len(seals)
            # Everything up to here is sealed or was not committed when this batch was read:
            # the next batch starts after it instead of walking the log from the start again.
            floor = pending[-1].id

"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from .chain import ChainFault, event_payload, verify_links
from .models import AuditEvent, AuditSeal


def audit_verify_chain(*, chunk_size: int = 2000) -> ChainFault | None:
    """Walk the whole chain in sequence order; the first fault found, or None if it holds."""

    def links() -> Iterator[tuple[int, str, str, dict[str, Any] | None, int | None]]:
        seals = AuditSeal.objects.select_related("event").order_by("sequence")
        for seal in seals.iterator(chunk_size=chunk_size):
            yield seal.sequence, seal.previous_hash, seal.hash, event_payload(seal.event), seal.event_id

    return verify_links(links())


def audit_unsealed_count() -> int:
    return AuditEvent.objects.filter(seal__isnull=True).count()


def audit_events_about(*, subject: Any) -> QuerySet[AuditEvent]:
    """What was done with a person's files, newest first: for their "who opened my file" page."""
    return AuditEvent.objects.filter(subject=subject).order_by("-occurred_at", "-id")

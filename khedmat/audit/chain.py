"""The hash chain, as pure functions: what an event's hash is and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def event_payload(event: Any) -> dict[str, Any]:
    """The fields of an event that the chain protects, in a stable form."""
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "actor_agency_code": event.actor_agency_code,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "subject": event.subject_id,
        "reason": event.reason,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "data": event.data,
    }


def link_hash(*, sequence: int, previous_hash: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{sequence}|{previous_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainFault:
    sequence: int
    event_id: int | None
    problem: str


def verify_links(links: Iterable[tuple[int, str, str, dict[str, Any] | None, int | None]]) -> ChainFault | None:
    """Check (sequence, previous_hash, hash, payload, event_id) tuples in sequence order.

    Returns the first fault: a gap in the sequence (an event deleted), a broken link (events
    reordered or a seal replaced) or a hash that no longer matches its event (an event edited).
    """
    expected_sequence = 1
    expected_previous = GENESIS_HASH
    for sequence, previous_hash, stored_hash, payload, event_id in links:
        if sequence != expected_sequence:
            return ChainFault(expected_sequence, event_id, "missing: the chain skips from "
                              f"{expected_sequence - 1} to {sequence}; an event was deleted")
        if payload is None:
            return ChainFault(sequence, event_id, "the sealed event no longer exists")
        if previous_hash != expected_previous:
            return ChainFault(sequence, event_id, "broken link: events were reordered or a seal replaced")
        if link_hash(sequence=sequence, previous_hash=previous_hash, payload=payload) != stored_hash:
            return ChainFault(sequence, event_id, "altered: the event's content does not match its hash")
        expected_sequence += 1
        expected_previous = stored_hash
    return None

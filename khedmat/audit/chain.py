"""The hash chain, as pure functions: what an event's hash is and how a chain is checked.

Each seal hashes its sequence number, the previous seal's hash and the event's commitment:
the fields a person may be shown (when, which role and agency, what, why, about whom), and
one salted digest of the rest (which staff account, its address, the request id, the data).
So a citizen can be given the proof that an event about them is in the log without learning
who, personally, acted (docs/audit.md). A seal made before salts existed (empty salt)
hashes the whole event instead.
"""

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


# What the person concerned may see of an event, and what only its digest gives away.
SHOWN_FIELDS = ("id", "occurred_at", "action", "target_type", "target_id", "subject", "actor_role",
                "actor_agency_code", "reason")
WITHHELD_FIELDS = ("actor", "request_id", "ip_address", "data")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def withheld_digest(withheld: dict[str, Any], *, salt: str) -> str:
    """SHA-256 of the salt and the withheld fields: binds them without showing them (the
    random salt stops anyone guessing an address or an account id from the digest)."""
    return hashlib.sha256(f"{salt}|{canonical_json(withheld)}".encode()).hexdigest()


def event_commitment(payload: dict[str, Any], *, salt: str) -> dict[str, Any]:
    """What a seal hashes for an event: its shown fields and the digest of the others; the
    whole payload for a seal made without a salt."""
    if not salt:
        return payload
    commitment = {name: payload[name] for name in SHOWN_FIELDS}
    commitment["withheld"] = withheld_digest({name: payload[name] for name in WITHHELD_FIELDS}, salt=salt)
    return commitment


def link_hash(*, sequence: int, previous_hash: str, payload: dict[str, Any]) -> str:
    """sha256(sequence | previous hash | canonical JSON of the commitment), as hex."""
    return hashlib.sha256(f"{sequence}|{previous_hash}|{canonical_json(payload)}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainFault:
    sequence: int
    event_id: int | None
    problem: str


class ChainWalk:
    """Checks links one at a time, in sequence order, from a known point of the chain (its
    start, or the head a checkpoint signed)."""

    def __init__(self, *, sequence: int = 0, head: str = GENESIS_HASH) -> None:
        self.sequence = sequence
        self.head = head

    def step(self, sequence: int, previous_hash: str, stored_hash: str, payload: dict[str, Any] | None,
             event_id: int | None) -> ChainFault | None:
        """The fault at this link, if any: a gap in the sequence (an event deleted), a broken
        link (events reordered or a seal replaced) or a hash that no longer matches its event
        (an event edited). The walk moves on only over a sound link."""
        expected = self.sequence + 1
        if sequence != expected:
            return ChainFault(expected, event_id, "missing: the chain skips from "
                              f"{expected - 1} to {sequence}; an event was deleted")
        if payload is None:
            return ChainFault(sequence, event_id, "the sealed event no longer exists")
        if previous_hash != self.head:
            return ChainFault(sequence, event_id, "broken link: events were reordered or a seal replaced")
        if link_hash(sequence=sequence, previous_hash=previous_hash, payload=payload) != stored_hash:
            return ChainFault(sequence, event_id, "altered: the event's content does not match its hash")
        self.sequence = sequence
        self.head = stored_hash
        return None


def verify_links(links: Iterable[tuple[int, str, str, dict[str, Any] | None, int | None]], *,
                 after_sequence: int = 0, after_hash: str = GENESIS_HASH) -> ChainFault | None:
    """Check (sequence, previous_hash, hash, commitment, event_id) tuples in sequence order,
    from the start of the chain or from a known link; the first fault, or None."""
    walk = ChainWalk(sequence=after_sequence, head=after_hash)
    for link in links:
        fault = walk.step(*link)
        if fault is not None:
            return fault
    return None

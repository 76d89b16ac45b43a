"""Reading the audit trail: the chain, the signed checkpoints, the published keys and proofs."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet

from . import checkpoint, keys, merkle
from .chain import SHOWN_FIELDS, ChainFault, event_commitment, event_payload, link_hash, verify_links
from .models import AuditCheckpoint, AuditEvent, AuditKey, AuditSeal
from .tree import TreeReader, seal_leaf

logger = logging.getLogger(__name__)

PROOF_FORMAT = "asan-khedmat-audit-proof/1"
FEED_FORMAT = "asan-khedmat-audit-checkpoints/1"
FEED_CHECKPOINTS = 100  # the newest, in the feed; older ones are in every later proof's reach
MAX_PROOF_EVENTS = 100
PAGE_CHECKPOINTS = 20


def audit_verify_chain(*, chunk_size: int = 2000) -> ChainFault | None:
    """Walk the whole chain in sequence order; the first fault found, or None if it holds.
    (The links only: `verification.audit_verify` also checks them against signed checkpoints.)"""

    def links() -> Iterator[tuple[int, str, str, dict[str, Any] | None, int | None]]:
        seals = AuditSeal.objects.select_related("event").order_by("sequence")
        for seal in seals.iterator(chunk_size=chunk_size):
            yield (seal.sequence, seal.previous_hash, seal.hash,
                   event_commitment(event_payload(seal.event), salt=seal.salt), seal.event_id)

    return verify_links(links())


def audit_unsealed_count() -> int:
    return AuditEvent.objects.filter(seal__isnull=True).count()


def audit_events_about(*, subject: Any) -> QuerySet[AuditEvent]:
    """What was done with a person's files, newest first: for their "who opened my file" page."""
    return AuditEvent.objects.filter(subject=subject).order_by("-occurred_at", "-id")


# --- checkpoints --------------------------------------------------------------------------------

def audit_origin() -> str:
    """The log's name in its checkpoints: AUDIT_CHECKPOINT_ORIGIN, or the public host + /audit."""
    configured = str(settings.AUDIT_CHECKPOINT_ORIGIN or "").strip()
    if configured:
        return configured
    host = urlsplit(str(settings.PUBLIC_BASE_URL)).netloc or "localhost"
    return f"{host}/audit"


def audit_checkpoints(*, limit: int = 20) -> list[AuditCheckpoint]:
    """The newest checkpoints first, with their keys."""
    return list(AuditCheckpoint.objects.select_related("key").order_by("-tree_size", "-id")[:limit])


def audit_latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.select_related("key").order_by("-tree_size", "-id").first()


def audit_copy_file_last_note() -> str | None:
    """The newest checkpoint in AUDIT_CHECKPOINT_COPY_FILE (one JSON line per checkpoint), if set."""
    path = str(settings.AUDIT_CHECKPOINT_COPY_FILE or "")
    if not path or not Path(path).exists():
        return None
    with Path(path).open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        handle.seek(max(0, end - 65536))
        tail = handle.read().decode("utf-8", errors="replace")
    for line in reversed(tail.splitlines()):
        if line.strip():
            try:
                note = json.loads(line).get("note")
            except (ValueError, AttributeError):
                return line  # handed to the verifier, which says what is wrong with it
            return note if isinstance(note, str) else line
    return None


def audit_published_keys() -> list[dict[str, Any]]:
    """Every checkpoint key as a JWK, oldest first, with its note verifier key, the key it
    succeeds and the succession signatures (checkpoint.py, docs/audit.md)."""
    origin = audit_origin()
    published = []
    for row in AuditKey.objects.select_related("predecessor").order_by("id"):
        public_key = keys.public_key_of(row)
        published.append(checkpoint.jwk_from_public_key(
            public_key, kid=row.kid, created=row.created_at.isoformat(),
            note_key=checkpoint.verifier_key(origin, public_key),
            predecessor=row.predecessor.kid if row.predecessor else None,
            succession_signature=row.succession_signature or None,
            predecessor_signature=row.predecessor_signature or None))
    return published


@dataclass(frozen=True)
class KeyPeriod:
    """A checkpoint key as the public page lists it: when it began and stopped signing."""

    kid: str
    created_at: datetime.datetime
    retired_at: datetime.datetime | None


def audit_key_history() -> list[KeyPeriod]:
    """Every key, newest first; a key retires when the next one is made."""
    rows = list(AuditKey.objects.order_by("id").values_list("kid", "created_at"))
    periods = [KeyPeriod(kid, created, rows[number + 1][1] if number + 1 < len(rows) else None)
               for number, (kid, created) in enumerate(rows)]
    return periods[::-1]


def _checkpoint_entry(row: AuditCheckpoint) -> dict[str, Any]:
    return {"tree_size": row.tree_size, "root_hash": row.root_hash, "chain_hash": row.chain_hash,
            "signed_at": row.signed_at.isoformat(), "kid": row.key.kid, "note": row.note}


def audit_consistency_proof(*, old_size: int, new_size: int) -> list[str]:
    """Hex nodes proving that the first `old_size` events are unchanged in the tree of `new_size`."""
    reader = TreeReader(new_size)
    return [node.hex() for node in merkle.consistency_proof(old_size, new_size, reader.subtree)]


def audit_feed(*, since: int | None = None) -> dict[str, Any]:
    """The public feed: keys, the newest checkpoints, and (with `since`) the proof that the
    newest checkpoint extends the tree of `since` events. The caller checks `since` first."""
    latest = audit_latest_checkpoint()
    feed: dict[str, Any] = {
        "format": FEED_FORMAT, "origin": audit_origin(), "keys": audit_published_keys(),
        "checkpoints": [_checkpoint_entry(row) for row in audit_checkpoints(limit=FEED_CHECKPOINTS)],
    }
    if since is not None and latest is not None:
        feed["consistency"] = {"from": since, "to": latest.tree_size,
                               "proof": audit_consistency_proof(old_size=since, new_size=latest.tree_size)}
    return feed


# --- a citizen's proofs --------------------------------------------------------------------------

def audit_inclusion_proofs(*, subject: Any, event_ids: list[int]) -> dict[str, Any] | None:
    """Proofs, against the newest checkpoint, that these events about `subject` are in the log:
    a file its holder can check offline (docs/audit.md, "Proving one event"). None when none
    of the events is about them. Events not yet in a checkpoint are listed as pending."""
    events = list(AuditEvent.objects.filter(subject=subject, id__in=event_ids[:MAX_PROOF_EVENTS])
                  .select_related("seal").order_by("id"))
    if not events:
        return None
    latest = audit_latest_checkpoint()
    size = latest.tree_size if latest else 0
    reader = TreeReader(size)
    root = bytes.fromhex(latest.root_hash) if latest else merkle.EMPTY_ROOT
    proofs, pending = [], []
    for event in events:
        seal = getattr(event, "seal", None)
        if seal is None or seal.sequence > size or not seal.salt:
            pending.append(event.pk)  # not in a checkpoint yet (or sealed before proofs existed)
            continue
        commitment = event_commitment(event_payload(event), salt=seal.salt)
        index = seal.sequence - 1
        path = merkle.inclusion_proof(index, size, reader.subtree)
        holds = (link_hash(sequence=seal.sequence, previous_hash=seal.previous_hash, payload=commitment) == seal.hash
                 and merkle.verify_inclusion(index, size, seal_leaf(seal.hash), path, root))
        if not holds:  # the database no longer agrees with what was signed: audit_verify says where
            logger.error("audit: the proof of event %s does not hold against checkpoint %s", event.pk, latest)
            pending.append(event.pk)
            continue
        proofs.append({
            "event": {name: commitment[name] for name in SHOWN_FIELDS}, "withheld": commitment["withheld"],
            "sequence": seal.sequence, "previous_hash": seal.previous_hash, "hash": seal.hash,
            "leaf_index": index, "inclusion_path": [node.hex() for node in path],
        })
    return {
        "format": PROOF_FORMAT, "origin": audit_origin(), "tree_size": size,
        "checkpoint": latest.note if latest else None,
        "keys": [key for key in audit_published_keys() if latest and key["kid"] == latest.key.kid],
        "proofs": proofs, "pending": pending,
    }

"""Verifying the audit trail against its signed checkpoints (`manage.py audit_verify`).

Only reads: it never seals, signs or repairs, so what it reports is what is in the tables.
The chain is walked once, in sequence order; at every size a trusted checkpoint signed, the
Merkle root and the chain's head must be what was signed. So an event edited, deleted,
reordered or cut off anywhere before the newest checkpoint is found, even by someone who
can write every table (they cannot sign). Checkpoints come from the database, from the copy
file (AUDIT_CHECKPOINT_COPY_FILE) and from outside (`--checkpoint`: a copy kept by anyone
who read the public feed), so deleting checkpoints or truncating the tables is found too.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from . import checkpoint, keys, tree
from .chain import ChainWalk, event_commitment, event_payload
from .merkle import Frontier, root_of
from .models import AuditCheckpoint, AuditEvent, AuditKey, AuditSeal, AuditTreeNode
from .selectors import audit_copy_file_last_note

logger = logging.getLogger(__name__)

# An event the per-request sealer missed is sealed by the next pass (every minute): one left
# unsealed longer than this was never sealed, or its seal was deleted.
UNSEALED_GRACE = datetime.timedelta(minutes=10)


class CheckpointProblem(Exception):
    """A checkpoint that cannot be trusted: unreadable, badly signed, or at odds with another."""


@dataclass(frozen=True)
class SignedHead:
    """What a trusted checkpoint says: the tree of `size` events has `root`; seal `size` is `chain_head`."""

    size: int
    root: bytes
    chain_head: str
    time: datetime.datetime | None
    source: str


@dataclass
class Verification:
    fault: str | None = None
    sequence: int | None = None
    event_id: int | None = None
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    newest: SignedHead | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.fault is None


def head_from_note(note: str, trusted: dict[str, Ed25519PublicKey], *, source: str) -> SignedHead:
    try:
        parsed = checkpoint.parse(note)
    except checkpoint.CheckpointError as error:
        raise CheckpointProblem(f"{source} is not a checkpoint ({error})") from error
    if not checkpoint.signed_by(parsed, trusted):
        raise CheckpointProblem(f"{source} is not signed by a trusted key (the keys held here, those they "
                                "vouch for, or those given with --keys)")
    return SignedHead(size=parsed.size, root=parsed.root, chain_head=parsed.chain_head, time=parsed.time,
                      source=source)


def _head_from_row(row: AuditCheckpoint, trusted: dict[str, Ed25519PublicKey]) -> SignedHead:
    source = f"checkpoint #{row.pk} of {row.signed_at:%Y-%m-%d %H:%M} UTC"
    head = head_from_note(row.note, trusted, source=source)
    if (head.size, head.root.hex(), head.chain_head) != (row.tree_size, row.root_hash, row.chain_hash):
        raise CheckpointProblem(f"{source}: its columns differ from the note it signed")
    return head


def newest_signed_checkpoint(trusted: dict[str, Ed25519PublicKey] | None = None) -> SignedHead | None:
    """The largest trusted checkpoint in the database or the copy file. A database row that does
    not verify is passed over (and logged: audit_verify names it), so that rows an intruder adds
    cannot stop the checkpoints; the copy file's newest must verify, and agree with the database
    at the same size (else CheckpointProblem)."""
    trusted = keys.trusted_keys() if trusted is None else trusted
    heads = []
    for row in AuditCheckpoint.objects.order_by("-tree_size", "-id").iterator(chunk_size=100):
        try:
            heads.append(_head_from_row(row, trusted))
            break
        except CheckpointProblem as problem:
            logger.error("audit: passing over an untrusted checkpoint: %s", problem)
    copy = audit_copy_file_last_note()
    if copy is not None:
        heads.append(head_from_note(copy, trusted, source="the newest checkpoint of the copy file"))
    if len(heads) == 2 and heads[0].size == heads[1].size and heads[0].root != heads[1].root:
        raise CheckpointProblem("the database and the copy file hold different checkpoints of the same size")
    return max(heads, key=lambda head: head.size, default=None)


def trusted_keys(pinned: dict[str, Ed25519PublicKey] | None = None) -> dict[str, Ed25519PublicKey]:
    """The held keys (and those they vouch for), or only the pinned ones (and those they vouch for)."""
    if pinned is None:
        return keys.trusted_keys()
    records = keys.key_records()
    known = {record.kid for record in records}
    records += [checkpoint.KeyRecord(kid=kid, public_key=key) for kid, key in pinned.items() if kid not in known]
    trusted = checkpoint.trusted_by_succession(records, set(pinned))
    return {record.kid: record.public_key for record in records if record.kid in trusted}


def _changed_block(start: int, end: int) -> tuple[int, int]:
    """Narrow a rewrite found between sizes start and end to the first 256-event block whose
    stored tree node (made when an earlier checkpoint was signed) no longer matches the seals."""
    block_size = tree.BLOCK
    first_block, last_block = -(-start // block_size), end // block_size
    nodes = dict(AuditTreeNode.objects.filter(level=tree.STORED_LEVEL, index__gte=first_block, index__lt=last_block)
                 .values_list("index", "hash"))
    for block in range(first_block, last_block):
        if block not in nodes:
            continue
        hashes = list(AuditSeal.objects.filter(sequence__gt=block * block_size, sequence__lte=(block + 1) * block_size)
                      .order_by("sequence").values_list("hash", flat=True))
        if root_of([tree.seal_leaf(digest) for digest in hashes]).hex() != nodes[block]:
            return block * block_size, (block + 1) * block_size
    return start, end


def audit_verify(*, outside: Iterable[tuple[str, str]] = (), pinned: dict[str, Ed25519PublicKey] | None = None,
                 now: datetime.datetime | None = None, chunk_size: int = 2000) -> Verification:
    """Check the whole trail: the chain, every trusted checkpoint against it, and that nothing
    is left unsealed or unsigned for too long. `outside` holds (source, note) pairs of
    checkpoints kept elsewhere; `pinned` restricts trust to those keys (and their successors).
    The result names the first fault (with its sequence number and event) or none."""
    now = now or timezone.now()
    result = Verification()
    trusted = trusted_keys(pinned)
    heads: dict[int, SignedHead] = {}

    def fail(problem: str, *, sequence: int | None = None, event_id: int | None = None) -> Verification:
        result.fault, result.sequence, result.event_id = problem, sequence, event_id
        return result

    notes: list[tuple[str, str]] = []
    copy = audit_copy_file_last_note()
    if copy is not None:
        notes.append(("the newest checkpoint of the copy file", copy))
    notes.extend(outside)
    try:
        signed = [_head_from_row(row, trusted) for row in
                  AuditCheckpoint.objects.order_by("tree_size", "id").iterator(chunk_size=chunk_size)]
        signed += [head_from_note(note, trusted, source=source) for source, note in notes]
    except CheckpointProblem as problem:
        return fail(f"untrusted checkpoint: {problem}")
    for head in signed:
        other = heads.setdefault(head.size, head)
        if (other.root, other.chain_head) != (head.root, head.chain_head):
            return fail(f"two signed checkpoints of {head.size} events disagree ({other.source}; {head.source}): "
                        "the log was shown differently to different readers", sequence=head.size)
    result.checkpoints = len(signed)
    sizes = sorted(size for size in heads if size > 0)
    if sizes:
        result.newest = heads[sizes[-1]]

    walk, frontier, next_size, last_good = ChainWalk(), Frontier(), 0, 0
    seals = AuditSeal.objects.select_related("event").order_by("sequence")
    for seal in seals.iterator(chunk_size=chunk_size):
        fault = walk.step(seal.sequence, seal.previous_hash, seal.hash,
                          event_commitment(event_payload(seal.event), salt=seal.salt), seal.event_id)
        if fault is not None:
            return fail(fault.problem, sequence=fault.sequence, event_id=fault.event_id)
        frontier.append(tree.seal_leaf(seal.hash))
        if next_size < len(sizes) and sizes[next_size] == walk.sequence:
            head = heads[walk.sequence]
            if frontier.root() != head.root or walk.head != head.chain_head:
                start, end = _changed_block(last_good, walk.sequence)
                first = AuditSeal.objects.filter(sequence=start + 1).values_list("event_id", flat=True).first()
                return fail(f"rewritten: the events up to sequence {walk.sequence} no longer match {head.source}; "
                            f"the first change lies in sequences {start + 1}…{end}", sequence=start + 1,
                            event_id=first)
            last_good = walk.sequence
            next_size += 1
    result.sealed = walk.sequence
    if next_size < len(sizes):
        head = heads[sizes[-1]]
        return fail(f"truncated: {head.source} signed {head.size} events, the chain has {walk.sequence}; "
                    "events were deleted from its end", sequence=walk.sequence + 1)

    unsealed = AuditEvent.objects.filter(seal__isnull=True)
    result.unsealed = unsealed.count()
    straggler = unsealed.filter(occurred_at__lt=now - UNSEALED_GRACE).order_by("id").first()
    if straggler is not None:
        return fail(f"event {straggler.pk}, recorded at {straggler.occurred_at:%Y-%m-%d %H:%M} UTC, has no seal: "
                    "its seal was deleted, or the sealer is not running (the audit_seal job)", event_id=straggler.pk)
    if result.sealed == 0 and result.unsealed == 0:
        return fail("the audit trail is empty: there is nothing to verify (a new installation has no events "
                    "until someone signs in or a service is published)")
    if not sizes and AuditKey.objects.exists():
        return fail("a checkpoint key exists but no checkpoint does: checkpoints were deleted")
    covered = sizes[-1] if sizes else 0
    uncovered = AuditSeal.objects.filter(sequence=covered + 1).first()
    allowed = datetime.timedelta(seconds=2 * settings.AUDIT_CHECKPOINT_EVERY_SECONDS) + UNSEALED_GRACE
    if uncovered is not None and uncovered.sealed_at < now - allowed:
        return fail(f"events from sequence {covered + 1} on (sealed {uncovered.sealed_at:%Y-%m-%d %H:%M} UTC) are "
                    "in no checkpoint: checkpoints were deleted, or the audit_checkpoint job is not running",
                    sequence=covered + 1, event_id=uncovered.event_id)
    if uncovered is not None:
        result.notes.append(f"{result.sealed - covered} event(s) after the newest checkpoint wait for the next one.")
    if result.unsealed:
        result.notes.append(f"{result.unsealed} event(s) not sealed yet.")
    return result

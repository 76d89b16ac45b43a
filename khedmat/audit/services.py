"""Writing the audit trail. Services call `audit_record` explicitly, never through signals."""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, router, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from khedmat.core.inserts import insert_new, insert_new_many
from khedmat.core.ratelimit import client_ip

from . import checkpoint, keys
from .chain import GENESIS_HASH, ChainWalk, event_commitment, event_payload, link_hash
from .models import AuditCheckpoint, AuditEvent, AuditSeal
from .selectors import audit_origin
from .tree import TreeError, TreeReader, tree_nodes_build
from .verification import CheckpointProblem, SignedHead, newest_signed_checkpoint

logger = logging.getLogger(__name__)

_SEAL_LOCK_ID = 4_711_001  # PostgreSQL advisory lock: one sealer at a time
# How far back, in event ids, a sealer after a commit looks for events that committed after
# later ones were sealed (transactions finish out of order). Older stragglers, left by a
# transaction open while more events than this came and went, wait for a full pass.
LOOKBACK_EVENTS = 500
# An event recorded on a busy path (a file opened, an application submitted) registers no
# sealing pass of its own when this process began one less than this many seconds ago: see
# `audit_record(seal_soon=True)` and docs/decisions/0032-sealing-soon.md.
READ_SEAL_SECONDS = 5.0
_last_pass_began = -1e9  # time.monotonic() when this process last began a sealing pass


def audit_record(*, action: str, target_type: str, target_id: object, actor: Any = None,
                 subject: Any = None, reason: str = "", data: dict[str, Any] | None = None,
                 request: HttpRequest | None = None, seal_soon: bool = False) -> AuditEvent:
    """Append one event. Cheap: one insert, no shared row; the chain is extended after commit.

    `seal_soon`, for events every request of a busy path records (a file opened, an
    application submitted and its payment order): the event is written now, in the caller's
    transaction, like any other, but is sealed by this process's own pass only if none began
    in the last READ_SEAL_SECONDS; otherwise by the next pass (any request's: it seals every
    event committed since the last seal) or, at the latest, by the `audit_seal` job's full
    pass a minute later. A busy page then costs one insert, not a sealing transaction of
    seven statements each time; the event is in the log, for "who opened my file", at once."""
    # A plain INSERT (core.inserts): every request that changes or reads a file records one.
    event = AuditEvent(
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
    held = _held_here()
    if held is not None:
        held.append(event)  # written with the others as the block ends (audit_written_together)
    else:
        insert_new(event)
    if not seal_soon or time.monotonic() - _last_pass_began >= READ_SEAL_SECONDS:
        _seal_after_commit()
    return event


class _Held(threading.local):
    """The open `audit_written_together` blocks of this thread, innermost last: each with the
    database connection's savepoints when it began, and the events recorded in it."""

    def __init__(self) -> None:
        self.blocks: list[tuple[Any, list[str], list[AuditEvent]]] = []


_held = _Held()


def _held_here() -> list[AuditEvent] | None:
    """The events of the innermost open block, if an event recorded now may wait for its end:
    same database connection, inside the same transaction, no savepoint opened since the block
    began (one that rolled back must take its events with it, so those are written at once)."""
    if not _held.blocks:
        return None
    block_connection, savepoints, events = _held.blocks[-1]
    current = transaction.get_connection(router.db_for_write(AuditEvent))
    if current is not block_connection or not current.in_atomic_block or current.savepoint_ids != savepoints:
        return None
    return events


@contextmanager
def audit_written_together() -> Iterator[None]:
    """The audit events recorded in this block are written in one INSERT as it ends (one round
    trip to the database, not one an event: an application submitted and its payment order
    opened record two), in the caller's transaction, in the order recorded, before anything
    after the block runs. Call it inside the transaction of the change being recorded. If the
    block fails, its events are not written: the transaction they belong to is failing with it.
    An event recorded inside a savepoint opened within the block is written at once, as outside
    it (the savepoint may roll back alone): its id may then be lower than that of an event
    recorded before it in the block (a free service's submission moved past its payment step).
    The order of one transaction's events is their `occurred_at`, taken as each is recorded;
    all of them become visible, and are sealed, together, at its commit."""
    connection = transaction.get_connection(router.db_for_write(AuditEvent))
    if not connection.in_atomic_block:
        raise RuntimeError("audit_written_together belongs inside the transaction of the change it records")
    events: list[AuditEvent] = []
    _held.blocks.append((connection, list(connection.savepoint_ids), events))
    try:
        yield
    finally:
        _held.blocks.pop()
    insert_new_many(events)


def _seal_after_commit() -> None:
    """One sealing pass after the transaction commits, however many events it appends: a
    submission records two or three, and each pass is a transaction of its own (five
    statements) that would find nothing left to seal. A pass already registered at this
    savepoint level or an outer one runs whenever this event commits, so a second is not
    needed; one registered inside a savepoint that may still be rolled back is not relied on."""
    if connection.in_atomic_block:
        open_savepoints = set(connection.savepoint_ids)
        for savepoint_ids, callback, _robust in connection.run_on_commit:  # type: ignore[misc]  # 3-tuples since Django 4.2
            if callback is audit_seal_pending and set(savepoint_ids) <= open_savepoints:
                return
    transaction.on_commit(audit_seal_pending)


def audit_seal_pending(*, batch_size: int = 500, full: bool = False) -> int:
    """Link committed, unsealed events into the chain, in id order. Returns how many.

    Only one sealer runs at a time (an advisory lock on PostgreSQL; SQLite's single writer
    does the same). Safe to call often, from any process: it does nothing when all is sealed.

    After a commit (the default) it looks only at events after the last one sealed, less
    LOOKBACK_EVENTS, and gives way if another sealer is already at work (that one, or the
    next, takes the new events too): every request then reads a short index range, not
    the whole log, and no request queues behind another's sealing. `full=True`
    (the `audit_seal` job, and each checkpoint) waits its turn and looks at every event.
    """
    global _last_pass_began  # one figure per process: when it last began sealing
    _last_pass_began = time.monotonic()
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
                salt = secrets.token_hex(16)
                digest = link_hash(sequence=sequence, previous_hash=previous_hash,
                                   payload=event_commitment(event_payload(event), salt=salt))
                seals.append(AuditSeal(event=event, sequence=sequence, previous_hash=previous_hash, hash=digest,
                                       salt=salt))
                previous_hash = digest
            AuditSeal.objects.bulk_create(seals)
            sealed += len(seals)
            if len(pending) < batch_size:
                # Everything committed when this batch was read is sealed: another pass would
                # be a transaction that finds nothing (events committed since are sealed after
                # their own commit).
                return sealed
            # Everything up to here is sealed or was not committed when this batch was read:
            # the next batch starts after it instead of walking the log from the start again.
            floor = pending[-1].id


# --- checkpoints ---------------------------------------------------------------------------------

_CHECKPOINT_LOCK_ID = 4_711_002  # PostgreSQL advisory lock: one checkpoint at a time


class CheckpointRefused(Exception):
    """The chain does not extend what an earlier checkpoint signed: nothing was signed.
    (For operators: run `manage.py audit_verify` to see where.)"""


def _lock(lock_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _append_copy(note: str) -> None:
    """Append the checkpoint to AUDIT_CHECKPOINT_COPY_FILE, a file out of the database's reach."""
    path = str(settings.AUDIT_CHECKPOINT_COPY_FILE or "")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"note": note}, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise CheckpointRefused(f"The checkpoint could not be copied to {path} ({error}); nothing was signed.") \
            from error


def audit_checkpoint_create(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign the head of the sealed chain (size, Merkle root, last hash, time) and publish it.

    Does nothing when no event was sealed since the last checkpoint, unless `force`. Refuses
    (CheckpointRefused, logged as an error) when the chain does not extend the newest signed
    checkpoint known (in the database or the copy file): a new signature must never cover a
    rewrite of what an earlier one signed. Safe to run again, and twice at once.
    """
    audit_seal_pending(full=True)
    try:
        with transaction.atomic():
            _lock(_CHECKPOINT_LOCK_ID)
            head = AuditSeal.objects.order_by("-sequence").first()
            if head is None:
                return None
            key_row, private_key = keys.active_signer()  # a new key first, so that it may vouch
            previous = newest_signed_checkpoint()
            if previous is not None:
                _check_extends(previous, head)
                if previous.size == head.sequence and not force:
                    return None
            tree_nodes_build(size=head.sequence)
            reader = TreeReader(head.sequence)
            if previous is not None and previous.size and reader.subtree(0, previous.size) != previous.root:
                raise CheckpointRefused(f"The first {previous.size} events no longer have the Merkle root the "
                                        "newest checkpoint signed.")
            origin = audit_origin()
            signed_at = timezone.now().replace(microsecond=0)
            root = reader.root()
            note = checkpoint.sign(checkpoint.body(origin=origin, size=head.sequence, root=root, time=signed_at,
                                                   chain_head=head.hash), name=origin, private_key=private_key)
            row = AuditCheckpoint.objects.create(tree_size=head.sequence, root_hash=root.hex(),
                                                 chain_hash=head.hash, signed_at=signed_at, key=key_row, note=note)
            _append_copy(note)
    except (CheckpointRefused, CheckpointProblem, TreeError) as error:
        logger.error("audit checkpoint refused: %s", error)
        raise CheckpointRefused(str(error)) from error
    logger.info("audit checkpoint %s events root %s key %s", row.tree_size, row.root_hash, key_row.kid)
    return row


def _check_extends(previous: SignedHead, head: AuditSeal) -> None:
    """The seals after the signed head link on from it, each matching its event."""
    if head.sequence < previous.size:
        raise CheckpointRefused(f"The chain has {head.sequence} seals; a checkpoint signed {previous.size}.")
    if previous.size:
        signed = AuditSeal.objects.filter(sequence=previous.size).values_list("hash", flat=True).first()
        if signed != previous.chain_head:
            raise CheckpointRefused(f"Seal {previous.size} is not the one the newest checkpoint signed.")
    walk = ChainWalk(sequence=previous.size, head=previous.chain_head or GENESIS_HASH)
    seals = (AuditSeal.objects.filter(sequence__gt=previous.size, sequence__lte=head.sequence)
             .select_related("event").order_by("sequence"))
    for seal in seals.iterator(chunk_size=2000):
        fault = walk.step(seal.sequence, seal.previous_hash, seal.hash,
                          event_commitment(event_payload(seal.event), salt=seal.salt), seal.event_id)
        if fault is not None:
            raise CheckpointRefused(f"Sequence {fault.sequence} (event {fault.event_id}): {fault.problem}.")

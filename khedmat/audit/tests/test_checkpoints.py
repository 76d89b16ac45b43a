"""Signed checkpoints: once a checkpoint is signed, nobody can rewrite, reorder, delete or cut
off what it covers without `audit_verify` saying so and exiting non-zero, even someone who
can write every table (here: the tables' owner, with the triggers switched off), because
they cannot sign. Checkpoints kept outside the database (the copy file, a copy of the public
feed) catch even the emptying of every audit table.
"""

from __future__ import annotations

import datetime
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from khedmat.audit import checkpoint, keys, merkle, offline, tree
from khedmat.audit.models import AuditCheckpoint, AuditEvent, AuditKey, AuditSeal, AuditTreeNode
from khedmat.audit.selectors import audit_consistency_proof, audit_origin, audit_published_keys
from khedmat.audit.services import CheckpointRefused, audit_checkpoint_create, audit_record, audit_seal_pending
from khedmat.audit.tree import TreeReader, seal_leaf
from khedmat.audit.verification import audit_verify, trusted_keys
from khedmat.core import jobs
from tests.database_roles import as_tables_owner

# The attacks hold the owner's password, so they commit through another connection.
pytestmark = pytest.mark.django_db(transaction=True)


def _record(count: int, *, start: int = 0) -> list[AuditEvent]:
    events = [audit_record(action="applications.file_opened", target_type="application", target_id=f"MOI-{n}",
                           reason=f"look {n}", data={"n": n}) for n in range(start, start + count)]
    audit_seal_pending()
    return events


def _checkpoint() -> AuditCheckpoint:
    row = audit_checkpoint_create()
    assert row is not None
    return row


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def _verify_fails(*args: str, match: str) -> str:
    with pytest.raises(CommandError, match=match) as failure:
        call_command("audit_verify", *args, stdout=StringIO())
    return str(failure.value)


def _empty_every_audit_table(cursor: object) -> None:
    for table in ("audit_auditcheckpoint", "audit_auditkey", "audit_audittreenode", "audit_auditseal",
                  "audit_auditevent"):
        cursor.execute(f"DELETE FROM {table}")  # type: ignore[attr-defined]  # noqa: S608 (our table names)


# --- the findings of issue 9 and other attacks -----------------------------------------------

def test_editing_a_row_and_deleting_its_seals_onwards_fails_verification() -> None:
    """The attack that used to pass: audit_verify sealed the rewritten rows, then checked them."""
    events = _record(2)
    _checkpoint()
    events += _record(4, start=2)
    _checkpoint()
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing to see", events[2].pk])
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence >= 3")
    _verify_fails(match="truncated: checkpoint .* signed 6 events, the chain has 2")
    assert AuditSeal.objects.count() == 2  # audit_verify sealed nothing
    jobs.run_job("audit_seal")  # the next sealer seals the edited row as it now stands…
    assert AuditSeal.objects.count() == 6
    message = _verify_fails(match="rewritten")  # …and the signed checkpoint still tells
    assert "the first change lies in sequences 3…6" in message and f"event id {events[2].pk}" in message
    # Nor will the platform sign over the rewrite.
    with pytest.raises(CheckpointRefused):
        audit_checkpoint_create(force=True)
    assert AuditCheckpoint.objects.count() == 2


def test_emptying_the_audit_tables_fails_verification() -> None:
    _record(4)
    _checkpoint()
    with as_tables_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditseal")
        cursor.execute("DELETE FROM audit_auditevent")
    _verify_fails(match="truncated: checkpoint .* signed 4 events, the chain has 0")
    with as_tables_owner() as cursor:  # the checkpoints and keys too: nothing left to compare with…
        _empty_every_audit_table(cursor)
    _verify_fails(match="the audit trail is empty")  # …and still not "verified"


def test_a_copy_of_the_checkpoints_outside_the_database_catches_the_emptying_of_every_table(
        settings: Any, tmp_path: Path) -> None:
    settings.AUDIT_CHECKPOINT_COPY_FILE = str(tmp_path / "checkpoints.jsonl")
    _record(3)
    _checkpoint()
    published = tmp_path / "keys.json"
    published.write_text(json.dumps({"keys": audit_published_keys()}), encoding="utf-8")
    with as_tables_owner() as cursor:
        _empty_every_audit_table(cursor)
    _record(2)  # life goes on: new events, and a new key at the next checkpoint
    _verify_fails(match="untrusted checkpoint: the newest checkpoint of the copy file is not signed by a trusted")
    keys.audit_key_create()
    _verify_fails(match="untrusted checkpoint")
    # With the keys pinned from a saved copy of the feed, the copy file tells what happened.
    _verify_fails("--keys", str(published), match="truncated: the newest checkpoint of the copy file signed 3 events")


def test_a_checkpoint_saved_from_the_public_feed_catches_a_rewrite_of_everything(tmp_path: Path) -> None:
    """An outsider saved the feed (and with it the keys); the platform's tables are later
    replaced wholesale, keys and checkpoints included, by someone who signs with a new key."""
    _record(5)
    _checkpoint()
    saved = tmp_path / "feed.json"
    saved.write_text(json.dumps(Client().get("/audit/checkpoints.json").json()), encoding="utf-8")
    assert "Audit trail verified: 5 sealed event(s)" in _verify("--checkpoint", str(saved), "--keys", str(saved))
    with as_tables_owner() as cursor:
        _empty_every_audit_table(cursor)
    _record(3)
    _checkpoint()  # a fresh key, a fresh and self-consistent history of three events
    assert "verified" in _verify()  # from inside, nothing looks wrong…
    _verify_fails("--checkpoint", str(saved), "--keys", str(saved),  # …but the saved checkpoint is not theirs
                  match="untrusted checkpoint: the newest checkpoint|not signed by a trusted key")
    _verify_fails("--checkpoint", str(saved), match="untrusted checkpoint")


def test_cutting_events_off_the_end_before_a_checkpoint_fails() -> None:
    _record(5)
    _checkpoint()
    with as_tables_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence >= 4")
        cursor.execute("DELETE FROM audit_auditevent WHERE id NOT IN (SELECT event_id FROM audit_auditseal)")
    _verify_fails(match="at sequence 4: truncated")


def test_reordering_and_resealing_before_a_checkpoint_fails() -> None:
    events = _record(4)
    _checkpoint()
    with as_tables_owner() as cursor:  # reseal events 2 and 3 in swapped order, links made anew
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence >= 2")
        cursor.execute("UPDATE audit_auditevent SET id = id + 1000 WHERE id = %s", [events[1].pk])
    audit_seal_pending(full=True)
    _verify_fails(match="rewritten")


def test_a_checkpoint_signed_with_a_key_the_attacker_made_is_refused() -> None:
    events = _record(3)
    genuine = _checkpoint()
    # The attacker rewrites an event, reseals, adds a key of their own and signs the result.
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'routine' WHERE id = %s", [events[0].pk])
        cursor.execute("DELETE FROM audit_auditseal")
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE id = %s", [genuine.pk])
    audit_seal_pending(full=True)
    forger = Ed25519PrivateKey.generate()
    row = AuditKey.objects.create(  # a key row of their own, with no private half here and nobody vouching
        kid=checkpoint.key_id(forger.public_key()), source=AuditKey.Source.FILE, created_at=timezone.now(),
        public_key=checkpoint.b64url_encode(checkpoint.raw_public_key(forger.public_key())))
    head = AuditSeal.objects.order_by("-sequence").first()
    assert head is not None
    root = TreeReader(head.sequence).root()
    note = checkpoint.sign(checkpoint.body(origin=audit_origin(), size=head.sequence, root=root,
                                           time=timezone.now(), chain_head=head.hash),
                           name=audit_origin(), private_key=forger)
    AuditCheckpoint.objects.create(tree_size=head.sequence, root_hash=root.hex(), chain_hash=head.hash,
                                   signed_at=timezone.now(), key=row, note=note)
    assert row.kid not in trusted_keys()
    _verify_fails(match="untrusted checkpoint: checkpoint #.* is not signed by a trusted key")


def test_checkpoints_left_unsigned_too_long_fail(settings: Any) -> None:
    settings.AUDIT_CHECKPOINT_EVERY_SECONDS = 60
    _record(2)
    _checkpoint()
    _record(1, start=2)
    later = timezone.now() + datetime.timedelta(hours=1)
    assert audit_verify(now=later).fault is not None  # the checkpoint job stopped, or its work was deleted
    assert "in no checkpoint" in (audit_verify(now=later).fault or "")
    with as_tables_owner() as cursor:  # checkpoints deleted: the key that made them remains
        cursor.execute("DELETE FROM audit_auditcheckpoint")
    assert "a checkpoint key exists but no checkpoint does" in (audit_verify().fault or "")


def test_an_event_left_unsealed_too_long_fails() -> None:
    events = _record(2)
    with as_tables_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence = 2")
    assert audit_verify().ok
    result = audit_verify(now=timezone.now() + datetime.timedelta(minutes=30))
    assert result.event_id == events[1].pk and "has no seal" in (result.fault or "")


def test_the_tree_is_stored_in_blocks_and_a_rewrite_inside_one_is_located(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of 4 events, built 2 blocks at a time: the shape of 256 and 64, at a test's size.
    monkeypatch.setattr(tree, "STORED_LEVEL", 2)
    monkeypatch.setattr(tree, "BLOCK", 4)
    monkeypatch.setattr(tree, "BLOCKS_PER_READ", 2)
    _record(6)
    _checkpoint()
    _record(9, start=6)
    _checkpoint()
    count = 15
    assert set(AuditTreeNode.objects.values_list("level", "index")) == {(2, 0), (2, 1), (2, 2), (3, 0)}
    reader = TreeReader(count)
    leaves = [seal_leaf(digest) for digest in AuditSeal.objects.order_by("sequence").values_list("hash", flat=True)]
    assert reader.root() == merkle.root_of(leaves)
    for index in range(count):
        path = merkle.inclusion_proof(index, count, reader.subtree)
        assert merkle.verify_inclusion(index, count, leaves[index], path, reader.root())
    victim = AuditSeal.objects.get(sequence=10).event_id
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_id = 'x' WHERE id = %s", [victim])
        cursor.execute("DELETE FROM audit_auditseal WHERE sequence >= 10")
    audit_seal_pending(full=True)
    _verify_fails(match="the first change lies in sequences 9…12")


def test_the_monitor_sees_a_history_that_does_not_extend_what_it_saved(tmp_path: Path) -> None:
    events = _record(4)
    saved = _checkpoint()
    with as_tables_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'quiet' WHERE id = %s", [events[0].pk])
        cursor.execute("DELETE FROM audit_auditseal")
        cursor.execute("DELETE FROM audit_audittreenode")
    audit_seal_pending(full=True)
    _record(2, start=4)
    # Someone holding the key (the jobs host) signs the rewritten history; the consistency proof
    # the feed offers cannot bridge the saved checkpoint to it.
    key_row, private_key = keys.active_signer()
    head = AuditSeal.objects.order_by("-sequence").first()
    assert head is not None
    root = TreeReader(head.sequence).root()
    note = checkpoint.sign(checkpoint.body(origin=audit_origin(), size=head.sequence, root=root,
                                           time=timezone.now(), chain_head=head.hash),
                           name=audit_origin(), private_key=private_key)
    feed = {"keys": [checkpoint.jwk_from_public_key(keys.public_key_of(key_row), kid=key_row.kid)],
            "checkpoints": [{"tree_size": head.sequence, "note": note}],
            "consistency": {"from": 4, "to": head.sequence,
                            "proof": audit_consistency_proof(old_size=4, new_size=head.sequence)}}
    problem, newest = offline.verify_extension(saved.note, feed)
    assert newest is None and "does not extend the saved one" in problem

"""Checkpoints in operation: made by the job and the command, copied out of the database,
signed by keys that rotate and vouch for each other, published on a page and in a feed that
an outsider's monitor checks. (The attacks are in test_checkpoints.py.)"""

from __future__ import annotations

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

from khedmat.audit import checkpoint, keys, offline
from khedmat.audit.models import AuditCheckpoint, AuditEvent, AuditKey, AuditSeal
from khedmat.audit.selectors import audit_feed, audit_origin, audit_published_keys
from khedmat.audit.services import CheckpointRefused, audit_checkpoint_create, audit_record, audit_seal_pending
from khedmat.audit.verification import audit_verify, trusted_keys
from khedmat.core import jobs

pytestmark = pytest.mark.django_db


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


def test_a_checkpoint_is_signed_once_per_new_head_and_verifies() -> None:
    assert audit_checkpoint_create() is None  # nothing sealed yet: nothing to sign
    _record(3)
    first = _checkpoint()
    assert audit_checkpoint_create() is None  # nothing new
    parsed = checkpoint.parse(first.note)
    assert (parsed.size, parsed.root.hex(), parsed.chain_head) == (3, first.root_hash, first.chain_hash)
    assert parsed.chain_head == AuditSeal.objects.get(sequence=3).hash
    assert checkpoint.signed_by(parsed, trusted_keys()) == [first.key.kid]
    _record(2, start=3)
    assert audit_checkpoint_create().tree_size == 5  # type: ignore[union-attr]
    output = _verify()
    assert "Audit trail verified: 5 sealed event(s). The newest of 2 checkpoint(s) covers 5 event(s)" in output


def test_the_checkpoint_job_seals_first_and_runs_from_the_registry() -> None:
    audit_record(action="catalog.viewed", target_type="service", target_id=1)  # not sealed by hand
    assert "audit_checkpoint" in jobs.registered()
    row = jobs.run_job("audit_checkpoint")
    assert row.tree_size == 1
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "Nothing new to sign" in out.getvalue()
    call_command("audit_checkpoint", "--force", stdout=out)
    assert AuditCheckpoint.objects.count() == 2


def test_the_copy_file_receives_every_checkpoint(settings: Any, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    settings.AUDIT_CHECKPOINT_COPY_FILE = str(copy)
    _record(1)
    first = _checkpoint()
    _record(1, start=1)
    second = _checkpoint()
    lines = [json.loads(line)["note"] for line in copy.read_text(encoding="utf-8").splitlines()]
    assert lines == [first.note, second.note]
    assert "verified" in _verify("--checkpoint", str(copy))


def test_a_copy_file_that_cannot_be_written_stops_the_checkpoint(settings: Any, tmp_path: Path) -> None:
    settings.AUDIT_CHECKPOINT_COPY_FILE = str(tmp_path / "missing-folder" / "copy.jsonl")
    _record(1)
    with pytest.raises(CheckpointRefused, match="could not be copied"):
        audit_checkpoint_create()
    assert not AuditCheckpoint.objects.exists()


def test_rotation_keeps_every_checkpoint_verifiable_and_each_key_vouches_for_the_other() -> None:
    _record(2)
    first = _checkpoint()
    out = StringIO()
    call_command("audit_keygen", stdout=out)
    _record(1, start=2)
    second = _checkpoint()
    assert first.key != second.key and second.key.predecessor == first.key
    assert second.key.succession_signature and second.key.predecessor_signature
    assert "verified" in _verify()
    # An outsider who pinned only the first key follows the rotation; one who pinned a stranger does not.
    old_public = keys.public_key_of(first.key)
    assert set(trusted_keys({first.key.kid: old_public})) == {first.key.kid, second.key.kid}
    stranger = Ed25519PrivateKey.generate().public_key()
    assert set(trusted_keys({"stranger": stranger})) == {"stranger"}
    assert not audit_verify(pinned={"stranger": stranger}).ok


def test_a_key_in_a_file_signs_and_only_its_public_half_is_stored(settings: Any, tmp_path: Path) -> None:
    _record(1)
    database_key = _checkpoint().key
    pem = tmp_path / "audit-signing.pem"
    out = StringIO()
    call_command("audit_keygen", "--pem-out", str(pem), stdout=out)
    assert "AUDIT_CHECKPOINT_KEY_FILE" in out.getvalue() and oct(pem.stat().st_mode)[-3:] == "600"
    settings.AUDIT_CHECKPOINT_KEY_FILE = str(pem)
    _record(1, start=1)
    row = _checkpoint()
    assert row.key.source == AuditKey.Source.FILE and row.key.private_key == ""
    assert row.key.predecessor == database_key and row.key.predecessor_signature
    assert "verified" in _verify()
    call_command("audit_keygen", "--list", stdout=out)
    assert "NOT TRUSTED" not in out.getvalue()
    with pytest.raises(CommandError, match="exists"):
        call_command("audit_keygen", "--pem-out", str(pem), stdout=out)


def test_without_a_key_and_without_keygen_the_checkpoint_says_what_to_do(settings: Any) -> None:
    settings.AUDIT_CHECKPOINT_AUTO_KEYGEN = False
    _record(1)
    with pytest.raises(CommandError, match=r"AUDIT_CHECKPOINT_KEY_FILE or run manage\.py audit_keygen"):
        call_command("audit_checkpoint", stdout=StringIO())
    assert not AuditCheckpoint.objects.exists()


def test_a_lost_encryption_secret_leaves_earlier_checkpoints_to_pinned_keys(
        settings: Any, tmp_path: Path) -> None:
    _record(1)
    _checkpoint()
    published = tmp_path / "keys.json"
    published.write_text(json.dumps({"keys": audit_published_keys()}), encoding="utf-8")
    settings.AUDIT_KEY_ENCRYPTION_KEY = "another secret"
    assert "untrusted checkpoint" in (audit_verify().fault or "")  # nobody here holds the key that signed
    # The checkpoints go on with a new key, which cannot vouch for one it cannot read…
    _record(1, start=1)
    row = _checkpoint()
    assert row.key.predecessor is None
    assert "untrusted checkpoint" in (audit_verify().fault or "")
    # …so the earlier ones verify only with keys saved from the feed, and the new one pinned too.
    published_keys = checkpoint.keys_from_jwks(json.loads(published.read_text(encoding="utf-8")))
    assert audit_verify(pinned={**published_keys, row.key.kid: keys.public_key_of(row.key)}).ok


def test_a_key_row_an_intruder_adds_is_neither_used_nor_succeeded() -> None:
    _record(1)
    genuine = _checkpoint().key
    intruder = Ed25519PrivateKey.generate()
    AuditKey.objects.create(kid=checkpoint.key_id(intruder.public_key()), source=AuditKey.Source.DATABASE,
                            private_key="not a token", created_at=timezone.now(),
                            public_key=checkpoint.b64url_encode(checkpoint.raw_public_key(intruder.public_key())))
    _record(1, start=1)
    assert _checkpoint().key == genuine
    successor = keys.audit_key_create()
    assert successor.predecessor == genuine
    assert set(trusted_keys()) == {genuine.kid, successor.kid}


def test_the_feed_proves_each_checkpoint_extends_the_last(client: Client, tmp_path: Path) -> None:
    _record(3)
    old = _checkpoint()
    _record(6, start=3)
    _checkpoint()
    feed = client.get("/audit/checkpoints.json", {"since": "3"}).json()
    assert feed["consistency"]["from"] == 3 and feed["consistency"]["to"] == 9
    assert offline.verify_extension(old.note, feed) == ("", feed["checkpoints"][0]["note"])
    assert feed["keys"][0]["note_key"].startswith(audit_origin() + "+")
    # An outsider's monitor: the first run saves, the next checks the log only grew.
    state = tmp_path / "state.txt"
    saved_feed = tmp_path / "feed.json"
    saved_feed.write_text(json.dumps(client.get("/audit/checkpoints.json").json()), encoding="utf-8")
    assert offline.main(["watch", str(saved_feed), "--state", str(state)]) == 0
    _record(1, start=9)
    _checkpoint()
    saved_feed.write_text(json.dumps(audit_feed(since=9)), encoding="utf-8")
    assert offline.main(["watch", str(saved_feed), "--state", str(state)]) == 0
    assert checkpoint.parse(state.read_text(encoding="utf-8")).size == 10


@pytest.mark.parametrize("since", ["abc", "-1", "99", "²", "1" * 40])
def test_a_bad_since_is_refused_with_a_message(client: Client, since: str) -> None:
    _record(2)
    _checkpoint()
    response = client.get("/audit/checkpoints.json", {"since": since})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_since"


def test_the_public_page_shows_the_latest_checkpoint_in_three_languages(client: Client) -> None:
    _record(3)
    row = _checkpoint()
    for language in ("en", "fa", "ps"):
        response = client.get(f"/{language}/audit/")
        assert response.status_code == 200
        text = response.content.decode()
        assert row.root_hash in text and row.key.kid in text and "/audit/checkpoints.json" in text
        assert "<script" not in text
    assert "۳" in client.get("/fa/audit/").content.decode()  # the size in Dari digits


def test_the_public_page_without_a_checkpoint(client: Client) -> None:
    assert client.get("/en/audit/").status_code == 200
    feed = client.get("/audit/checkpoints.json").json()
    assert feed["checkpoints"] == [] and feed["keys"] == []


def test_the_offline_verifier_runs_without_the_platform(tmp_path: Path) -> None:
    """`python -m khedmat.audit.offline proof FILE`: no Django settings, no database."""
    import subprocess
    import sys

    from django.conf import settings

    from khedmat.accounts.services import citizen_get_or_create
    from khedmat.audit.selectors import audit_inclusion_proofs

    citizen, _created = citizen_get_or_create(phone_number="+93700000001")
    events = [audit_record(action="applications.file_opened", target_type="application", target_id="MOI-1",
                           subject=citizen, reason="Working the file") for _ in range(3)]
    _checkpoint()
    bundle = audit_inclusion_proofs(subject=citizen, event_ids=[event.pk for event in events])
    assert bundle is not None and bundle["pending"] == []
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(bundle), encoding="utf-8")
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": audit_published_keys()}), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR)}
    result = subprocess.run([sys.executable, "-m", "khedmat.audit.offline", "proof", str(proof), "--keys",
                             str(keys_file)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("recorded in the signed checkpoint") == 3
    bundle["proofs"][1]["event"]["actor_role"] = "citizen"
    proof.write_text(json.dumps(bundle), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "khedmat.audit.offline", "proof", str(proof)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "NOT VERIFIED: the event does not match its hash" in result.stdout

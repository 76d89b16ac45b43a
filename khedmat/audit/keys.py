"""The keys that sign audit checkpoints, held as the document keys are (documents/keystore.py).

- In the database, encrypted with Fernet under AUDIT_KEY_ENCRYPTION_KEY (by default derived
  from SECRET_KEY): development, tests and small installations. With
  AUDIT_CHECKPOINT_AUTO_KEYGEN on, the first checkpoint makes one.
- In a PEM file named by AUDIT_CHECKPOINT_KEY_FILE, on the host that runs the periodic jobs
  only: production. The database then keeps its public half.

Rows are never changed (the table is append-only like the rest of the trail): the newest key
signs, and rotation (`manage.py audit_keygen`) adds a key that names the one it succeeds,
each signing a statement that vouches for the other. A key is trusted when this
installation holds its private half (an attacker who can write the tables cannot make a row
that decrypts under our secret) or when a trusted key vouches for it.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import checkpoint
from .models import AuditKey


class AuditKeyError(Exception):
    """No key can sign checkpoints: none is held and none may be made here (for operators)."""


def _fernet() -> Fernet:
    secret = settings.AUDIT_KEY_ENCRYPTION_KEY or f"audit-keys:{settings.SECRET_KEY}"
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest()))


def public_key_of(row: AuditKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(checkpoint.b64url_decode(row.public_key))


def private_key_pem_write(path: Path) -> Ed25519PrivateKey:
    """Write a new private key as PKCS#8 PEM, readable by its owner only."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return private_key


def private_key_pem_read(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise AuditKeyError(f"The checkpoint key file {path} cannot be read ({error}).") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"The checkpoint key file {path} does not hold an Ed25519 private key.")
    return key


def _file_key() -> Ed25519PrivateKey | None:
    key_file = settings.AUDIT_CHECKPOINT_KEY_FILE
    return private_key_pem_read(Path(key_file)) if key_file else None


def held_private_key(row: AuditKey) -> Ed25519PrivateKey | None:
    """The private half of `row`, if this installation holds it (and it matches the row)."""
    if row.source == AuditKey.Source.DATABASE and row.private_key:
        try:
            raw = _fernet().decrypt(row.private_key.encode("ascii"))
            private_key = Ed25519PrivateKey.from_private_bytes(raw)
        except (InvalidToken, ValueError):
            return None
    else:
        try:
            private_key = _file_key()  # type: ignore[assignment]
        except AuditKeyError:
            return None
        if private_key is None:
            return None
    public_b64 = checkpoint.b64url_encode(checkpoint.raw_public_key(private_key.public_key()))
    return private_key if public_b64 == row.public_key else None


def _succeed(row: AuditKey, private_key: Ed25519PrivateKey) -> AuditKey:
    """Save `row` as the newest key: it names the newest key this installation trusts, and each
    of the two signs the statement that links them (the old one only if its private half is
    held). A key row nobody here can vouch for (one an intruder added) is never succeeded."""
    trusted = trusted_keys()
    predecessor = (AuditKey.objects.filter(kid__in=trusted).order_by("-id").first()
                   if trusted else None)
    if predecessor is not None:
        statement = checkpoint.succession_statement(old_kid=predecessor.kid, old_public=predecessor.public_key,
                                                    new_kid=row.kid, new_public=row.public_key)
        row.predecessor = predecessor
        row.succession_signature = checkpoint.b64url_encode(private_key.sign(statement))
        old_private = held_private_key(predecessor)
        if old_private is not None:
            row.predecessor_signature = checkpoint.b64url_encode(old_private.sign(statement))
    row.created_at = timezone.now()
    row.save()
    return row


def _row_for(private_key: Ed25519PrivateKey, *, source: str, encrypted: str = "") -> AuditKey:
    public_key = private_key.public_key()
    return AuditKey(kid=checkpoint.key_id(public_key), source=source, private_key=encrypted,
                    public_key=checkpoint.b64url_encode(checkpoint.raw_public_key(public_key)))


@transaction.atomic
def audit_key_create() -> AuditKey:
    """A new key, kept encrypted in the database; it signs from now on."""
    private_key = Ed25519PrivateKey.generate()
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = _row_for(private_key, source=AuditKey.Source.DATABASE, encrypted=_fernet().encrypt(raw).decode("ascii"))
    return _succeed(row, private_key)


@transaction.atomic
def audit_key_register_file(private_key: Ed25519PrivateKey) -> AuditKey:
    """Record the public half of a key held in a file (once): it signs from now on."""
    existing = AuditKey.objects.filter(kid=checkpoint.key_id(private_key.public_key())).first()
    return existing or _succeed(_row_for(private_key, source=AuditKey.Source.FILE), private_key)


def active_signer() -> tuple[AuditKey, Ed25519PrivateKey]:
    """The key that signs the next checkpoint, with its private half: the file's, or the newest
    key in the database that decrypts under our secret (one is made if allowed and none does)."""
    file_key = _file_key()
    if file_key is not None:
        row = AuditKey.objects.filter(kid=checkpoint.key_id(file_key.public_key())).first()
        return (row or audit_key_register_file(file_key)), file_key
    for row in AuditKey.objects.filter(source=AuditKey.Source.DATABASE).order_by("-id"):
        private_key = held_private_key(row)
        if private_key is not None:
            break
    else:
        if not settings.AUDIT_CHECKPOINT_AUTO_KEYGEN:
            raise AuditKeyError("No checkpoint key is available: set AUDIT_CHECKPOINT_KEY_FILE or run "
                                "manage.py audit_keygen.")
        row = audit_key_create()
        private_key = held_private_key(row)
        assert private_key is not None  # just made with our own secret
    return row, private_key


def key_records() -> list[checkpoint.KeyRecord]:
    """Every key, oldest first, as published."""
    return [checkpoint.KeyRecord(kid=row.kid, public_key=public_key_of(row),
                                 predecessor=row.predecessor.kid if row.predecessor else "",
                                 succession_signature=row.succession_signature,
                                 predecessor_signature=row.predecessor_signature)
            for row in AuditKey.objects.select_related("predecessor").order_by("id")]


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """The keys this installation can vouch for without trusting the database: those whose
    private half it holds, and those they vouch for through the succession."""
    rows = list(AuditKey.objects.order_by("id"))
    held = {row.kid for row in rows if held_private_key(row) is not None}
    records = key_records()
    trusted = checkpoint.trusted_by_succession(records, held)
    return {record.kid: record.public_key for record in records if record.kid in trusted}

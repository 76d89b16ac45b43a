"""The key store: Ed25519 keys that sign documents, and the public keys that verify them.

Two ways to hold the active private key (docs/documents.md, "Keys"):

- in the database, encrypted with Fernet under DOCUMENTS_KEY_ENCRYPTION_KEY (by default a
  key derived from SECRET_KEY): development, tests and small installations. With
  DOCUMENTS_AUTO_KEYGEN on, the first document issued creates one;
- in a PEM file named by DOCUMENTS_SIGNING_KEY_FILE (mounted from a secret store, readable
  by the application only): production. The database then keeps only its public half.

Rotation (`manage.py documents_keygen`) makes a new key active and retires the old one,
which keeps verifying what it signed. Public keys are published as a JWK set. A key marked
compromised (`manage.py documents_key_compromised`) never signs again, and the JWK set
publishes the time from which nothing it signed is trusted.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.core.errors import Refusal

from . import codec
from .models import SigningKey

_public_keys: dict[str, Ed25519PublicKey] = {}  # kid → key; a key never changes once made


class KeyStoreError(Refusal):
    """No key can sign: none is active and none may be made here."""


def _fernet() -> Fernet:
    secret = settings.DOCUMENTS_KEY_ENCRYPTION_KEY or f"documents-keys:{settings.SECRET_KEY}"
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest()))


def _public_b64(public_key: Ed25519PublicKey) -> str:
    return codec.b64url_encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _activate(row: SigningKey) -> SigningKey:
    """Make `row` the one active key, retiring whichever was active."""
    SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE).exclude(pk=row.pk).update(
        status=SigningKey.Status.RETIRED, retired_at=timezone.now())
    row.status = SigningKey.Status.ACTIVE
    row.retired_at = None
    row.save()
    return row


@transaction.atomic
def signing_key_create() -> SigningKey:
    """A new key, kept encrypted in the database, made active (the previous one retires)."""
    private_key = Ed25519PrivateKey.generate()
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = SigningKey(kid=codec.key_id(private_key.public_key()), public_key=_public_b64(private_key.public_key()),
                     private_key=_fernet().encrypt(raw).decode("ascii"), source=SigningKey.Source.DATABASE,
                     status=SigningKey.Status.RETIRED)
    row.save()
    return _activate(row)


def private_key_pem_write(path: Path) -> Ed25519PrivateKey:
    """Write a new private key as PKCS#8 PEM, readable by its owner only."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return private_key


def private_key_pem_read(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError(_("The signing key file does not hold an Ed25519 private key."), code="bad_key_file")
    return key


@transaction.atomic
def signing_key_register_file(private_key: Ed25519PrivateKey) -> SigningKey:
    """Record the public half of a key held in a file, and make it active."""
    public_key = private_key.public_key()
    row, _created = SigningKey.objects.get_or_create(
        kid=codec.key_id(public_key),
        defaults={"public_key": _public_b64(public_key), "source": SigningKey.Source.FILE,
                  "status": SigningKey.Status.RETIRED})
    if row.compromised_at is not None:
        raise _compromised(row)
    return row if row.status == SigningKey.Status.ACTIVE else _activate(row)


def _compromised(row: SigningKey) -> KeyStoreError:
    return KeyStoreError(_("The signing key %(kid)s was marked compromised: make a new key before issuing documents.")
                         % {"kid": row.kid}, code="key_compromised")


def active_signer() -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key that signs new documents, with its private half."""
    key_file = settings.DOCUMENTS_SIGNING_KEY_FILE
    if key_file:
        private_key = private_key_pem_read(Path(key_file))
        row = SigningKey.objects.filter(kid=codec.key_id(private_key.public_key())).first()
        if row is not None and row.compromised_at is not None:
            raise _compromised(row)  # the file still holds a key known to be in other hands
        if row is None or row.status != SigningKey.Status.ACTIVE:
            row = signing_key_register_file(private_key)
        return row, private_key
    row = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()
    if row is None or row.source != SigningKey.Source.DATABASE:
        if not settings.DOCUMENTS_AUTO_KEYGEN:
            raise KeyStoreError(_("No signing key is available: documents cannot be issued now."), code="no_key")
        row = signing_key_create()
    try:
        raw = _fernet().decrypt(row.private_key.encode("ascii"))
    except InvalidToken as error:
        raise KeyStoreError(_("The signing key cannot be read with this installation's encryption key."),
                            code="bad_key") from error
    return row, Ed25519PrivateKey.from_private_bytes(raw)


def public_keys(*, kid: str | None = None) -> dict[str, Ed25519PublicKey]:
    """Every published public key by kid (cached per process; reloaded when `kid` is new)."""
    if not _public_keys or (kid is not None and kid not in _public_keys):
        for row_kid, public_b64 in SigningKey.objects.values_list("kid", "public_key"):
            _public_keys.setdefault(row_kid, Ed25519PublicKey.from_public_bytes(codec.b64url_decode(public_b64)))
    return dict(_public_keys)


def jwks() -> dict[str, Any]:
    """The JWK set published at /.well-known/jwks.json: every key, active or retired; a key
    marked compromised carries `compromised`, the time (ISO 8601, local time with its offset)
    from which nothing it signed is trusted."""
    keys = []
    for row in SigningKey.objects.order_by("-created_at", "-id"):
        public_key = Ed25519PublicKey.from_public_bytes(codec.b64url_decode(row.public_key))
        extra: dict[str, str] = {}
        if row.retired_at:
            extra["retired"] = row.retired_at.date().isoformat()
        if row.compromised_at:
            extra["compromised"] = timezone.localtime(row.compromised_at).isoformat(timespec="seconds")
        keys.append(codec.jwk_from_public_key(
            public_key, kid=row.kid, status=row.status, created=row.created_at.date().isoformat(), **extra))
    return {"keys": keys}


def compromised_since(kid: str) -> datetime.datetime | None:
    """From when the key `kid` is compromised, or None (read each time: it can change)."""
    return SigningKey.objects.filter(kid=kid).values_list("compromised_at", flat=True).first()

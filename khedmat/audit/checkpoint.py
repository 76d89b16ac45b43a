"""Signed checkpoints: the text the platform signs for the head of its audit tree.

A checkpoint is a C2SP "tlog-checkpoint" in a C2SP "signed note", as Go's checksum database
and Sigstore publish theirs, so existing tools can read it:

    khedmat.example.af/audit            the log's origin (also the signing key's name)
    48213                               the tree size: events 1 … 48213 of the chain
    q3sD…=                              the Merkle root of those events (base64)
    time 2026-12-03T10:15:00Z           when it was signed (UTC)
    chain 9f2c…                         the hash of seal 48213, the chain's head (hex)
                                        (a blank line ends the signed text)
    — khedmat.example.af/audit AbCd…    base64 of the key hash (4 bytes) and the Ed25519
                                        signature (64 bytes) of the text above the blank line

The key hash is the first 4 bytes of SHA-256(name, "\\n", 0x01, raw public key). Keys are
published as JWKs (OKP, Ed25519) with a short `kid` (the first 8 characters of the
base64url SHA-256 of the raw key, as for documents) and as note verifier keys.

Pure: only the standard library and `cryptography`, so that an outsider can copy this file.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space open every signature line
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_NOTE_LENGTH = 8000  # a checkpoint is a few hundred bytes: anything longer is refused unread
ED25519_ALGORITHM = 0x01


class CheckpointError(ValueError):
    """The text is not a checkpoint this code can read."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: datetime.datetime | None
    chain_head: str
    body: str
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (key name, key hash, signature)


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise CheckpointError("not base64url") from error


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return b64url_encode(hashlib.sha256(raw_public_key(public_key)).digest())[:8]


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4 bytes a signature line names its key by (C2SP signed-note)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519_ALGORITHM])
                          + raw_public_key(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The note verifier key "<name>+<key hash, hex>+<base64(0x01 || key)>" (Go's sumdb/note)."""
    encoded = base64.b64encode(bytes([ED25519_ALGORITHM]) + raw_public_key(public_key)).decode("ascii")
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def body(*, origin: str, size: int, root: bytes, time: datetime.datetime, chain_head: str) -> str:
    """The signed text of a checkpoint."""
    if not origin or "\n" in origin or " " in origin or "+" in origin:
        raise CheckpointError("an origin is one word without '+'")
    stamp = time.astimezone(datetime.UTC).strftime(TIME_FORMAT)
    return (f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
            f"time {stamp}\nchain {chain_head}\n")


def sign(text: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    """`text` with one signature line: a note with more signers is made by `add_signature`."""
    return add_signature(f"{text}\n", name=name, private_key=private_key)


def add_signature(note: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    text = note[: note.index("\n\n") + 1]
    signature = private_key.sign(text.encode("utf-8"))
    line = base64.b64encode(key_hash(name, private_key.public_key()) + signature).decode("ascii")
    return f"{note}{SIGNATURE_PREFIX}{name} {line}\n"


def parse(note: str) -> Checkpoint:
    """Read a signed checkpoint (without checking its signatures: see `signed_by`)."""
    if not isinstance(note, str) or not note or len(note) > MAX_NOTE_LENGTH:
        raise CheckpointError("empty or too long")
    note = note.replace("\r\n", "\n")
    split = note.find("\n\n")
    if split < 0:
        raise CheckpointError("no signature block")
    text, signature_block = note[: split + 1], note[split + 2:]
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not size_text.isascii() or not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise CheckpointError("the tree size is not a number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError as error:
        raise CheckpointError("the root hash is not base64") from error
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    time: datetime.datetime | None = None
    chain_head = ""
    for line in extensions:
        keyword, _space, value = line.partition(" ")
        if keyword == "time":
            try:
                time = datetime.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=datetime.UTC)
            except ValueError as error:
                raise CheckpointError("the time is not YYYY-MM-DDTHH:MM:SSZ") from error
        elif keyword == "chain":
            chain_head = value
    signatures = []
    for line in signature_block.split("\n"):
        if not line:
            continue
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError("a signature line starts with an em dash")
        name, _space, encoded = line[len(SIGNATURE_PREFIX):].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as error:
            raise CheckpointError("a signature is not base64") from error
        if len(raw) < 5:
            raise CheckpointError("a signature is too short")
        signatures.append((name, raw[:4], raw[4:]))
    if not signatures:
        raise CheckpointError("the checkpoint is not signed")
    return Checkpoint(origin=origin, size=int(size_text), root=root, time=time, chain_head=chain_head,
                      body=text, signatures=tuple(signatures))


def signed_by(checkpoint: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """The kids of `keys` whose signature, under the checkpoint's origin, holds."""
    good = []
    for kid, public_key in keys.items():
        expected_hash = key_hash(checkpoint.origin, public_key)
        for name, line_hash, signature in checkpoint.signatures:
            if name != checkpoint.origin or line_hash != expected_hash:
                continue
            try:
                public_key.verify(signature, checkpoint.body.encode("utf-8"))
            except InvalidSignature:
                continue
            good.append(kid)
            break
    return good


def succession_statement(*, old_kid: str, old_public: str, new_kid: str, new_public: str) -> bytes:
    """What a new key and the key it succeeds both sign at rotation: each vouches for the other,
    so trust in either reaches the other (public keys as base64url)."""
    return (f"asan-khedmat audit key succession\n{old_kid} {old_public}\n{new_kid} {new_public}\n").encode("ascii")


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public_key.verify(b64url_decode(signature_b64), message)
    except (InvalidSignature, CheckpointError):
        return False
    return True


def jwk_from_public_key(public_key: Ed25519PublicKey, *, kid: str, **extra: Any) -> dict[str, Any]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw_public_key(public_key)), "kid": kid,
            "use": "sig", "alg": "EdDSA", **extra}


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" \
            or not isinstance(jwk.get("x"), str):
        raise CheckpointError("not an Ed25519 JWK")
    try:
        return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    except ValueError as error:
        raise CheckpointError("not an Ed25519 public key") from error


def keys_from_jwks(document: Any) -> dict[str, Ed25519PublicKey]:
    """kid → key for every Ed25519 key of a JWK set ({"keys": [...]}); others are skipped.
    The kid is recomputed from the key, never taken on trust."""
    keys: dict[str, Ed25519PublicKey] = {}
    entries = document.get("keys", []) if isinstance(document, dict) else []
    for jwk in entries if isinstance(entries, list) else []:
        try:
            public_key = public_key_from_jwk(jwk)
        except CheckpointError:
            continue
        keys[key_id(public_key)] = public_key
    return keys


@dataclass(frozen=True)
class KeyRecord:
    """A published key and its place in the succession (signatures as base64url)."""

    kid: str
    public_key: Ed25519PublicKey
    predecessor: str = ""
    succession_signature: str = ""    # by this key, over the statement naming its predecessor
    predecessor_signature: str = ""   # by the predecessor, over the same statement


def trusted_by_succession(records: list[KeyRecord], trusted: set[str]) -> set[str]:
    """The kids trusted once trust in `trusted` follows every sound succession: a key that
    signed the statement vouches for its predecessor, and a predecessor that signed it
    vouches for its successor."""
    by_kid = {record.kid: record for record in records}
    trusted = {kid for kid in trusted if kid in by_kid}
    changed = True
    while changed:
        changed = False
        for record in records:
            old = by_kid.get(record.predecessor)
            if old is None or (record.kid in trusted) == (old.kid in trusted):
                continue
            statement = succession_statement(
                old_kid=old.kid, old_public=b64url_encode(raw_public_key(old.public_key)),
                new_kid=record.kid, new_public=b64url_encode(raw_public_key(record.public_key)))
            if record.kid in trusted and verify_signature(record.public_key, record.succession_signature, statement):
                trusted.add(old.kid)
                changed = True
            elif old.kid in trusted and verify_signature(old.public_key, record.predecessor_signature, statement):
                trusted.add(record.kid)
                changed = True
    return trusted

"""The signed payload a document's QR code carries: "AK1.<kid>.<payload>.<signature>".

Pure functions, no database, only the standard library and `cryptography`, so that a third
party can copy this file (or read docs/documents.md) to verify a document offline.

- `<payload>` is base64url (no padding) of canonical JSON: keys sorted, no spaces, UTF-8.
- `<signature>` is base64url of the Ed25519 signature of the ASCII text "AK1.<kid>.<payload>".
- Only canonical base64url is read (RFC 4648 §3.5): the URL-safe alphabet, no `=` padding,
  no leftover bits set in the last character. Otherwise one document would have several
  codes that verify (the leftover bits of a signature can be changed freely), and a code
  could be altered without its signature noticing.
- The QR code holds a verification URL, `<base>/verify/?p=<the whole string>`: a phone's
  camera opens the verify page; an offline verifier takes the string from `p`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = "AK1"
TOKEN = re.compile(r"AK[0-9]+\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
MAX_LENGTH = 2000  # longer than any QR code a phone reads: refused before any work


class PayloadError(ValueError):
    """The text is not a document payload this verifier can read."""


@dataclass(frozen=True)
class SignedPayload:
    version: str
    kid: str
    payload_b64: str
    signature_b64: str

    @property
    def signing_input(self) -> bytes:
        return f"{self.version}.{self.kid}.{self.payload_b64}".encode("ascii")

    def __str__(self) -> str:
        return f"{self.version}.{self.kid}.{self.payload_b64}.{self.signature_b64}"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of canonical base64url text, or PayloadError: another alphabet, padding, a
    length no bytes have, or leftover bits set (a second spelling of the same bytes)."""
    if not isinstance(text, str) or not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise PayloadError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise PayloadError("not base64url") from error
    if b64url_encode(data) != text:
        raise PayloadError("not canonical base64url")
    return data


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short id derived from the key itself: the first 8 characters of the base64url
    SHA-256 of the raw public key (as the JWK set publishes it)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return b64url_encode(hashlib.sha256(raw).digest())[:8]


def sign(content: dict[str, Any], *, private_key: Ed25519PrivateKey, kid: str) -> str:
    """The signed string for `content` (a JSON object)."""
    payload_b64 = b64url_encode(canonical_json(content))
    signing_input = f"{VERSION}.{kid}.{payload_b64}".encode("ascii")
    return f"{VERSION}.{kid}.{payload_b64}.{b64url_encode(private_key.sign(signing_input))}"


def verification_url(base_url: str, signed: str) -> str:
    return f"{base_url.rstrip('/')}/verify/?p={signed}"


def extract(text: str) -> SignedPayload:
    """Find the signed string in what was scanned or pasted: the string itself, or a URL
    carrying it in `p=` or after `#`. Raises PayloadError."""
    text = (text or "").strip()
    if not text or len(text) > MAX_LENGTH:
        raise PayloadError("empty or too long")
    candidate = text
    if "://" in text or text.startswith("/"):
        parts = urlsplit(text)
        values = parse_qs(parts.query).get("p") or ([parts.fragment] if parts.fragment else [])
        candidate = values[0].strip() if values else ""
    if not TOKEN.fullmatch(candidate):
        raise PayloadError("not a document code")
    version, kid, payload_b64, signature_b64 = candidate.split(".")
    b64url_decode(payload_b64)  # canonical, or refused before any other work
    b64url_decode(signature_b64)
    return SignedPayload(version, kid, payload_b64, signature_b64)


def check_signature(signed: SignedPayload, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(b64url_decode(signed.signature_b64), signed.signing_input)
    except (InvalidSignature, PayloadError):
        return False
    return True


def decode_content(signed: SignedPayload) -> dict[str, Any]:
    """The JSON object inside; call only after the signature checked out."""
    try:
        content = json.loads(b64url_decode(signed.payload_b64).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError("payload is not JSON") from error
    if not isinstance(content, dict):
        raise PayloadError("payload is not a JSON object")
    return content


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise PayloadError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))


def jwk_from_public_key(public_key: Ed25519PublicKey, *, kid: str, **extra: Any) -> dict[str, Any]:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "kid": kid, "use": "sig", "alg": "EdDSA",
            **extra}


def compromises_from_jwks(jwks: dict[str, Any]) -> dict[str, datetime.datetime]:
    """kid → the time from which a key is compromised, for every key of a JWK set that has a
    readable `compromised` (ISO 8601)."""
    found: dict[str, datetime.datetime] = {}
    for jwk in jwks.get("keys", []):
        try:
            found[str(jwk["kid"])] = datetime.datetime.fromisoformat(str(jwk["compromised"]))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """kid → public key, for every Ed25519 key of a JWK set (others are skipped)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks.get("keys", []):
        try:
            keys[str(jwk["kid"])] = public_key_from_jwk(jwk)
        except (KeyError, PayloadError, ValueError):
            continue
    return keys

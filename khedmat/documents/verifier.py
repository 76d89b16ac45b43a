"""The verdict on a scanned or pasted document code: valid, expired, revoked, forged, unreadable.

Pure: give it the public keys (from the database, or a JWK set file for offline use), the
revocations known (none offline) and today's date. `selectors.document_verify` is the
online version, with the keys and revocations from the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import codec


class Verdict:
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    FORGED = "forged"  # a bad signature or a key id nobody published: altered or made up
    UNREADABLE = "unreadable"  # not a document code at all


@dataclass(frozen=True)
class RevocationInfo:
    revoked_on: datetime.date
    reason: str


@dataclass(frozen=True)
class Verification:
    verdict: str
    detail: str = ""  # why, for FORGED and UNREADABLE: bad_signature, unknown_key, malformed, version
    kid: str = ""
    content: dict[str, Any] = field(default_factory=dict)  # what the document states (signature good)
    revocation: RevocationInfo | None = None

    @property
    def number(self) -> str:
        return str(self.content.get("n", ""))

    @property
    def issued_on(self) -> datetime.date | None:
        return _date(self.content.get("i"))

    @property
    def expires_on(self) -> datetime.date | None:
        return _date(self.content.get("e"))


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def verify(text: str, *, keys: Mapping[str, Ed25519PublicKey], today: datetime.date,
           revocations: Mapping[str, RevocationInfo] | None = None) -> Verification:
    """Check `text` (the code or a URL carrying it). Signature first: nothing a forged code
    says is reported back as if the issuer had said it."""
    try:
        signed = codec.extract(text)
    except codec.PayloadError:
        return Verification(Verdict.UNREADABLE, "malformed")
    if signed.version != codec.VERSION:
        return Verification(Verdict.UNREADABLE, "version", kid=signed.kid)
    public_key = keys.get(signed.kid)
    if public_key is None:
        return Verification(Verdict.FORGED, "unknown_key", kid=signed.kid)
    if not codec.check_signature(signed, public_key):
        return Verification(Verdict.FORGED, "bad_signature", kid=signed.kid)
    try:
        content = codec.decode_content(signed)
    except codec.PayloadError:
        return Verification(Verdict.UNREADABLE, "malformed", kid=signed.kid)
    revocation = (revocations or {}).get(str(content.get("n", "")))
    if revocation is not None:
        return Verification(Verdict.REVOKED, kid=signed.kid, content=content, revocation=revocation)
    expires_on = _date(content.get("e"))
    if expires_on is not None and today > expires_on:
        return Verification(Verdict.EXPIRED, kid=signed.kid, content=content)
    return Verification(Verdict.VALID, kid=signed.kid, content=content)

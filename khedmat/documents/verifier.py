"""The verdict on a scanned or pasted document code: valid, expired, revoked, forged, not
issued, unreadable.

Pure: give it the public keys (from the database, or a JWK set file for offline use), the
keys known to be compromised and from when, the revocations known (none offline) and
today's date. `selectors.document_verify` is the online version: keys, compromises and
revocations from the database, and the platform's own record of what it issued.
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
    FORGED = "forged"  # a bad signature, a key id nobody published, or a compromised key: altered or made up
    NOT_ISSUED = "not_issued"  # online only: signed, but no document with this number and content was issued
    UNREADABLE = "unreadable"  # not a document code at all


@dataclass(frozen=True)
class RevocationInfo:
    revoked_on: datetime.date
    reason: str


@dataclass(frozen=True)
class Verification:
    verdict: str
    # Why, for FORGED (bad_signature, unknown_key, compromised_key), NOT_ISSUED (unknown_number,
    # different_content) and UNREADABLE (malformed, version); for VALID offline,
    # key_compromised_later (signed by a key compromised after the date the code states).
    detail: str = ""
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
           revocations: Mapping[str, RevocationInfo] | None = None,
           compromised: Mapping[str, datetime.datetime] | None = None) -> Verification:
    """Check `text` (the code or a URL carrying it). Signature first: nothing a forged code
    says is reported back as if the issuer had said it.

    `compromised` (kid → from when) makes a code of a compromised key forged when the issue
    date it states is on or after the day of the compromise (as published, in the issuer's
    local time). A code dated earlier cannot be told from a backdated forgery offline: it
    stays valid with detail `key_compromised_later`, to be checked online."""
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
    detail = ""
    compromised_at = (compromised or {}).get(signed.kid)
    if compromised_at is not None:
        issued_on = _date(content.get("i"))
        if issued_on is None or issued_on >= compromised_at.date():
            return Verification(Verdict.FORGED, "compromised_key", kid=signed.kid)
        detail = "key_compromised_later"
    revocation = (revocations or {}).get(str(content.get("n", "")))
    if revocation is not None:
        return Verification(Verdict.REVOKED, kid=signed.kid, content=content, revocation=revocation)
    expires_on = _date(content.get("e"))
    if expires_on is not None and today > expires_on:
        return Verification(Verdict.EXPIRED, detail, kid=signed.kid, content=content)
    return Verification(Verdict.VALID, detail, kid=signed.kid, content=content)

"""Reading documents: for a file, for a viewer, the online verdict on a code, the PDF."""

from __future__ import annotations

import datetime
import hmac
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from khedmat.applications.access import can_view_application

from . import codec, keystore, pdf
from .models import IssuedDocument, Revocation
from .verifier import RevocationInfo, Verdict, Verification, verify

if TYPE_CHECKING:
    from khedmat.applications.models import Application


def document_for_application(application: Application) -> IssuedDocument | None:
    """The file's current document: the last issued, which no corrected one replaced."""
    return (IssuedDocument.objects.select_related("revocation", "signing_key")
            .filter(application=application, replaced_by__isnull=True).order_by("-issued_at", "-id").first())


def documents_for_application(application: Application) -> list[IssuedDocument]:
    """Every document issued for the file, newest first, with revocations and successors."""
    return list(IssuedDocument.objects.select_related("revocation", "replaces", "replaced_by")
                .filter(application=application).order_by("-issued_at", "-id"))


def successor_of(document: IssuedDocument) -> IssuedDocument | None:
    """The corrected document that replaced this one, if any."""
    try:
        return document.replaced_by
    except IssuedDocument.DoesNotExist:
        return None


def document_for_viewer(*, user: Any, public_id: uuid.UUID) -> IssuedDocument | None:
    """The document if `user` may see its file (holder, the issuing agency's staff), else None."""
    document = (IssuedDocument.objects.select_related("application", "signing_key", "agency")
                .filter(public_id=public_id).first())
    if document is None or not can_view_application(user, document.application):
        return None
    return document


def document_view(document: IssuedDocument) -> pdf.DocumentView:
    from .services import verification_base_url

    return pdf.DocumentView(
        number=document.number, kind=document.kind, language=document.language, content=document.content,
        issued_on=document.issued_on, expires_on=document.expires_on, kid=document.signing_key.kid,
        verification_url=codec.verification_url(verification_base_url(), document.payload))


def document_pdf(document: IssuedDocument) -> bytes:
    return pdf.render(document_view(document))


@dataclass(frozen=True)
class OnlineVerification:
    """The verdict, and the platform's own record of the document when it has one."""

    result: Verification
    document: IssuedDocument | None

    @property
    def verdict(self) -> str:
        return self.result.verdict


def document_verify(text: str, *, today: datetime.date | None = None) -> OnlineVerification:
    """Verify a scanned or pasted code online: the signature against the published keys, then
    the platform's own record: a key marked compromised signed it after it was compromised
    (forged), no document with this number and this content was issued (not issued), the
    agency revoked it (revoked: shown the moment it is made), it expired."""
    today = today or timezone.localdate()
    try:
        signed: codec.SignedPayload | None = codec.extract(text)
    except codec.PayloadError:
        signed = None
    keys = keystore.public_keys(kid=signed.kid) if signed is not None else {}
    result = verify(text, keys=keys, today=today)
    if signed is None or result.verdict not in (Verdict.VALID, Verdict.EXPIRED):
        return OnlineVerification(result=result, document=None)
    document = (IssuedDocument.objects.select_related("revocation", "signing_key").filter(number=result.number).first()
                if result.number else None)
    on_record = document is not None and _same_code(document, signed)
    compromised_at = keystore.compromised_since(signed.kid)
    if compromised_at is not None and _signed_since(compromised_at, document if on_record else None, result):
        return OnlineVerification(result=Verification(Verdict.FORGED, "compromised_key", kid=signed.kid),
                                  document=None)
    if not on_record:
        # Correctly signed, yet not what the platform issued: a key misused, or content
        # swapped under a real number. Nothing it states is repeated.
        detail = "different_content" if document is not None else "unknown_number"
        return OnlineVerification(result=Verification(Verdict.NOT_ISSUED, detail, kid=signed.kid), document=None)
    revocation = _revocation(document)
    if revocation is not None:
        result = verify(text, keys=keys, today=today, revocations={result.number: RevocationInfo(
            revoked_on=timezone.localdate(revocation.revoked_at), reason=revocation.reason)})
    return OnlineVerification(result=result, document=document)


def _same_code(document: IssuedDocument, signed: codec.SignedPayload) -> bool:
    """Whether `signed` carries exactly what the platform signed for `document`: the same key
    and the same payload, byte for byte (its fields and their values)."""
    try:
        issued = codec.extract(document.payload)
    except codec.PayloadError:
        return False
    return issued.kid == signed.kid and hmac.compare_digest(issued.payload_b64, signed.payload_b64)


def _signed_since(compromised_at: datetime.datetime, document: IssuedDocument | None, result: Verification) -> bool:
    """Whether the code was signed on or after the compromise: by the platform's record when it
    issued it, else by the date the code states (a forger with the key may write any date;
    an earlier one is caught as not issued)."""
    if document is not None:
        return document.issued_at >= compromised_at
    issued_on = result.issued_on
    return issued_on is None or issued_on >= timezone.localdate(compromised_at)


def _revocation(document: IssuedDocument | None) -> Revocation | None:
    if document is None:
        return None
    try:
        return document.revocation
    except Revocation.DoesNotExist:
        return None

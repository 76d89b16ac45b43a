"""Reading documents: for a file, for a viewer, the online verdict on a code, the PDF."""

from __future__ import annotations

import datetime
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
    return (IssuedDocument.objects.select_related("revocation", "signing_key")
            .filter(application=application).first())


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
    """Verify a scanned or pasted code against the published keys and the revocations
    recorded now: a revocation shows the moment it is made."""
    today = today or timezone.localdate()
    try:
        signed = codec.extract(text)
        kid = signed.kid
    except codec.PayloadError:
        kid = None
    keys = keystore.public_keys(kid=kid) if kid else {}
    result = verify(text, keys=keys, today=today)
    document = None
    if result.verdict in (Verdict.VALID, Verdict.EXPIRED) and result.number:
        document = IssuedDocument.objects.select_related("revocation").filter(number=result.number).first()
        revocation = _revocation(document)
        if revocation is not None:
            result = verify(text, keys=keys, today=today, revocations={result.number: RevocationInfo(
                revoked_on=timezone.localdate(revocation.revoked_at), reason=revocation.reason)})
    return OnlineVerification(result=result, document=document)


def _revocation(document: IssuedDocument | None) -> Revocation | None:
    if document is None:
        return None
    try:
        return document.revocation
    except Revocation.DoesNotExist:
        return None

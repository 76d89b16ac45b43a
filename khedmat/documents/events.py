"""Events the documents app publishes (khedmat.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from khedmat.core.events import DomainEvent, declare

from .models import IssuedDocument, Revocation


@declare
@dataclass(frozen=True, kw_only=True)
class DocumentIssued(DomainEvent):
    name = "document.issued"
    document: IssuedDocument


@declare
@dataclass(frozen=True, kw_only=True)
class DocumentRevoked(DomainEvent):
    """The holder hears it from the agency, with the reason."""

    name = "document.revoked"
    document: IssuedDocument
    revocation: Revocation

"""With a key: the documents issued for an agency's file; issuing (only where the file's
service issues one, in its issuing state) and revoking, through the documents app's services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from khedmat.audit.services import audit_record
from khedmat.documents import selectors as document_selectors
from khedmat.documents import services as document_services
from khedmat.documents.services import DocumentError

from ..auth import KeyAuth, require
from ..models import Scope
from ..problems import ApiProblem
from ..schemas import IssuedDocumentOut, Problem, RevokeIn
from .files import agency_file

router = Router(tags=["documents (agency key)"], auth=KeyAuth())
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


def _out(document: Any) -> dict[str, Any]:
    revocation = getattr(document, "revocation", None) if hasattr(document, "revocation") else None
    return {"number": document.number, "kind": document.kind, "holder_name": document.holder_name,
            "issued_on": document.issued_on, "expires_on": document.expires_on, "revoked": revocation is not None,
            "revocation_reason": revocation.reason if revocation is not None else ""}


@router.get("/{file_id}/documents", response={200: list[IssuedDocumentOut], **ERRORS},
            summary="Documents issued for a file")
def documents(request: HttpRequest, file_id: str) -> list[dict[str, Any]]:
    key = require(request, Scope.READ)
    found = agency_file(key, file_id)
    audit_record(action="api.documents_listed", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": str(found.public_id)})
    return [_out(document) for document in document_selectors.documents_for_application(found)]


@router.post("/{file_id}/documents", response={200: IssuedDocumentOut, **ERRORS},
             summary="Issue the file's document (in its issuing state; again: the same one)")
def issue(request: HttpRequest, file_id: str) -> dict[str, Any]:
    key = require(request, Scope.ACT)
    found = agency_file(key, file_id)
    try:
        issued = document_services.document_issue_on_entering(application=found, state=found.state,
                                                              actor=key.user, request=request)
    except DocumentError as refusal:
        raise ApiProblem(409, refusal.code, str(refusal.message)) from refusal
    if issued is None:
        raise ApiProblem(409, "not_issuable", "This file's service issues no document in its present state.")
    audit_record(action="api.document_issued", target_type="api_key", target_id=key.prefix, actor=key.user,
                 request=request, data={"object": issued.number})
    return _out(issued)


@router.post("/{file_id}/documents/{number}/revoke", response={200: IssuedDocumentOut, **ERRORS},
             summary="Revoke a document, with the reason whoever checks it will read")
def revoke(request: HttpRequest, file_id: str, number: str, payload: RevokeIn) -> dict[str, Any]:
    key = require(request, Scope.ACT)
    found = agency_file(key, file_id)
    document = next((document for document in document_selectors.documents_for_application(found)
                     if document.number == number), None)
    if document is None:
        raise ApiProblem(404, "not_found", "No document of this file has this number.")
    try:
        document_services.document_revoke(document=document, actor=key.user, reason=payload.reason, request=request)
    except DocumentError as refusal:
        status = 403 if refusal.code == "forbidden" else 409 if refusal.code == "already_revoked" else 422
        raise ApiProblem(status, refusal.code, str(refusal.message)) from refusal
    refreshed = next(document for document in document_selectors.documents_for_application(found)
                     if document.number == number)
    return _out(refreshed)

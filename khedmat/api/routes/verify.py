"""Public: the verdict on an issued document's code, as the verify page gives it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from khedmat.documents.selectors import document_verify

from ..problems import ApiProblem
from ..schemas import Problem, VerifyIn, VerifyOut
from ..throttles import VERIFY

router = Router(tags=["documents (public)"], throttle=VERIFY)
MAX_CODE = 4000


@router.post("/verify", response={200: VerifyOut, 422: Problem}, summary="Verify a document's code")
def verify(request: HttpRequest, payload: VerifyIn) -> dict[str, Any]:
    """The same verdicts as /verify/: valid, expired, revoked, forged, not_issued, invalid…"""
    if not payload.code.strip() or len(payload.code) > MAX_CODE:
        raise ApiProblem(422, "code_invalid", f"Send the code as scanned, 1 to {MAX_CODE} characters.")
    found = document_verify(payload.code)
    result = found.result
    return {"verdict": str(result.verdict), "detail": result.detail,
            "number": result.number or None,
            "issuer": found.document.agency.code if found.document is not None else None,
            "expires_on": result.expires_on}

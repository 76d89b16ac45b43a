"""What the verify page shows, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.i18n import pick

from . import selectors
from .models import DocumentKind
from .selectors import OnlineVerification
from .verifier import Verdict

TONES = {Verdict.VALID: "", Verdict.EXPIRED: "warning", Verdict.REVOKED: "error", Verdict.FORGED: "error",
         Verdict.NOT_ISSUED: "error", Verdict.UNREADABLE: "warning"}


@dataclass
class VerificationView:
    verdict: str
    tone: str
    headline: str
    explanation: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    number: str = ""
    kind: str = ""
    holder: str = ""
    agency: str = ""
    issued_on: Any = None
    expires_on: Any = None
    revoked_on: Any = None
    revocation_reason: str = ""
    superseded_by: str = ""  # the number of the corrected document issued in its place

    @property
    def states_content(self) -> bool:
        return bool(self.number)


def verification_view(outcome: OnlineVerification) -> VerificationView:
    result = outcome.result
    verdict = result.verdict
    if verdict == Verdict.VALID:
        headline, explanation = _("Valid"), _("This document is genuine and in force.")
    elif verdict == Verdict.EXPIRED:
        headline = _("Expired")
        explanation = _("This document is genuine, but its validity has ended: it is no longer in force.")
    elif verdict == Verdict.REVOKED:
        headline = _("Revoked")
        explanation = _("The issuing agency has withdrawn this document: it is no longer valid.")
    elif verdict == Verdict.FORGED:
        headline = _("Not genuine: forged or altered")
        if result.detail == "unknown_key":
            explanation = _("It is signed with a key this platform never published.")
        elif result.detail == "compromised_key":
            explanation = _("It was signed with a key that was stolen or leaked, after the date from which that key "
                            "is no longer trusted.")
        else:
            explanation = _("Its signature does not match what it says: it was changed after it was issued.")
        explanation += " " + _("Do not accept this document.")
    elif verdict == Verdict.NOT_ISSUED:
        headline = _("Not issued by this platform")
        explanation = (_("Its signature is correct, but the document issued with this number says something else.")
                       if result.detail == "different_content" else
                       _("Its signature is correct, but no document with this number was ever issued."))
        explanation += " " + _("Do not accept this document, and tell the agency named on it.")
    else:
        headline = _("Not a document code")
        explanation = _("Paste the whole text of the QR code, or the link it opens, and try again.")
    view = VerificationView(verdict=verdict, tone=TONES[verdict], headline=headline, explanation=explanation)
    if verdict in (Verdict.FORGED, Verdict.NOT_ISSUED, Verdict.UNREADABLE):
        return view  # nothing a forged code says is repeated as if the issuer had said it
    content = result.content
    view.number = str(content.get("n", ""))
    kind = str(content.get("k", ""))
    view.kind = str(DocumentKind(kind).label) if kind in DocumentKind.values else kind
    view.holder = str(content.get("h", ""))
    agency = catalog_selectors.agency_get_by_code(code=str(content.get("a", "")))
    view.agency = pick(agency, "name") if agency else str(content.get("a", ""))
    view.issued_on, view.expires_on = result.issued_on, result.expires_on
    if result.revocation is not None:
        view.revoked_on, view.revocation_reason = result.revocation.revoked_on, result.revocation.reason
    document = outcome.document
    successor = selectors.successor_of(document) if document is not None else None
    if successor is not None:
        view.superseded_by = successor.number
        view.explanation += " " + _("A corrected document was issued in its place: ask its holder for that one.")
    if document is not None and document.number == view.number:
        # The platform's record labels the facts in the reader's language (the first is the holder).
        view.facts = [(pick(fact["label"], None), pick(fact["value"], None)) for fact in document.content["facts"][1:]]
    else:
        view.facts = [(name.replace("_", " ").capitalize(), str(value))
                      for name, value in sorted((content.get("f") or {}).items())]
    return view

"""Complaints filed for someone at a centre: the operator writes the complaint down, the
complainant's phone receives a one-time code saying who files it for them, the complainant
reads it out, and only then is the complaint filed (channel "center", `filed_by` the
operator, consent "sms_code").

The code is the assisted applications' own (applications.services.assisted: one store, one
hash, one count of wrong tries and one throttle per phone), keyed here by the draft's token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from khedmat.accounts.roles import Role
from khedmat.applications.services import ApplicationError
from khedmat.applications.services.assisted import consent_code_check, consent_code_issue
from khedmat.audit.services import audit_record
from khedmat.core.events import publish

from .events import ComplaintConsentCodeRequested
from .models import Complaint
from .selectors import complaint_filed_by_operator
from .services import ComplaintError, complaint_file

if TYPE_CHECKING:
    from khedmat.accounts.models import User

# Stored in English in the audit trail, translated where it is shown (as the applications' is).
REASON_GIVING_THE_REFERENCE = gettext_noop("Handing over the reference number")


def may_file_for_someone(user: Any) -> bool:
    """An active operator of a centre (the assisted applications' gate, for complaints)."""
    return bool(user.is_active and user.role == Role.OPERATOR and user.center_id is not None)


def _check_operator(operator: User) -> None:
    if not may_file_for_someone(operator):
        raise ComplaintError(_("Only an operator of a service center may file for someone."), code="not_operator")


def _subject(token: str) -> str:
    return f"complaint:{token}"


def idempotency_key(token: str) -> str:
    return f"center:{token}"[:64]


def assisted_complaint_code_send(*, operator: User, token: str, phone: str, language: str,
                                 request: HttpRequest | None = None) -> None:
    """Send the complainant a one-time code by SMS saying which centre files a complaint in
    their name. A new code replaces the previous one; ComplaintError "throttled" when this
    phone was sent too many codes lately (any assisted filing's)."""
    _check_operator(operator)
    try:
        code = consent_code_issue(subject=_subject(token), phone_number=phone)
    except ApplicationError as error:
        raise ComplaintError(error.message, code=error.code) from error
    center = operator.center
    assert center is not None
    with transaction.atomic():
        publish(ComplaintConsentCodeRequested(phone=phone, language=language, center=center, code=code),
                request=request)
        audit_record(action="complaints.consent_code_sent", target_type="complaint_draft", target_id=token,
                     actor=operator, request=request, data={"center": center.code})


def assisted_complaint_file(*, operator: User, token: str, code: str, about: str, category: str, description: str,
                            phone: str, language: str, service: Any = None, center: Any = None,
                            application: Any = None, request: HttpRequest | None = None) -> Complaint:
    """Check the code the complainant read out, then file the complaint for them.

    Idempotent on the draft's token: the consent form posted again (a double click) returns
    the complaint it filed. Refuses with ComplaintError: the code wrong, expired or tried too
    often ("wrong", "expired", "exhausted"), or what complaint_file refuses."""
    _check_operator(operator)
    key = idempotency_key(token)
    done = complaint_filed_by_operator(operator=operator, idempotency_key=key)
    if done is not None:
        return done
    try:
        consent_code_check(subject=_subject(token), code=code)
    except ApplicationError as error:
        raise ComplaintError(error.message, code=error.code) from error
    return complaint_file(about=about, category=category, description=description, phone=phone,
                          channel=Complaint.Channel.CENTER, language=language, filed_by=operator, service=service,
                          center=center, application=application, idempotency_key=key,
                          consent=Complaint.Consent.SMS_CODE, request=request)


def assisted_complaint_open(*, operator: User, complaint: Complaint, request: HttpRequest | None = None) -> None:
    """Record that the operator looked at a complaint they filed (to hand over its reference):
    a complaint is the complainant's, and every look at it is in the trail."""
    audit_record(action="complaints.viewed", target_type="complaint", target_id=complaint.reference,
                 actor=operator, subject=complaint.complainant, request=request, seal_soon=True,
                 reason=REASON_GIVING_THE_REFERENCE)

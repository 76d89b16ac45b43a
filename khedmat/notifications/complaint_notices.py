"""What complainants and staff are told of complaints: one SMS per step of the workflow to the
complainant (in the language they filed in), one per rung of the escalation ladder to each
person it reaches (in theirs). Written into the outbox in the step's transaction (notices.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.complaints import selectors as complaint_selectors
from khedmat.complaints.events import (
    ComplaintChanged,
    ComplaintConsentCodeRequested,
    ComplaintEscalated,
    ComplaintFiled,
)
from khedmat.core import events
from khedmat.core.formatting import format_date

from .notices import ltr, site_link
from .services import language_for, language_of, message_queue

if TYPE_CHECKING:
    from khedmat.complaints.models import Complaint

# The message each workflow step sends to the complainant.
STEP_MESSAGES = {
    "take": "complaint.taken",
    "open_investigation": "complaint.investigation_opened",
    "answer": "complaint.answered",
    "close": "complaint.closed",
    "accept": "complaint.closed",
    "reopen": "complaint.reopened",
}


def _values(complaint: Complaint, language: str) -> dict[str, str]:
    with translation.override(language):
        link = site_link(reverse("complaints:detail", args=[complaint.public_id]))
        values = {"reference": ltr(complaint.reference, language), "due": format_date(complaint.due_date),
                  "link": ltr(link, language)}
        until = complaint_selectors.reopen_until(complaint)
        if until is not None:
            values["until"] = format_date(until)
    return values


def _to_complainant(complaint: Complaint, key: str) -> None:
    language = language_of(complaint.language)
    message_queue(to=complaint.phone, key=key, values=_values(complaint, language), language=language,
                  reference=complaint.reference, agency_id=complaint.agency_id)


def complaint_filed(event: ComplaintFiled, request: HttpRequest | None) -> None:
    if event.complaint.channel == "sms":
        return  # the answer to the text says it, and what the complaint was filed about (inbound_complaints)
    _to_complainant(event.complaint, "complaint.filed")


def complaint_changed(event: ComplaintChanged, request: HttpRequest | None) -> None:
    key = STEP_MESSAGES.get(event.step)
    if key is not None:
        _to_complainant(event.complaint, key)


def _rung_text(level: int) -> str:
    return {1: _("half its time standard has passed, the supervisor is alerted"),
            2: _("its time standard has passed, escalated to the agency's head"),
            3: _("escalated to the ombudsman desk")}.get(level, "")


def complaint_escalated(event: ComplaintEscalated, request: HttpRequest | None) -> None:
    complaint = event.complaint
    for person in account_selectors.users_by_ids(ids=event.recipient_ids):
        if not person.phone_number:
            continue
        language = language_of(person.preferred_language)
        with translation.override(language):
            answering = complaint.agency.name if complaint.agency is not None else \
                complaint.center.name if complaint.center is not None else ""
            values = {"reference": ltr(complaint.reference, language), "agency": answering,
                      "due": format_date(complaint.due_date), "rung": _rung_text(event.level)}
        message_queue(to=person.phone_number, key="complaint.escalated", values=values, language=language,
                      reference=complaint.reference, agency_id=complaint.agency_id)


def consent_code(event: ComplaintConsentCodeRequested, request: HttpRequest | None) -> None:
    """The one-time code of a complaint an operator files for someone at a centre, in the
    language of the person's account if they have one, else the one the operator chose."""
    language = language_for(event.phone, event.language)
    with translation.override(language):
        values = {"center": event.center.name, "code": ltr(event.code, language)}
    message_queue(to=event.phone, key="complaint.consent_code_requested", values=values, language=language)


def register() -> None:
    notify = events.Phase.NOTIFY
    events.subscribe(ComplaintFiled, complaint_filed, phase=notify)
    events.subscribe(ComplaintConsentCodeRequested, consent_code, phase=notify)
    events.subscribe(ComplaintChanged, complaint_changed, phase=notify)
    events.subscribe(ComplaintEscalated, complaint_escalated, phase=notify)

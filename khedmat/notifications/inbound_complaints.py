"""Complaints by SMS: `COMPLAIN [what about] <text>` files one, `COMPLAINT <reference>` (or
`STATUS <reference>`) tells where it stands.

What a complaint is about is read from the word after the keyword:

    COMPLAIN MOI-PSP-1405-000123 <text>   one of the sender's own applications
    COMPLAIN MOI-PSP <text>               a service, by its agency's and its own code
    COMPLAIN KBL <text>                   a service center, by its code
    COMPLAIN <text>                       the sender's latest contact: their newest
                                          application, else the center of their latest ticket

The answer names what the complaint was filed about, so a guess that was wrong is seen at
once. Only the phone a complaint was filed from hears about it; another person's application
reference is answered word for word as a reference that does not exist, and files nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khedmat.applications.selectors import citizen as application_selectors
from khedmat.catalog import selectors as catalog_selectors
from khedmat.centers import selectors as center_selectors
from khedmat.complaints import selectors as complaint_selectors
from khedmat.complaints.services import ComplaintError, complaint_file
from khedmat.core.formatting import format_date
from khedmat.core.parsing import plain_text
from khedmat.core.ratelimit import Throttle, Throttled, guard

from .models import Message
from .notices import ltr
from .services import message_queue

# A text longer than this is kept whole in the inbound log's first 500 characters and cut
# here: ten concatenated SMS parts in Dari, more than anyone types on a phone.
DESCRIPTION_MAX = 1000
# How far back "my latest contact" looks when a complaint names nothing.
LATEST_CONTACT_DAYS = 90
ANSWER_SHOWN_MAX = 120  # the whole answer is in its own SMS and on the web

_APPLICATION_REFERENCE = re.compile(r"^[A-Z]{2,6}-[A-Z]{2,6}-\d{4}-\d{6}$")
_SERVICE_CODES = re.compile(r"^([A-Z]{2,10})-([A-Z0-9]{2,10})$")
_CENTER_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_COMPLAINT_REFERENCE = re.compile(r"^C-?\d{4}-?\d{1,9}$")


@dataclass(frozen=True)
class Subject:
    """What a complaint is about, as complaint_file takes it, and how the answer names it."""

    about: str
    service: Any = None
    center: Any = None
    application: Any = None

    def name(self, language: str) -> str:
        """What the complaint is about as the answer names it, in the reader's language."""
        if self.application is not None:
            return ltr(self.application.reference or "", language)
        with translation.override(language):
            if self.center is not None:
                return str(self.center.name)
            version = self.service.current_version
            return str(version.name) if version is not None else str(self.service.code)


@dataclass(frozen=True)
class Unknown:
    """A reference or code the sender named that is not theirs or does not exist."""

    shown: str


def complaints_throttle() -> Throttle:
    """Complaints filed from one phone by SMS and USSD together."""
    return Throttle.from_setting("THROTTLE_COMPLAINTS_BY_PHONE", scope="complaints-by-phone")


def idempotency_key(channel: str, *parts: str) -> str:
    """A short key for complaint_file from a gateway's or session's ids (which may be long)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{channel}:{digest}"


def is_complaint_reference(text: str) -> bool:
    return bool(_COMPLAINT_REFERENCE.match(text.replace(" ", "")))


# --- reading the text -------------------------------------------------------------------------

def _words(original: str, normalize: Any) -> list[tuple[str, str]]:
    """The words of the text as typed and as read (normalized), dropping words that read as
    nothing (a lone joiner)."""
    pairs = [(word, normalize(word)) for word in (original or "").split()]
    return [(word, read) for word, read in pairs if read]


def _application_reference(read: list[str]) -> tuple[str, int] | None:
    """A reference at the start, typed whole (MOI-PSP-1405-000123) or in four words
    (MOI PSP 1405 000123): the reference and how many words it took."""
    if read and _APPLICATION_REFERENCE.match(read[0]):
        return read[0], 1
    if len(read) >= 4:
        joined = "-".join(read[:4])
        if _APPLICATION_REFERENCE.match(joined):
            return joined, 4
    return None


def read_complaint(*, sender: str, text: str, normalize: Any) -> tuple[Subject | Unknown | None, str]:
    """What the complaint in `text` (after the keyword) is about, and its description as the
    sender typed it. None: nothing to go by (no application, no ticket)."""
    words = _words(text, normalize)
    read = [normalized for _word, normalized in words]
    taken = 0
    subject: Subject | Unknown | None = None
    found = _application_reference(read)
    if found is not None:
        reference, taken = found
        application = application_selectors.application_for_phone(reference=reference, phone_number=sender)
        subject = Unknown(reference) if application is None else Subject(
            about="application", application=application,
            service=application.service_version.service)
    elif read and (codes := _SERVICE_CODES.match(read[0])) is not None:
        taken = 1
        service = catalog_selectors.service_by_codes(agency_code=codes.group(1), service_code=codes.group(2))
        subject = Unknown(read[0][:20]) if service is None else Subject(
            about="service", service=service)
    elif read and _CENTER_CODE.match(read[0]) and (center := _active_center(read[0])) is not None:
        taken = 1
        subject = Subject(about="center", center=center)
    description = " ".join(word for word, _read in words[taken:])
    if subject is None:
        subject = latest_contact(sender)
    return subject, description


def _active_center(code: str) -> Any:
    center = center_selectors.center_by_code(code=code)
    return center if center is not None and center.is_active else None


def latest_contact(sender: str) -> Subject | None:
    """The sender's newest application of the last days, else the center of their latest
    served ticket: what a complaint that names nothing is most likely about."""
    since = timezone.now() - datetime.timedelta(days=LATEST_CONTACT_DAYS)
    applications = application_selectors.applications_for_phone(phone_number=sender, limit=1)
    application = applications[0] if applications else None
    if application is not None and (application.submitted_at or since) < since:
        application = None
    tickets = center_selectors.tickets_served_for_phone(
        phone=sender, since=timezone.localdate() - datetime.timedelta(days=LATEST_CONTACT_DAYS))
    ticket = tickets.first()
    if ticket is not None and (application is None or ticket.issued_at > (application.submitted_at or since)):
        return Subject(about="center", center=ticket.center)
    if application is not None:
        return Subject(about="application", application=application,
                       service=application.service_version.service)
    return None


# --- answering ----------------------------------------------------------------------------------

def complain_by_sms(*, sender: str, text: str, language: str, normalize: Any, gateway: str,
                    gateway_reference: str) -> Message | None:
    """File the complaint in `text` and answer with its reference, or say what is wrong."""
    stripped = text.strip()
    if stripped and is_complaint_reference(normalize(stripped)):
        return complaint_status_by_sms(sender=sender, reference=normalize(stripped), language=language)
    subject, description = read_complaint(sender=sender, text=text, normalize=normalize)
    description = plain_text(description)
    if not description:
        return message_queue(to=sender, key="reply.complaint_help", language=language,
                             values={"example": ltr("MOI-PSP-1405-000123", language)})
    if isinstance(subject, Unknown):
        return message_queue(to=sender, key="reply.complaint_not_found", language=language,
                             values={"reference": ltr(subject.shown[:40], language)})
    if subject is None:
        return message_queue(to=sender, key="reply.complaint_what_about", language=language,
                             values={"example": ltr("MOI-PSP-1405-000123", language),
                                     "ussd": ltr(settings.USSD_SERVICE_CODE, language)})
    try:
        guard((complaints_throttle(), sender))
    except Throttled:
        return message_queue(to=sender, key="reply.complaint_refused", language=language,
                             values={"reason": _too_many(language)})
    if len(description) > DESCRIPTION_MAX:
        description = description[:DESCRIPTION_MAX - 1] + "…"
    key = idempotency_key("sms", gateway, gateway_reference) if gateway_reference else None
    try:
        with translation.override(language):  # a refusal is worded for the sender
            complaint = complaint_file(
                about=subject.about, category="other", description=description, phone=sender, channel="sms",
                language=language, service=subject.service, center=subject.center,
                application=subject.application, idempotency_key=key)
    except ComplaintError as error:
        return message_queue(to=sender, key="reply.complaint_refused", language=language,
                             values={"reason": str(error.message)})
    return _filed_answer(sender=sender, complaint=complaint, subject=subject, language=language)


def _too_many(language: str) -> str:
    with translation.override(language):
        return _("Too many complaints from this phone today. Try again tomorrow.")


def _filed_answer(*, sender: str, complaint: Any, subject: Subject, language: str) -> Message | None:
    """The reference, what it is about and when the answer is due: in place of the notice of
    filing other channels get (complaint_notices skips it for SMS), so one SMS, not two."""
    with translation.override(language):
        values = {"reference": ltr(complaint.reference, language), "about": subject.name(language),
                  "due": format_date(complaint.due_date, language=language)}
    return message_queue(to=sender, key="reply.complaint_filed", values=values, language=language,
                         reference=complaint.reference, agency_id=complaint.agency_id)


def complaint_status_by_sms(*, sender: str, reference: str, language: str) -> Message | None:
    """Where the sender's complaint stands; for any other phone, as for a reference that does
    not exist."""
    complaint = complaint_selectors.complaint_by_reference_and_phone(reference=reference, phone=sender)
    if complaint is None:
        return message_queue(to=sender, key="reply.complaint_unknown", language=language,
                             values={"reference": ltr(reference[:40] or "—", language)})
    with translation.override(language):
        values = {"reference": ltr(complaint.reference, language),
                  "state": str(complaint_selectors.complaint_state_label(complaint)),
                  "next": complaint_next(complaint, language)}
    return message_queue(to=sender, key="reply.complaint_status", values=values, language=language,
                         reference=complaint.reference, agency_id=complaint.agency_id)


def complaint_next(complaint: Any, language: str) -> str:
    """The due date while it waits for an answer, else the answer itself (shortened)."""
    with translation.override(language):
        if complaint.answered_at is None or complaint.state in ("received", "in_progress"):
            return _("Answer due by %(date)s.") % {"date": format_date(complaint.due_date, language=language)}
        answer = " ".join((complaint.answer or "").split())
        if len(answer) > ANSWER_SHOWN_MAX:
            answer = answer[:ANSWER_SHOWN_MAX - 1] + "…"
        return _("Answer: %(answer)s") % {"answer": answer}

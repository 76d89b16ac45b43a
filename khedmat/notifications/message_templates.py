"""The wording of every SMS the platform sends, per message and language.

Each message has a default text here, written once in English and translated like every
other string (locale/{fa,ps}); a platform or agency administrator may reword it in the
admin (`MessageTemplate`), with a preview of its encoding, length and parts. Texts name
their values in braces, `{reference}`; only the names a message declares may be used, and
nothing else in braces is read, so a template can never reach into the platform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .sms.encoding import SmsLength, sms_length

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
DEFAULT_MAX_PARTS = 3
# Left-to-right marks around a reference, a code or a link inside Dari or Pashto text keep
# it in one piece (understood by phones old and new, unlike the newer isolates).
LRM = "\u200e"


@dataclass(frozen=True)
class MessageKind:
    """One message the platform sends. `samples` are long, realistic values for the preview
    and the length check."""

    key: str
    label: object  # a lazy translation
    default: str  # an English msgid (gettext_noop), translated at rendering
    samples: dict[str, str] = field(default_factory=dict)
    agency_may_edit: bool = True  # False: only a platform administrator rewords it
    sensitive: bool = False  # carries a one-time code


# Sample values as long as real ones, so that the length checked is the length sent (in
# Dari and Pashto `samples_in` adds the direction marks the real values get).
_SITE = "khedmat.gov.af/fa/"
_APPLICATIONS = "khedmat.gov.af/fa/applications/"
_UUID = "0f8c2a61-5b3e-4d7a-9c21-7e4b2d9a6f10"
_TICKET_LINK = f"khedmat.gov.af/fa/tickets/{_UUID}/"
_APPOINTMENT_LINK = f"khedmat.gov.af/fa/appointments/{_UUID}/"
_REFERENCE = "MOI-PSP-1405-000123"
_PAYMENT = "PAY-MOI-1405-000123-4"
_REFUND = "RFD-MOI-1405-000123-4"
_COMPLAINT = "C-1405-000123"
_COMPLAINT_LINK = f"khedmat.gov.af/fa/complaints/{_UUID}/"
# Values kept left to right inside Dari and Pashto text (notices.ltr marks them).
LTR_VALUES = frozenset({"reference", "payment_reference", "refund_reference", "link", "code", "number", "example",
                        "ussd", "references"})
_KINDS: list[MessageKind] = [
    MessageKind(
        "account.phone_code_requested", _("Sign-in code"),
        gettext_noop("Asan Khedmat code: {code}. It expires in {minutes} min. Never share it with anyone."),
        {"code": "123456", "minutes": "5"}, agency_may_edit=False, sensitive=True),
    MessageKind(
        "application.consent_code_requested", _("Consent code for an application filed at a center"),
        gettext_noop("Asan Khedmat: an operator at {center} is filing “{service}” in your name. If you agree, "
                     "give them this code: {code}. If you did not ask for this, do not give it."),
        {"center": "Kabul Asan Khedmat center", "service": "Passport", "code": "123456"},
        agency_may_edit=False, sensitive=True),
    MessageKind(
        "application.submitted", _("Application received"),
        gettext_noop("Asan Khedmat: we received your application {reference} for {service}. "
                     "We will tell you by SMS when it moves. Follow it: {link}"),
        {"reference": _REFERENCE, "service": "Passport", "link": _APPLICATIONS}),
    MessageKind(
        "application.submitted_pay", _("Application received, fee to pay"),
        gettext_noop("Asan Khedmat: we received your application {reference}. Fee {fee}: pay with reference "
                     "{payment_reference} by {pay_by} at a bank or mobile money."),
        {"reference": _REFERENCE, "fee": "5,000 AFN", "payment_reference": _PAYMENT,
         "pay_by": "12 Qaws 1405"}),
    MessageKind(
        "application.assisted_receipt", _("Application filed at a center, fee to pay"),
        gettext_noop("Asan Khedmat: {center} filed application {reference} for you. Fee {fee}: pay with "
                     "reference {payment_reference} by {pay_by} at a bank or mobile money."),
        {"center": "Kabul Asan Khedmat center", "reference": _REFERENCE, "fee": "5,000 AFN",
         "payment_reference": _PAYMENT, "pay_by": "12 Qaws 1405"}),
    MessageKind(
        "payment.order_due", _("Fee now due"),
        gettext_noop("Asan Khedmat: application {reference}: pay the fee of {fee} with reference "
                     "{payment_reference} by {pay_by}."),
        {"reference": _REFERENCE, "fee": "5,000 AFN", "payment_reference": _PAYMENT,
         "pay_by": "12 Qaws 1405"}),
    MessageKind(
        "payment.received", _("Fee paid"),
        gettext_noop("Asan Khedmat: we received {amount} for application {reference} (official fee {fee}). "
                     "Payment {payment_reference}."),
        {"amount": "5,000 AFN", "reference": _REFERENCE, "fee": "5,000 AFN",
         "payment_reference": _PAYMENT}),
    MessageKind(
        "payment.refund_due", _("Money to pay back"),
        gettext_noop("Asan Khedmat: the {amount} paid for {reference} will be paid back to you: {reason}. "
                     "Refund {refund_reference}."),
        {"amount": "5,000 AFN", "reference": _REFERENCE, "reason": "the application was closed before the fee "
         "was used", "refund_reference": _REFUND}),
    MessageKind(
        "payment.refund_paid_out", _("Money paid back"),
        gettext_noop("Asan Khedmat: refund {refund_reference}: {amount} was paid back to you through {channel}."),
        {"refund_reference": _REFUND, "amount": "5,000 AFN", "channel": "Azizi Bank mobile money"}),
    MessageKind(
        "payment.refund_cancelled", _("Refund cancelled"),
        gettext_noop("Asan Khedmat: refund {refund_reference} of {amount} was cancelled. Reason: {reason}"),
        {"refund_reference": _REFUND, "amount": "5,000 AFN",
         "reason": "The bank returned the second payment to your account itself on 3 Qaws."}),
    MessageKind(
        "application.information_requested", _("More information requested"),
        gettext_noop("Asan Khedmat: the agency needs more from you for {reference}: {reason} Answer under "
                     "My applications: {link}"),
        {"reference": _REFERENCE, "reason": "Send a clearer copy of your Tazkira.", "link": _APPLICATIONS}),
    MessageKind(
        "application.sent_back", _("Sent back for correction"),
        gettext_noop("Asan Khedmat: application {reference} was sent back for correction: {reason} "
                     "Correct it under My applications: {link}"),
        {"reference": _REFERENCE, "reason": "The date of birth does not match the Tazkira.",
         "link": _APPLICATIONS}),
    MessageKind(
        "application.approved", _("Approved"),
        gettext_noop("Asan Khedmat: application {reference} for {service} was approved. {where}"),
        {"reference": _REFERENCE, "service": "Passport",
         "where": "Collect it at the Kabul Asan Khedmat center with this SMS."}),
    MessageKind(
        "application.ready_for_collection", _("Ready to collect at a center"),
        gettext_noop("Asan Khedmat: your {what} ({reference}) is ready. Collect it at {center}, {address}. "
                     "Open {hours}. Bring your Tazkira."),
        {"what": "passport", "reference": _REFERENCE, "center": "Kabul Asan Khedmat center",
         "address": "Darulaman Road, Kabul", "hours": "Saturday to Wednesday, 08:00 to 16:00"}),
    MessageKind(
        "application.approved_document", _("Approved, document ready"),
        gettext_noop("Asan Khedmat: application {reference} was approved. Your {document} is ready: "
                     "download it under My applications: {link}"),
        {"reference": _REFERENCE, "document": "passport approval certificate", "link": _APPLICATIONS}),
    MessageKind(
        "application.rejected", _("Rejected"),
        gettext_noop("Asan Khedmat: application {reference} was rejected. Reason: {reason} "
                     "To complain, visit an Asan Khedmat center or {link}"),
        {"reference": _REFERENCE, "reason": "The information given is incorrect.", "link": _SITE}),
    MessageKind(
        "application.closed", _("Closed without a decision"),
        gettext_noop("Asan Khedmat: application {reference} was closed: {state}."),
        {"reference": _REFERENCE, "state": "Cancelled (fee not paid)"}),
    MessageKind(
        "application.message_sent", _("The agency wrote to the applicant"),
        gettext_noop("Asan Khedmat: the agency wrote to you about application {reference}. "
                     "Read it under My applications: {link}"),
        {"reference": _REFERENCE, "link": _APPLICATIONS}),
    MessageKind(
        "application.escalated", _("Files past their time standard (to agency administrators)"),
        gettext_noop("Asan Khedmat: files of your agency past their time standard: {count}. {references}"),
        {"count": "12", "references": ", ".join([_REFERENCE] * 5)},
        agency_may_edit=False),
    MessageKind(
        "document.revoked", _("Document revoked"),
        gettext_noop("Asan Khedmat: your document {number} was revoked. Reason: {reason}"),
        {"number": "MOI-C-1405-000123", "reason": "Issued with a wrong date of birth."}),
    MessageKind(
        "ticket.issued", _("Ticket taken from a phone"),
        gettext_noop("Asan Khedmat: your ticket {number} at {center}. Follow your place in the queue: {link}"),
        {"number": "A-012", "center": "Kabul Asan Khedmat center", "link": _TICKET_LINK},
        agency_may_edit=False),
    MessageKind(
        "ticket.turn_near", _("Your turn is near"),
        gettext_noop("Asan Khedmat: ticket {number}: {ahead} people before you. Please come to {center} now."),
        {"number": "A-012", "ahead": "3", "center": "Kabul Asan Khedmat center"}, agency_may_edit=False),
    MessageKind(
        "ticket.called", _("Ticket called"),
        gettext_noop("Asan Khedmat: ticket {number}, please come to counter {counter}."),
        {"number": "A-012", "counter": "12"}, agency_may_edit=False),
    MessageKind(
        "appointment.booked", _("Appointment booked"),
        gettext_noop("Asan Khedmat: appointment {date} {time} at {center}, code {code}. Show the code at the "
                     "kiosk. Move or cancel: {link}"),
        {"date": "12 Qaws 1405", "time": "10:30", "center": "Kabul Asan Khedmat center", "code": "123456",
         "link": _APPOINTMENT_LINK}, agency_may_edit=False),
    MessageKind(
        "appointment.moved", _("Appointment moved"),
        gettext_noop("Asan Khedmat: your appointment is now {date} {time} at {center}, code {code}. "
                     "Move or cancel: {link}"),
        {"date": "12 Qaws 1405", "time": "10:30", "center": "Kabul Asan Khedmat center", "code": "123456",
         "link": _APPOINTMENT_LINK}, agency_may_edit=False),
    MessageKind(
        "appointment.reminder_due", _("Appointment tomorrow"),
        gettext_noop("Asan Khedmat: reminder: appointment tomorrow {date} {time} at {center}, code {code}."),
        {"date": "12 Qaws 1405", "time": "10:30", "center": "Kabul Asan Khedmat center", "code": "123456"},
        agency_may_edit=False),
    MessageKind(
        "appointment.cancelled", _("Appointment cancelled"),
        gettext_noop("Asan Khedmat: your appointment {date} {time} at {center} is cancelled."),
        {"date": "12 Qaws 1405", "time": "10:30", "center": "Kabul Asan Khedmat center"}, agency_may_edit=False),
    # Complaints (docs/complaints.md): the complainant at each step, staff at each rung of the ladder.
    MessageKind(
        "complaint.filed", _("Complaint received"),
        gettext_noop("Asan Khedmat: we received your complaint {reference}. The answer is due by {due}. "
                     "Follow it: {link}"),
        {"reference": _COMPLAINT, "due": "12 Qaws 1405", "link": _COMPLAINT_LINK}),
    MessageKind(
        "complaint.taken", _("Complaint being looked into"),
        gettext_noop("Asan Khedmat: your complaint {reference} is being looked into. The answer is due by {due}."),
        {"reference": _COMPLAINT, "due": "12 Qaws 1405"}),
    MessageKind(
        "complaint.investigation_opened", _("Investigation opened on a complaint"),
        gettext_noop("Asan Khedmat: an investigation was opened on your complaint {reference}. "
                     "The answer is now due by {due}."),
        {"reference": _COMPLAINT, "due": "12 Qaws 1405"}),
    MessageKind(
        "complaint.answered", _("Complaint answered"),
        gettext_noop("Asan Khedmat: complaint {reference} answered. Read, rate or reopen it by {until}: {link}"),
        {"reference": _COMPLAINT, "until": "12 Qaws 1405", "link": _COMPLAINT_LINK}),
    MessageKind(
        "complaint.closed", _("Complaint closed"),
        gettext_noop("Asan Khedmat: your complaint {reference} is closed. Thank you for telling us."),
        {"reference": _COMPLAINT}),
    MessageKind(
        "complaint.reopened", _("Complaint reopened"),
        gettext_noop("Asan Khedmat: your complaint {reference} is open again. The new answer is due by {due}."),
        {"reference": _COMPLAINT, "due": "12 Qaws 1405"}),
    MessageKind(
        "complaint.escalated", _("Complaint unanswered, escalated (to staff)"),
        gettext_noop("Asan Khedmat: complaint {reference} ({agency}) is still unanswered: {rung}. "
                     "It was due by {due}. See the complaints inbox."),
        {"reference": _COMPLAINT, "agency": "Ministry of Interior Affairs", "due": "12 Qaws 1405",
         "rung": "escalated to the ombudsman desk"}, agency_may_edit=False),
    # Answers to texts people send (inbound.py).
    MessageKind(
        "reply.help", _("Answer to HELP"),
        gettext_noop("Asan Khedmat: send STATUS and your application reference, e.g. STATUS {example}. "
                     "To complain, send COMPLAIN and your text. Or dial {ussd}."),
        {"example": _REFERENCE, "ussd": "*565#"}, agency_may_edit=False),
    MessageKind(
        "reply.status", _("Answer to STATUS"),
        gettext_noop("Asan Khedmat: application {reference} ({service}): {state}. {next}"),
        {"reference": _REFERENCE, "service": "Passport", "state": "Waiting for the fee",
         "next": "Pay 5,000 AFN with reference PAY-MOI-1405-000123-4 by 12 Qaws 1405."}, agency_may_edit=False),
    MessageKind(
        "reply.status_unknown", _("Answer to STATUS for a reference not found"),
        gettext_noop("Asan Khedmat: no application {reference} was sent from this phone. Check the reference, "
                     "or send HELP."),
        {"reference": _REFERENCE}, agency_may_edit=False),
    MessageKind(
        "reply.not_understood", _("Answer to a text not understood"),
        gettext_noop("Asan Khedmat: we did not understand. Send HELP for the list of words you can send."),
        {}, agency_may_edit=False),
    # Complaints by SMS (inbound_complaints.py).
    MessageKind(
        "reply.complaint_filed", _("Answer to COMPLAIN: complaint filed"),
        gettext_noop("Asan Khedmat: your complaint {reference} about {about} was received. The answer is due "
                     "by {due}. Send COMPLAINT {reference} to follow it."),
        {"reference": _COMPLAINT, "about": "MOI-PSP-1405-000123", "due": "12 Qaws 1405"}, agency_may_edit=False),
    MessageKind(
        "reply.complaint_status", _("Answer to COMPLAINT with a complaint reference"),
        gettext_noop("Asan Khedmat: complaint {reference}: {state}. {next}"),
        {"reference": _COMPLAINT, "state": "Answered",
         "next": "Answer: The fee was refunded on 3 Qaws; the officer was told to follow the fee schedule."},
        agency_may_edit=False),
    MessageKind(
        "reply.complaint_unknown", _("Answer to COMPLAINT for a reference not found"),
        gettext_noop("Asan Khedmat: no complaint {reference} was filed from this phone. Check the reference, "
                     "or send HELP."),
        {"reference": _COMPLAINT}, agency_may_edit=False),
    MessageKind(
        "reply.complaint_not_found", _("Answer to COMPLAIN naming an unknown application, service or center"),
        gettext_noop("Asan Khedmat: your complaint was not filed: no application, service or center {reference} "
                     "was found for this phone. Check it, or send HELP."),
        {"reference": _REFERENCE}, agency_may_edit=False),
    MessageKind(
        "reply.complaint_what_about", _("Answer to COMPLAIN that names nothing to complain about"),
        gettext_noop("Asan Khedmat: what is your complaint about? Send COMPLAIN, your application reference and "
                     "your text, e.g. COMPLAIN {example} … Or dial {ussd}."),
        {"example": _REFERENCE, "ussd": "*565#"}, agency_may_edit=False),
    MessageKind(
        "reply.complaint_help", _("Answer to COMPLAIN without a text"),
        gettext_noop("Asan Khedmat: send COMPLAIN and what went wrong, with your application reference if you "
                     "have one, e.g. COMPLAIN {example} …"),
        {"example": _REFERENCE}, agency_may_edit=False),
    MessageKind(
        "reply.complaint_refused", _("Answer to COMPLAIN: not filed"),
        gettext_noop("Asan Khedmat: your complaint was not filed: {reason}"),
        {"reason": "Too many complaints from this phone today. Try again tomorrow."}, agency_may_edit=False),
    # Complaints filed for a citizen at a center (complaints/assisted.py).
    MessageKind(
        "complaint.consent_code_requested", _("Consent code for a complaint filed at a center"),
        gettext_noop("Asan Khedmat: an operator at {center} is filing a complaint in your name. If you agree, "
                     "give them this code: {code}. If you did not ask for this, do not give it."),
        {"center": "Kabul Asan Khedmat center", "code": "123456"}, agency_may_edit=False, sensitive=True),
]
KINDS: dict[str, MessageKind] = {kind.key: kind for kind in _KINDS}


class TemplateError(ValueError):
    """A wording that names a value the message does not have, or is too long."""


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def samples_in(kind: MessageKind, language: str) -> dict[str, str]:
    """The kind's sample values as a message in `language` carries them."""
    if language not in ("fa", "ps"):
        return dict(kind.samples)
    return {name: f"{LRM}{value}{LRM}" if name in LTR_VALUES else value for name, value in kind.samples.items()}


def check_wording(kind: MessageKind, text: str, *, max_parts: int, language: str = "en") -> SmsLength:
    """Refuse a wording that uses unknown names or, with the sample values, needs more than
    `max_parts` SMS parts; returns its length with the samples."""
    unknown = placeholders(text) - set(kind.samples)
    if unknown:
        raise TemplateError(_("Unknown names in braces: %(names)s. This message knows: %(known)s.") % {
            "names": ", ".join(sorted(unknown)), "known": ", ".join(sorted(kind.samples)) or "—"})
    length = sms_length(fill(text, samples_in(kind, language)))
    if length.parts > max_parts:
        raise TemplateError(_(
            "Too long: %(characters)s characters in %(encoding)s make %(parts)s SMS parts, "
            "more than the %(max)s allowed.") % {
                "characters": length.characters, "encoding": length.encoding, "parts": length.parts,
                "max": max_parts})
    return length


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values in; a name without a value stays as written (never raises)."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def default_wording(kind: MessageKind, language: str) -> str:
    with translation.override(language):
        return translation.gettext(kind.default)

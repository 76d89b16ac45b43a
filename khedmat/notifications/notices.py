"""What people are told, and when: one subscriber per domain event that someone must hear of.

Each runs in the transaction of the change (khedmat.core.events, phase NOTIFY: after payments
and documents reacted), works out who to tell, in which language, with which values, and
writes the message into the outbox (services.message_queue). Nothing is sent from here.

The language is the recipient's: the account holder's preferred language, else the one
they acted in (the page where they took a ticket or booked), else Dari.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.events import PhoneCodeRequested
from khedmat.applications.events import (
    ApplicationApproved,
    ApplicationClosed,
    ApplicationInformationRequested,
    ApplicationMessageSent,
    ApplicationReadyForCollection,
    ApplicationRejected,
    ApplicationSentBack,
    ApplicationsEscalated,
    ApplicationSubmitted,
    ConsentCodeRequested,
    Milestone,
)
from khedmat.applications.handover import collection_center
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.centers.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMoved,
    AppointmentReminderDue,
    TicketCalled,
    TicketIssued,
    TicketTurnNear,
)
from khedmat.centers.hours import center_hours_text
from khedmat.core import events
from khedmat.core.formatting import format_amount, format_date, format_number, format_time, localize_digits
from khedmat.core.i18n import pick
from khedmat.core.public import public_url
from khedmat.documents import selectors as document_selectors
from khedmat.documents.events import DocumentRevoked
from khedmat.payments import selectors as payment_selectors
from khedmat.payments.events import (
    PaymentOrderDue,
    PaymentReceived,
    PaymentRefundCancelled,
    PaymentRefundDue,
    PaymentRefundPaidOut,
)

from .message_templates import LRM
from .services import language_for, language_of, message_queue

REFERENCES_IN_ESCALATION = 5
REASON_MAX = 160


# --- writing values for the reader ----------------------------------------------------------

def ltr(value: str, language: str) -> str:
    """A reference, code or link kept in one piece inside Dari or Pashto text."""
    return f"{LRM}{value}{LRM}" if language in ("fa", "ps") and value else value


def site_link(path: str) -> str:
    """A page of the site as an SMS writes it: without "https://", which costs eight
    characters and which phones do not need to recognise a link."""
    return public_url(path).split("://", 1)[-1]


def _my_applications(language: str) -> str:
    with translation.override(language):
        return ltr(site_link(reverse("applications:mine")), language)


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= REASON_MAX else text[:REASON_MAX - 1] + "…"


def _as_sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?؟۔…" else text + "."


# --- accounts ---------------------------------------------------------------------------------

def phone_code(event: PhoneCodeRequested, request: HttpRequest | None) -> None:
    language = language_of(event.language)
    with translation.override(language):
        # The code stays in Western digits: phones recognise and autofill those.
        values = {"code": ltr(event.code, language), "minutes": format_number(event.minutes, language)}
    message_queue(to=event.phone_number, key="account.phone_code_requested", values=values, language=language)


# --- applications -----------------------------------------------------------------------------

def _applicant(application: Any) -> tuple[str, str]:
    """The applicant's number and language (the account is at hand: no lookup by number)."""
    applicant = application.applicant
    return applicant.phone_number or "", language_of(applicant.preferred_language)


def _queue_for_applicant(application: Any, key: str, values: dict[str, str], language: str, phone: str) -> None:
    message_queue(to=phone, key=key, values=values, language=language, reference=application.reference or "",
                  agency_id=application.agency_id)


def consent_code(event: ConsentCodeRequested, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    with translation.override(language):
        values = {"center": application.center.name if application.center is not None else "",
                  "service": application.service_version.name, "code": ltr(event.code, language)}
    _queue_for_applicant(application, "application.consent_code_requested", values, language, phone)


def _payment_values(order: Any, language: str) -> dict[str, str]:
    return {"reference": ltr(order.application.reference or "", language),
            "fee": format_amount(order.amount, language),
            "payment_reference": ltr(order.reference, language),
            "pay_by": format_date(order.expires_at, language=language) if order.expires_at else ""}


def submitted(event: ApplicationSubmitted, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    # The order payments opened a moment ago, as it left it on the file (no second read).
    order = payment_selectors.order_of(application)
    with translation.override(language):
        if order is not None and order.status == order.Status.PENDING and order.expires_at is not None:
            # Filed for a walk-in at a center: the same fee, reference and where to pay as the
            # operator's done page and printed slip, naming the center that filed it.
            if application.channel == "center" and application.center is not None:
                values = {**_payment_values(order, language), "center": application.center.name}
                _queue_for_applicant(application, "application.assisted_receipt", values, language, phone)
                return
            _queue_for_applicant(application, "application.submitted_pay", _payment_values(order, language),
                                 language, phone)
            return
        values = {"reference": ltr(application.reference or "", language),
                  "service": application.service_version.name, "link": _my_applications(language)}
    _queue_for_applicant(application, "application.submitted", values, language, phone)


def order_due(event: PaymentOrderDue, request: HttpRequest | None) -> None:
    order = event.order
    phone, language = _applicant(order.application)
    with translation.override(language):
        values = _payment_values(order, language)
    _queue_for_applicant(order.application, "payment.order_due", values, language, phone)


def payment_received(event: PaymentReceived, request: HttpRequest | None) -> None:
    order, payment = event.order, event.payment
    phone, language = _applicant(order.application)
    with translation.override(language):
        values = _payment_values(order, language) | {"amount": format_amount(payment.amount, language)}
    _queue_for_applicant(order.application, "payment.received", values, language, phone)


def _refund_values(refund: Any, language: str) -> dict[str, str]:
    return {"refund_reference": ltr(refund.reference, language), "amount": format_amount(refund.amount, language),
            "reference": ltr(refund.order.application.reference or "", language)}


def refund_due(event: PaymentRefundDue, request: HttpRequest | None) -> None:
    """Money the file cannot use: the applicant hears at once that it will be paid back, and
    with which reference to ask about it."""
    refund = event.refund
    application = refund.order.application
    phone, language = _applicant(application)
    with translation.override(language):
        values = _refund_values(refund, language) | {"reason": str(refund.get_reason_display())}
    _queue_for_applicant(application, "payment.refund_due", values, language, phone)


def refund_paid_out(event: PaymentRefundPaidOut, request: HttpRequest | None) -> None:
    refund = event.refund
    application = refund.order.application
    phone, language = _applicant(application)
    with translation.override(language):
        values = _refund_values(refund, language) | {"channel": refund.payout_provider}
    _queue_for_applicant(application, "payment.refund_paid_out", values, language, phone)


def refund_cancelled(event: PaymentRefundCancelled, request: HttpRequest | None) -> None:
    refund = event.refund
    application = refund.order.application
    phone, language = _applicant(application)
    with translation.override(language):
        values = _refund_values(refund, language) | {"reason": _as_sentence(_short(refund.cancel_reason))}
    _queue_for_applicant(application, "payment.refund_cancelled", values, language, phone)


def _reason(event: Milestone, language: str) -> str:
    with translation.override(language):
        return _as_sentence(_short(application_selectors.decision_reason_text(
            reason_code=event.reason_code, reason_text=event.reason_text.strip())))


def information_requested(event: ApplicationInformationRequested | ApplicationSentBack,
                          request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    key = "application.sent_back" if isinstance(event, ApplicationSentBack) else "application.information_requested"
    values = {"reference": ltr(application.reference or "", language), "reason": _reason(event, language),
              "link": _my_applications(language)}
    _queue_for_applicant(application, key, values, language, phone)


def approved(event: ApplicationApproved, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    document = document_selectors.document_for_application(application)
    with translation.override(language):
        reference = ltr(application.reference or "", language)
        if document is not None:
            values = {"reference": reference, "document": pick(document.content.get("title", {}), None),
                      "link": _my_applications(language)}
            _queue_for_applicant(application, "application.approved_document", values, language, phone)
            return
        handover_at = collection_center(application)
        if handover_at is not None:
            where = _("We will tell you by SMS when it is ready to collect at %(center)s.") % {
                "center": handover_at.name}
        elif application.center is not None:
            where = _("Collect it at %(center)s: bring this SMS and your Tazkira.") % {
                "center": application.center.name}
        else:
            where = _("The agency will tell you where to collect it.")
        values = {"reference": reference, "service": application.service_version.name, "where": where}
    _queue_for_applicant(application, "application.approved", values, language, phone)


def ready_for_collection(event: ApplicationReadyForCollection, request: HttpRequest | None) -> None:
    """Where and when to collect: the center the applicant picked, its address and hours."""
    application = event.application
    center = collection_center(application)
    if center is None:
        return
    phone, language = _applicant(application)
    handover = application.service_version.definition["handover"]
    with translation.override(language):
        values = {"what": pick(handover["what"], None), "reference": ltr(application.reference or "", language),
                  "center": center.name, "address": center.address, "hours": center_hours_text(center)}
    _queue_for_applicant(application, "application.ready_for_collection", values, language, phone)


def rejected(event: ApplicationRejected, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    values = {"reference": ltr(application.reference or "", language), "reason": _reason(event, language),
              "link": ltr(site_link("/" + language + "/"), language)}
    _queue_for_applicant(application, "application.rejected", values, language, phone)


def closed(event: ApplicationClosed, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    with translation.override(language):
        values = {"reference": ltr(application.reference or "", language),
                  "state": application_selectors.state_label(application)}
    _queue_for_applicant(application, "application.closed", values, language, phone)


def message_sent(event: ApplicationMessageSent, request: HttpRequest | None) -> None:
    application = event.application
    phone, language = _applicant(application)
    values = {"reference": ltr(application.reference or "", language), "link": _my_applications(language)}
    _queue_for_applicant(application, "application.message_sent", values, language, phone)


def escalated(event: ApplicationsEscalated, request: HttpRequest | None) -> None:
    for supervisor in account_selectors.users_by_ids(ids=event.supervisor_ids):
        if not supervisor.phone_number:
            continue
        language = language_of(supervisor.preferred_language)
        shown = event.references[:REFERENCES_IN_ESCALATION]
        more = len(event.references) - len(shown)
        with translation.override(language):
            listed = ", ".join(ltr(reference, language) for reference in shown)
            if more > 0:
                listed += " " + _("and %(count)s more in the inbox.") % {"count": format_number(more, language)}
        message_queue(to=supervisor.phone_number, key="application.escalated", language=language,
                      values={"count": format_number(len(event.references), language), "references": listed},
                      agency_id=event.agency_id)


# --- documents ----------------------------------------------------------------------------------

def document_revoked(event: DocumentRevoked, request: HttpRequest | None) -> None:
    document = event.document
    application = document.application
    phone, language = _applicant(application)
    values = {"number": ltr(document.number, language), "reason": _short(event.revocation.reason)}
    message_queue(to=phone, key="document.revoked", values=values, language=language,
                  reference=document.number, agency_id=document.agency_id)


# --- the queue and appointments -------------------------------------------------------------------

def _ticket_values(ticket: Any, language: str) -> dict[str, str]:
    with translation.override(language):
        return {"number": ltr(localize_digits(ticket.display_number, language), language),
                "center": ticket.center.name}


def ticket_issued(event: TicketIssued, request: HttpRequest | None) -> None:
    """A ticket taken from a phone (the join page, USSD) comes with the link to follow it; a
    kiosk ticket is on paper."""
    ticket = event.ticket
    if not ticket.phone or ticket.channel in (ticket.Channel.KIOSK, ticket.Channel.APPOINTMENT):
        return
    language = language_of(ticket.language)  # resolved when the ticket was issued
    with translation.override(language):
        link = site_link(reverse("centers:ticket", args=[ticket.public_id]))
    values = _ticket_values(ticket, language) | {"link": ltr(link, language)}
    message_queue(to=ticket.phone, key="ticket.issued", values=values, language=language,
                  reference=ticket.display_number)


def ticket_called(event: TicketCalled, request: HttpRequest | None) -> None:
    ticket = event.ticket
    if not ticket.phone:
        return
    language = language_of(ticket.language)  # resolved when the ticket was issued
    values = _ticket_values(ticket, language) | {"counter": format_number(event.counter.number, language)}
    message_queue(to=ticket.phone, key="ticket.called", values=values, language=language,
                  reference=ticket.display_number)


def ticket_turn_near(event: TicketTurnNear, request: HttpRequest | None) -> None:
    ticket = event.ticket
    language = language_of(ticket.language)  # resolved when the ticket was issued
    values = _ticket_values(ticket, language) | {"ahead": format_number(event.ahead, language)}
    message_queue(to=ticket.phone, key="ticket.turn_near", values=values, language=language,
                  reference=ticket.display_number)


def _appointment_values(appointment: Any, language: str) -> dict[str, str]:
    starts_at: datetime.datetime = appointment.slot.starts_at
    with translation.override(language):
        link = site_link(reverse("centers:appointment", args=[appointment.public_id]))
        return {"date": format_date(starts_at, language=language),
                "time": format_time(timezone.localtime(starts_at), language),
                "center": appointment.center.name, "code": ltr(appointment.code, language),
                "link": ltr(link, language)}


def _appointment_notice(key: str) -> Any:
    def notice(event: Any, request: HttpRequest | None) -> None:
        appointment = event.appointment
        language = language_for(appointment.phone, appointment.language)
        message_queue(to=appointment.phone, key=key, values=_appointment_values(appointment, language),
                      language=language, reference=appointment.code)

    notice.__name__ = f"notice_{key.replace('.', '_')}"
    return notice


def register() -> None:
    """Subscribe every notice (NotificationsConfig.ready)."""
    notify = events.Phase.NOTIFY
    events.subscribe(PhoneCodeRequested, phone_code, phase=notify)
    events.subscribe(ConsentCodeRequested, consent_code, phase=notify)
    events.subscribe(ApplicationSubmitted, submitted, phase=notify)
    events.subscribe(PaymentOrderDue, order_due, phase=notify)
    events.subscribe(PaymentReceived, payment_received, phase=notify)
    events.subscribe(PaymentRefundDue, refund_due, phase=notify)
    events.subscribe(PaymentRefundPaidOut, refund_paid_out, phase=notify)
    events.subscribe(PaymentRefundCancelled, refund_cancelled, phase=notify)
    events.subscribe(ApplicationInformationRequested, information_requested, phase=notify)
    events.subscribe(ApplicationSentBack, information_requested, phase=notify)
    events.subscribe(ApplicationApproved, approved, phase=notify)
    events.subscribe(ApplicationRejected, rejected, phase=notify)
    events.subscribe(ApplicationReadyForCollection, ready_for_collection, phase=notify)
    events.subscribe(ApplicationClosed, closed, phase=notify)
    events.subscribe(ApplicationMessageSent, message_sent, phase=notify)
    events.subscribe(ApplicationsEscalated, escalated, phase=notify)
    events.subscribe(DocumentRevoked, document_revoked, phase=notify)
    events.subscribe(TicketIssued, ticket_issued, phase=notify)
    events.subscribe(TicketCalled, ticket_called, phase=notify)
    events.subscribe(TicketTurnNear, ticket_turn_near, phase=notify)
    events.subscribe(AppointmentBooked, _BOOKED, phase=notify)
    events.subscribe(AppointmentMoved, _MOVED, phase=notify)
    events.subscribe(AppointmentReminderDue, _REMINDER, phase=notify)
    events.subscribe(AppointmentCancelled, _CANCELLED, phase=notify)


_BOOKED = _appointment_notice("appointment.booked")
_MOVED = _appointment_notice("appointment.moved")
_REMINDER = _appointment_notice("appointment.reminder_due")
_CANCELLED = _appointment_notice("appointment.cancelled")

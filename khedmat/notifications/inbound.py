"""Texts people send to the platform's number: `STATUS <reference>`, `HELP` and the complaints'
`COMPLAIN …` / `COMPLAINT <reference>` (inbound_complaints.py), in Latin or Arabic script,
with Western or Eastern digits. The answer goes back through the outbox.

Only the number a file was sent from hears anything about it: for any other number the
answer is the same as for a reference that does not exist.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.phone import normalize_mobile_number
from khedmat.applications.selectors import citizen as application_selectors
from khedmat.core.formatting import format_amount, format_date, western_digits
from khedmat.core.ratelimit import Throttle
from khedmat.payments import selectors as payment_selectors

from .inbound_complaints import complain_by_sms, complaint_status_by_sms, is_complaint_reference
from .models import InboundMessage, Message
from .notices import ltr
from .services import language_for, message_queue
from .sms.base import InboundSms

# Arabic letter forms that Afghan phones also type, and dashes of every kind.
_ARABIC_FORMS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ـ": "", "‐": "-", "‑": "-", "–": "-", "—": "-",
                               "_": "-", "\u200c": "", "\u200f": "", "\u200e": ""})
_REFERENCE = re.compile(r"^[A-Z]{2,6}-[A-Z]{2,6}-\d{4}-\d{6}$")


@dataclass(frozen=True)
class Keyword:
    action: str  # "status", "help" or "complain"
    language: str  # "" for a Latin word: the sender's own language


KEYWORDS: dict[str, Keyword] = {
    "STATUS": Keyword("status", ""), "ST": Keyword("status", ""),
    "وضعیت": Keyword("status", "fa"), "وضع": Keyword("status", "fa"),
    "حالت": Keyword("status", "ps"), "حال": Keyword("status", "ps"),
    "HELP": Keyword("help", ""), "?": Keyword("help", ""), "؟": Keyword("help", ""),
    "کمک": Keyword("help", "fa"), "راهنما": Keyword("help", "fa"),
    "مرسته": Keyword("help", "ps"), "لارښود": Keyword("help", "ps"),
    # Complaints: a text files one; a complaint's reference alone asks where it stands.
    "COMPLAIN": Keyword("complain", ""), "COMPLAINT": Keyword("complain", ""),
    "شکایت": Keyword("complain", "fa"), "شکایات": Keyword("complain", "fa"),
    "ګیله": Keyword("complain", "ps"), "گیله": Keyword("complain", "ps"), "شکایتونه": Keyword("complain", "ps"),
}


def normalize_text(text: str) -> str:
    """Western digits, one form of each Arabic letter, single spaces, Latin in capitals."""
    return " ".join(western_digits(text or "").translate(_ARABIC_FORMS).split()).upper()


def parse(text: str) -> tuple[Keyword | None, str]:
    """The keyword and the rest of the text ("" when none)."""
    words = normalize_text(text).split(" ", 1)
    keyword = KEYWORDS.get(words[0]) if words and words[0] else None
    return keyword, (words[1].strip() if len(words) > 1 else "")


def normalize_reference(text: str) -> str:
    """A reference as people type it (spaces, lower case, Eastern digits) as it is stored."""
    compact = re.sub(r"\s+", "-", normalize_text(text).strip(" .-"))
    return re.sub(r"-{2,}", "-", compact)


def _throttle() -> Throttle:
    return Throttle.from_setting("THROTTLE_INBOUND_SMS_PER_SENDER", scope="inbound_sms")


def inbound_receive(*, gateway: str, sms: InboundSms) -> InboundMessage | None:
    """Record a text and answer it. None for a sender that is not a mobile number we can
    answer. A text the gateway sends twice (same reference) is answered once; a sender who
    sends too many in a while is recorded but not answered."""
    try:
        sender = normalize_mobile_number(sms.sender)
    except ValidationError:  # not an Afghan mobile number: nothing to answer
        return None
    # A NUL is no letter of any text, and PostgreSQL cannot store one.
    sms = dataclasses.replace(sms, text=sms.text.replace("\x00", ""),
                              gateway_reference=sms.gateway_reference.replace("\x00", ""))
    keyword, argument = parse(sms.text)
    parts = sms.text.split(None, 1)
    typed = parts[1] if len(parts) > 1 else ""  # the text after the keyword, as typed
    throttle = _throttle()
    answer = not throttle.is_exceeded(sender)
    throttle.hit(sender)
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                gateway=gateway[:40], sender=sender, text=sms.text[:500], gateway_reference=sms.gateway_reference,
                keyword=keyword.action if keyword else "")
            if answer:
                reply = _answer(sender, keyword, argument, typed=typed, gateway=gateway[:40],
                                gateway_reference=sms.gateway_reference)
                if reply is not None:
                    inbound.reply = reply
                    inbound.save(update_fields=["reply"])
    except IntegrityError:  # the gateway sent the same text again: it was answered once
        return InboundMessage.objects.filter(gateway=gateway[:40], gateway_reference=sms.gateway_reference).first()
    return inbound


def _answer(sender: str, keyword: Keyword | None, argument: str, *, typed: str = "", gateway: str = "",
            gateway_reference: str = "") -> Message | None:
    if keyword is None:
        language = language_for(sender, "")
        return message_queue(to=sender, key="reply.not_understood", values={}, language=language)
    language = _reply_language(sender, keyword)
    if keyword.action == "help":
        return message_queue(to=sender, key="reply.help", language=language,
                             values={"example": ltr("MOI-PSP-1405-000123", language),
                                     "ussd": ltr(settings.USSD_SERVICE_CODE, language)})
    if keyword.action == "complain":
        return complain_by_sms(sender=sender, text=typed, language=language, normalize=normalize_text,
                               gateway=gateway, gateway_reference=gateway_reference)
    reference = normalize_reference(argument)
    if is_complaint_reference(reference):
        return complaint_status_by_sms(sender=sender, reference=reference, language=language)
    application = application_selectors.application_for_phone(reference=reference, phone_number=sender) \
        if _REFERENCE.match(reference) else None
    if application is None:
        shown = reference[:40] if reference else "—"
        return message_queue(to=sender, key="reply.status_unknown", language=language,
                             values={"reference": ltr(shown, language)})
    return status_by_sms(phone=sender, application=application, language=language)


def status_by_sms(*, phone: str, application: Any, language: str) -> Message | None:
    """The file's state and what to do next, by SMS to its own phone (STATUS, and USSD)."""
    with translation.override(language):
        values = {"reference": ltr(application.reference or "", language),
                  "service": application.service_version.name,
                  "state": application_selectors.state_label(application),
                  "next": next_step(application, language)}
    return message_queue(to=phone, key="reply.status", values=values, language=language,
                         reference=application.reference or "", agency_id=application.agency_id)


def _reply_language(sender: str, keyword: Keyword) -> str:
    """A Latin keyword is answered in the sender's own language, else English; a Dari or
    Pashto keyword in the sender's own language if that is Dari or Pashto, else in the
    keyword's."""
    holder = account_selectors.user_by_phone(phone_number=sender)
    preferred = holder.preferred_language if holder is not None else ""
    if not keyword.language:
        return preferred if preferred in ("en", "fa", "ps") else "en"
    return preferred if preferred in ("fa", "ps") else keyword.language


def next_step(application: Any, language: str) -> str:
    """What the applicant should do now, in a few words ("" when nothing)."""
    with translation.override(language):
        if getattr(application, "is_final", False):
            return ""
        order = payment_selectors.order_for_application(application=application)
        if order is not None and order.status == order.Status.PENDING and order.expires_at is not None:
            return _("Pay %(fee)s with reference %(reference)s by %(date)s.") % {
                "fee": format_amount(order.amount, language), "reference": ltr(order.reference, language),
                "date": format_date(order.expires_at, language=language)}
        if application_selectors.waits_for_applicant(application):
            return _("The agency waits for your answer under My applications.")
        return _("The agency is working on it.")

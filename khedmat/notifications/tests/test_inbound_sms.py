"""Texts people send: STATUS and HELP in Latin or Arabic script, answered through the outbox,
about their own files only."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.catalog.models import Service
from khedmat.notifications.inbound import inbound_receive, normalize_reference, parse
from khedmat.notifications.models import InboundMessage, Message
from khedmat.notifications.sms.base import InboundSms

from .conftest import PASSPORT_ANSWERS

_keys = itertools.count(1)


def submit(service: Service, applicant: User) -> Application:
    draft = application_draft_save(applicant=applicant, service=service, data=PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=f"in-{next(_keys)}", actor=applicant)


def reply_to(sender: str, text: str, reference: str = "") -> Message:
    inbound = inbound_receive(gateway="test", sms=InboundSms(sender=sender, text=text, gateway_reference=reference))
    assert inbound is not None and inbound.reply is not None
    return inbound.reply


@pytest.mark.parametrize(("text", "action", "argument"), [
    ("STATUS MOI-PSP-1405-000123", "status", "MOI-PSP-1405-000123"),
    ("status  moi-psp-1405-000123 ", "status", "MOI-PSP-1405-000123"),
    ("وضعیت MOI-PSP-۱۴۰۵-۰۰۰۱۲۳", "status", "MOI-PSP-1405-000123"),
    ("حالت MOI-PSP-1405-000123", "status", "MOI-PSP-1405-000123"),
    ("وضعيت MOI-PSP-1405-000123", "status", "MOI-PSP-1405-000123"),  # Arabic yeh, as some phones type it
    ("help", "help", ""), ("کمک", "help", ""), ("مرسته", "help", ""), ("؟", "help", ""),
])
def test_keywords_in_every_script(text: str, action: str, argument: str) -> None:
    keyword, rest = parse(text)
    assert keyword is not None and keyword.action == action
    assert normalize_reference(rest) == argument


def test_a_reference_is_read_however_it_is_typed() -> None:
    assert normalize_reference("moi psp ۱۴۰۵ ۰۰۰۱۲۳") == "MOI-PSP-1405-000123"
    assert normalize_reference("MOI–PSP–1405–000123.") == "MOI-PSP-1405-000123"


def test_status_answers_the_owner_in_their_language_with_what_to_do(passport: Service, dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    reply = reply_to(dari_citizen.phone_number or "", f"وضعیت {application.reference}")
    assert reply.template == "reply.status" and reply.language == "fa" and reply.to == dari_citizen.phone_number
    assert str(application.reference) in reply.body and "در انتظار پرداخت فیس" in reply.body
    assert "۵٬۰۰۰" in reply.body  # the fee to pay, and its reference
    assert reply.agency_id == application.agency_id


def test_status_of_someone_elses_file_looks_exactly_like_a_file_that_does_not_exist(
        passport: Service, dari_citizen: User, english_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    stranger = reply_to(english_citizen.phone_number or "", f"STATUS {application.reference}")
    missing = reply_to(english_citizen.phone_number or "", "STATUS MOI-PSP-1405-999999")
    assert stranger.template == missing.template == "reply.status_unknown"
    assert "Waiting" not in stranger.body and "Passport" not in stranger.body
    assert stranger.body.replace(application.reference or "", "X") == missing.body.replace(
        "MOI-PSP-1405-999999", "X")


def test_a_latin_keyword_from_a_stranger_is_answered_in_english_and_help_lists_the_words(db: None) -> None:
    reply = reply_to("+93790000001", "HELP")
    assert reply.language == "en" and "STATUS" in reply.body and "*565#" in reply.body
    pashto = reply_to("+93790000002", "مرسته")
    assert pashto.language == "ps"
    nonsense = reply_to("+93790000003", "hello there")
    assert nonsense.template == "reply.not_understood"


def test_the_same_text_delivered_twice_by_the_gateway_is_answered_once(db: None) -> None:
    reply_to("+93790000001", "HELP", reference="kannel-uuid-1")
    again = InboundSms(sender="+93790000001", text="HELP", gateway_reference="kannel-uuid-1")
    inbound_receive(gateway="test", sms=again)
    assert InboundMessage.objects.count() == 1 and Message.objects.count() == 1


def test_a_flood_from_one_number_is_kept_but_no_longer_answered(db: None, settings: Any) -> None:
    settings.THROTTLE_INBOUND_SMS_PER_SENDER = (3, 600)
    for _ in range(6):
        inbound_receive(gateway="test", sms=InboundSms(sender="+93790000009", text="HELP"))
    assert InboundMessage.objects.count() == 6 and Message.objects.count() == 3
    inbound_receive(gateway="test", sms=InboundSms(sender="+93790000010", text="HELP"))  # another number
    assert Message.objects.count() == 4


def test_a_sender_that_is_no_mobile_number_gets_nothing(db: None) -> None:
    assert inbound_receive(gateway="test", sms=InboundSms(sender="BANK", text="HELP")) is None
    assert inbound_receive(gateway="test", sms=InboundSms(sender="+4930123456", text="HELP")) is None
    assert not Message.objects.exists()


# --- the endpoint ------------------------------------------------------------------------------

@pytest.fixture
def kannel_inbound(settings: Any) -> None:
    settings.SMS_GATEWAYS = [{"name": "roshan", "plugin": "kannel", "priority": 1, "url": "http://127.0.0.1:9/",
                              "username": "u", "password": "p"}]
    settings.SMS_INBOUND_SECRET = "inbound-secret-for-tests"


def test_the_inbound_endpoint_needs_the_key(kannel_inbound: None, client: Client, settings: Any, db: None) -> None:
    url = "/sms/inbound/roshan/"
    query = {"from": "+93790000001", "text": "HELP", "charset": "UTF-8", "id": "abc"}
    assert client.get(url, {**query, "key": "wrong"}).status_code == 403
    assert not Message.objects.exists()
    answered = client.get(url, {**query, "key": "inbound-secret-for-tests"})
    assert answered.status_code == 200 and answered.content == b""  # Kannel sends no reply of its own
    assert Message.objects.get().template == "reply.help"
    assert client.get("/sms/inbound/nobody/", {**query, "key": "inbound-secret-for-tests"}).status_code == 404
    settings.SMS_INBOUND_SECRET = ""
    assert client.get(url, {**query, "key": ""}).status_code == 404  # off until a key is set

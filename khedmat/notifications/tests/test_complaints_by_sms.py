"""Complaints by SMS: COMPLAIN files one about the sender's own file, a service, a centre or
their latest contact, answered with its reference; COMPLAINT <reference> tells where it
stands, to the phone it was filed from only. Replays, floods, huge and empty texts, Eastern
digits and another person's reference included."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.applications.tests.test_concurrency import in_parallel, needs_postgresql
from khedmat.catalog.models import Service
from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from khedmat.centers.tests.conftest import Hall
from khedmat.complaints.models import Complaint
from khedmat.complaints.services import complaint_transition
from khedmat.core.formatting import localize_digits
from khedmat.notifications.inbound import inbound_receive, parse
from khedmat.notifications.models import InboundMessage, Message
from khedmat.notifications.sms.base import InboundSms

from .conftest import PASSPORT_ANSWERS

_keys = itertools.count(1)
STRANGER = "+93790000111"


def submit(service: Service, applicant: User) -> Application:
    draft = application_draft_save(applicant=applicant, service=service, data=PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=f"cmp-{next(_keys)}", actor=applicant)


def text(sender: str, body: str, reference: str = "") -> Message:
    inbound = inbound_receive(gateway="test", sms=InboundSms(sender=sender, text=body, gateway_reference=reference))
    assert inbound is not None and inbound.reply is not None
    return inbound.reply


@pytest.mark.parametrize("word", ["COMPLAIN", "complaint", "شکایت", "شكايت", "ګیله", "گیله"])
def test_the_complaint_keywords_in_every_script(word: str) -> None:
    keyword, _rest = parse(f"{word} the queue was not moving")
    assert keyword is not None and keyword.action == "complain"


def test_a_complaint_about_my_own_application_reaches_its_agency_and_is_answered_with_the_reference(
        passport: Service, dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    reply = text(dari_citizen.phone_number or "",
                 f"شکایت {application.reference} سه هفته است هیچ کس جواب نمی‌دهد", reference="gw-1")
    complaint = Complaint.objects.get()
    assert complaint.channel == "sms" and complaint.about == "application" and complaint.application == application
    assert complaint.agency_id == application.agency_id  # routed to the file's agency
    assert complaint.phone == dari_citizen.phone_number and complaint.language == "fa"
    assert complaint.description == "سه هفته است هیچ کس جواب نمی‌دهد"  # as typed, the reference taken out
    assert reply.template == "reply.complaint_filed" and reply.language == "fa"
    assert complaint.reference in reply.body and str(application.reference) in reply.body
    assert "جواب" in reply.body or "پاسخ" in reply.body  # in Dari, not English
    assert Message.objects.filter(to=dari_citizen.phone_number, reference=complaint.reference).count() == 1


def test_a_reference_typed_in_eastern_digits_spaces_and_lower_case_is_read(passport: Service,
                                                                           english_citizen: User) -> None:
    application = submit(passport, english_citizen)
    typed = localize_digits(str(application.reference).lower().replace("-", " "), "fa")
    reply = text(english_citizen.phone_number or "", f"complain {typed} the officer asked me to come back 5 times")
    complaint = Complaint.objects.get()
    assert complaint.application == application and reply.language == "en"
    assert complaint.description == "the officer asked me to come back 5 times"


def test_another_persons_application_reference_files_nothing_and_reveals_nothing(
        passport: Service, dari_citizen: User, english_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    theirs = text(english_citizen.phone_number or "", f"COMPLAIN {application.reference} this is my complaint text")
    missing = text(english_citizen.phone_number or "", "COMPLAIN MOI-PSP-1405-999999 this is my complaint text")
    assert not Complaint.objects.exists()
    assert theirs.template == missing.template == "reply.complaint_not_found"
    assert theirs.body.replace(str(application.reference), "X") == missing.body.replace("MOI-PSP-1405-999999", "X")
    assert "Passport" not in theirs.body


def test_a_service_and_a_centre_are_named_by_their_codes(hall: Hall, db: None) -> None:
    by_service = text(STRANGER, "COMPLAIN moi-psp the fee on the wall is not the official fee")
    by_centre = text("+93790000112", "COMPLAIN kbl the toilets were closed all day long")
    about_service, about_centre = Complaint.objects.order_by("id")
    assert about_service.about == "service" and about_service.service == hall.passport
    assert about_service.agency == hall.passport.agency
    assert about_centre.about == "center" and about_centre.center == hall.center and about_centre.agency is None
    assert by_service.template == by_centre.template == "reply.complaint_filed"
    assert "Kabul" in by_centre.body
    in_dari = text("+93790000114", "شکایت kbl دروازه مرکز تمام روز بسته بود")
    assert in_dari.language == "fa" and "Kabul" in in_dari.body and "received" not in in_dari.body
    unknown = text("+93790000113", "COMPLAIN XYZ-ABC this service does not exist at all")
    assert unknown.template == "reply.complaint_not_found" and Complaint.objects.count() == 3


def test_a_complaint_that_names_nothing_goes_to_the_senders_latest_contact(hall: Hall, dari_citizen: User) -> None:
    phone = dari_citizen.phone_number or ""
    nobody = text(STRANGER, "COMPLAIN they were rude to my mother")
    assert nobody.template == "reply.complaint_what_about" and "*565#" in nobody.body
    assert not Complaint.objects.exists()
    application = submit(hall.passport, dari_citizen)
    text(phone, "شکایت پاسپورت من هنوز آماده نشده است")
    assert Complaint.objects.get().application == application
    ticket_issue(center=hall.center, service=hall.passport, phone=phone)
    counter = hall.open(3)
    called = ticket_call_next(counter=counter)
    assert called is not None
    ticket_start(counter=counter, ticket=called)
    ticket_finish(counter=counter, ticket=called)
    text(phone, "شکایت کارمند کلکین با من بد رفتار کرد")
    latest = Complaint.objects.order_by("-id").first()
    assert latest is not None and latest.about == "center" and latest.center == hall.center


def test_the_same_text_delivered_twice_files_one_complaint_and_answers_once(passport: Service,
                                                                            dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    body = f"COMPLAIN {application.reference} nobody answers my calls at all"
    for _ in range(3):
        inbound_receive(gateway="test", sms=InboundSms(sender=dari_citizen.phone_number or "", text=body,
                                                       gateway_reference="kannel-77"))
    assert Complaint.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert Message.objects.filter(template="reply.complaint_filed").count() == 1


def test_a_flood_files_at_most_the_daily_number_and_says_so(passport: Service, dari_citizen: User,
                                                            settings: Any) -> None:
    settings.THROTTLE_COMPLAINTS_BY_PHONE = (2, 24 * 60 * 60)
    application = submit(passport, dari_citizen)
    replies = [text(dari_citizen.phone_number or "", f"COMPLAIN {application.reference} complaint number {n} here")
               for n in range(4)]
    assert Complaint.objects.count() == 2
    assert [reply.template for reply in replies] == ["reply.complaint_filed"] * 2 + ["reply.complaint_refused"] * 2
    # Status checks are not complaints: still answered.
    reference = Complaint.objects.first().reference  # type: ignore[union-attr]
    assert text(dari_citizen.phone_number or "", f"COMPLAINT {reference}").template == "reply.complaint_status"


def test_empty_short_and_huge_texts(passport: Service, english_citizen: User) -> None:
    phone = english_citizen.phone_number or ""
    application = submit(passport, english_citizen)
    assert text(phone, "COMPLAIN").template == "reply.complaint_help"
    assert text(phone, f"COMPLAIN {application.reference}").template == "reply.complaint_help"
    short = text(phone, f"COMPLAIN {application.reference} bad")
    assert short.template == "reply.complaint_refused" and "ten" in short.body
    in_dari = text(phone, f"شکایت {application.reference} بد")
    assert in_dari.template == "reply.complaint_refused" and "ten" not in in_dari.body and in_dari.language == "fa"
    assert not Complaint.objects.exists()
    huge = "x" * 20_000 + "\x00 end"
    text(phone, f"COMPLAIN {application.reference} {huge}")
    complaint = Complaint.objects.get()
    assert len(complaint.description) <= 1000 and "\x00" not in complaint.description
    assert len(InboundMessage.objects.order_by("-id").first().text) <= 500  # type: ignore[union-attr]


def test_complaint_status_is_told_to_the_phone_it_was_filed_from_only(passport: Service, dari_citizen: User,
                                                                      officer: User) -> None:
    phone = dari_citizen.phone_number or ""
    application = submit(passport, dari_citizen)
    text(phone, f"COMPLAIN {application.reference} nobody answers my calls at all")
    complaint = Complaint.objects.get()
    typed = localize_digits(complaint.reference.lower().replace("-", " "), "fa")
    status = text(phone, f"شکایت {typed}")
    assert status.template == "reply.complaint_status" and "دریافت" in status.body
    assert Complaint.objects.count() == 1  # asking files nothing
    by_status = text(phone, f"STATUS {complaint.reference}")
    assert by_status.template == "reply.complaint_status"
    stranger = text(STRANGER, f"COMPLAINT {complaint.reference}")
    missing = text(STRANGER, "COMPLAINT C-1405-999999")
    assert stranger.template == missing.template == "reply.complaint_unknown"
    assert stranger.body.replace(complaint.reference, "X") == missing.body.replace("C-1405-999999", "X")
    complaint_transition(complaint=complaint, step="answer", expected_state="received", actor=officer,
                         text="Your passport is printed; collect it on Sunday.")
    answered = text(phone, f"COMPLAINT {complaint.reference}")
    assert "collect it on Sunday" in answered.body


def test_a_complaint_by_sms_costs_a_bounded_number_of_queries(passport: Service, dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    with CaptureQueriesContext(connection) as queries:
        text(dari_citizen.phone_number or "", f"COMPLAIN {application.reference} nobody answers my calls at all")
    assert len(queries) < 60


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_text_delivered_at_the_same_instant_files_one_complaint(passport: Service,
                                                                          dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    sms = InboundSms(sender=dari_citizen.phone_number or "", text=f"COMPLAIN {application.reference} "
                     "nobody answers my calls at all", gateway_reference="kannel-same-instant")
    results = in_parallel(lambda _i: inbound_receive(gateway="test", sms=sms), 6)
    assert not [result for result in results if isinstance(result, Exception)], results
    assert Complaint.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert Message.objects.filter(template="reply.complaint_filed").count() == 1
    # Different texts from different people at the same instant: distinct gap-free references.
    senders = [f"+9379000{n:04d}" for n in range(8)]
    filed = in_parallel(lambda i: inbound_receive(gateway="test", sms=InboundSms(
        sender=senders[i], text="COMPLAIN moi-psp the queue did not move all morning",
        gateway_reference=f"many-{i}")), 8)
    assert not [result for result in filed if isinstance(result, Exception)], filed
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in Complaint.objects.values_list(
        "reference", flat=True))
    assert numbers == list(range(1, 10))


@settings_hypothesis(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rest=st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
       keyword=st.sampled_from(["COMPLAIN", "complaint", "شکایت", "ګیله", "STATUS"]))
def test_no_text_after_a_complaint_keyword_breaks_the_answer(passport: Service, keyword: str, rest: str) -> None:
    cache.clear()  # each example answered, not throttled by the ones before
    inbound = inbound_receive(gateway="test", sms=InboundSms(sender=STRANGER, text=f"{keyword} {rest}"))
    assert inbound is not None and inbound.reply is not None  # answered (or refused in words), never an error

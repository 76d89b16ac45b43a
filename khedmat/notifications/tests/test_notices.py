"""Every milestone a citizen must hear of gives one SMS, in their language, with what they
need to act; nothing is written for a change that did not happen."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.accounts.services import phone_code_send
from khedmat.applications.models import Application
from khedmat.applications.services import (
    application_act,
    application_draft_save,
    application_submit,
    application_transition,
    applications_escalate_overdue,
    message_to_applicant,
)
from khedmat.catalog.models import Agency, Service
from khedmat.centers.selectors import appointment_slot_times
from khedmat.centers.services import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    appointments_remind,
    ticket_call_next,
    ticket_issue,
)
from khedmat.centers.tests.conftest import Hall
from khedmat.core.models import EventRecord
from khedmat.documents.services import document_revoke
from khedmat.notifications.models import Message
from khedmat.payments.models import PaymentOrder
from khedmat.payments.services import payment_demo_record, payment_orders_update

from .conftest import PASSPORT_ANSWERS

_keys = itertools.count(1)
DARI_BRAND, PASHTO_BRAND = "آسان خدمت", "آسان خدمت"


def submit(service: Service, applicant: User, answers: dict[str, str] | None = None) -> Application:
    draft = application_draft_save(applicant=applicant, service=service, data=answers or PASSPORT_ANSWERS)
    return application_submit(application=draft, idempotency_key=f"key-{next(_keys)}", actor=applicant)


def sms_to(user_or_phone: User | str, template: str | None = None) -> list[Message]:
    phone = user_or_phone if isinstance(user_or_phone, str) else user_or_phone.phone_number
    found = Message.objects.filter(to=phone).order_by("id")
    return list(found.filter(template=template) if template else found)


def _approve(application: Application, officer: User, approver: User) -> Application:
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="recommend",
                                         expected_state="in_review")
    return application_transition(application=application, actor=approver, transition="approve",
                                  expected_state="awaiting_approval")


# --- applications ------------------------------------------------------------------------------

def test_sending_an_application_tells_the_fee_and_its_payment_reference_in_dari(
        passport: Service, dari_citizen: User) -> None:
    application = submit(passport, dari_citizen)
    order = PaymentOrder.objects.get(application=application)
    [sms] = sms_to(dari_citizen)
    assert sms.template == "application.submitted_pay" and sms.language == "fa"
    assert sms.reference == application.reference and sms.agency_id == application.agency_id
    assert DARI_BRAND in sms.body
    assert str(application.reference) in sms.body and order.reference in sms.body
    assert "۵٬۰۰۰" in sms.body  # 5,000 AFN in the reader's digits
    assert "5000" not in sms.body and "5,000" not in sms.body


def test_the_same_milestone_in_pashto_and_in_english(passport: Service, pashto_citizen: User,
                                                     english_citizen: User) -> None:
    submit(passport, pashto_citizen)
    submit(passport, english_citizen)
    [pashto] = sms_to(pashto_citizen)
    [english] = sms_to(english_citizen)
    assert pashto.language == "ps" and PASHTO_BRAND in pashto.body and "ورکړئ" in pashto.body
    assert english.language == "en" and english.body.startswith("Asan Khedmat: we received your application")
    assert "5,000 AFN" in english.body


def test_a_changed_language_on_the_account_changes_the_next_sms(passport: Service, dari_citizen: User) -> None:
    User.objects.filter(pk=dari_citizen.pk).update(preferred_language="en")
    submit(passport, User.objects.get(pk=dari_citizen.pk))
    [sms] = sms_to(dari_citizen)
    assert sms.language == "en" and sms.body.startswith("Asan Khedmat:")


def test_paying_then_approval_with_the_document_ready(passport: Service, english_citizen: User, officer: User,
                                                       approver: User) -> None:
    application = submit(passport, english_citizen)
    application = payment_demo_record(application=application, transaction_id="t-1")
    [paid] = sms_to(english_citizen, "payment.received")
    assert "5,000 AFN" in paid.body and str(application.reference) in paid.body
    _approve(application, officer, approver)
    [approved] = sms_to(english_citizen, "application.approved_document")
    assert "Passport approval certificate".lower() in approved.body.lower()
    assert "/en/applications/" in approved.body  # where to download it
    assert not sms_to(english_citizen, "application.approved")  # one SMS, not two


def test_rejection_gives_the_reason_and_how_to_complain(passport: Service, english_citizen: User,
                                                        officer: User) -> None:
    application = payment_demo_record(application=submit(passport, english_citizen), transaction_id="t-2")
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_act(application=application, actor=officer, transition="reject", expected_state="in_review",
                    reason_code="not_eligible", reason_text="You already hold a valid passport")
    [sms] = sms_to(english_citizen, "application.rejected")
    assert "You already hold a valid passport" in sms.body and "complain" in sms.body
    assert "The applicant is not eligible" in sms.body


def test_a_request_for_information_is_one_sms_with_what_is_asked(passport: Service, dari_citizen: User,
                                                                 officer: User) -> None:
    application = payment_demo_record(application=submit(passport, dari_citizen), transaction_id="t-3")
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    before = Message.objects.count()
    application_act(application=application, actor=officer, transition="request_information",
                    expected_state="in_review", reason_text="کاپی واضح تذکره را بفرستید")
    [sms] = Message.objects.filter(pk__gt=Message.objects.order_by("id")[before - 1].pk) if before else \
        Message.objects.all()
    assert sms.template == "application.information_requested"
    assert "کاپی واضح تذکره را بفرستید" in sms.body and "/fa/applications/" in sms.body


def test_a_message_from_the_agency_is_announced_without_its_content(passport: Service, english_citizen: User,
                                                                     officer: User) -> None:
    application = submit(passport, english_citizen)
    message_to_applicant(application=application, author=officer, text="Bring the original Tazkira.")
    [sms] = sms_to(english_citizen, "application.message_sent")
    assert str(application.reference) in sms.body and "original Tazkira" not in sms.body


def test_a_fee_not_paid_in_time_closes_the_file_and_says_so(passport: Service, english_citizen: User) -> None:
    application = submit(passport, english_citizen)
    PaymentOrder.objects.filter(application=application).update(expires_at=timezone.now() - datetime.timedelta(1))
    payment_orders_update()
    [sms] = sms_to(english_citizen, "application.closed")
    assert "Cancelled (fee not paid)" in sms.body


def test_a_revoked_document_is_told_to_its_holder(passport: Service, english_citizen: User, officer: User,
                                                  approver: User) -> None:
    application = _approve(payment_demo_record(application=submit(passport, english_citizen),
                                               transaction_id="t-4"), officer, approver)
    document = application.issued_documents.get()
    document_revoke(document=document, actor=officer, reason="Issued with a wrong date of birth.")
    [sms] = sms_to(english_citizen, "document.revoked")
    assert document.number in sms.body and "wrong date of birth" in sms.body


def test_overdue_files_alert_the_agency_administrators_once(passport: Service, english_citizen: User,
                                                            moi: Agency) -> None:
    from khedmat.accounts.models import Role
    from khedmat.accounts.services import staff_user_create

    head = staff_user_create(username="head.moi", password="pass-for-tests-1", role=Role.AGENCY_ADMIN,
                             agency=moi, phone_number="+93700555666")
    application = payment_demo_record(application=submit(passport, english_citizen), transaction_id="t-5")
    Application.objects.filter(pk=application.pk).update(due_date=timezone.localdate() - datetime.timedelta(3))
    applications_escalate_overdue()
    applications_escalate_overdue()
    [sms] = sms_to(head.phone_number or "", "application.escalated")
    assert str(application.reference) in sms.body


def test_no_sms_for_a_change_that_rolled_back(passport: Service, english_citizen: User) -> None:
    draft = application_draft_save(applicant=english_citizen, service=passport, data=PASSPORT_ANSWERS)
    with pytest.raises(RuntimeError), transaction.atomic():
        application_submit(application=draft, idempotency_key="k-rollback", actor=english_citizen)
        raise RuntimeError("the request failed after the submission")
    assert not Message.objects.exists()
    assert not EventRecord.objects.filter(name="application.submitted").exists()


# --- sign-in -----------------------------------------------------------------------------------------

def test_the_sign_in_code_goes_in_the_page_language_and_is_never_recorded_in_the_event(db: None) -> None:
    from django.utils import translation

    with translation.override("ps"):
        phone_code_send(phone_number="+93700777888", ip="10.0.0.1")
    [sms] = sms_to("+93700777888")
    assert sms.language == "ps" and sms.sensitive
    code = "".join(ch for ch in sms.body.split(":", 1)[1] if ch.isdigit())[:6]
    assert len(code) == 6
    record = EventRecord.objects.get(name="account.phone_code_requested")
    assert "code" not in record.payload and code not in str(record.payload)


# --- the queue and appointments -----------------------------------------------------------------------

def test_a_ticket_from_a_phone_comes_with_its_link_and_a_kiosk_ticket_with_nothing(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport, channel="online", phone="0700 123 456", language="en")
    ticket_issue(center=hall.center, service=hall.passport, channel="kiosk")
    [sms] = sms_to("+93700123456")
    assert sms.template == "ticket.issued" and "P-001" in sms.body and "/en/tickets/" in sms.body


def test_those_three_or_fewer_places_from_the_counter_hear_once_that_their_turn_is_near(hall: Hall) -> None:
    phones = [f"+9370012300{index}" for index in range(6)]
    for phone in phones:
        ticket_issue(center=hall.center, service=hall.passport, phone=phone, language="en")
    counter = hall.open(3)
    ticket_call_next(counter=counter)  # calls phones[0]; phones[1..4] are 0..3 ahead
    near = {message.to: message for message in Message.objects.filter(template="ticket.turn_near")}
    assert set(near) == set(phones[1:5])
    assert "0 people before you" in near[phones[1]].body and "3 people before you" in near[phones[4]].body
    from khedmat.centers.services import ticket_finish

    ticket_finish(counter=counter, ticket=counter.tickets.get(status="called"))
    ticket_call_next(counter=counter)  # phones[5] is now 3 ahead; the others were told already
    assert Message.objects.filter(template="ticket.turn_near").count() == 5
    assert Message.objects.filter(template="ticket.turn_near", to=phones[5]).count() == 1


def test_a_called_ticket_is_called_in_dari_with_its_number_in_dari_digits(hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport, phone="0700123456", language="fa")
    ticket_call_next(counter=hall.open(3))
    [sms] = Message.objects.filter(template="ticket.called")
    assert DARI_BRAND in sms.body and "P-۰۰۱" in sms.body and "۳" in sms.body


def test_a_ticket_taken_in_english_by_a_pashto_account_is_called_in_pashto_without_asking_again(
        hall: Hall, pashto_citizen: User) -> None:
    """The holder's language is resolved once, when the ticket is issued; the call reads it
    off the ticket (no account lookup per SMS on the counter's hot path)."""
    ticket = ticket_issue(center=hall.center, service=hall.passport, channel="online",
                          phone=pashto_citizen.phone_number or "", language="en")
    assert ticket.language == "ps"
    assert Message.objects.get(template="ticket.issued").language == "ps"
    counter = hall.open(3)
    with CaptureQueriesContext(connection) as queries:
        ticket_call_next(counter=counter)
    assert not [query for query in queries.captured_queries if "preferred_language" in query["sql"]]
    [sms] = Message.objects.filter(template="ticket.called")
    assert sms.language == "ps" and sms.to == pashto_citizen.phone_number


def test_an_appointment_is_told_when_booked_moved_reminded_and_cancelled(hall: Hall) -> None:
    schedule = hall.schedule()
    day = next(day for day in _days_ahead(schedule, 2))
    first, second = appointment_slot_times(schedule=schedule, day=day)[:2]
    appointment = appointment_book(center=hall.center, service=hall.passport, starts_at=first,
                                   phone="0700 222 333", idempotency_key="book-1", language="en")
    appointment_move(appointment=appointment, starts_at=second)
    appointments_remind(now=timezone.make_aware(datetime.datetime.combine(
        day - datetime.timedelta(days=1), datetime.time(9))))
    appointments_remind(now=timezone.make_aware(datetime.datetime.combine(
        day - datetime.timedelta(days=1), datetime.time(15))))  # later the same day: not again
    appointment_cancel(appointment=appointment)
    templates = [message.template for message in sms_to("+93700222333")]
    assert templates == ["appointment.booked", "appointment.moved", "appointment.reminder_due",
                         "appointment.cancelled"]
    booked = sms_to("+93700222333")[0]
    assert appointment.code in booked.body and "/en/appointments/" in booked.body


def _days_ahead(schedule: object, count: int) -> list[datetime.date]:
    from khedmat.centers.selectors import appointment_days

    return [day for day in appointment_days(schedule=schedule) if day > timezone.localdate()][:count]  # type: ignore[arg-type]


def test_a_state_marked_sent_back_tells_what_to_correct(moi: Agency, english_citizen: User, officer: User) -> None:
    """A service whose workflow sends files back for correction (a milestone set in its definition)."""
    import yaml
    from django.conf import settings

    from khedmat.catalog import services as catalog_services

    definition = yaml.safe_load((settings.BASE_DIR / "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
    definition.update(code="PSC", slug="passport-corrections")
    definition["workflow"]["states"].append({
        "name": "to_correct", "label": {"en": "To correct", "fa": "برای اصلاح", "ps": "د سمون لپاره"},
        "pauses_clock": True, "milestone": "sent_back"})
    definition["workflow"]["transitions"] += [
        {"name": "send_for_correction", "from": "in_review", "to": "to_correct", "role": "officer",
         "needs_reason": True, "label": {"en": "Send back", "fa": "برگشت", "ps": "بېرته"}},
        {"name": "corrected", "from": "to_correct", "to": "in_review", "role": "applicant",
         "label": {"en": "Corrected", "fa": "اصلاح شد", "ps": "سم شو"}},
    ]
    service = catalog_services.service_publish(agency=moi, definition=definition).service
    application = payment_demo_record(application=submit(service, english_citizen), transaction_id="t-6")
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_act(application=application, actor=officer, transition="send_for_correction",
                    expected_state="in_review", reason_text="The date of birth does not match the Tazkira")
    [sms] = sms_to(english_citizen, "application.sent_back")
    assert "sent back for correction" in sms.body and "does not match the Tazkira." in sms.body

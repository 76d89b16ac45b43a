"""The USSD menu: three languages, one page per screen, the caller's own files, tickets,
appointments and ratings, wrong choices repeated, idle sessions ended."""

from __future__ import annotations

import datetime
import itertools
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.services import application_draft_save, application_submit
from khedmat.catalog.models import Service
from khedmat.centers.models import Ticket
from khedmat.centers.selectors import appointment_days, appointment_slot_times
from khedmat.centers.services import (
    appointment_book,
    center_offer_services,
    center_set_hours,
    center_upsert,
    queue_group_upsert,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_start,
)
from khedmat.centers.tests.conftest import Hall, make_service
from khedmat.feedback.models import Rating
from khedmat.notifications.models import Message, UssdSession
from khedmat.notifications.sms.encoding import fits_ussd_screen
from khedmat.notifications.ussd import UssdReply, ussd_reply

from .conftest import PASSPORT_ANSWERS

PHONE = "+93700444555"
_sessions = itertools.count(1)


def dial(*choices: str, phone: str = PHONE, session: str | None = None) -> UssdReply:
    reply = ussd_reply(session_id=session or f"s-{next(_sessions)}", service_code="*565#", phone_number=phone,
                       text="*".join(choices))
    assert fits_ussd_screen(reply.text), reply.text
    return reply


def test_the_first_screen_offers_the_three_languages_and_each_main_menu_fits(db: None) -> None:
    first = dial()
    assert not first.end and "English" in first.text and "دری" in first.text and "پښتو" in first.text
    english = dial("1")
    assert english.text.splitlines()[1:] == ["1 My applications", "2 My ticket", "3 Take a ticket",
                                             "4 My appointment", "5 Rate a service", "6 Complain"]
    dari = dial("2")
    assert dari.text.splitlines()[1].startswith("۱ ") and "آسان خدمت" in dari.text
    pashto = dial("3")
    assert pashto.text.splitlines()[1].startswith("۱ ") and pashto.text != dari.text


def test_a_wrong_choice_repeats_the_menu_with_a_short_message(db: None) -> None:
    wrong = dial("1", "7")
    assert not wrong.end and wrong.text.startswith("Wrong choice. Choose again:") and "1 My applications" in wrong.text
    dari = dial("2", "7")
    assert dari.text.splitlines()[0] == "انتخاب نادرست" and len(dari.text.splitlines()) == 7
    assert dial("9").text.startswith("Wrong choice / انتخاب نادرست")
    # The next good choice is taken from the menu that was repeated.
    assert dial("1", "7", "2").text == "You have no ticket today. Choose 3 to take one."


def test_my_applications_lists_the_callers_own_files_and_tells_one(passport: Service, english_citizen: User,
                                                                   dari_citizen: User) -> None:
    draft = application_draft_save(applicant=english_citizen, service=passport, data=PASSPORT_ANSWERS)
    mine = application_submit(application=draft, idempotency_key="ussd-1", actor=english_citizen)
    other = application_submit(application=application_draft_save(
        applicant=dari_citizen, service=passport, data=PASSPORT_ANSWERS), idempotency_key="ussd-2",
        actor=dari_citizen)
    listing = dial("1", "1", phone=english_citizen.phone_number or "")
    assert str(mine.reference) in listing.text and str(other.reference) not in listing.text
    detail = dial("1", "1", "1", phone=english_citizen.phone_number or "")
    assert detail.end and str(mine.reference) in detail.text and "Waiting for the fee" in detail.text
    assert "Details sent by SMS." in detail.text
    [sms] = Message.objects.filter(to=english_citizen.phone_number, template="reply.status")
    assert "Pay 5,000 AFN with reference PAY-MOI-" in sms.body
    assert dial("1", "1", phone="+93700999000").text == "No application was sent from this phone."


def test_take_a_ticket_then_see_its_place(hall: Hall) -> None:
    centers = dial("1", "3")
    assert "1 Kabul" in centers.text
    services = dial("1", "3", "1")
    passport = re.findall(r"^(\d) Passport", services.text, re.M)[-1]  # group P comes after group D
    confirm = dial("1", "3", "1", passport)
    assert not confirm.end and confirm.text.startswith("A ticket for Passport") and "at Kabul?" in confirm.text
    taken = dial("1", "3", "1", passport, "1", session="take-1")
    assert taken.end and "P-001" in taken.text and "0 before you" in taken.text
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.phone, ticket.language) == ("ussd", PHONE, "en")
    # The aggregator sends the last request again: the same answer, still one ticket.
    assert dial("1", "3", "1", passport, "1", session="take-1") == taken
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(template="ticket.issued", to=PHONE).count() == 1  # the link by SMS
    ticket_issue(center=hall.center, service=hall.passport, phone="0700 111 999")
    mine = dial("1", "2")
    assert mine.end and "P-001" in mine.text and "Kabul" in mine.text
    ticket_call_next(counter=hall.open(3))
    assert "go to counter 3 now" in dial("1", "2").text
    assert dial("1", "3", "1", passport, "2").text == "No ticket was taken."


def test_no_ticket_on_a_closed_day_a_short_end_says_when_the_center_opens(hall: Hall, monkeypatch: Any) -> None:
    """Issue 9: USSD gave tickets on a Thursday at a center open Saturday to Wednesday."""
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=[5, 6, 0, 1, 2])
    open_saturday = timezone.make_aware(datetime.datetime(2026, 12, 12, 10))
    monkeypatch.setattr("django.utils.timezone.now", lambda: open_saturday)
    services = dial("1", "3", "1")
    passport = re.findall(r"^(\d) Passport", services.text, re.M)[-1]
    assert not dial("1", "3", "1", passport).end  # the confirmation, while open
    thursday = timezone.make_aware(datetime.datetime(2026, 12, 10, 10))
    monkeypatch.setattr("django.utils.timezone.now", lambda: thursday)
    for path in (("1", "3", "1"), ("1", "3", "1", passport, "1")):  # at the center, or at "Yes"
        closed = dial(*path)
        assert closed.end and closed.text == "Closed now; opens Saturday 21 Qaws 1405 at 08:00.", path
    for language in ("2", "3"):  # Dari and Pashto fit one page too (dial checks), in their digits
        assert "۰۸:۰۰" in dial(language, "3", "1").text
    assert not Ticket.objects.exists()


def test_a_long_list_of_services_is_split_into_pages_that_each_fit(db: None) -> None:
    center = center_upsert(code="HRT", slug="herat",
                           name={"en": "Herat", "fa": "مرکز آسان خدمت شهر هرات باستان", "ps": "د هرات ښار"},
                           city={"en": "Herat", "fa": "هرات", "ps": "هرات"},
                           address={"en": "Herat", "fa": "هرات", "ps": "هرات"},
                           opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    services = [_long_named_service(index) for index in range(14)]
    center_offer_services(center=center, services=services)
    queue_group_upsert(center=center, letter="A", name={"en": "All", "fa": "همه", "ps": "ټول"}, services=services)
    for language in ("1", "2", "3"):
        first = dial(language, "3", "1")
        assert not first.end and re.search(r"(9|۹) ", first.text.splitlines()[-1])  # "9 More"
        seen, page, path = 0, first, [language, "3", "1"]
        while True:
            seen += len([line for line in page.text.splitlines()[1:] if not re.match(r"^(9|۹) ", line)])
            if not re.search(r"^(9|۹) ", page.text.splitlines()[-1], re.M):
                break
            path.append("9")
            page = dial(*path)
        assert seen == 14


def _long_named_service(index: int) -> Service:
    """A service whose names are long in every language (the passport definition, renamed)."""
    import yaml
    from django.conf import settings

    from khedmat.catalog import services as catalog_services

    definition = yaml.safe_load((settings.BASE_DIR / "demo/services/moi-psp.yaml").read_text(encoding="utf-8"))
    definition.update(code=f"S{index:02d}", slug=f"service-{index}", name={
        "en": f"A rather long service name number {index}", "fa": f"خدمت بسیار طولانی برای آزمایش صفحه‌بندی {index}",
        "ps": f"ډېر اوږد خدمت د لړلیک د پاڼو د ازموینې لپاره {index}"})
    agency = make_service("MOIX", "x").agency
    return catalog_services.service_publish(agency=agency, definition=definition).service


def test_my_next_appointment(hall: Hall) -> None:
    schedule = hall.schedule()
    day = next(d for d in appointment_days(schedule=schedule) if d > timezone.localdate())
    starts_at = appointment_slot_times(schedule=schedule, day=day)[0]
    booked = appointment_book(center=hall.center, service=hall.passport, starts_at=starts_at, phone=PHONE,
                              idempotency_key="ussd-book")
    reply = dial("1", "4")
    assert reply.end and booked.code in reply.text and "Kabul" in reply.text
    assert dial("1", "4", phone="+93700999000").text == "You have no appointment."


def _served(hall: Hall, phone: str = PHONE) -> Ticket:
    ticket_issue(center=hall.center, service=hall.passport, phone=phone)
    counter = hall.open(3)
    called = ticket_call_next(counter=counter)
    assert called is not None
    ticket_start(counter=counter, ticket=called)
    return ticket_finish(counter=counter, ticket=called)


def test_rating_the_last_service(hall: Hall) -> None:
    ticket = _served(hall)
    question = dial("1", "5")
    assert not question.end and "1 (bad) to 5 (very good)" in question.text
    assert dial("1", "5", "9").text.startswith("Wrong choice.")
    low = dial("1", "5", "2")
    assert "What went wrong?" in low.text and "5 Asked for money" in low.text
    done = dial("1", "5", "2", "5")
    assert done.end and done.text == "Thank you for your rating."
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.reason, rating.channel) == (2, "asked_money", "ussd")
    assert dial("1", "5").text == "No service of the last days is waiting for your rating."


def test_an_idle_session_ends_and_a_session_stays_with_its_phone(db: None, settings: Any) -> None:
    settings.USSD_SESSION_IDLE_SECONDS = 120
    dial("1", session="idle")
    UssdSession.objects.filter(session_id="idle").update(last_seen_at=timezone.now() - datetime.timedelta(minutes=5))
    ended = dial("1", "2", session="idle")
    assert ended.end and "ended" in ended.text
    dial("1", session="mine")
    stolen = dial("1", "1", phone="+93700999000", session="mine")
    assert stolen.end and "ended" in stolen.text


def test_a_caller_without_an_afghan_mobile_number_is_turned_away(db: None) -> None:
    reply = ussd_reply(session_id="x", service_code="*565#", phone_number="+4930123456", text="")
    assert reply.end and "Afghan mobile number" in reply.text


def test_every_screen_reachable_in_three_languages_fits_one_page(hall: Hall, passport: Service,
                                                                 english_citizen: User) -> None:
    """Walk the menu breadth-first through every choice a screen offers."""
    _served(hall, phone=english_citizen.phone_number or "")
    draft = application_draft_save(applicant=english_citizen, service=passport, data=PASSPORT_ANSWERS)
    application_submit(application=draft, idempotency_key="ussd-walk", actor=english_citizen)
    option = re.compile(r"^([1-9۱-۹]) ", re.M)
    to_western = str.maketrans("۱۲۳۴۵۶۷۸۹", "123456789")
    frontier: list[tuple[str, ...]] = [("1",), ("2",), ("3",)]
    screens = 0
    while frontier:
        path = frontier.pop()
        reply = dial(*path, phone=english_citizen.phone_number or "")  # dial() checks the fit
        screens += 1
        if reply.end or len(path) > 6:
            continue
        for key in option.findall(reply.text):
            choice = key.translate(to_western)
            if not (path[-3:] == ("3", "1", "1") and choice == "1"):  # confirming takes a ticket: once is enough
                frontier.append((*path, choice))
    assert screens > 30


# --- the endpoint ------------------------------------------------------------------------------

def test_the_aggregator_endpoint(client: Client, settings: Any, db: None) -> None:
    settings.USSD_SHARED_SECRET = "aggregator-key"
    form = {"sessionId": "ATUid_1", "serviceCode": "*565#", "phoneNumber": "+93700444555", "text": ""}
    assert client.post("/ussd/?key=wrong", form).status_code == 403
    answer = client.post("/ussd/?key=aggregator-key", form)
    assert answer.status_code == 200 and answer.content.decode().startswith("CON Asan Khedmat")
    assert answer["Content-Type"].startswith("text/plain")
    ended = client.post("/ussd/?key=aggregator-key", {**form, "text": "1*2"})
    assert ended.content.decode().startswith("END ")
    assert client.post("/ussd/?key=aggregator-key", {**form, "sessionId": ""}).status_code == 400
    assert client.get("/ussd/?key=aggregator-key").status_code == 405
    settings.USSD_SHARED_SECRET = ""
    assert client.post("/ussd/?key=", form).status_code == 404

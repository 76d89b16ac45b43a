"""The hall's public pages as a visitor uses them: kiosk, ticket, joining from a phone,
appointment check-in, and booking, moving, cancelling and finding an appointment."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from khedmat.centers.models import Appointment, PriorityGroup, Ticket
from khedmat.centers.services import ticket_call_next, ticket_finish, ticket_issue
from khedmat.centers.tests.conftest import CITIZEN_PHONE, Hall
from khedmat.notifications.models import Message

TOKEN = "t" * 32
EASTERN = re.compile("[۰-۹]")


def url(name: str, language: str = "en", **kwargs: object) -> str:
    with translation.override(language):
        return reverse(f"centers:{name}", kwargs=kwargs)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- kiosk ------------------------------------------------------------------------------------

def test_kiosk_shows_services_grouped_as_in_the_hall_in_three_languages(kiosk: Client, hall: Hall) -> None:
    page = text(kiosk.get(url("kiosk", slug="kabul")))
    assert "Take a ticket" in page
    assert page.index("Driving") < page.index("Passports")  # groups by letter: D, then P
    assert f"?service={hall.passport.pk}" in page and f"?service={hall.licence.pk}" in page
    for language in ("/en/", "/fa/", "/ps/"):
        assert f'href="{language}centers/kabul/kiosk/"' in page or f"{language}centers/kabul/kiosk/" in page
    dari = kiosk.get(url("kiosk", "fa", slug="kabul"))
    assert 'dir="rtl"' in text(dari) and 'lang="fa-AF"' in text(dari)


def test_kiosk_second_step_offers_priority_groups_and_the_womens_desk(kiosk: Client, hall: Hall) -> None:
    page = text(kiosk.get(url("kiosk", slug="kabul"), {"service": hall.passport.pk}))
    assert "Do you need priority?" in page
    for group in PriorityGroup.objects.filter(is_active=True):
        assert f'value="{group.code}"' in page and f"#pict-{group.pictogram}" in page
    assert 'name="desk" value="women"' in page  # counter 1 of the hall is a women's desk
    assert 'name="token"' in page


def test_kiosk_issues_one_ticket_however_often_the_form_is_posted(kiosk: Client, hall: Hall) -> None:
    form = {"service": hall.passport.pk, "token": TOKEN, "plain": "1"}
    first = kiosk.post(url("kiosk", slug="kabul"), form)
    second = kiosk.post(url("kiosk", slug="kabul"), form)
    ticket = Ticket.objects.get()
    assert first["Location"] == second["Location"] == f"/en/tickets/{ticket.public_id}/?kiosk=1"
    assert (ticket.channel, ticket.display_number) == (Ticket.Channel.KIOSK, "P-001")
    kiosk.post(url("kiosk", slug="kabul"), {**form, "token": "u" * 32})
    assert Ticket.objects.count() == 2


def test_kiosk_issues_priority_and_womens_desk_tickets(kiosk: Client, hall: Hall) -> None:
    kiosk.post(url("kiosk", slug="kabul"), {"service": hall.passport.pk, "token": TOKEN, "priority": "elderly"})
    kiosk.post(url("kiosk", slug="kabul"), {"service": hall.passport.pk, "token": "w" * 32, "desk": "women"})
    elderly, women = Ticket.objects.order_by("number")
    assert elderly.priority_group is not None and elderly.priority_group.code == "elderly"
    assert women.desk == "women"


def test_kiosk_refuses_a_service_it_does_not_show(kiosk: Client, hall: Hall) -> None:
    response = kiosk.post(url("kiosk", slug="kabul"), {"service": 999999, "token": TOKEN}, follow=True)
    assert "Choose a service." in text(response)
    assert not Ticket.objects.exists()
    assert kiosk.get(url("kiosk", slug="nowhere")).status_code == 404


def test_kiosk_ticket_page_is_big_printable_and_returns_to_the_start(client: Client, hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    page = text(client.get(f"{url('ticket', public_id=ticket.public_id)}?kiosk=1"))
    assert 'class="ticket__number"' in page and "P-001" in page
    assert 'data-seconds="20" data-url="/en/centers/kabul/kiosk/"' in page and "kiosk.js" in page
    assert '<noscript><meta http-equiv="refresh" content="20; url=/en/centers/kabul/kiosk/"></noscript>' in page
    assert "Done" in page and "site-nav" not in page


# --- a ticket ---------------------------------------------------------------------------------

def test_ticket_page_shows_place_in_the_queue_and_refreshes(client: Client, hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    page = text(client.get(url("ticket", public_id=ticket.public_id)))
    assert "P-002" in page and hall.passport.name in page
    assert "People ahead of you" in page and "Estimated wait" in page
    assert f'<noscript><meta http-equiv="refresh" content="30; url=/en/tickets/{ticket.public_id}/">' in page
    assert 'id="auto-refresh" data-seconds="30"' in page


def test_ticket_page_in_dari_is_right_to_left_with_eastern_digits(client: Client, hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    page = text(client.get(url("ticket", "fa", public_id=ticket.public_id)))
    assert 'dir="rtl"' in page
    assert "P-۰۰۲" in page and "P-002" not in page
    facts = re.search(r'<dl class="ticket__facts">(.*?)</dl>', page, re.S)
    assert facts and EASTERN.search(facts.group(1)) and not re.search("[0-9]", facts.group(1))


def test_a_called_ticket_names_the_counter_and_a_served_one_asks_for_a_rating(client: Client, hall: Hall) -> None:
    ticket = ticket_issue(center=hall.center, service=hall.passport)
    counter = hall.open(3)
    ticket_call_next(counter=counter)
    page = text(client.get(url("ticket", public_id=ticket.public_id)))
    assert "Please go to counter 3 now." in page
    ticket_finish(counter=counter, ticket=ticket)
    page = text(client.get(url("ticket", public_id=ticket.public_id)))
    assert f"/en/tickets/{ticket.public_id}/rate/" in page
    assert 'http-equiv="refresh"' not in page and "auto-refresh" not in page


def test_an_unknown_ticket_is_not_found(client: Client, hall: Hall) -> None:
    assert client.get("/en/tickets/00000000-0000-4000-8000-000000000000/").status_code == 404


# --- joining the queue from a phone -----------------------------------------------------------

def test_joining_from_a_phone_gives_an_online_ticket_and_an_sms_with_its_link(client: Client, hall: Hall) -> None:
    form = {"service": hall.licence.pk, "phone": "0700 111 222", "token": TOKEN}
    response = client.post(url("join", slug="kabul"), form)
    again = client.post(url("join", slug="kabul"), form)
    ticket = Ticket.objects.get()
    assert response["Location"] == again["Location"] == f"/en/tickets/{ticket.public_id}/"
    assert (ticket.channel, ticket.phone, ticket.display_number) == (Ticket.Channel.ONLINE, CITIZEN_PHONE, "D-001")
    sms = Message.objects.get(to=CITIZEN_PHONE)
    assert f"/en/tickets/{ticket.public_id}/" in sms.body and "D-001" in sms.body


def test_joining_refuses_a_bad_number_and_is_throttled_per_phone(client: Client, hall: Hall) -> None:
    bad = client.post(url("join", slug="kabul"), {"service": hall.licence.pk, "phone": "12", "token": TOKEN})
    assert bad.status_code == 200 and "mobile number" in text(bad) and not Ticket.objects.exists()
    for n in range(3):
        client.post(url("join", slug="kabul"), {"service": hall.licence.pk, "phone": "0700111222",
                                                "token": f"{n}" * 32})
    refused = client.post(url("join", slug="kabul"), {"service": hall.licence.pk, "phone": "0700111222",
                                                      "token": "z" * 32})
    assert refused.status_code == 429 and "Too many attempts" in text(refused)
    # The same number written another way is the same phone to the throttle.
    for written in ("+93 700 111 222", "۰۷۰۰۱۱۱۲۲۲"):
        again = client.post(url("join", slug="kabul"), {"service": hall.licence.pk, "phone": written,
                                                        "token": "y" * 32})
        assert again.status_code == 429, written
    assert Ticket.objects.count() == 3


# --- appointments -----------------------------------------------------------------------------

def _first_free(client: Client, hall: Hall) -> tuple[str, str]:
    schedule = hall.schedule(days_ahead=14)
    page = text(client.get(url("appointment_new", schedule_id=schedule.pk)))
    day = re.search(r'name="day" value="([0-9-]+)"', page)
    slot = re.search(r'name="slot" id="slot-1" value="([^"]+)"', page)
    assert day and slot, page
    return day.group(1), slot.group(1)


def test_appointments_start_lists_only_services_taking_appointments(client: Client, hall: Hall) -> None:
    schedule = hall.schedule()
    page = text(client.get(url("appointment_start")))
    assert url("appointment_new", schedule_id=schedule.pk) in page
    assert hall.passport.name in page and "Find my appointment" in page
    assert page.count("/en/appointments/book/") == 1  # not the licence: it has no schedule


def test_booking_twice_with_one_form_books_once_and_shows_the_code(client: Client, hall: Hall) -> None:
    day, slot = _first_free(client, hall)
    schedule = hall.schedule()
    form = {"day": day, "slot": slot, "phone": "0700 111 222", "token": TOKEN}
    first = client.post(url("appointment_new", schedule_id=schedule.pk), form)
    second = client.post(url("appointment_new", schedule_id=schedule.pk), form)
    appointment = Appointment.objects.get()
    assert first["Location"] == second["Location"] == url("appointment", public_id=appointment.public_id)
    page = text(client.get(first["Location"]))
    grouped = f"{appointment.code[:5]} {appointment.code[5:]}"  # ten digits, read in two groups
    assert grouped in page and "Check in at the center's kiosk" in page
    dari = text(client.get(url("appointment", "fa", public_id=appointment.public_id)))
    assert grouped.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in dari


def test_an_appointment_is_moved_and_cancelled_from_its_page(client: Client, hall: Hall) -> None:
    day, slot = _first_free(client, hall)
    schedule = hall.schedule()
    client.post(url("appointment_new", schedule_id=schedule.pk),
                {"day": day, "slot": slot, "phone": "0700111222", "token": TOKEN})
    appointment = Appointment.objects.get()
    move_page = text(client.get(url("appointment_move", public_id=appointment.public_id), {"day": day}))
    later = re.findall(r'name="slot" id="slot-\d+" value="([^"]+)"', move_page)[1]
    client.post(url("appointment_move", public_id=appointment.public_id), {"day": day, "slot": later})
    appointment.refresh_from_db()
    assert appointment.slot.starts_at == datetime.datetime.fromisoformat(later)
    assert "Cancel my appointment?" in text(client.get(url("appointment_cancel", public_id=appointment.public_id)))
    client.post(url("appointment_cancel", public_id=appointment.public_id))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_find_my_appointment_needs_the_right_pair_and_is_throttled(client: Client, hall: Hall) -> None:
    day, slot = _first_free(client, hall)
    client.post(url("appointment_new", schedule_id=hall.schedule().pk),
                {"day": day, "slot": slot, "phone": "0700111222", "token": TOKEN})
    appointment = Appointment.objects.get()
    wrong = client.post(url("appointment_find"), {"code": appointment.code, "phone": "0700999888"})
    assert wrong.status_code == 200 and "We found no appointment" in text(wrong)
    right = client.post(url("appointment_find"), {"code": appointment.code, "phone": "0700 111 222"})
    assert right["Location"] == url("appointment", public_id=appointment.public_id)
    for _attempt in range(4):
        client.post(url("appointment_find"), {"code": appointment.code, "phone": "0700999888"})
    assert client.post(url("appointment_find"), {"code": appointment.code,
                                                 "phone": "0700111222"}).status_code == 429


# --- check-in at the kiosk --------------------------------------------------------------------

def test_an_appointment_code_at_the_kiosk_gives_a_ticket(client: Client, kiosk: Client, hall: Hall,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    day, slot = _first_free(client, hall)
    client.post(url("appointment_new", schedule_id=hall.schedule().pk),
                {"day": day, "slot": slot, "phone": "0700111222", "token": TOKEN})
    appointment = Appointment.objects.get()
    starts_at = appointment.slot.starts_at
    monkeypatch.setattr(timezone, "now", lambda: starts_at - datetime.timedelta(minutes=5))
    unknown = kiosk.post(url("kiosk_check_in", slug="kabul"), {"code": "1000000000"})
    assert "No appointment can be checked in with this code here" in text(unknown)
    code = appointment.code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))  # typed in Eastern digits
    response = kiosk.post(url("kiosk_check_in", slug="kabul"), {"code": f"{code[:5]} {code[5:]}"})
    appointment.refresh_from_db()
    assert appointment.ticket is not None
    assert response["Location"] == f"/en/tickets/{appointment.ticket.public_id}/?kiosk=1"

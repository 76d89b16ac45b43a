"""A signed-in citizen's "My appointments": their own bookings only, coming up and past, with
move and cancel where the booking still stands."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.accounts.services import citizen_get_or_create
from khedmat.centers.models import Appointment, AppointmentSlot
from khedmat.centers.selectors import appointment_days, appointment_slot_times
from khedmat.centers.services import appointment_book, appointment_cancel

from .conftest import CITIZEN_PHONE, Hall

OTHER_PHONE = "+93700999888"


@pytest.fixture
def citizen(hall: Hall) -> User:
    user, _created = citizen_get_or_create(phone_number=CITIZEN_PHONE)
    return user


def _book(hall: Hall, phone: str, *, key: str, day_index: int = 0) -> Appointment:
    schedule = hall.schedule(days_ahead=14)
    day = appointment_days(schedule=schedule)[day_index]
    return appointment_book(center=hall.center, service=hall.passport, phone=phone, idempotency_key=key,
                            starts_at=appointment_slot_times(schedule=schedule, day=day)[-1])


def _signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_a_visitor_is_sent_to_sign_in_and_staff_find_nothing(client: Client, hall: Hall, operator: User) -> None:
    answer = client.get("/en/appointments/mine/")
    assert answer.status_code == 302 and answer["Location"].startswith("/en/account/sign-in/")
    assert "next=/en/appointments/mine/" in answer["Location"]
    assert _signed_in(client, operator).get("/en/appointments/mine/").status_code == 404


def test_my_appointments_lists_only_my_own_coming_up_and_past(client: Client, hall: Hall, citizen: User) -> None:
    soon = _book(hall, CITIZEN_PHONE, key="a", day_index=0)
    later = _book(hall, CITIZEN_PHONE, key="b", day_index=1)
    dropped = _book(hall, CITIZEN_PHONE, key="c", day_index=2)
    appointment_cancel(appointment=dropped)
    theirs = _book(hall, OTHER_PHONE, key="d", day_index=0)
    page = _signed_in(client, citizen).get("/en/appointments/mine/").content.decode()
    coming, past = page.split('id="past-heading"')
    assert coming.index(str(soon.public_id)) < coming.index(str(later.public_id))  # soonest first
    assert f"{soon.code[:5]} {soon.code[5:]}" in coming  # the code, read in two groups
    assert f"/en/appointments/mine/{soon.public_id}/cancel/" in coming
    assert str(dropped.public_id) in past and "Cancelled" in past
    assert f"/mine/{dropped.public_id}/cancel/" not in page  # nothing to cancel any more
    assert str(theirs.public_id) not in page and theirs.code not in page
    weekday = timezone.localtime(soon.slot.starts_at).strftime("%A")
    assert weekday in coming
    assert 'href="/en/appointments/mine/"' in page  # in the account menu


def test_a_lapsed_booking_moves_to_the_past(client: Client, hall: Hall, citizen: User,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    booked = _book(hall, CITIZEN_PHONE, key="a")
    after = booked.slot.starts_at + datetime.timedelta(hours=3)
    monkeypatch.setattr("django.utils.timezone.now", lambda: after)
    coming, past = _signed_in(client, citizen).get("/en/appointments/mine/").content.decode().split(
        'id="past-heading"')
    assert str(booked.public_id) in past and str(booked.public_id) not in coming


def test_i_cancel_my_own_booking_once_however_often_i_post(client: Client, hall: Hall, citizen: User) -> None:
    booked = _book(hall, CITIZEN_PHONE, key="a")
    _signed_in(client, citizen)
    address = f"/en/appointments/mine/{booked.public_id}/cancel/"
    question = client.get(address).content.decode()
    assert "Cancel my appointment?" in question and f'action="{address}"' in question
    for _attempt in range(2):
        answer = client.post(address)
        assert answer.status_code == 302 and answer["Location"] == "/en/appointments/mine/"
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert AppointmentSlot.objects.get(pk=booked.slot_id).booked == 0  # freed once, not twice
    assert "Your appointment is cancelled." in client.get("/en/appointments/mine/").content.decode()


def test_someone_elses_booking_is_not_found_and_stays_booked(client: Client, hall: Hall, citizen: User) -> None:
    theirs = _book(hall, OTHER_PHONE, key="d")
    _signed_in(client, citizen)
    for method in (client.get, client.post):
        assert method(f"/en/appointments/mine/{theirs.public_id}/cancel/").status_code == 404
    assert client.post("/en/appointments/mine/not-a-uuid/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED


@pytest.mark.parametrize("language", ["fa", "ps"])
def test_my_appointments_reads_in_dari_and_pashto(client: Client, hall: Hall, citizen: User,
                                                  language: str) -> None:
    _book(hall, CITIZEN_PHONE, key="a")
    page = _signed_in(client, citizen).get(f"/{language}/appointments/mine/").content.decode()
    assert 'dir="rtl"' in page
    assert not re.search(r"My appointments|Coming up|Appointment code", page)


def test_booking_signed_in_offers_my_own_number(client: Client, hall: Hall, citizen: User) -> None:
    schedule = hall.schedule()
    page = _signed_in(client, citizen).get(f"/en/appointments/book/{schedule.pk}/").content.decode()
    assert re.search(r'name="phone"[^>]*value="\+93700111222"', page)

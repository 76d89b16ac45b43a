"""Appointment codes against a guesser: ten digits, one answer for any code that checks nobody
in (or any pair that finds nothing), the same work done either way, and throttles per kiosk
and per network. The finding: six digits, no throttle, and a real code answered differently.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.accounts.models import User
from khedmat.centers.models import Appointment, Ticket
from khedmat.centers.services import (
    appointment_book,
    appointment_cancel,
    center_offer_services,
    center_set_hours,
    queue_group_upsert,
)

from .conftest import SATURDAY_TO_WEDNESDAY, Hall, make_center, paired_client

SATURDAY = datetime.date(2026, 12, 12)
CHECK_IN = "/en/centers/kabul/kiosk/check-in/"
FIND = "/en/appointments/find/"


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(SATURDAY, datetime.time(hour, minute))


@pytest.fixture
def booked(hall: Hall, frozen_at: Callable) -> Appointment:
    """A passport appointment at 10:00 on a Saturday, booked at 07:00 that day."""
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=SATURDAY_TO_WEDNESDAY)
    frozen_at(at(7))
    hall.schedule()
    return appointment_book(center=hall.center, service=hall.passport, starts_at=_aware(at(10)),
                            phone="0700111222", idempotency_key="booking-1")


def _aware(moment: datetime.datetime) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(moment)


def answer(response: object) -> tuple[int, str]:
    """What a person sees: the status and the page, less what they typed (echoed in the form)
    and its one-time tokens."""
    page = response.content.decode()  # type: ignore[attr-defined]
    return response.status_code, re.sub(r'value="[^"]*"', 'value="…"', page)  # type: ignore[attr-defined]


def test_a_wrong_a_foreign_and_a_cancelled_code_get_one_answer_at_the_kiosk(
        hall: Hall, manager: User, booked: Appointment, frozen_at: Callable) -> None:
    kiosk, _device = paired_client(hall.center, manager)
    herat = make_center(code="HRT", slug="herat", name="Herat")
    center_offer_services(center=herat, services=[hall.passport])
    queue_group_upsert(center=herat, letter="P", name={"en": "P", "fa": "P", "ps": "P"}, services=[hall.passport])
    frozen_at(at(7))
    from khedmat.centers.models import AppointmentSchedule

    AppointmentSchedule.objects.create(center=herat, service=hall.passport, starts_at=datetime.time(8),
                                       ends_at=datetime.time(12))
    foreign = appointment_book(center=herat, service=hall.passport, starts_at=_aware(at(10)), phone="0700333444",
                               idempotency_key="booking-2")
    cancelled = appointment_cancel(appointment=appointment_book(
        center=hall.center, service=hall.passport, starts_at=_aware(at(10)), phone="0700555666",
        idempotency_key="booking-3"))
    frozen_at(at(9, 50))
    kiosk.get(CHECK_IN)  # the kiosk is marked seen (a write every few minutes) before we count
    answers, queries = set(), set()
    for code in ("1000000000", foreign.code, cancelled.code, "123456"):
        with CaptureQueriesContext(connection) as captured:
            answers.add(answer(kiosk.post(CHECK_IN, {"code": code})))
        queries.add(len(captured))
    assert len(answers) == 1 and len(queries) == 1, queries  # the same page after the same work
    [(status, page)] = answers
    assert status == 200 and "No appointment can be checked in with this code here." in page
    assert not Ticket.objects.exists()
    right = kiosk.post(CHECK_IN, {"code": booked.code})
    assert right.status_code == 302 and Ticket.objects.count() == 1


def test_wrong_codes_at_a_kiosk_are_stopped_per_kiosk_and_per_network(
        hall: Hall, manager: User, booked: Appointment, frozen_at: Callable) -> None:
    frozen_at(at(9, 50))
    first, _device = paired_client(hall.center, manager)
    for n in range(10):
        assert first.post(CHECK_IN, {"code": f"{2000000000 + n}"}).status_code == 200
    refused = first.post(CHECK_IN, {"code": booked.code})  # even the right code, from this kiosk
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert not Ticket.objects.exists()
    # Another kiosk on the same network has its own count, but the network has one too (30).
    for index in range(2):
        other, _device = paired_client(hall.center, manager, name=f"Kiosk {index}")
        for n in range(10):
            other.post(CHECK_IN, {"code": f"{3000000000 + 100 * index + n}"})
    last, _device = paired_client(hall.center, manager, name="Kiosk by the stairs")
    assert last.post(CHECK_IN, {"code": booked.code}).status_code == 429
    assert not Ticket.objects.exists()


def test_a_right_check_in_is_not_counted_against_the_kiosk(hall: Hall, manager: User, booked: Appointment,
                                                           frozen_at: Callable) -> None:
    frozen_at(at(9, 50))
    kiosk, _device = paired_client(hall.center, manager)
    for _again in range(15):  # a double tap, and many more: the same ticket each time
        assert kiosk.post(CHECK_IN, {"code": booked.code}).status_code == 302
    assert Ticket.objects.count() == 1


def test_finding_an_appointment_answers_a_wrong_code_and_a_wrong_phone_alike(
        hall: Hall, booked: Appointment, client: Client) -> None:
    """Same status, same page, and the same queries (so about the same time) for each wrong pair."""
    tries = {
        "wrong phone": {"code": booked.code, "phone": "0700999888"},
        "wrong code": {"code": "1000000000", "phone": "0700111222"},
        "neither": {"code": "1000000001", "phone": "0700999887"},
        "short code": {"code": booked.code[:6], "phone": "0700111222"},
    }
    answers, queries = set(), set()
    for body in tries.values():
        with CaptureQueriesContext(connection) as captured:
            response = client.post(FIND, body)
        answers.add(answer(response))
        queries.add(len(captured))
    assert len(answers) == 1 and len(queries) == 1, (answers, queries)
    [(status, page)] = answers
    assert status == 200 and "We found no appointment" in page
    assert client.post(FIND, {"code": booked.code, "phone": "0700 111 222"}).status_code == 302


def test_codes_are_ten_digits_shown_in_two_groups(hall: Hall, booked: Appointment, client: Client) -> None:
    assert re.fullmatch(r"[1-9][0-9]{9}", booked.code)
    page = client.get(f"/en/appointments/{booked.public_id}/").content.decode()
    assert f"{booked.code[:5]} {booked.code[5:]}" in page

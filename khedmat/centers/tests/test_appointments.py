"""Appointments: slots on working days, booking without overbooking, moving, cancelling,
and checking in at the kiosk within the window."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from khedmat.applications.tests.test_concurrency import SQLiteFile, in_parallel, needs_postgresql
from khedmat.catalog.models import Service
from khedmat.centers.models import Appointment, AppointmentSchedule, AppointmentSlot, Ticket
from khedmat.centers.selectors import appointment_days, appointment_find, appointment_slots
from khedmat.centers.services import (
    AppointmentError,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_move,
    appointments_lapse,
    center_set_hours,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
)
from khedmat.core.services import holiday_upsert
from khedmat.notifications.models import Message

from .conftest import CITIZEN_PHONE, SATURDAY_TO_WEDNESDAY, Hall, make_center

SATURDAY = datetime.date(2026, 12, 5)  # a working day; Thursday 10th and Friday 11th are the weekend
Clock = Callable[..., datetime.datetime]


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the time: clock(day, hour, minute), Kabul time. Starts at 07:00 on SATURDAY."""

    def set_time(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        moment = at(day, hour, minute)
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    set_time(SATURDAY, 7)
    return set_time


@pytest.fixture
def schedule(hall: Hall, clock: Clock) -> AppointmentSchedule:
    """Passports at Kabul, open Saturday to Wednesday 08:00–16:00: 08:00–12:00, 15-minute
    slots of 2 places, 14 days ahead."""
    center_set_hours(center=hall.center, opens_at=datetime.time(8), closes_at=datetime.time(16),
                     open_weekdays=SATURDAY_TO_WEDNESDAY)
    return hall.schedule()


def book(hall: Hall, starts_at: datetime.datetime, *, phone: str = CITIZEN_PHONE, key: str = "",
         service: Service | None = None) -> Appointment:
    return appointment_book(center=hall.center, service=service or hall.passport, starts_at=starts_at, phone=phone,
                            idempotency_key=key or f"{phone}-{starts_at.isoformat()}")


def _state() -> list[tuple]:
    return [*Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id"),
            *AppointmentSlot.objects.order_by("pk").values_list("pk", "booked"),
            ("tickets", Ticket.objects.count())]


# --- slots -----------------------------------------------------------------------------------

def test_days_are_working_days_within_the_schedules_reach(schedule: AppointmentSchedule) -> None:
    holiday_upsert(date=SATURDAY + datetime.timedelta(days=1), name={"en": "A holiday", "fa": "-", "ps": "-"})
    days = appointment_days(schedule=schedule)
    assert days[0] == SATURDAY
    assert SATURDAY + datetime.timedelta(days=1) not in days  # the holiday
    assert all(day.weekday() not in (3, 4) for day in days)  # no Thursday or Friday
    assert days[-1] <= SATURDAY + datetime.timedelta(days=13)
    assert len(days) == 9  # two working weeks of five days, less the holiday


def test_slots_run_in_steps_and_past_times_are_not_offered(schedule: AppointmentSchedule, clock: Clock) -> None:
    slots = appointment_slots(schedule=schedule, day=SATURDAY)
    assert [slot.starts_at for slot in slots][:2] == [at(SATURDAY, 8), at(SATURDAY, 8, 15)]
    assert slots[-1].starts_at == at(SATURDAY, 11, 45) and len(slots) == 16
    assert {slot.free for slot in slots} == {2}
    clock(SATURDAY, 9, 10)
    assert appointment_slots(schedule=schedule, day=SATURDAY)[0].starts_at == at(SATURDAY, 9, 15)
    clock(SATURDAY, 12)
    assert appointment_days(schedule=schedule)[0] == SATURDAY + datetime.timedelta(days=1)
    assert appointment_slots(schedule=schedule, day=SATURDAY + datetime.timedelta(days=5)) == []  # Thursday


def test_slots_show_the_places_left(hall: Hall, schedule: AppointmentSchedule) -> None:
    book(hall, at(SATURDAY, 8))
    book(hall, at(SATURDAY, 8), phone="+93700333444")
    book(hall, at(SATURDAY, 8, 15), phone="+93700555666")
    free = {slot.starts_at: slot.free for slot in appointment_slots(schedule=schedule, day=SATURDAY)}
    assert free[at(SATURDAY, 8)] == 0 and free[at(SATURDAY, 8, 15)] == 1 and free[at(SATURDAY, 8, 30)] == 2


# --- booking ---------------------------------------------------------------------------------

def test_a_booking_takes_a_place_and_sends_the_code(hall: Hall, schedule: AppointmentSchedule,
                                                    django_capture_on_commit_callbacks: Callable) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(hall, at(SATURDAY, 9), phone="0700 111 222")
    assert appointment.status == Appointment.Status.BOOKED and appointment.phone == CITIZEN_PHONE
    # Ten digits, never a leading 0 (it would read as a phone number, 07…, and spreadsheets drop it).
    assert len(appointment.code) == 10 and appointment.code.isdigit() and appointment.code[0] != "0"
    assert appointment.slot.starts_at == at(SATURDAY, 9) and appointment.slot.booked == 1
    message = Message.objects.get()
    assert message.to == CITIZEN_PHONE and appointment.code in message.body
    assert f"/appointments/{appointment.public_id}/" in message.body


def test_the_same_idempotency_key_books_once(hall: Hall, schedule: AppointmentSchedule) -> None:
    first = book(hall, at(SATURDAY, 9), key="form-1")
    again = book(hall, at(SATURDAY, 9), key="form-1")
    assert again.pk == first.pk
    assert AppointmentSlot.objects.get().booked == 1 and Appointment.objects.count() == 1


def test_a_full_time_is_refused_and_nothing_changes(hall: Hall, schedule: AppointmentSchedule) -> None:
    book(hall, at(SATURDAY, 9), phone="+93700333444")
    book(hall, at(SATURDAY, 9), phone="+93700555666")
    before = _state()
    with pytest.raises(AppointmentError) as refused:
        book(hall, at(SATURDAY, 9))
    assert refused.value.code == "full" and refused.value.message == "This time is full, choose another."
    assert _state() == before


@pytest.mark.parametrize("starts_at", [
    at(SATURDAY, 8, 7),  # not on a slot boundary
    at(SATURDAY, 12),  # after the last slot
    at(SATURDAY, 6, 45),  # in the past
    at(SATURDAY + datetime.timedelta(days=6), 9),  # a Friday
    at(SATURDAY + datetime.timedelta(days=30), 9),  # beyond the days ahead
], ids=["off-step", "after-hours", "past", "weekend", "too-far"])
def test_a_time_not_offered_is_refused(hall: Hall, schedule: AppointmentSchedule,
                                       starts_at: datetime.datetime) -> None:
    with pytest.raises(AppointmentError) as refused:
        book(hall, starts_at)
    assert refused.value.code == "not_offered"
    assert _state() == [("tickets", 0)]


def test_a_holiday_is_not_offered(hall: Hall, schedule: AppointmentSchedule) -> None:
    holiday_upsert(date=SATURDAY + datetime.timedelta(days=2), name={"en": "Holiday", "fa": "-", "ps": "-"})
    with pytest.raises(AppointmentError):
        book(hall, at(SATURDAY + datetime.timedelta(days=2), 9))


def test_no_schedule_or_an_inactive_one_is_refused(hall: Hall, schedule: AppointmentSchedule) -> None:
    with pytest.raises(AppointmentError) as refused:
        book(hall, at(SATURDAY, 9), service=hall.licence)
    assert refused.value.code == "no_schedule"
    schedule.is_active = False
    schedule.save()
    with pytest.raises(AppointmentError):
        book(hall, at(SATURDAY, 9))
    assert not Appointment.objects.exists()


def test_a_wrong_phone_is_refused(hall: Hall, schedule: AppointmentSchedule) -> None:
    with pytest.raises(AppointmentError) as refused:
        book(hall, at(SATURDAY, 9), phone="123")
    assert refused.value.code == "bad_phone"
    assert not AppointmentSlot.objects.filter(booked__gt=0).exists()


def test_one_booking_per_phone_per_service_per_day(hall: Hall, schedule: AppointmentSchedule) -> None:
    book(hall, at(SATURDAY, 9))
    before = _state()
    with pytest.raises(AppointmentError) as refused:
        book(hall, at(SATURDAY, 10))
    assert refused.value.code == "already_booked"
    assert _state() == before
    book(hall, at(SATURDAY + datetime.timedelta(days=1), 10))  # another day
    hall.schedule(hall.licence)
    book(hall, at(SATURDAY, 10), service=hall.licence)  # another service
    assert Appointment.objects.count() == 3


# --- moving and cancelling -------------------------------------------------------------------

def test_moving_takes_the_new_place_and_gives_back_the_old(hall: Hall, schedule: AppointmentSchedule) -> None:
    appointment = book(hall, at(SATURDAY, 9))
    moved = appointment_move(appointment=appointment, starts_at=at(SATURDAY, 10))
    assert moved.pk == appointment.pk and moved.code == appointment.code
    slots = dict(AppointmentSlot.objects.values_list("starts_at", "booked"))
    assert slots == {at(SATURDAY, 9): 0, at(SATURDAY, 10): 1}


def test_moving_to_a_full_time_is_refused_and_keeps_the_booking(hall: Hall, schedule: AppointmentSchedule) -> None:
    appointment = book(hall, at(SATURDAY, 9))
    book(hall, at(SATURDAY, 10), phone="+93700333444")
    book(hall, at(SATURDAY, 10), phone="+93700555666")
    before = _state()
    with pytest.raises(AppointmentError) as refused:
        appointment_move(appointment=appointment, starts_at=at(SATURDAY, 10))
    assert refused.value.code == "full"
    assert _state() == before


def test_cancelling_gives_the_place_back(hall: Hall, schedule: AppointmentSchedule) -> None:
    appointment = book(hall, at(SATURDAY, 9))
    cancelled = appointment_cancel(appointment=appointment)
    assert cancelled.status == Appointment.Status.CANCELLED
    assert AppointmentSlot.objects.get().booked == 0
    assert appointment_cancel(appointment=appointment).status == Appointment.Status.CANCELLED  # twice: no change
    assert AppointmentSlot.objects.get().booked == 0
    with pytest.raises(AppointmentError) as refused:
        appointment_move(appointment=appointment, starts_at=at(SATURDAY, 10))
    assert refused.value.code == "not_booked"
    book(hall, at(SATURDAY, 10))  # the day is free again for this phone


def test_a_booking_is_found_by_its_code_and_phone_only(hall: Hall, schedule: AppointmentSchedule) -> None:
    appointment = book(hall, at(SATURDAY, 9))
    eastern = appointment.code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert appointment_find(code=eastern, phone="0700 111 222") == appointment
    assert appointment_find(code=appointment.code, phone="+93700333444") is None
    assert appointment_find(code=appointment.code, phone="nonsense") is None


# --- checking in -----------------------------------------------------------------------------

def test_check_in_too_early_says_from_when(hall: Hall, schedule: AppointmentSchedule, clock: Clock) -> None:
    appointment = book(hall, at(SATURDAY, 10))
    clock(SATURDAY, 9, 20)
    before = _state()
    with pytest.raises(AppointmentError) as refused:
        appointment_check_in(center=hall.center, code=appointment.code)
    assert refused.value.code == "too_early" and "09:30" in refused.value.message
    assert _state() == before


def test_check_in_gives_a_ticket_standing_at_the_slots_start(hall: Hall, schedule: AppointmentSchedule,
                                                            clock: Clock) -> None:
    appointment = book(hall, at(SATURDAY, 10))
    clock(SATURDAY, 9, 55)
    early_walk_in = ticket_issue(center=hall.center, service=hall.passport)
    clock(SATURDAY, 10, 5)
    late_walk_in = ticket_issue(center=hall.center, service=hall.passport)
    clock(SATURDAY, 10, 8)
    ticket = appointment_check_in(center=hall.center, code=f" {appointment.code} ")
    assert ticket.channel == Ticket.Channel.APPOINTMENT and ticket.queue_position_at == at(SATURDAY, 10)
    assert ticket.phone == CITIZEN_PHONE and ticket.display_number == "P-003"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN and appointment.ticket == ticket
    # Again (a double tap at the kiosk): the same ticket.
    assert appointment_check_in(center=hall.center, code=appointment.code).pk == ticket.pk
    counter = hall.open(3)
    order = []
    while (called := ticket_call_next(counter=counter)) is not None:
        order.append(called.pk)
        ticket_finish(counter=counter, ticket=called)
    assert order == [early_walk_in.pk, ticket.pk, late_walk_in.pk]


@override_settings(APPOINTMENT_CHECKIN_BEFORE_MINUTES=5, APPOINTMENT_CHECKIN_AFTER_MINUTES=0)
def test_the_window_is_configurable(hall: Hall, schedule: AppointmentSchedule, clock: Clock) -> None:
    appointment = book(hall, at(SATURDAY, 10))
    clock(SATURDAY, 9, 50)
    with pytest.raises(AppointmentError):
        appointment_check_in(center=hall.center, code=appointment.code)
    clock(SATURDAY, 9, 56)
    assert appointment_check_in(center=hall.center, code=appointment.code).channel == Ticket.Channel.APPOINTMENT


def test_too_late_the_booking_lapses_and_the_holder_is_told(hall: Hall, schedule: AppointmentSchedule,
                                                            clock: Clock) -> None:
    appointment = book(hall, at(SATURDAY, 10))
    clock(SATURDAY, 10, 11)
    with pytest.raises(AppointmentError) as refused:
        appointment_check_in(center=hall.center, code=appointment.code)
    assert refused.value.code == "lapsed" and "lapsed" in refused.value.message
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.LAPSED
    assert not Ticket.objects.exists()
    with pytest.raises(AppointmentError) as refused:
        appointment_check_in(center=hall.center, code=appointment.code)
    assert refused.value.code == "lapsed"


def test_a_code_of_another_center_or_a_cancelled_booking_is_refused(hall: Hall, schedule: AppointmentSchedule,
                                                                    clock: Clock) -> None:
    appointment = book(hall, at(SATURDAY, 10))
    other = make_center(code="HRT", slug="herat", name="Herat")
    clock(SATURDAY, 10)
    for center, code in ((other, appointment.code), (hall.center, "000000x"), (hall.center, "")):
        with pytest.raises(AppointmentError) as refused:
            appointment_check_in(center=center, code=code)
        assert refused.value.code == "unknown_code"
    unknown_message = refused.value.message
    appointment_cancel(appointment=appointment)
    with pytest.raises(AppointmentError) as refused:
        appointment_check_in(center=hall.center, code=appointment.code)
    # A cancelled booking answers as an unknown code: the same words, the same reason.
    assert (refused.value.code, refused.value.message) == ("unknown_code", unknown_message)
    assert not Ticket.objects.exists()


def test_a_booking_made_with_a_six_digit_code_before_issue_9_still_checks_in(
        hall: Hall, schedule: AppointmentSchedule, clock: Clock) -> None:
    """Decision 0016: old bookings keep their six-digit code until they pass; no other length counts."""
    appointment = book(hall, at(SATURDAY, 10))
    Appointment.objects.filter(pk=appointment.pk).update(code="048213")
    clock(SATURDAY, 10)
    for wrong in ("48213", "0482130", "04821300000"):
        with pytest.raises(AppointmentError) as refused:
            appointment_check_in(center=hall.center, code=wrong)
        assert refused.value.code == "unknown_code"
    assert appointment_check_in(center=hall.center, code="048 213").channel == Ticket.Channel.APPOINTMENT


def test_bookings_past_their_window_lapse(hall: Hall, schedule: AppointmentSchedule, clock: Clock) -> None:
    past = book(hall, at(SATURDAY, 9))
    soon = book(hall, at(SATURDAY, 10), phone="+93700333444")
    cancelled = appointment_cancel(appointment=book(hall, at(SATURDAY, 9), phone="+93700555666"))
    assert appointments_lapse(now=at(SATURDAY, 10, 5)) == 1
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {past.pk: "lapsed", soon.pk: "booked", cancelled.pk: "cancelled"}
    clock(SATURDAY, 11)
    out = StringIO()
    call_command("lapse_appointments", stdout=out)
    assert "1 appointment(s) lapsed" in out.getvalue()
    assert appointments_lapse() == 0


# --- many at once ----------------------------------------------------------------------------

@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_30_parallel_bookings_of_5_places_book_exactly_5(hall: Hall, clock: Clock) -> None:
    hall.schedule(capacity=5)
    starts_at = at(SATURDAY, 9)
    results = in_parallel(lambda i: book(hall, starts_at, phone=f"+9370012{i:04d}"), 30)
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, AppointmentError)]
    assert len(booked) == 5 and len(refused) == 25, [r for r in results if not isinstance(r, Appointment)][:3]
    assert {error.code for error in refused} == {"full"}
    assert AppointmentSlot.objects.get().booked == 5
    assert Appointment.objects.count() == 5 and len({a.code for a in booked}) == 5


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_ten_times_at_once_books_once(hall: Hall, clock: Clock) -> None:
    hall.schedule(capacity=5)
    results = in_parallel(lambda _i: book(hall, at(SATURDAY, 9), key="one-form"), 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({appointment.pk for appointment in results}) == 1
    assert AppointmentSlot.objects.get().booked == 1


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_phone_booking_one_day_from_ten_forms_at_once_books_once(hall: Hall, clock: Clock) -> None:
    hall.schedule(capacity=20)
    times = [at(SATURDAY, 9), at(SATURDAY, 10)]
    results = in_parallel(lambda i: book(hall, times[i % 2], key=f"form-{i}"), 10)
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if not isinstance(r, Appointment)]
    assert len(booked) == 1, results
    assert all(isinstance(r, AppointmentError) and r.code == "already_booked" for r in refused), refused
    assert Appointment.objects.filter(status="booked").count() == 1
    assert sum(AppointmentSlot.objects.values_list("booked", flat=True)) == 1, "the losers' places are given back"


@pytest.mark.django_db(transaction=True)
def test_parallel_bookings_on_sqlite_never_overbook(hall: Hall, clock: Clock, sqlite_file: SQLiteFile) -> None:
    hall.schedule(capacity=2)
    starts_at = at(SATURDAY, 9)
    sqlite_file.copy()

    def work(index: int) -> Appointment:
        sqlite_file.use()
        return book(hall, starts_at, phone=f"+9370012{index:04d}")

    results = in_parallel(work, 6)
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, AppointmentError) and r.code == "full" for r in refused), refused  # not "locked"
    assert len([r for r in results if isinstance(r, Appointment)]) == 2

    def check(_index: int) -> int:
        sqlite_file.use()
        return AppointmentSlot.objects.get().booked

    assert in_parallel(check, 1) == [2]


def test_a_schedule_is_upserted_for_a_service_the_center_offers(hall: Hall) -> None:
    from django.core.exceptions import ValidationError

    from khedmat.centers.services import appointment_schedule_upsert

    from .conftest import make_service

    first = appointment_schedule_upsert(center=hall.center, service=hall.passport, starts_at=datetime.time(8),
                                        ends_at=datetime.time(12), capacity=3)
    again = appointment_schedule_upsert(center=hall.center, service=hall.passport, starts_at=datetime.time(9),
                                        ends_at=datetime.time(12), capacity=3)
    assert again.pk == first.pk and again.starts_at == datetime.time(9)
    with pytest.raises(ValidationError):
        appointment_schedule_upsert(center=hall.center, service=make_service("VHR", "vehicle-registration"),
                                    starts_at=datetime.time(8), ends_at=datetime.time(12))
    with pytest.raises(ValidationError):
        appointment_schedule_upsert(center=hall.center, service=hall.licence, starts_at=datetime.time(12),
                                    ends_at=datetime.time(8))
    assert AppointmentSchedule.objects.count() == 1

"""Appointments: booking, moving and cancelling a slot, and checking in at the kiosk.

A slot is never overbooked: its row is made when first booked, and a booking takes a place
with one conditional UPDATE (booked = booked + 1 WHERE booked < capacity), which the
database applies one at a time per row; a check constraint backs it up. A checked-in
holder's ticket stands in the queue at the slot's start, ahead of walk-ins who came later.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.formatting import format_date, format_time

from ..events import AppointmentBooked, AppointmentCancelled, AppointmentMoved, AppointmentReminderDue
from ..models import Appointment, AppointmentSchedule, AppointmentSlot, Center, Ticket
from ..selectors.appointments import (
    CODE_DIGITS,
    CODE_LENGTHS,
    appointment_slot_times,
    local_day_bounds,
    normalize_code,
)
from .queue import QueueError, ticket_issue

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

class AppointmentError(Refusal):
    """An appointment operation refused (see core.errors.Refusal)."""


class _KeyTaken(Exception):
    """A parallel request with the same idempotency key booked first."""


def _normalize_phone(phone: str) -> str:
    from khedmat.accounts.phone import normalize_mobile_number

    try:
        return normalize_mobile_number(phone)
    except ValidationError as error:
        raise AppointmentError(" ".join(error.messages), code="bad_phone") from error


def appointment_manage_path(appointment: Appointment) -> str:
    """The page where the citizen sees, moves or cancels the booking."""
    try:
        return reverse("centers:appointment", args=[appointment.public_id])
    except NoReverseMatch:
        return f"/{translation.get_language() or settings.LANGUAGE_CODE}/appointments/{appointment.public_id}/"


def _schedule(center: Center, service: Service) -> AppointmentSchedule:
    schedule = AppointmentSchedule.objects.filter(center=center, service=service, is_active=True).first()
    if schedule is None:
        raise AppointmentError(_("This center does not take appointments for this service."), code="no_schedule")
    return schedule


def _check_offered(schedule: AppointmentSchedule, starts_at: datetime.datetime) -> None:
    day = timezone.localdate(starts_at)
    if starts_at not in appointment_slot_times(schedule=schedule, day=day):
        raise AppointmentError(_("This time cannot be booked; choose one of the times offered."),
                               code="not_offered")


def _check_one_a_day(phone: str, service_id: int, starts_at: datetime.datetime, *, other_than: int | None) -> None:
    start, end = local_day_bounds(timezone.localdate(starts_at))
    taken = Appointment.objects.filter(phone=phone, service_id=service_id, status=Appointment.Status.BOOKED,
                                       slot__starts_at__gte=start, slot__starts_at__lt=end)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise AppointmentError(_("You already have an appointment for this service that day; move it instead."),
                               code="already_booked")


def _take_place(schedule: AppointmentSchedule, starts_at: datetime.datetime) -> AppointmentSlot:
    slot, _created = AppointmentSlot.objects.get_or_create(
        schedule=schedule, starts_at=starts_at, defaults={"capacity": schedule.capacity})
    taken = AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if not taken:
        raise AppointmentError(_("This time is full, choose another."), code="full")
    slot.refresh_from_db(fields=["booked"])
    return slot


def _release_place(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _new_code() -> str:
    first = 10 ** (CODE_DIGITS - 1)
    return str(first + secrets.randbelow(9 * first))


def unusable_code_message() -> str:
    """The one answer for a code that does not check anyone in here: unknown, another
    center's, or cancelled. A guesser learns nothing from it."""
    return _("No appointment can be checked in with this code here. Check the code in your SMS, "
             "or ask at the information desk.")


def appointment_book(*, center: Center, service: Service, starts_at: datetime.datetime, phone: str,
                     idempotency_key: str, language: str = "") -> Appointment:
    """Book a place in the slot starting at `starts_at`; the citizen gets an SMS with the
    code and the link to manage it. The same idempotency key books once."""
    if idempotency_key:
        existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        return _book(center=center, service=service, starts_at=starts_at, phone=phone,
                     idempotency_key=idempotency_key or None, language=language)
    except _KeyTaken:
        return Appointment.objects.get(idempotency_key=idempotency_key)
    except AppointmentError as refusal:
        # The same form sent twice at once: the first may have booked between our look for
        # its key and our one-a-day check. Its booking is the answer, not a refusal.
        if refusal.code == "already_booked" and idempotency_key:
            booked = Appointment.objects.filter(idempotency_key=idempotency_key).first()
            if booked is not None:
                return booked
        raise


@transaction.atomic
def _book(*, center: Center, service: Service, starts_at: datetime.datetime, phone: str,
          idempotency_key: str | None, language: str) -> Appointment:
    phone = _normalize_phone(phone)
    schedule = _schedule(center, service)
    _check_offered(schedule, starts_at)
    _check_one_a_day(phone, service.pk, starts_at, other_than=None)
    slot = _take_place(schedule, starts_at)
    for _attempt in range(20):
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    code=_new_code(), slot=slot, center=center, service=service, phone=phone,
                    day=timezone.localdate(starts_at), idempotency_key=idempotency_key, language=language[:5])
            break
        except IntegrityError:
            if idempotency_key and Appointment.objects.filter(idempotency_key=idempotency_key).exists():
                raise _KeyTaken from None
            _check_one_a_day(phone, service.pk, starts_at, other_than=None)  # lost a race: say so
    else:  # pragma: no cover - a million codes; twenty collisions in a row do not happen
        raise AppointmentError(_("Please try again."), code="busy")
    publish(AppointmentBooked(appointment=appointment))
    return appointment


def _lock(appointment: Appointment) -> Appointment:
    return (Appointment.objects.select_for_update(of=("self",)).select_related("slot", "slot__schedule")
            .get(pk=appointment.pk))


@transaction.atomic
def appointment_move(*, appointment: Appointment, starts_at: datetime.datetime) -> Appointment:
    """Take a place at another time of the same schedule and give back the old one."""
    locked = _lock(appointment)
    if not locked.is_changeable:
        raise AppointmentError(_("This appointment can no longer be changed."), code="not_booked")
    if locked.slot.starts_at == starts_at:
        return locked
    schedule = locked.slot.schedule
    _check_offered(schedule, starts_at)
    _check_one_a_day(locked.phone, locked.service_id, starts_at, other_than=locked.pk)
    slot = _take_place(schedule, starts_at)
    _release_place(locked.slot_id)
    locked.slot = slot
    locked.day = timezone.localdate(starts_at)
    try:
        with transaction.atomic():
            locked.save(update_fields=["slot", "day", "changed_at"])
    except IntegrityError:
        raise AppointmentError(_("You already have an appointment for this service that day; move it instead."),
                               code="already_booked") from None
    locked.reminded_at = None  # a new day: a new reminder the day before
    locked.save(update_fields=["reminded_at"])
    publish(AppointmentMoved(appointment=locked))
    return locked


@transaction.atomic
def appointment_cancel(*, appointment: Appointment) -> Appointment:
    """Cancel the booking and give its place back (cancelling twice changes nothing)."""
    locked = _lock(appointment)
    if locked.status == Appointment.Status.CANCELLED:
        return locked
    if not locked.is_changeable:
        raise AppointmentError(_("This appointment can no longer be changed."), code="not_booked")
    locked.status = Appointment.Status.CANCELLED
    locked.save(update_fields=["status", "changed_at"])
    _release_place(locked.slot_id)
    publish(AppointmentCancelled(appointment=locked))
    return locked


def appointment_check_in(*, center: Center, code: str) -> Ticket:
    """At the kiosk: the booking code gives a ticket standing at the slot's start.

    Allowed from APPOINTMENT_CHECKIN_BEFORE_MINUTES before the slot to
    APPOINTMENT_CHECKIN_AFTER_MINUTES after it; later, the booking lapses (that change is
    kept) and the holder is told. Checking in again gives the same ticket.
    """
    ticket = _check_in(center=center, code=code)
    if ticket is None:
        raise AppointmentError(_lapsed_message(), code="lapsed")
    return ticket


def _lapsed_message() -> str:
    return _("Your appointment time has passed and the booking has lapsed. "
             "Please take an ordinary ticket or book again.")


@transaction.atomic
def _check_in(*, center: Center, code: str) -> Ticket | None:
    """The ticket, or None when the booking lapsed just now (committed)."""
    code = normalize_code(code)
    # One query, found or not (and locked when found): an unknown code and a cancelled one
    # take the same work before the same answer.
    appointment = (Appointment.objects.select_for_update(of=("self",)).select_related("slot", "slot__schedule")
                   .filter(code=code if len(code) in CODE_LENGTHS else "-", center=center).first())
    if appointment is None:
        raise AppointmentError(unusable_code_message(), code="unknown_code")
    if appointment.status == Appointment.Status.CHECKED_IN and appointment.ticket_id:
        return Ticket.objects.select_related("group", "service").get(pk=appointment.ticket_id)
    if appointment.status == Appointment.Status.LAPSED:
        raise AppointmentError(_lapsed_message(), code="lapsed")
    if appointment.status != Appointment.Status.BOOKED:  # cancelled: as if there were none
        raise AppointmentError(unusable_code_message(), code="unknown_code")
    now = timezone.now()
    starts_at = appointment.slot.starts_at
    opens, closes = appointment.check_in_window
    if now < opens:
        local = timezone.localtime(opens)
        raise AppointmentError(_("Too early: you can check in from %(time)s on %(date)s.") % {
            "time": format_time(local), "date": format_date(local)}, code="too_early")
    if now > closes:
        appointment.status = Appointment.Status.LAPSED
        appointment.save(update_fields=["status", "changed_at"])
        return None
    try:
        ticket = ticket_issue(center=center, service=appointment.service, channel=Ticket.Channel.APPOINTMENT,
                              phone=appointment.phone, queue_position_at=starts_at, language=appointment.language)
    except QueueError as error:
        raise AppointmentError(error.message, code=error.code) from error
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.ticket = ticket
    appointment.save(update_fields=["status", "ticket", "changed_at"])
    return ticket


def appointments_lapse(*, now: datetime.datetime | None = None) -> int:
    """Mark booked appointments whose check-in window has closed as lapsed; how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.APPOINTMENT_CHECKIN_AFTER_MINUTES)
    return Appointment.objects.filter(status=Appointment.Status.BOOKED, slot__starts_at__lt=cutoff).update(
        status=Appointment.Status.LAPSED, changed_at=now)


def appointments_remind(*, now: datetime.datetime | None = None) -> int:
    """Remind, once, every booking whose slot is tomorrow (local day); how many. Run it at
    any hour of the day before, as often as you like (`manage.py run_jobs`, Celery beat)."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    due = list(Appointment.objects.filter(status=Appointment.Status.BOOKED, day=tomorrow, reminded_at__isnull=True)
               .values_list("pk", flat=True))
    reminded = 0
    for pk in due:
        with transaction.atomic():
            # Claimed by the update itself: two runs at once remind once.
            if Appointment.objects.filter(pk=pk, status=Appointment.Status.BOOKED,
                                          reminded_at__isnull=True).update(reminded_at=now):
                appointment = Appointment.objects.select_related("slot", "center", "service").get(pk=pk)
                publish(AppointmentReminderDue(appointment=appointment))
                reminded += 1
    return reminded

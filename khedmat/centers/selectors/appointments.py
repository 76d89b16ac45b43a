"""Reading appointments: the bookable days and times of a schedule, a booking by its code or
its link, and the codes as people read and type them."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from khedmat.accounts.phone import normalize_mobile_number
from khedmat.core.formatting import localize_digits
from khedmat.core.parsing import digits_only

from ..hours import open_days
from ..models import Appointment, AppointmentSchedule, AppointmentSlot

# A booking's code: ten digits, the first never 0 (9 × 10⁹ codes). With the kiosk's and the
# find page's throttles, guessing one that is booked takes longer than any booking lasts.
# Bookings made before issue 9 keep their six-digit code until they pass (at most
# `days_ahead` days): both lengths are accepted, never any other.
CODE_DIGITS = 10
LEGACY_CODE_DIGITS = 6
CODE_LENGTHS = (CODE_DIGITS, LEGACY_CODE_DIGITS)


def normalize_code(code: str) -> str:
    """What a person typed as their booking code: digits only, Western."""
    return digits_only(code)


def appointment_code_display(code: str) -> str:
    """The code as people read it: in groups ("48213 90577", "123 456"), digits as the
    language writes them. Typed back with or without the spaces, in any digits."""
    middle = len(code) // 2
    return localize_digits(f"{code[:middle]} {code[middle:]}" if len(code) in CODE_LENGTHS else code)


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime.datetime
    free: int


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of `day` and of the next day, in the platform's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def _bookable_days(schedule: AppointmentSchedule, today: datetime.date) -> list[datetime.date]:
    """The days within the schedule's reach on which its center opens (hours.open_days)."""
    last = today + datetime.timedelta(days=max(schedule.days_ahead, 1) - 1)
    return open_days(schedule.center, today, last)


def _times_of(schedule: AppointmentSchedule, day: datetime.date, now: datetime.datetime) -> list[datetime.datetime]:
    step = datetime.timedelta(minutes=schedule.slot_minutes)
    current = timezone.make_aware(datetime.datetime.combine(day, schedule.starts_at))
    end = timezone.make_aware(datetime.datetime.combine(day, schedule.ends_at))
    times = []
    while current + step <= end:
        if current > now:
            times.append(current)
        current += step
    return times


def appointment_slot_times(*, schedule: AppointmentSchedule, day: datetime.date,
                           now: datetime.datetime | None = None) -> list[datetime.datetime]:
    """Start times offered on `day` (working days within `days_ahead`, no past time)."""
    now = now or timezone.now()
    if not schedule.is_active or day not in _bookable_days(schedule, timezone.localdate(now)):
        return []
    return _times_of(schedule, day, now)


def appointment_days(*, schedule: AppointmentSchedule) -> list[datetime.date]:
    """Days with at least one time still to come (not whether it has room)."""
    if not schedule.is_active:
        return []
    now = timezone.now()
    return [day for day in _bookable_days(schedule, timezone.localdate(now)) if _times_of(schedule, day, now)]


def appointment_slots(*, schedule: AppointmentSchedule, day: datetime.date) -> list[SlotView]:
    """The times offered on `day` and the places left at each (two queries)."""
    times = appointment_slot_times(schedule=schedule, day=day)
    if not times:
        return []
    start, end = local_day_bounds(day)
    booked = {slot.starts_at: slot.capacity - slot.booked
              for slot in AppointmentSlot.objects.filter(schedule=schedule, starts_at__gte=start, starts_at__lt=end)}
    return [SlotView(starts_at=time, free=max(0, booked.get(time, schedule.capacity))) for time in times]


def appointment_find(*, code: str, phone: str) -> Appointment | None:
    """The booking with this code and mobile number (both must match), or None.

    Every pair costs the same one query, whichever half is wrong or unreadable: neither the
    answer nor its timing tells a wrong code from a wrong phone number.
    """
    code = normalize_code(code)
    try:
        phone = normalize_mobile_number(phone)
    except ValidationError:
        phone = ""
    return (Appointment.objects.select_related("slot", "slot__schedule", "center", "service__current_version")
            .filter(code=code or "-", phone=phone or "-").first())


def appointment_schedules_open() -> list[AppointmentSchedule]:
    """The active schedules of active centers: what can be booked, by center then service."""
    return list(AppointmentSchedule.objects.filter(is_active=True, center__is_active=True)
                .select_related("center", "service__current_version").order_by("center__name_en", "service_id"))


def appointment_schedule_open(*, pk: int) -> AppointmentSchedule | None:
    """One schedule that can be booked now (active, of an active center), else None."""
    return (AppointmentSchedule.objects.filter(pk=pk, is_active=True, center__is_active=True)
            .select_related("center", "service__current_version").first())


def appointment_by_public_id(*, public_id: uuid.UUID) -> Appointment | None:
    """An appointment by its unguessable id (the key in its SMS link)."""
    return (Appointment.objects.select_related("center", "service__current_version", "slot__schedule", "ticket")
            .filter(public_id=public_id).first())


def appointment_next_for_phone(*, phone: str) -> Appointment | None:
    """The next booking of this mobile number that still stands."""
    return (Appointment.objects.select_related("slot", "center", "service")
            .filter(phone=phone, status=Appointment.Status.BOOKED, slot__starts_at__gte=timezone.now()
                    - datetime.timedelta(minutes=settings.APPOINTMENT_CHECKIN_AFTER_MINUTES))
            .order_by("slot__starts_at", "id").first())

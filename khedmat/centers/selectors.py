"""Reading centers, the queue, the display board and appointment slots."""

from __future__ import annotations

import datetime
import hashlib
import math
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors

from .hours import open_days
from .models import (
    Appointment,
    AppointmentSchedule,
    AppointmentSlot,
    Center,
    Counter,
    Device,
    PriorityGroup,
    QueueGroup,
    Ticket,
    TicketVisit,
)

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

# The recent service times a wait estimate is based on.
RECENT_VISITS_WINDOW = datetime.timedelta(hours=2)
RECENT_VISITS_LIMIT = 50


def center_list(*, service: Service | None = None) -> QuerySet[Center]:
    """Active centers (those offering `service`, if given), with their number of counters."""
    centers = Center.objects.filter(is_active=True)
    if service is not None:
        centers = centers.filter(services=service)
    return centers.annotate(counter_count=Count("counters", distinct=True)).order_by("name_en")


def center_names(*, codes: Iterable[str]) -> dict[str, str]:
    """The names of the centers with these codes, in the reader's language (one query)."""
    codes = set(codes)
    return {center.code: center.name for center in Center.objects.filter(code__in=codes)} if codes else {}


def center_services_offered(*, center_id: int) -> QuerySet[Service]:
    """The active, published services an active center offers, with their agency and current version."""
    return (catalog_selectors.services_with_a_version(active_only=True)
            .filter(centers=center_id, centers__is_active=True).distinct())


def priority_groups() -> QuerySet[PriorityGroup]:
    """The priority groups a ticket may be issued for, in kiosk order."""
    return PriorityGroup.objects.filter(is_active=True).order_by("position", "code")


# --- the kiosk -------------------------------------------------------------------------------

@dataclass(frozen=True)
class KioskGroup:
    """A queue group as the kiosk shows it: its letter and name, and its services."""

    group: QueueGroup
    services: list[Service]
    women_desk_services: frozenset[int]  # ids of the services with a women's desk


def kiosk_layout(*, center: Center) -> list[KioskGroup]:
    """The center's queue groups with the services it offers in each (three queries)."""
    offered = set(center.services.values_list("pk", flat=True))
    women = frozenset(
        Counter.services.through.objects.filter(
            counter__center=center, counter__is_active=True, counter__designation=Counter.Designation.WOMEN,
        ).values_list("service_id", flat=True)
    )
    groups = (QueueGroup.objects.filter(center=center).order_by("letter")
              .prefetch_related(_services_prefetch()))
    layout = []
    for group in groups:
        services = [service for service in group.services.all() if service.pk in offered]
        if services:
            layout.append(KioskGroup(group=group, services=services,
                                     women_desk_services=frozenset(s.pk for s in services if s.pk in women)))
    return layout


def kiosk_service(*, center: Center, service_id: int) -> Service | None:
    """The service a kiosk's form names, if the center offers it in one of its queue groups
    (one query: issuing a ticket need not rebuild the whole kiosk screen)."""
    return (catalog_selectors.services_with_a_version(active_only=True)
            .filter(pk=service_id, centers=center, queue_groups__center=center).first())


def _services_prefetch() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch("services", queryset=catalog_selectors.services_with_a_version(active_only=True).order_by("code"))


# --- a ticket's place ------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketPosition:
    people_ahead: int
    estimated_wait_minutes: int


def ticket_position(*, ticket: Ticket) -> TicketPosition:
    """People the counters would call before this ticket, and the wait that makes at the
    center's recent pace (median service time ÷ open counters serving the service)."""
    if ticket.status != Ticket.Status.WAITING:
        return TicketPosition(people_ahead=0, estimated_wait_minutes=0)
    group_services = QueueGroup.services.through.objects.filter(
        queuegroup__center_id=ticket.center_id, queuegroup__services=ticket.service_id,
    ).values("service_id")
    ahead = Ticket.objects.filter(
        Q(queue_position_at__lt=ticket.queue_position_at) | Q(queue_position_at=ticket.queue_position_at,
                                                              id__lt=ticket.pk),
        center_id=ticket.center_id, day=ticket.day, status=Ticket.Status.WAITING, service_id__in=group_services,
        desk=ticket.desk,
    )
    ahead = ahead.filter(Q(counter__isnull=True) | Q(counter_id=ticket.counter_id)) if ticket.counter_id \
        else ahead.filter(counter__isnull=True)
    people_ahead = ahead.count()
    if not people_ahead:
        return TicketPosition(people_ahead=0, estimated_wait_minutes=0)
    minutes = service_minutes(center_id=ticket.center_id, service_ids=group_services)
    counters = Counter.objects.filter(center_id=ticket.center_id, is_active=True, state=Counter.State.OPEN,
                                      services=ticket.service_id)
    if ticket.desk:
        counters = counters.filter(designation=ticket.desk)
    open_counters = max(1, counters.count())
    return TicketPosition(people_ahead=people_ahead,
                          estimated_wait_minutes=math.ceil(people_ahead * minutes / open_counters))


def service_minutes(*, center_id: int, service_ids: object, now: datetime.datetime | None = None) -> float:
    """Median minutes of service at the center over the last two hours (at most the last 50
    visits), or QUEUE_DEFAULT_SERVICE_MINUTES when nobody was served lately."""
    now = now or timezone.now()
    recent = (TicketVisit.objects.filter(center_id=center_id, service_id__in=service_ids,
                                         outcome=TicketVisit.Outcome.SERVED, started_at__isnull=False,
                                         ended_at__gte=now - RECENT_VISITS_WINDOW)
              .order_by("-ended_at").values_list("started_at", "ended_at")[:RECENT_VISITS_LIMIT])
    durations = [(ended - started).total_seconds() / 60 for started, ended in recent if started]
    if not durations:
        return float(settings.QUEUE_DEFAULT_SERVICE_MINUTES)
    return max(1.0, statistics.median(durations))


# --- the display board -----------------------------------------------------------------------

@dataclass(frozen=True)
class BoardCall:
    number: str
    counter: int
    called_at: datetime.datetime
    service: str


def board_calls(*, center: Center, limit: int = 8) -> list[BoardCall]:
    """The tickets called most recently at the center (a recall counts as a new call), and
    the counters they go to, newest first. One query."""
    tickets = (Ticket.objects.filter(center=center, day=timezone.localdate(),
                                     status__in=(Ticket.Status.CALLED, Ticket.Status.SERVING),
                                     counter__isnull=False, called_at__isnull=False)
               .select_related("group", "counter", "service__current_version")
               .order_by("-called_at", "-id")[:limit])
    return [BoardCall(number=ticket.display_number, counter=ticket.counter.number,  # type: ignore[union-attr]
                      called_at=ticket.called_at, service=ticket.service.name)  # type: ignore[arg-type]
            for ticket in tickets]


def board_version(calls: list[BoardCall]) -> str:
    """An opaque string that changes whenever the board's calls change (for the feed's ETag)."""
    text = "|".join(f"{call.number}@{call.counter}@{call.called_at.isoformat()}" for call in calls)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- appointments ----------------------------------------------------------------------------

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
    from django.core.exceptions import ValidationError

    from khedmat.accounts.phone import normalize_mobile_number

    from .appointments import normalize_code

    code = normalize_code(code)
    try:
        phone = normalize_mobile_number(phone)
    except ValidationError:
        phone = ""
    return (Appointment.objects.select_related("slot", "slot__schedule", "center", "service__current_version")
            .filter(code=code or "-", phone=phone or "-").first())


def ticket_by_public_id(*, public_id: uuid.UUID) -> Ticket | None:
    """A ticket by its unguessable id (the only key to a ticket's page), with what it shows."""
    return (Ticket.objects.select_related("center", "group", "service__current_version", "counter",
                                          "priority_group")
            .filter(public_id=public_id).first())


def ticket_at_center(*, center_id: int | None, public_id: uuid.UUID | str) -> Ticket | None:
    """The ticket with this public id if it is one of the center's (else None: a 404)."""
    if center_id is None:
        return None
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (Ticket.objects.select_related("group", "service__current_version")
            .filter(center_id=center_id, public_id=key).first())


def appointment_schedules_open() -> list[AppointmentSchedule]:
    """The active schedules of active centers: what can be booked, by center then service."""
    return list(AppointmentSchedule.objects.filter(is_active=True, center__is_active=True)
                .select_related("center", "service__current_version").order_by("center__name_en", "service_id"))


def appointment_by_public_id(*, public_id: uuid.UUID) -> Appointment | None:
    """An appointment by its unguessable id (the key in its SMS link)."""
    return (Appointment.objects.select_related("center", "service__current_version", "slot__schedule", "ticket")
            .filter(public_id=public_id).first())


# --- by phone (SMS and USSD) -------------------------------------------------------------------

def tickets_for_phone_today(*, phone: str) -> list[Ticket]:
    """Today's tickets of this mobile number still in the queue or at a counter."""
    return list(Ticket.objects.select_related("group", "center", "service", "counter")
                .filter(phone=phone, day=timezone.localdate(),
                        status__in=[Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING])
                .order_by("issued_at", "id"))


def appointment_next_for_phone(*, phone: str) -> Appointment | None:
    """The next booking of this mobile number that still stands."""
    return (Appointment.objects.select_related("slot", "center", "service")
            .filter(phone=phone, status=Appointment.Status.BOOKED, slot__starts_at__gte=timezone.now()
                    - datetime.timedelta(minutes=settings.APPOINTMENT_CHECKIN_AFTER_MINUTES))
            .order_by("slot__starts_at", "id").first())


def center_by_id(*, pk: int) -> Center | None:
    return Center.objects.filter(pk=pk, is_active=True).first()


# --- a counter and its finished tickets (the counter's screen, the rating tablet) -------------------

def counter_of(*, user: Any) -> Counter | None:
    """The counter `user` is signed in at, if any."""
    if not getattr(user, "pk", None):
        return None
    return Counter.objects.select_related("center").filter(operator_id=user.pk).first()


def served_visits_at(*, counter: Counter, since: datetime.datetime,
                     ticket_public_id: uuid.UUID | None = None) -> QuerySet[TicketVisit]:
    """The counter's visits that ended in service since `since`, of tickets still served, the
    latest first, with the ticket's group and service (optionally of one ticket only)."""
    visits = (TicketVisit.objects.filter(counter=counter, outcome=TicketVisit.Outcome.SERVED,
                                         ended_at__gte=since, ticket__status=Ticket.Status.SERVED)
              .select_related("ticket__group", "ticket__service__current_version").order_by("-ended_at", "-id"))
    return visits if ticket_public_id is None else visits.filter(ticket__public_id=ticket_public_id)


def ticket_served_now(*, ticket_id: int) -> bool:
    """Whether the ticket is served as stored now (a caller's copy may be older than the
    counter's last action)."""
    return Ticket.objects.filter(pk=ticket_id, status=Ticket.Status.SERVED).exists()


def ticket_last_counter_id(*, ticket: Ticket) -> int | None:
    """The counter of the ticket's last finished visit, else the counter it is at."""
    last_visit = (TicketVisit.objects.filter(ticket_id=ticket.pk, counter__isnull=False)
                  .order_by("-ended_at", "-id").values_list("counter_id", flat=True).first())
    return last_visit if last_visit is not None else ticket.counter_id


def tickets_served_for_phone(*, phone: str, since: datetime.date) -> QuerySet[Ticket]:
    """The tickets of this mobile number served since `since`, the latest first."""
    return (Ticket.objects.select_related("group", "center", "service")
            .filter(phone=phone, status=Ticket.Status.SERVED, day__gte=since)
            .order_by("-day", "-issued_at", "-id"))


# --- paired devices (the manager's devices page) ------------------------------------------------

def devices_of_center(*, center: Center) -> list[Device]:
    """The center's screens, in use first, then revoked ones (kept for the record); one query."""
    return list(Device.objects.filter(center=center).select_related("counter")
                .order_by(F("revoked_at").asc(nulls_first=True), "kind", "name", "id"))


def device_of_center(*, center_id: int | None, public_id: uuid.UUID | str) -> Device | None:
    """The device with this public id if it is one of the center's (else None: a 404)."""
    if center_id is None:
        return None
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return Device.objects.select_related("center", "counter").filter(center_id=center_id, public_id=key).first()


def counters_for_tablets(*, center: Center) -> list[Counter]:
    """The counters a rating tablet may be paired to: the center's active ones, by number."""
    return list(Counter.objects.filter(center=center, is_active=True).order_by("number"))


def centers_for_handover(*, service_id: int, codes: Iterable[str] = ()) -> list[Center]:
    """Where a service hands things over: the active centers offering it (only those with
    `codes`, when its definition narrows the choice), by name."""
    centers = Center.objects.filter(is_active=True, services__id=service_id)
    codes = list(codes)
    if codes:
        centers = centers.filter(code__in=codes)
    return list(centers.distinct().order_by("name_en"))


def center_by_code(*, code: str) -> Center | None:
    return Center.objects.filter(code=code).first() if code else None

"""Reading the hall: the kiosk's layout, a ticket and its place in the queue, the display board,
and a mobile number's tickets (SMS and USSD)."""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from khedmat.catalog import fragments
from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.rows import literals

from ..models import Center, Counter, QueueGroup, Ticket, TicketVisit
from . import rows
from .centers import women_desk_service_ids

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

# The recent service times a wait estimate is based on.
RECENT_VISITS_WINDOW = datetime.timedelta(hours=2)
RECENT_VISITS_LIMIT = 50


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
    women = frozenset(women_desk_service_ids(center=center))
    groups = (QueueGroup.objects.filter(center=center).order_by("letter")
              .prefetch_related(_services_prefetch()))
    layout = []
    for group in groups:
        services = [service for service in group.services.all() if service.pk in offered]
        if services:
            layout.append(KioskGroup(group=group, services=services,
                                     women_desk_services=frozenset(s.pk for s in services if s.pk in women)))
    return layout


def join_choices(*, center: Center, language: str) -> list[tuple[int, str]]:
    """Every service the centre's queue groups offer, as (id, name in `language`), for the join
    form. The same for every phone until the catalog changes: kept in the cache under the
    catalog version (catalog/fragments.py; the centres, their services, the queue groups and
    the services' versions all give it a new one)."""
    def build() -> list[tuple[int, str]]:
        layout = kiosk_layout(center=center)
        return list({service.pk: str(service.name) for group in layout for service in group.services}.items())

    return fragments.cached("join-choices", center.pk, language, render=build)


@dataclass(frozen=True)
class TicketChoice:
    """What issuing a ticket for a chosen service reads, read at once (ticket_choice): the
    service's own row, its queue group at the centre (None: not served here) and the ticket
    the form's one-time token already gave (None: not yet). ticket_issue takes it as `read`."""

    center_id: int
    token: str | None
    service: Service
    group: QueueGroup | None
    issued: Ticket | None


def ticket_choice(*, center: Center, service_id: int, token: str | None) -> TicketChoice | None:
    """The service a kiosk's or a phone's form names, if it is active, published and offered at
    the centre, with its queue group here and the ticket `token` already gave: one plain
    statement (they were three, each costing more CPU to build than the database to answer)."""
    sql, parts = _ticket_choice_sql(connection.vendor)
    row = rows.fetch_one(sql, [center.pk, center.pk, token or None, service_id])
    if row is None:
        return None
    service_columns, group_columns, ticket_columns = parts
    service = service_columns.build(row[:service_columns.width])
    group_values = row[service_columns.width:service_columns.width + group_columns.width]
    ticket_values = row[service_columns.width + group_columns.width:]
    return TicketChoice(center_id=center.pk, token=token or None, service=service,
                        group=group_columns.build(group_values) if group_values[0] is not None else None,
                        issued=ticket_columns.build(ticket_values) if ticket_values[0] is not None else None)


@functools.lru_cache(maxsize=4)
def _ticket_choice_sql(vendor: str) -> tuple[str, tuple[rows.Columns[Service], rows.Columns[QueueGroup],
                                                         rows.Columns[Ticket]]]:
    service_model: type[Service] = Center._meta.get_field("services").related_model  # type: ignore[assignment]
    offered, links = Center.services.through, QueueGroup.services.through
    parts = (rows.columns(service_model, "s"), rows.columns(QueueGroup, "g"), rows.columns(Ticket, "t"))
    column = rows.column
    sql = (f"SELECT {parts[0].select}, {parts[1].select}, {parts[2].select} "  # noqa: S608 - our names
           f"FROM {rows.table(service_model)} s "
           f"JOIN {rows.table(offered)} o ON o.{column(offered, 'service')} = s.id "
           f"AND o.{column(offered, 'center')} = %s "
           # The centre's groups that call the service: all of them or none, so the order by
           # letter (the groups' own order, should two call it) never meets a NULL.
           f"LEFT JOIN (SELECT {parts[1].select}, l.{column(links, 'service')} AS called_service "
           f"FROM {rows.table(QueueGroup)} g JOIN {rows.table(links)} l ON l.{column(links, 'queuegroup')} = g.id "
           f"WHERE g.{column(QueueGroup, 'center')} = %s) g ON g.called_service = s.id "
           f"LEFT JOIN {rows.table(Ticket)} t ON t.{column(Ticket, 'idempotency_key')} = %s "
           f"WHERE s.id = %s AND s.{column(service_model, 'is_active')} "
           f"AND s.{column(service_model, 'current_version')} IS NOT NULL "
           f"ORDER BY g.{column(QueueGroup, 'letter')} LIMIT 1")
    return sql, parts


def queue_group_of(*, center_id: int, service_id: int) -> QueueGroup | None:
    """The centre's queue group that calls this service (the first by letter, should two),
    in one plain statement written once per process: every ticket asks it."""
    sql, group_columns = _queue_group_sql(connection.vendor)
    row = rows.fetch_one(sql, [center_id, service_id])
    return group_columns.build(row) if row is not None else None


@functools.lru_cache(maxsize=4)
def _queue_group_sql(vendor: str) -> tuple[str, rows.Columns[QueueGroup]]:
    links = QueueGroup.services.through
    group_columns = rows.columns(QueueGroup, "g")
    # By letter: the groups' own order within one center, without joining the centers to sort.
    sql = (f"SELECT {group_columns.select} FROM {rows.table(QueueGroup)} g "  # noqa: S608 - our names
           f"JOIN {rows.table(links)} l ON l.{rows.column(links, 'queuegroup')} = g.id "
           f"WHERE g.{rows.column(QueueGroup, 'center')} = %s AND l.{rows.column(links, 'service')} = %s "
           f"ORDER BY g.{rows.column(QueueGroup, 'letter')} LIMIT 1")
    return sql, group_columns


def ticket_by_idempotency_key(*, key: str) -> Ticket | None:
    """The ticket a form's one-time token already gave, if any (plain statement: every
    ticket asks it before issuing, and nearly always hears "none")."""
    sql, ticket_columns = _ticket_by_key_sql(connection.vendor)
    row = rows.fetch_one(sql, [key])
    return ticket_columns.build(row) if row is not None else None


@functools.lru_cache(maxsize=4)
def _ticket_by_key_sql(vendor: str) -> tuple[str, rows.Columns[Ticket]]:
    ticket_columns = rows.columns(Ticket, "t")
    sql = (f"SELECT {ticket_columns.select} FROM {rows.table(Ticket)} t "  # noqa: S608 - our names
           f"WHERE t.{rows.column(Ticket, 'idempotency_key')} = %s")
    return sql, ticket_columns


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


def ticket_by_public_id(*, public_id: uuid.UUID) -> Ticket | None:
    """A ticket by its unguessable id (the only key to a ticket's page), with what it shows."""
    return (Ticket.objects.select_related("center", "group", "service__current_version", "counter",
                                          "priority_group")
            .filter(public_id=public_id).first())


# --- the display board -----------------------------------------------------------------------

@dataclass(frozen=True)
class BoardCall:
    number: str
    counter: int
    called_at: datetime.datetime
    service: str


def board_calls(*, center: Center, limit: int = 8) -> list[BoardCall]:
    """The tickets called most recently at the center (a recall counts as a new call), and
    the counters they go to, newest first. One query.

    A call stays on the board once its holder is served: a board that emptied itself when
    the counters finished said "no ticket called today" after a day of calls. A ticket sent
    on (transferred) waits again, uncalled, and a no-show's call is over: neither is shown."""
    tickets = (Ticket.objects.filter(center=center, day=timezone.localdate(),
                                     status__in=(Ticket.Status.CALLED, Ticket.Status.SERVING, Ticket.Status.SERVED),
                                     counter__isnull=False, called_at__isnull=False)
               .select_related("group", "counter", "service__current_version")
               # Only what the board shows: the feed asks every few seconds, from every screen,
               # and the rows' other columns (a definition of 6 KB among them) cost more than the query.
               .only("number", "called_at", "group__letter", "counter__number", "service__slug",
                     "service__current_version__name_en", "service__current_version__name_fa",
                     "service__current_version__name_ps")
               .order_by("-called_at", "-id")[:limit])
    return [BoardCall(number=ticket.display_number, counter=ticket.counter.number,  # type: ignore[union-attr]
                      called_at=ticket.called_at, service=ticket.service.name)  # type: ignore[arg-type]
            for ticket in tickets]


def board_version(calls: list[BoardCall]) -> str:
    """An opaque string that changes whenever the board's calls change (for the feed's ETag)."""
    return _version_of((call.number, call.counter, call.called_at) for call in calls)


def _version_of(calls: Iterable[tuple[str, int, datetime.datetime]]) -> str:
    text = "|".join(f"{number}@{counter}@{called_at.isoformat()}" for number, counter, called_at in calls)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def board_version_by_slug(*, slug: str, limit: int = 8) -> str | None:
    """The board_version of the active center at this address (None: no such center), in one
    plain SQL statement: every screen of every hall asks for it every few seconds, and nearly
    always hears "not modified". Building the ORM's queries for the center and its calls cost
    ten times what the database did (docs/performance.md). The same calls as board_calls."""
    quote = connection.ops.quote_name
    center_table, ticket_table = quote(Center._meta.db_table), quote(Ticket._meta.db_table)
    group_table, counter_table = quote(QueueGroup._meta.db_table), quote(Counter._meta.db_table)
    statuses = (Ticket.Status.CALLED, Ticket.Status.SERVING, Ticket.Status.SERVED)
    sql = (
        f"SELECT c.id, g.letter, t.number, k.number, t.called_at FROM {center_table} c "  # noqa: S608 - our names
        f"LEFT JOIN {ticket_table} t ON t.center_id = c.id AND t.day = %s AND t.status IN ({literals(*statuses)}) "
        "AND t.counter_id IS NOT NULL AND t.called_at IS NOT NULL "
        f"LEFT JOIN {group_table} g ON g.id = t.group_id LEFT JOIN {counter_table} k ON k.id = t.counter_id "
        "WHERE c.slug = %s AND c.is_active ORDER BY t.called_at DESC, t.id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [timezone.localdate(), slug, limit])
        rows = cursor.fetchall()
    if not rows:
        return None
    calls = []
    for _center, letter, number, counter, called_at in rows:
        if number is None:  # the center, with no call today
            continue
        if isinstance(called_at, str):  # SQLite gives text to plain SQL
            called_at = datetime.datetime.fromisoformat(called_at)
        if timezone.is_naive(called_at):  # SQLite keeps UTC without its offset
            called_at = timezone.make_aware(called_at, datetime.UTC)
        calls.append((f"{letter}-{number:03d}", counter, called_at))
    return _version_of(calls)


# --- by phone (SMS and USSD) -------------------------------------------------------------------

def tickets_for_phone_today(*, phone: str) -> list[Ticket]:
    """Today's tickets of this mobile number still in the queue or at a counter."""
    return list(Ticket.objects.select_related("group", "center", "service", "counter")
                .filter(phone=phone, day=timezone.localdate(),
                        status__in=[Ticket.Status.WAITING, Ticket.Status.CALLED, Ticket.Status.SERVING])
                .order_by("issued_at", "id"))


def tickets_served_for_phone(*, phone: str, since: datetime.date) -> QuerySet[Ticket]:
    """The tickets of this mobile number served since `since`, the latest first."""
    return (Ticket.objects.select_related("group", "center", "service")
            .filter(phone=phone, status=Ticket.Status.SERVED, day__gte=since)
            .order_by("-day", "-issued_at", "-id"))

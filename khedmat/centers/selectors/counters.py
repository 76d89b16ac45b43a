"""Reading a counter and what it may call: the counter screen, the tickets a counter finished
(for the rating tablet), and the center's paired screens (the manager's devices page)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, router
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.i18n import pick
from khedmat.core.rows import converted, fetch_models, literals, model_columns, width

from ..models import Center, Counter, Device, PriorityGroup, QueueGroup, Ticket, TicketVisit

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

# A ticket called to a counter or being served there: the counter is busy with it.
ACTIVE_STATUSES = (Ticket.Status.CALLED, Ticket.Status.SERVING)


def tickets_callable_by(*, counter: Counter) -> QuerySet[Ticket]:
    """Today's waiting tickets this counter may call, in no particular order: those of its
    services for no desk or for its own designated desk (a women's desk), and those
    transferred to it."""
    desks = [""]
    if counter.designation == Counter.Designation.WOMEN:
        desks.append(Counter.Designation.WOMEN)
    served = Counter.services.through.objects.filter(counter_id=counter.pk).values("service_id")
    return Ticket.objects.filter(
        Q(counter__isnull=True, desk__in=desks) | Q(counter=counter),
        center_id=counter.center_id, status=Ticket.Status.WAITING, day=timezone.localdate(),
        service_id__in=served,
    )


def callable_rule(*, ticket: str, counter: str, counter_id: str = "") -> tuple[str, list[Any]]:
    """tickets_callable_by's rule in plain SQL, for the statements every call and every load of
    the counter screen runs (building the ORM's query cost several times the database's work):
    a condition on the tickets aliased `ticket` for the counter row aliased `counter`, and its
    parameters. The two must say the same (the queue's tests run the calls through this one).
    `counter_id`: an expression for the counter's id that does not depend on the ticket row
    (the counter screen's `(SELECT id FROM k)`), so its services are read once, not per ticket."""
    served = connection.ops.quote_name(Counter.services.through._meta.db_table)
    t, k = ticket, counter
    services_of = counter_id or f"{k}.id"
    sql = (
        f"(({t}.counter_id IS NULL AND ({t}.desk = '' OR ({t}.desk = %s AND {k}.designation = %s))) "  # noqa: S608
        f"OR {t}.counter_id = {k}.id) AND {t}.center_id = {k}.center_id "
        f"AND {t}.status = {literals(Ticket.Status.WAITING)} AND {t}.day = %s "
        f"AND {t}.service_id IN (SELECT m.service_id FROM {served} m WHERE m.counter_id = {services_of})"
    )
    women = Counter.Designation.WOMEN
    return sql, [women, women, connection.ops.adapt_datefield_value(timezone.localdate())]


def callable_rule_of(*, ticket: str, counter: Counter) -> tuple[str, list[Any]]:
    """callable_rule for a counter already read (a call has locked it first): the same
    condition with the counter's values as parameters. The database then reads the counter's
    services once and walks the queue in its order, stopping at the first ticket the counter
    may call, where the rule joined to the counter row checked the services again for every
    waiting ticket (1.5 ms at 400 waiting, 0.03 ms this way; docs/performance.md)."""
    served = connection.ops.quote_name(Counter.services.through._meta.db_table)
    t = ticket
    sql = (
        f"(({t}.counter_id IS NULL AND {t}.desk IN (%s, %s)) OR {t}.counter_id = %s) "  # noqa: S608 - our names
        f"AND {t}.center_id = %s AND {t}.status = {literals(Ticket.Status.WAITING)} AND {t}.day = %s "
        f"AND {t}.service_id IN (SELECT m.service_id FROM {served} m WHERE m.counter_id = %s)"
    )
    desk = Counter.Designation.WOMEN if counter.designation == Counter.Designation.WOMEN else ""
    return sql, ["", desk, counter.pk, counter.center_id,
                 connection.ops.adapt_datefield_value(timezone.localdate()), counter.pk]


def _partial(model: type[Any], values: dict[str, Any]) -> Any:
    """An instance of `model` with only these fields read (the others load if asked for)."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


# --- the counter screen -----------------------------------------------------------------------------

# The counter screen counts the people waiting up to this many; beyond, it says "more than".
# An operator needs no exact figure for a hall of thousands, and the count stays cheap.
WAITING_COUNTED_UP_TO = 500


@dataclass(frozen=True)
class CounterScreen:
    """What the operator's screen shows: their counter (with its center's name), the ticket
    called to it or served there, and how many people wait for what it may call (counted up
    to WAITING_COUNTED_UP_TO + 1)."""

    counter: Counter
    ticket: Ticket | None
    waiting: int
    counted_up_to: int = WAITING_COUNTED_UP_TO

    @property
    def waiting_beyond_count(self) -> bool:
        return self.waiting > self.counted_up_to


def counter_screen(*, user: Any) -> CounterScreen | None:
    """The counter screen of `user` (None: signed in at no counter), in one plain SQL
    statement: the counter with its center's name and the waiting count, and its ticket (if
    any) with its group's letter, its service's and priority group's names. The screen is
    loaded after every action and refreshed every few seconds; the ORM's three queries
    (counter_of, counter_current_ticket, counter_waiting_count: the same rows) cost four
    times more, and the ticket in a statement of its own a round trip more. The counter and
    its ticket are named first (WITH), which PostgreSQL plans in a third of the time of the
    same joins written inline, and the count reads the counter's services once."""
    if not getattr(user, "pk", None):
        return None
    quote = connection.ops.quote_name
    counters, centers, tickets = (quote(model._meta.db_table) for model in (Counter, Center, Ticket))
    service_model = Ticket._meta.get_field("service").related_model
    version_model = service_model._meta.get_field("current_version").related_model  # type: ignore[union-attr]
    services, versions = quote(service_model._meta.db_table), quote(version_model._meta.db_table)  # type: ignore[union-attr]
    groups, priorities = quote(QueueGroup._meta.db_table), quote(PriorityGroup._meta.db_table)
    rule, rule_params = callable_rule(ticket="w", counter="k", counter_id="(SELECT id FROM k)")
    counted_up_to = WAITING_COUNTED_UP_TO
    # Columns named, never `*`: a prepared statement (decision 0043) whose columns changed under
    # it in a migration would fail until the workers restart.
    using = router.db_for_read(Counter)
    found = fetch_models(Counter, (
        # The operator's counter (one at most: counter_open) and the ticket called to it or
        # served there (one at most; the latest called). The counter's fields first, then its
        # centre's names and the count, then the ticket's fields (model_columns' order), then
        # the names its screen shows.
        f"WITH k AS (SELECT * FROM {counters} WHERE operator_id = %s ORDER BY number, id LIMIT 1), "  # noqa: S608
        f"a AS (SELECT * FROM {tickets} WHERE counter_id = (SELECT id FROM k) "
        f"AND status IN ({literals(*ACTIVE_STATUSES)}) "
        "ORDER BY called_at DESC LIMIT 1) "
        f"SELECT {model_columns(Counter, 'k')}, n.name_en, n.name_fa, n.name_ps, "
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {tickets} w WHERE {rule} LIMIT %s) c), "
        f"{model_columns(Ticket, 't')}, g.letter, s.slug, s.current_version_id, v.name_en, v.name_fa, v.name_ps, "
        "p.name_en, p.name_fa, p.name_ps "
        f"FROM k JOIN {centers} n ON n.id = k.center_id LEFT JOIN a t ON 1 = 1 "
        f"LEFT JOIN {groups} g ON g.id = t.group_id LEFT JOIN {services} s ON s.id = t.service_id "
        f"LEFT JOIN {versions} v ON v.id = s.current_version_id "
        f"LEFT JOIN {priorities} p ON p.id = t.priority_group_id"),
        [user.pk, *rule_params, counted_up_to + 1], using=using)
    if not found:
        return None
    counter, rest = found[0]  # one at most (counter_open)
    center_name_en, center_name_fa, center_name_ps, waiting = rest[:4]
    ticket_values, rest = rest[4:4 + width(Ticket)], rest[4 + width(Ticket):]
    (letter, service_slug, version_id, version_name_en, version_name_fa, version_name_ps,
     priority_name_en, priority_name_fa, priority_name_ps) = rest
    counter.center = _partial(Center, {"id": counter.center_id, "name_en": center_name_en,
                                       "name_fa": center_name_fa, "name_ps": center_name_ps})
    ticket = None
    if ticket_values[0] is not None:  # the ticket's id: none called or served here
        ticket = converted(Ticket, ticket_values, using=using)
        ticket.group = _partial(QueueGroup, {"id": ticket.group_id, "center_id": ticket.center_id, "letter": letter})
        service = _partial(service_model, {"id": ticket.service_id, "slug": service_slug,  # type: ignore[arg-type]
                                           "current_version_id": version_id})
        if version_id is not None:
            service.current_version = _partial(version_model, {  # type: ignore[arg-type]
                "id": version_id, "name_en": version_name_en, "name_fa": version_name_fa,
                "name_ps": version_name_ps})
        ticket.service = service
        if ticket.priority_group_id is not None:
            ticket.priority_group = _partial(PriorityGroup, {
                "id": ticket.priority_group_id, "name_en": priority_name_en, "name_fa": priority_name_fa,
                "name_ps": priority_name_ps})
        ticket.counter = counter
    return CounterScreen(counter=counter, ticket=ticket, waiting=int(waiting), counted_up_to=counted_up_to)




def counter_of(*, user: Any, with_center: bool = True) -> Counter | None:
    """The counter `user` is signed in at, if any; with its center unless `with_center` is
    False (an action at the counter locks the row again and needs only its id)."""
    if not getattr(user, "pk", None):
        return None
    counters = Counter.objects.select_related("center") if with_center else Counter.objects.all()
    # By number, not the model's order (which joins the centers to sort by their name): an
    # operator is signed in at one counter at most (counter_open).
    return counters.filter(operator_id=user.pk).order_by("number", "pk").first()


def counters_to_open(*, center: Center) -> list[Counter]:
    """The center's counters in use that nobody is signed in at, with the services they serve."""
    return list(Counter.objects.filter(center=center, is_active=True).select_related("center")
                .filter(Q(operator__isnull=True) | Q(state=Counter.State.CLOSED))
                .prefetch_related("services__current_version").order_by("number"))


def counter_get(*, center: Center, pk: int) -> Counter | None:
    """Counter `pk` if it is one of `center`'s (any other center's counter is not found)."""
    return Counter.objects.filter(center=center, pk=pk).first()


# A version's long columns, which no counter screen shows (its name is all it shows): not read.
_VERSION_TEXTS = ("definition", "search_text")


def counter_current_ticket(*, counter: Counter) -> Ticket | None:
    """The ticket called to (or being served at) the counter, with what the screen shows."""
    return (Ticket.objects.select_related("group", "service__current_version", "priority_group")
            .defer(*(f"service__current_version__{name}" for name in _VERSION_TEXTS))
            .filter(counter=counter, status__in=ACTIVE_STATUSES).order_by("-called_at").first())


def counter_waiting_count(*, counter: Counter) -> int:
    """How many people wait today for what this counter may call."""
    return tickets_callable_by(counter=counter).count()


def transfer_services(*, center: Center) -> list[Service]:
    """The services a ticket may be sent on to: those the center queues."""
    ids = QueueGroup.objects.filter(center=center).values("services")
    # Their names only (the screen lists them on every load): no agency, no definition.
    return list(catalog_selectors.services_with_a_version(active_only=True).filter(pk__in=ids)
                .select_related(None).select_related("current_version")
                .only("slug", "current_version", "current_version__name_en", "current_version__name_fa",
                      "current_version__name_ps")
                .order_by("current_version__name_en", "slug"))


def transfer_counters(*, counter: Counter) -> list[Counter]:
    """The other counters of the center in use, a ticket may be sent to one of them."""
    return list(Counter.objects.filter(center_id=counter.center_id, is_active=True).exclude(pk=counter.pk)
                .order_by("number"))


@dataclass(frozen=True)
class ServiceName:
    """A service as the transfer's list names it (the counter screen's choice)."""

    pk: int
    name_en: str
    name_fa: str
    name_ps: str

    @property
    def name(self) -> str:
        return pick(self, "name")


@dataclass(frozen=True)
class CounterNumber:
    """A counter as the transfer's list names it."""

    pk: int
    number: int


def transfer_choices(*, counter: Counter) -> tuple[list[ServiceName], list[CounterNumber]]:
    """What transfer_services and transfer_counters list (the same rows, the same order), as
    names and numbers only, in one plain SQL statement: the counter screen shows them on every
    load (each call, every refresh), and building the ORM's two queries (with the services'
    agency and definition) and their objects was a fifth of its time (docs/performance.md)."""
    quote = connection.ops.quote_name
    service_model = Ticket._meta.get_field("service").related_model
    version_model = service_model._meta.get_field("current_version").related_model  # type: ignore[union-attr]
    services, versions = quote(service_model._meta.db_table), quote(version_model._meta.db_table)  # type: ignore[union-attr]
    groups, grouped = quote(QueueGroup._meta.db_table), quote(QueueGroup.services.through._meta.db_table)
    counters = quote(Counter._meta.db_table)
    sql = (
        f"SELECT s.id, v.name_en, v.name_fa, v.name_ps, s.slug, NULL FROM {services} s "  # noqa: S608 - our names
        f"JOIN {versions} v ON v.id = s.current_version_id WHERE s.is_active AND s.id IN "
        f"(SELECT m.service_id FROM {grouped} m JOIN {groups} q ON q.id = m.queuegroup_id WHERE q.center_id = %s) "
        f"UNION ALL SELECT k.id, NULL, NULL, NULL, NULL, k.number FROM {counters} k "
        # The services by name as the database sorts them (like the ORM's), the counters by number.
        "WHERE k.center_id = %s AND k.is_active AND k.id <> %s ORDER BY 2, 5, 6"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [counter.center_id, counter.center_id, counter.pk])
        rows = cursor.fetchall()
    return ([ServiceName(pk=row[0], name_en=row[1], name_fa=row[2], name_ps=row[3]) for row in rows if row[5] is None],
            [CounterNumber(pk=row[0], number=row[5]) for row in rows if row[5] is not None])


def ticket_at_center(*, center_id: int | None, public_id: uuid.UUID | str) -> Ticket | None:
    """The ticket with this public id if it is one of the center's (else None: a 404)."""
    if center_id is None:
        return None
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    # With its group's letter (for its number), in plain SQL: every action at a counter reads
    # it first (the ORM's query cost several times the database's work).
    quote = connection.ops.quote_name
    tickets, groups = quote(Ticket._meta.db_table), quote(QueueGroup._meta.db_table)
    found = fetch_models(Ticket, (
        f"SELECT {model_columns(Ticket, 't')}, g.letter FROM {tickets} t "  # noqa: S608
        f"JOIN {groups} g ON g.id = t.group_id WHERE t.center_id = %s AND t.public_id = %s"),
        [center_id, Ticket._meta.get_field("public_id").get_db_prep_value(key, connection)],
        using=router.db_for_read(Ticket))
    if not found:
        return None
    ticket, (letter,) = found[0]
    ticket.group = _partial(QueueGroup, {"id": ticket.group_id, "center_id": ticket.center_id, "letter": letter})
    return ticket


# --- a counter's finished tickets (the rating tablet) ---------------------------------------------

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

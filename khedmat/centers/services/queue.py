"""The electronic queue: tickets, counters, and calling the right ticket to a counter.

Ticket numbers are gap-free per queue group and day (khedmat.core.sequences). A ticket
stands in the queue at `queue_position_at`: its issue time, moved forward by its priority
group's bounded head start, or the start of the slot of a checked-in appointment. A counter
calls the waiting ticket that stands first among those it may call:

- a ticket for the women's desk (desk="women") only by an open women's-desk counter, which
  calls such tickets first and then any other ticket of its services;
- a priority-designated counter calls priority-group tickets first, then the others;
- a ticket transferred to one counter (a waiting ticket whose `counter` is set) only by it.

Calling locks the chosen row; on PostgreSQL with SKIP LOCKED, so that counters calling at
the same moment each get a different ticket without waiting for one another. On SQLite
writers are serialised (IMMEDIATE transactions), which gives the same guarantee.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from khedmat.accounts import selectors as account_selectors
from khedmat.accounts.roles import Role
from khedmat.core.errors import Refusal
from khedmat.core.events import publish
from khedmat.core.formatting import format_code, format_number
from khedmat.core.inserts import insert_new
from khedmat.core.rows import fetch_models, literals, model_columns
from khedmat.core.sequences import sequence_next

from ..events import TicketCalled, TicketIssued, TicketTurnNear
from ..hours import Closed, center_closed
from ..models import Center, Counter, PriorityGroup, QueueGroup, Ticket, TicketSequence, TicketVisit
from ..selectors.centers import women_desk_service_ids
from ..selectors.counters import ACTIVE_STATUSES, callable_rule_of, counter_current_ticket, tickets_callable_by
from ..selectors.hall import TicketChoice, queue_group_of, ticket_by_idempotency_key

if TYPE_CHECKING:
    from khedmat.catalog.models import Service

class QueueError(Refusal):
    """A queue operation refused (see core.errors.Refusal)."""


class CenterClosed(QueueError):
    """No ticket while the center is closed. `message` says when it opens next; `short_message`
    says it in a few words (a USSD screen holds 80 characters in Dari)."""

    def __init__(self, closed: Closed) -> None:
        super().__init__(closed.message(), code="center_closed")
        self.short_message = closed.message(short=True)
        self.opens_at = closed.opens_at


# --- tickets ---------------------------------------------------------------------------------

def normalize_ticket_phone(phone: str) -> str:
    """The holder's mobile number in E.164, or "" when none was given."""
    if not (phone or "").strip():
        return ""
    from khedmat.accounts.phone import normalize_mobile_number

    try:
        return normalize_mobile_number(phone)
    except ValidationError as error:
        raise QueueError(" ".join(error.messages), code="bad_phone") from error


def _queue_group(center: Center, service: Service, read: TicketChoice | None) -> QueueGroup:
    group = read.group if read is not None else queue_group_of(center_id=center.pk, service_id=service.pk)
    if group is None:
        raise QueueError(_("This service is not served at this center."), code="not_served")
    return group


def ticket_issue(*, center: Center, service: Service, priority_group: PriorityGroup | None = None,
                 desk: str = "", channel: str = Ticket.Channel.KIOSK, phone: str = "",
                 queue_position_at: datetime.datetime | None = None, idempotency_key: str | None = None,
                 language: str = "", read: TicketChoice | None = None) -> Ticket:
    """Give the next ticket of the service's queue group at this center, today.

    `queue_position_at` is for appointment check-ins (the slot's start); otherwise the
    ticket stands at its issue time, less its priority group's head start. The same
    `idempotency_key` (a form's one-time token) always gives the same ticket. `language` is
    the one the holder took it in; a ticket with a phone keeps the language its SMS are written
    in, resolved here once (the account's preferred one first) instead of at every SMS.

    Walk-in tickets (kiosk, online, SMS, USSD) are given only while the center is open
    (khedmat.centers.hours): CenterClosed says when it opens next. An appointment's check-in
    is not held to the hours: its slot was offered on an open day, and its own window rules.

    The checks read outside the transaction; the transaction holds only the number, the
    ticket and its event (with what subscribers write). Called outside any transaction (a
    view), a lost race on the key rolls the whole of it back, number included, with no
    savepoint to pay for on every ticket; inside a caller's transaction it is a savepoint.
    `read` is what the caller already read for this centre, service and token
    (selectors.ticket_choice: the queue group, the token's ticket), not read again.
    """
    if read is not None and (read.center_id, read.service.pk, read.token) != (center.pk, service.pk,
                                                                           idempotency_key or None):
        raise ValueError("ticket_issue: `read` was read for another centre, service or token")
    if idempotency_key:
        issued = read.issued if read is not None else ticket_by_idempotency_key(key=idempotency_key)
        if issued is not None:
            return issued
    if not center.is_active:
        raise QueueError(_("This center is closed."), code="center_closed")
    if channel not in Ticket.Channel.values:
        raise QueueError(_("Unknown way of joining the queue."), code="bad_channel")
    if channel != Ticket.Channel.APPOINTMENT:
        closed = center_closed(center=center)
        if closed is not None:
            raise CenterClosed(closed)
    if priority_group is not None and not priority_group.is_active:
        raise QueueError(_("Unknown priority group."), code="bad_priority")
    if desk not in ("", Counter.Designation.WOMEN):
        raise QueueError(_("Unknown desk."), code="bad_desk")
    group = _queue_group(center, service, read)
    if desk == Counter.Designation.WOMEN and service.pk not in women_desk_service_ids(center=center):
        raise QueueError(_("This center has no women's desk for this service; please take an ordinary ticket."),
                         code="no_women_desk")
    phone = normalize_ticket_phone(phone)
    if phone:
        language = account_selectors.sms_language_for(phone_number=phone, acted_in=language)
    now = timezone.now()
    day = timezone.localdate(now)
    if queue_position_at is None:
        advance = datetime.timedelta(minutes=priority_group.advance_minutes if priority_group else 0)
        queue_position_at = now - advance
    try:
        with transaction.atomic():  # a lost race on the key rolls back, giving its number back
            # The sequence row is locked last, for as short a time as possible.
            number = sequence_next(TicketSequence, group=group, day=day)
            ticket = insert_new(Ticket(
                center=center, group=group, service=service, day=day, number=number, priority_group=priority_group,
                desk=desk, phone=phone, channel=channel, issued_at=now, queue_position_at=queue_position_at,
                waiting_since=now, idempotency_key=idempotency_key or None, language=language[:5],
            ))
            publish(TicketIssued(ticket=ticket))
            return ticket
    except IntegrityError:
        issued = ticket_by_idempotency_key(key=idempotency_key) if idempotency_key else None
        if issued is None:
            raise
        return issued


def ticket_join(*, center: Center, service: Service, phone: str, idempotency_key: str | None = None,
                language: str = "", read: TicketChoice | None = None) -> Ticket:
    """A ticket taken from a phone (the join page): channel online, always with the mobile
    number its link is sent to by SMS (notifications subscribes to ticket.issued)."""
    if not normalize_ticket_phone(phone):
        raise QueueError(_("Enter your mobile number: the ticket's link is sent to it."), code="bad_phone")
    return ticket_issue(center=center, service=service, channel=Ticket.Channel.ONLINE, phone=phone,
                        idempotency_key=idempotency_key, language=language, read=read)


# --- counters --------------------------------------------------------------------------------

def _lock_counter(counter: Counter) -> Counter:
    """The counter's row, locked: one operation at a time per counter."""
    return Counter.objects.select_for_update(of=("self",)).get(pk=counter.pk)


def _lock_counter_to_call(*, counter: Counter | None, operator: Any) -> Counter | None:
    """The counter (else the one `operator` is signed in at: None if none), locked, with
    `busy_ticket_id`, the ticket it has called or is serving. Plain SQL: every call of every
    counter locks it (the ORM's subquery cost several times the database's work)."""
    quote = connection.ops.quote_name
    counters, tickets, centers = (quote(model._meta.db_table) for model in (Counter, Ticket, Center))
    which, key = ("k.id", counter.pk) if counter is not None else ("k.operator_id", operator.pk)
    lock = (" FOR UPDATE OF k" if connection.features.has_select_for_update_of else " FOR UPDATE") \
        if connection.features.has_select_for_update else ""
    # With its centre's names, which the SMS to the holders of the called and the near tickets
    # say (a statement of its own for each SMS otherwise); only the counter's row is locked.
    using = router.db_for_write(Counter)
    found = fetch_models(Counter, (
        f"SELECT {model_columns(Counter, 'k')}, n.name_en, n.name_fa, n.name_ps, "  # noqa: S608
        f"(SELECT t.id FROM {tickets} t WHERE t.counter_id = k.id AND t.status IN ({literals(*ACTIVE_STATUSES)}) "
        f"LIMIT 1) FROM {counters} k JOIN {centers} n ON n.id = k.center_id "
        f"WHERE {which} = %s ORDER BY k.number, k.id LIMIT 1{lock}"),
        [key], using=using)
    if counter is not None and not found:
        raise Counter.DoesNotExist
    if not found:
        return None
    locked, (name_en, name_fa, name_ps, busy_ticket_id) = found[0]
    locked.center = Center.from_db(using, ["id", "name_en", "name_fa", "name_ps"],
                                   [locked.center_id, name_en, name_fa, name_ps])
    cast(Any, locked).busy_ticket_id = busy_ticket_id
    return locked


def _may_act_on(counter: Counter, operator: Any) -> bool:
    """The operator signed in at the counter, or a manager of its center."""
    if counter.operator_id == operator.pk:
        return True
    return getattr(operator, "role", None) == Role.CENTER_MANAGER and operator.center_id == counter.center_id


def _set_state(counter: Counter, state: str, *, operator: Any = None, keep_operator: bool = True) -> None:
    counter.state = state
    counter.state_changed_at = timezone.now()
    if not keep_operator:
        counter.operator = operator
    counter.save(update_fields=["state", "state_changed_at", "operator"])


@transaction.atomic
def counter_open(*, counter: Counter, operator: Any) -> Counter:
    """Sign the operator in at the counter, which then calls tickets.

    One operator per counter and one counter per operator: an operator open elsewhere is
    signed out of that counter first (refused if a ticket is still being served there).
    """
    if not getattr(operator, "is_active", False) or operator.center_id != counter.center_id:
        raise QueueError(_("You do not work at this center."), code="not_your_center")
    locked = _lock_counter(counter)
    if not locked.is_active:
        raise QueueError(_("This counter is not in use."), code="counter_inactive")
    if locked.operator_id not in (None, operator.pk) and locked.state != Counter.State.CLOSED:
        raise QueueError(_("Another operator is signed in at this counter; they must close it first."),
                         code="counter_taken")
    previous = Counter.objects.select_for_update().filter(operator=operator).exclude(pk=locked.pk).first()
    if previous is not None:
        busy = counter_current_ticket(counter=previous)
        if busy is not None:
            raise QueueError(_("Finish ticket %(number)s at counter %(counter)s first.") % {
                "number": format_code(busy.display_number), "counter": format_number(previous.number)}, code="busy")
        _set_state(previous, Counter.State.CLOSED, operator=None, keep_operator=False)
    _set_state(locked, Counter.State.OPEN, operator=operator, keep_operator=False)
    return locked


def _own_counter(counter: Counter, operator: Any) -> Counter:
    locked = _lock_counter(counter)
    if not _may_act_on(locked, operator):
        raise QueueError(_("You are not signed in at this counter."), code="not_your_counter")
    return locked


@transaction.atomic
def counter_pause(*, counter: Counter, operator: Any) -> Counter:
    """Stop calling tickets for a while (a ticket being served may be finished)."""
    locked = _own_counter(counter, operator)
    if locked.state != Counter.State.OPEN:
        raise QueueError(_("Only an open counter can be paused."), code="not_open")
    _set_state(locked, Counter.State.PAUSED)
    return locked


@transaction.atomic
def counter_resume(*, counter: Counter, operator: Any) -> Counter:
    locked = _own_counter(counter, operator)
    if locked.state != Counter.State.PAUSED:
        raise QueueError(_("The counter is not paused."), code="not_paused")
    _set_state(locked, Counter.State.OPEN)
    return locked


@transaction.atomic
def counter_close(*, counter: Counter, operator: Any) -> Counter:
    """Sign the operator out; refused while a ticket is called or served there."""
    locked = _own_counter(counter, operator)
    busy = counter_current_ticket(counter=locked)
    if busy is not None:
        raise QueueError(_("Finish or transfer ticket %(number)s first.") % {
            "number": format_code(busy.display_number)}, code="busy")
    _set_state(locked, Counter.State.CLOSED, operator=None, keep_operator=False)
    return locked


# --- calling ---------------------------------------------------------------------------------

def _first(tickets: QuerySet[Ticket]) -> Ticket | None:
    # With its group (its letter is in every "ticket P-042 is called"); only the ticket is locked.
    tickets = tickets.select_related("group").order_by("queue_position_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        tickets = tickets.select_for_update(skip_locked=True, of=("self",))
    return tickets.first()


def next_ticket_for(counter: Counter) -> Ticket | None:
    """The ticket the counter would call now (locked when called inside a transaction)."""
    tickets = tickets_callable_by(counter=counter)
    # A designated desk first looks among the people it is for; each look is one index scan.
    if counter.designation == Counter.Designation.WOMEN:
        ticket = _first(tickets.filter(desk=Counter.Designation.WOMEN))
        if ticket is not None:
            return ticket
    elif counter.designation == Counter.Designation.PRIORITY:
        ticket = _first(tickets.filter(priority_group__isnull=False))
        if ticket is not None:
            return ticket
    return _first(tickets)


def _returning_ticket(tickets: str, groups: str) -> str:
    """The RETURNING clause of an UPDATE of tickets (`tickets`: the quoted table) that
    `_written_ticket` reads: the ticket's fields and its group's letter (for its number)."""
    return (f"RETURNING {model_columns(Ticket, tickets)}, "  # noqa: S608 - our names
            f"(SELECT g.letter FROM {groups} g WHERE g.id = {tickets}.group_id)")


def _written_ticket(sql: str, params: list[Any]) -> Ticket | None:
    """Run an UPDATE of one ticket ending in `_returning_ticket`: the ticket as written, with
    its group (its letter only); None if no row was written. The row becomes a Ticket through
    the fields' own converters (SQLite's text dates)."""
    using = router.db_for_write(Ticket)
    found = fetch_models(Ticket, sql, params, using=using)
    if not found:
        return None
    ticket, (letter,) = found[0]
    ticket.group = QueueGroup.from_db(using, ["id", "center_id", "letter"], [ticket.group_id, ticket.center_id, letter])
    return ticket


def _call_first(counter: Counter, now: datetime.datetime, *, among: str = "") -> Ticket | None:
    """Pick the first ticket the counter may call (`among`: only the women's desk's, or only
    priority tickets) and write the call, in one plain SQL statement: an UPDATE of the row
    its subquery chose and locked (on PostgreSQL skipping rows another counter is locking
    this moment, as next_ticket_for does), returning the ticket with its group's letter.
    Every call of every counter runs it; building the ORM's query for the same rule cost
    several times what the database did (docs/performance.md). The rule is the one of
    selectors.tickets_callable_by (the waiting count): change both together."""
    quote = connection.ops.quote_name
    tickets, groups = quote(Ticket._meta.db_table), quote(QueueGroup._meta.db_table)
    rule, rule_params = callable_rule_of(ticket="c", counter=counter)
    narrower = {"": "", "women": "AND c.desk = %s ", "priority": "AND c.priority_group_id IS NOT NULL "}[among]
    lock = " FOR UPDATE OF c SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (
        f"UPDATE {tickets} SET status = %s, counter_id = %s, operator_id = %s, called_at = %s, "  # noqa: S608
        f"first_called_at = %s, recalls = 0 WHERE id = (SELECT c.id FROM {tickets} c "
        f"WHERE {rule} {narrower}ORDER BY c.queue_position_at, c.id LIMIT 1{lock}) "
        f"{_returning_ticket(tickets, groups)}"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = [Ticket.Status.CALLED, counter.pk, counter.operator_id, at, at, *rule_params]
    if among == "women":
        params.append(Counter.Designation.WOMEN)
    return _written_ticket(sql, params)


@transaction.atomic
def ticket_call_next(*, counter: Counter | None = None, operator: Any = None) -> Ticket | None:
    """Call the ticket that stands first among those the counter may call (`counter`, or the
    one `operator` is signed in at, found as it is locked); None if nobody waits. Refused
    unless the counter is open and has finished with its last ticket."""
    locked = _lock_counter_to_call(counter=counter, operator=operator)
    if locked is None:
        raise QueueError(_("Open a counter first."), code="no_counter")
    if locked.state != Counter.State.OPEN:
        if locked.state == Counter.State.PAUSED:
            raise QueueError(_("The counter is paused: resume it to call the next ticket."), code="paused")
        raise QueueError(_("Open the counter to call tickets."), code="not_open")
    if locked.busy_ticket_id is not None:  # type: ignore[attr-defined]
        busy = Ticket.objects.select_related("group").get(pk=locked.busy_ticket_id)  # type: ignore[attr-defined]
        raise QueueError(_("First finish or transfer ticket %(number)s, or mark that its holder did not come.") % {
            "number": format_code(busy.display_number)}, code="busy")
    now = timezone.now()
    # A designated desk first looks among the people it is for; each look is one index scan.
    ticket = None
    if locked.designation in (Counter.Designation.WOMEN, Counter.Designation.PRIORITY):
        ticket = _call_first(locked, now, among=locked.designation)
    if ticket is None:
        ticket = _call_first(locked, now)
    if ticket is None:
        return None
    ticket.counter = locked
    ticket.center = locked.center  # its names, read with the counter (the holder's SMS says them)
    publish(TicketCalled(ticket=ticket, counter=locked))
    _tell_those_near(ticket, now)
    return ticket


def _tell_those_near(called: Ticket, now: datetime.datetime) -> None:
    """After a call, tell each holder (with a phone) who now has `QUEUE_NEAR_AHEAD` or fewer
    people before them in the called ticket's queue that their turn is near; once a ticket."""
    near = settings.QUEUE_NEAR_AHEAD
    # Plain SQL, after every call (the ORM's query cost several times the database's work).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, phone, near_notified_at FROM {connection.ops.quote_name(Ticket._meta.db_table)} "  # noqa: S608
            f"WHERE center_id = %s AND day = %s AND group_id = %s AND desk = %s "
            f"AND status = {literals(Ticket.Status.WAITING)} AND counter_id IS NULL "
            "ORDER BY queue_position_at, id LIMIT %s",
            [called.center_id, connection.ops.adapt_datefield_value(called.day), called.group_id, called.desk,
             near + 1])
        front = cursor.fetchall()
    for ahead, (pk, phone, notified_at) in enumerate(front):
        if phone and notified_at is None and ahead <= near:
            told = _mark_near(pk, now)
            if told is not None:  # else told already (another counter's call, a moment ago)
                told.center = called.center  # the same centre's (its names are read with the counter)
                publish(TicketTurnNear(ticket=told, ahead=ahead))


def _mark_near(pk: int, now: datetime.datetime) -> Ticket | None:
    """Mark ticket `pk` as told its turn is near, unless it was already, in one UPDATE …
    RETURNING the ticket with its group's letter (for the SMS): once per ticket."""
    quote = connection.ops.quote_name
    tickets, groups = quote(Ticket._meta.db_table), quote(QueueGroup._meta.db_table)
    return _written_ticket(
        f"UPDATE {tickets} SET near_notified_at = %s WHERE id = %s AND near_notified_at IS NULL "  # noqa: S608
        f"{_returning_ticket(tickets, groups)}",
        [connection.ops.adapt_datetimefield_value(now), pk])


def _ticket_at(counter: Counter, ticket: Ticket, *, statuses: tuple[str, ...]) -> Ticket:
    """Lock `ticket` and check it is this counter's, in one of `statuses`."""
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("group").get(pk=ticket.pk)
    if locked.counter_id != counter.pk or locked.status not in statuses:
        raise QueueError(_("This ticket is not waiting at your counter."), code="not_here")
    return locked


def _visit(ticket: Ticket, outcome: str, now: datetime.datetime) -> TicketVisit:
    return insert_new(TicketVisit(
        ticket=ticket, center_id=ticket.center_id, service_id=ticket.service_id, counter_id=ticket.counter_id,
        operator_id=ticket.operator_id, day=ticket.day, by_appointment=ticket.channel == Ticket.Channel.APPOINTMENT,
        waiting_since=ticket.waiting_since, called_at=ticket.first_called_at or ticket.called_at,
        started_at=ticket.started_at, ended_at=now, outcome=outcome,
    ))


@transaction.atomic
def ticket_recall(*, counter: Counter, ticket: Ticket) -> Ticket:
    """Call the same ticket again (the board shows it as a new call); after
    QUEUE_MAX_RECALLS recalls it can be marked a no-show."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    locked.recalls += 1
    locked.called_at = timezone.now()
    locked.save(update_fields=["recalls", "called_at"])
    publish(TicketCalled(ticket=locked, counter=counter, recall=True))
    return locked


@transaction.atomic
def ticket_no_show(*, counter: Counter, ticket: Ticket) -> Ticket:
    """Close a called ticket whose holder did not come, once it was recalled enough times."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    if not locked.no_show_allowed:
        raise QueueError(_("Recall the ticket first: its holder may not have heard."), code="recall_first")
    locked.status = Ticket.Status.NO_SHOW
    locked.save(update_fields=["status"])
    _visit(locked, TicketVisit.Outcome.NO_SHOW, timezone.now())
    return locked


@transaction.atomic
def ticket_start(*, counter: Counter, ticket: Ticket) -> Ticket:
    """The holder came to the counter: service begins."""
    locked = _ticket_at(counter, ticket, statuses=(Ticket.Status.CALLED,))
    locked.status = Ticket.Status.SERVING
    locked.started_at = timezone.now()
    locked.save(update_fields=["status", "started_at"])
    return locked


def _finish_where(where: str, params: list[Any], now: datetime.datetime) -> Ticket | None:
    """Serve the ticket `where` picks (if it is called or being served), in one UPDATE …
    RETURNING, and record its visit; None if no row was written. The row lock is taken by the
    UPDATE, which checks the status again on the row as committed."""
    quote = connection.ops.quote_name
    tickets, groups = quote(Ticket._meta.db_table), quote(QueueGroup._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    locked = _written_ticket(
        f"UPDATE {tickets} SET status = %s, started_at = COALESCE(started_at, %s) "  # noqa: S608 - our names
        f"WHERE {where} AND status IN ({literals(*ACTIVE_STATUSES)}) {_returning_ticket(tickets, groups)}",
        [Ticket.Status.SERVED, at, *params])
    if locked is None:
        return None
    _visit(locked, TicketVisit.Outcome.SERVED, now)
    return locked


@transaction.atomic
def ticket_finish(*, counter: Counter, ticket: Ticket) -> Ticket:
    """Service done: the ticket is served (and can be rated)."""
    # Lock, check and write in one UPDATE … RETURNING (every call ends here: the ORM's lock
    # and save cost several times the database's work).
    locked = _finish_where("id = %s AND counter_id = %s", [ticket.pk, counter.pk], timezone.now())
    if locked is None:
        raise QueueError(_("This ticket is not waiting at your counter."), code="not_here")
    return locked


@transaction.atomic
def ticket_finish_at_own_counter(*, operator: Any, public_id: uuid.UUID) -> Ticket | None:
    """Finish ticket `public_id` of the operator's centre at the counter the operator is
    signed in at, that counter found inside the same UPDATE: the whole of a finish in two
    statements (the UPDATE and the visit), where reading the ticket and the counter first
    cost two more on every ticket served. None (nothing written) when any of that does not
    hold: the caller then reads the ticket and the counter to say which, and ticket_finish
    refuses or finishes as it does for the other actions."""
    center_id = getattr(operator, "center_id", None)
    if center_id is None or not getattr(operator, "pk", None):
        return None
    counters = connection.ops.quote_name(Counter._meta.db_table)
    key = Ticket._meta.get_field("public_id").get_db_prep_value(public_id, connection)
    # The operator's counter as selectors.counter_of finds it (one at most: counter_open).
    return _finish_where(
        f"center_id = %s AND public_id = %s AND counter_id = (SELECT k.id FROM {counters} k "  # noqa: S608
        "WHERE k.operator_id = %s ORDER BY k.number, k.id LIMIT 1)",
        [center_id, key, operator.pk], timezone.now())


@transaction.atomic
def ticket_transfer(*, counter: Counter, ticket: Ticket, service: Service | None = None,
                    to_counter: Counter | None = None) -> Ticket:
    """Send the holder on to another service of the center and/or to one counter, keeping
    their number and their place: the ticket waits again where it stood in the queue.

    Sent to a counter, the ticket is called by that counter only.
    """
    if service is None and to_counter is None:
        raise QueueError(_("Choose the service or the counter to send the ticket to."), code="no_target")
    locked = _ticket_at(counter, ticket, statuses=ACTIVE_STATUSES)
    target_service_id = service.pk if service is not None else locked.service_id
    if service is not None and not QueueGroup.objects.filter(center_id=locked.center_id, services=service).exists():
        raise QueueError(_("This service is not served at this center."), code="not_served")
    if to_counter is not None:
        if to_counter.center_id != locked.center_id or not to_counter.is_active:
            raise QueueError(_("There is no such counter at this center."), code="bad_counter")
        if not to_counter.services.filter(pk=target_service_id).exists():
            raise QueueError(_("Counter %(counter)s does not serve this service.") % {"counter": to_counter.number},
                             code="counter_not_serving")
    now = timezone.now()
    _visit(locked, TicketVisit.Outcome.TRANSFERRED, now)
    locked.service_id = target_service_id
    locked.status = Ticket.Status.WAITING
    locked.counter = to_counter
    locked.operator = None
    locked.waiting_since = now
    locked.called_at = locked.first_called_at = None
    locked.started_at = None
    locked.recalls = 0
    locked.save(update_fields=["service", "status", "counter", "operator", "waiting_since", "called_at",
                               "first_called_at", "started_at", "recalls"])
    return locked

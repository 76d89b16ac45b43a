"""The day's queue is read through its own index, however long the centre's history.

A centre issues thousands of tickets a day and keeps them: two months in, the call's look for
the next ticket was planned as a join of the waiting tickets with every ticket ever issued for
each of the counter's services (8 ms a call), and the counter screen's count as a read of the
whole table (17 ms), because the status travelled as a parameter (decision 0046). These ask
PostgreSQL for the plans of the very statements a call and a screen send, over a history.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from khedmat.applications.tests.test_concurrency import needs_postgresql
from khedmat.centers.models import Ticket
from khedmat.centers.services import ticket_issue
from khedmat.centers.tests.conftest import Hall
from khedmat.centers.tests.test_counter_screen import post, signed_in
from khedmat.core.rows import literals

HISTORY_DAYS = 40
TICKETS_A_DAY = 150


def _history(hall: Hall) -> None:
    """Past days of served tickets for the hall's services, then statistics as autovacuum keeps them."""
    today = timezone.localdate()
    tickets = []
    for back in range(1, HISTORY_DAYS + 1):
        day = today - datetime.timedelta(days=back)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        for number in range(1, TICKETS_A_DAY + 1):
            service, group = (hall.passport, hall.passports) if number % 2 else (hall.licence, hall.licences)
            tickets.append(Ticket(
                public_id=uuid.uuid4(), center=hall.center, group=group, service=service,
                day=day, number=number, status=Ticket.Status.SERVED, channel=Ticket.Channel.KIOSK,
                issued_at=moment, queue_position_at=moment, waiting_since=moment, idempotency_key=uuid.uuid4().hex))
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE centers_ticket")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT plan")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK TO SAVEPOINT plan")
    return plan


def _sent(captured: CaptureQueriesContext, start: str) -> str:
    found = [query["sql"] for query in captured.captured_queries if query["sql"].lstrip().startswith(start)]
    assert len(found) == 1, [query["sql"][:80] for query in captured.captured_queries]
    return found[0]


@needs_postgresql
@pytest.mark.postgres
def test_the_call_and_the_counter_screen_read_the_day_queue_not_the_history(hall: Hall) -> None:
    _history(hall)
    operator = signed_in(hall.operator(3))
    post(operator, "counter_open", {"counter": hall.counter(3).pk})
    for _ in range(30):
        ticket_issue(center=hall.center, service=hall.passport)
    with CaptureQueriesContext(connection) as called:
        assert operator.post(reverse("centers:counter_call")).status_code == 302
    with CaptureQueriesContext(connection) as screen:
        assert operator.get(reverse("centers:counter")).status_code == 200

    call = _plan(_sent(called, 'UPDATE "centers_ticket" SET status'))
    assert "ticket_waiting" in call, call
    assert "centers_ticket_service_id" not in call, call  # not each service's whole history
    count = _plan(_sent(screen, "WITH k AS"))
    assert "ticket_waiting" in count, count
    assert "Seq Scan on centers_ticket" not in count, count


def test_only_plain_constants_become_sql_literals() -> None:
    assert literals(Ticket.Status.WAITING) == "'waiting'"
    assert literals(Ticket.Status.CALLED, Ticket.Status.SERVING) == "'called', 'serving'"
    for unsafe in ("", "x' OR '1'='1", "Waiting", "served;", "حاضر"):
        with pytest.raises(ValueError):
            literals(unsafe)

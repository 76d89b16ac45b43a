"""What the hall's busiest requests read and write, statement by statement (docs/performance.md).

A kiosk ticket, a call to the next ticket and the board's "not modified" are asked for all
day by every hall: each statement one of them gains costs every centre. These tests fail when
one comes back (the kiosk rebuilding its whole screen before issuing, definitions loaded to
print a number); the figures themselves live in bench/.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from khedmat.centers.models import Ticket
from khedmat.centers.services import ticket_call_next, ticket_issue
from khedmat.centers.tests.conftest import Hall
from khedmat.centers.tests.test_counter_screen import post, signed_in

KIOSK = "/en/centers/kabul/kiosk/"
FEED = "/en/centers/kabul/board/feed/"
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements that read or write (transaction control differs between a test, which
    runs inside a transaction, and a server)."""
    return [query["sql"] for query in captured.captured_queries
            if not query["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)]


def touching(sqls: list[str], table: str) -> list[str]:
    return [sql for sql in sqls if f'"{table}"' in sql or f" {table} " in sql]


def test_a_kiosk_ticket_reads_only_what_issuing_needs(kiosk: Client, hall: Hall) -> None:
    # The first ticket of the day opens the group's number row, and the screen is noted as seen.
    kiosk.post(KIOSK, {"service": hall.passport.pk, "token": "w" * 32, "plain": "1"})
    with CaptureQueriesContext(connection) as captured:
        response = kiosk.post(KIOSK, {"service": hall.passport.pk, "token": "t" * 32, "plain": "1"})
    assert response.status_code == 302 and "/tickets/" in response["Location"]
    sqls = statements(captured)
    # The device (with its center); the service with its queue group and the token's ticket if
    # any (one statement, selectors.ticket_choice); then the number, the ticket, its event. The
    # holidays (is the centre open?) come from the process's copy under their version
    # (khedmat.core.workdays): no statement.
    assert len(sqls) == 5, sqls
    assert not touching(sqls, "core_holiday"), "the holidays are read once per version, not per ticket"
    assert not touching(sqls, "centers_center") or all("centers_device" in sql for sql in
                                                          touching(sqls, "centers_center")), sqls
    assert not touching(sqls, "catalog_serviceversion"), "issuing loads no definition"
    assert not touching(sqls, "centers_counter_services"), "issuing builds no kiosk layout"
    assert Ticket.objects.order_by("number").last().display_number == "P-002"  # type: ignore[union-attr]


def test_a_kiosk_ticket_posted_again_is_the_same_ticket_for_two_statements(kiosk: Client, hall: Hall) -> None:
    first = kiosk.post(KIOSK, {"service": hall.passport.pk, "token": "t" * 32, "plain": "1"})
    with CaptureQueriesContext(connection) as captured:
        again = kiosk.post(KIOSK, {"service": hall.passport.pk, "token": "t" * 32, "plain": "1"})
    assert again["Location"] == first["Location"] and Ticket.objects.count() == 1
    assert len(statements(captured)) == 2, statements(captured)  # the device; the choice with its ticket


def test_a_kiosk_ticket_keeps_its_refusals(kiosk: Client, hall: Hall) -> None:
    """Reading less changed no answer: an unknown service, another centre's kiosk address."""
    refused = kiosk.post(KIOSK, {"service": 999999, "token": "t" * 32}, follow=True)
    assert "Choose a service." in refused.content.decode()
    assert kiosk.post("/en/centers/nowhere/kiosk/", {"service": hall.passport.pk, "token": "u" * 32}).status_code \
        == 404
    assert not Ticket.objects.exists()


def test_the_board_feed_not_modified_reads_no_statement(client: Client, hall: Hall) -> None:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_call_next(counter=hall.open(3))
    with CaptureQueriesContext(connection) as captured:
        etag = client.get(FEED)["ETag"]
    assert len(statements(captured)) == 2, statements(captured)  # the centre, the calls (then kept)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert statements(captured) == []  # kept in the cache until a call (test_board_feed_cache.py)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(FEED).status_code == 200
    assert statements(captured) == []


@pytest.mark.parametrize("calls", [0, 3])
def test_the_feed_version_is_the_same_however_it_is_read(client: Client, hall: Hall, calls: int) -> None:
    """The plain statement and the board's objects give one version: else no 304, ever."""
    for _ in range(calls):
        ticket_issue(center=hall.center, service=hall.passport)
    for number in range(3, 3 + calls):
        ticket_call_next(counter=hall.open(number))
    etag = client.get(FEED)["ETag"]
    assert client.get(FEED, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(FEED, HTTP_IF_NONE_MATCH='"0000000000000000"').status_code == 200


def test_calling_the_next_ticket_stays_within_its_statements(hall: Hall) -> None:
    operator = signed_in(hall.operator(3))
    post(operator, "counter_open", {"counter": hall.counter(3).pk})
    for _ in range(2):
        ticket_issue(center=hall.center, service=hall.passport)
    operator.post(reverse("centers:counter_call"))  # the first call; the second is measured
    current = Ticket.objects.get(status=Ticket.Status.CALLED)
    operator.post(reverse("centers:counter_ticket", kwargs={"public_id": current.public_id}), {"action": "start"})
    operator.post(reverse("centers:counter_ticket", kwargs={"public_id": current.public_id}), {"action": "finish"})
    with CaptureQueriesContext(connection) as captured:
        response = operator.post(reverse("centers:counter_call"))
    assert response.status_code == 302
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == 1
    sqls = statements(captured)
    assert len(sqls) <= CALL_NEXT_STATEMENTS, (len(sqls), sqls)
    assert not touching(sqls, "catalog_serviceversion"), "calling loads no definition"


# Session and user; then lock the operator's counter (found as it is locked, with its busy
# ticket), pick, lock and call the ticket in one UPDATE … RETURNING, record the event, look
# for those whose turn is near (measured: 6 on SQLite; 9 before: the counter read before it
# was locked, the pick apart from the call, the message's group read after).
CALL_NEXT_STATEMENTS = 6


# --- the operator's call cycle: call next (POST), the counter screen (GET), finish (POST) --------

# Per request, on top of the session and the user: the screen reads its counter (with the
# center's name, the waiting count, and its ticket with its letter and names) in one
# statement (measured on SQLite with the session from its cached copy: 2 with the user; 3
# before, the transfer's choices, now on a page of their own; 5 before that, the ticket
# apart; 8 before that: the center again, the count, the services with their agency and
# definition, the counters with their operator);
# finishing finds, locks, checks and writes the ticket in one UPDATE … RETURNING (the
# operator's counter a subquery of it), and writes its visit (3 with the user, as measured;
# 6 before, the ticket and the counter read first; 7 before that, the lock and the write apart).
COUNTER_SCREEN_STATEMENTS = 2
FINISH_STATEMENTS = 3


def _call_cycle(hall: Hall, operator: Client) -> tuple[list[str], list[str], list[str]]:
    """The statements of a call, the screen that shows its ticket, and the finish."""
    with CaptureQueriesContext(connection) as called:
        assert operator.post(reverse("centers:counter_call")).status_code == 302
    with CaptureQueriesContext(connection) as screen:
        page = operator.get(reverse("centers:counter"))
    current = Ticket.objects.get(status=Ticket.Status.CALLED)
    assert current.display_number in page.content.decode()
    with CaptureQueriesContext(connection) as finished:
        response = operator.post(reverse("centers:counter_ticket", kwargs={"public_id": current.public_id}),
                                 {"action": "finish"})
    assert response.status_code == 302
    return statements(called), statements(screen), statements(finished)


def test_the_call_cycle_stays_within_its_statements(hall: Hall) -> None:
    operator = signed_in(hall.operator(3))
    post(operator, "counter_open", {"counter": hall.counter(3).pk})
    for _ in range(3):
        ticket_issue(center=hall.center, service=hall.passport)
    _call_cycle(hall, operator)  # the first of the day; the second is measured
    called, screen, finished = _call_cycle(hall, operator)
    assert len(called) <= CALL_NEXT_STATEMENTS, (len(called), called)
    assert len(screen) <= COUNTER_SCREEN_STATEMENTS, (len(screen), screen)
    assert len(finished) <= FINISH_STATEMENTS, (len(finished), finished)
    for sqls in (called, screen, finished):
        assert not touching(sqls, "catalog_serviceversion") or all(
            "definition" not in sql for sql in touching(sqls, "catalog_serviceversion")), "no definition is read"

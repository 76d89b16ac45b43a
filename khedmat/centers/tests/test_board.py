"""The display board and its feed: numbers and counters only, ETag/304, mirrored in Dari."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from khedmat.centers.services import ticket_call_next, ticket_issue, ticket_recall
from khedmat.centers.tests.conftest import Hall

BOARD = "/en/centers/kabul/board/"
FEED = "/en/centers/kabul/board/feed/"


@pytest.fixture
def called(hall: Hall) -> Hall:
    """P-001 called to counter 3, then D-001 to counter 4."""
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_issue(center=hall.center, service=hall.licence, phone="0700111222")
    ticket_call_next(counter=hall.open(3))
    ticket_call_next(counter=hall.open(4))
    return hall


def test_board_shows_the_last_calls_newest_first_and_refreshes_without_javascript(client: Client,
                                                                                  called: Hall) -> None:
    page = client.get(BOARD).content.decode()
    assert page.index("D-001") < page.index("P-001")
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "board.js" in page and "Tap to enable sound" in page and "Connection lost" in page
    assert "+93" not in page and "0700" not in page  # no personal data


def test_board_in_dari_is_mirrored_with_eastern_digits(client: Client, called: Hall) -> None:
    page = client.get("/fa/centers/kabul/board/").content.decode()
    assert 'dir="rtl"' in page
    assert "D-۰۰۱" in page and '<td class="board-call__counter">۴</td>' in page
    feed = client.get("/fa/centers/kabul/board/feed/").json()
    assert feed["calls"][0]["number_display"] == "D-۰۰۱" and feed["calls"][0]["counter_display"] == "۴"


def test_feed_sends_the_calls_with_a_version_and_answers_304_when_unchanged(client: Client, called: Hall) -> None:
    response = client.get(FEED)
    data = response.json()
    assert response["Cache-Control"] == "no-store"
    assert response["ETag"] == f'"{data["version"]}"'
    assert data["center"] == "kabul" and "now" in data
    assert [(call["number"], call["counter"]) for call in data["calls"]] == [("D-001", 4), ("P-001", 3)]
    assert set(data["calls"][0]) >= {"number", "counter", "service", "called_at"}
    unchanged = client.get(FEED, HTTP_IF_NONE_MATCH=response["ETag"])
    assert unchanged.status_code == 304 and unchanged["ETag"] == response["ETag"]
    assert unchanged["Cache-Control"] == "no-store"


def test_feed_version_changes_on_a_call_and_on_a_recall(client: Client, called: Hall) -> None:
    first = client.get(FEED)["ETag"]
    ticket_issue(center=called.center, service=called.passport)
    assert client.get(FEED, HTTP_IF_NONE_MATCH=first).status_code == 304  # issuing is not a call
    counter = called.open(5)
    ticket = ticket_call_next(counter=counter)
    assert ticket is not None
    second = client.get(FEED, HTTP_IF_NONE_MATCH=first)
    assert second.status_code == 200 and second.json()["calls"][0]["number"] == "P-002"
    ticket_recall(counter=counter, ticket=ticket)
    assert client.get(FEED, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 200


def test_feed_is_cheap(client: Client, called: Hall) -> None:
    etag = client.get(FEED)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        client.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert len(queries) <= 2, [query["sql"] for query in queries]


def test_board_of_an_unknown_center_is_not_found(client: Client, hall: Hall) -> None:
    assert client.get("/en/centers/nowhere/board/feed/").status_code == 404

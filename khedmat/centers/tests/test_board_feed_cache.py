"""The board's feed is kept in the cache (khedmat/centers/board_cache.py) and never shows a call
older than the last committed change: every change a screen must see replaces the centre's
token, in every language; what leaves the board as it was keeps it (no statement)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khedmat.catalog import fragments
from khedmat.catalog import services as catalog_services
from khedmat.centers import board_cache
from khedmat.centers.models import Counter, Ticket
from khedmat.centers.services import (
    center_upsert,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from khedmat.centers.tests.conftest import Hall, make_center
from khedmat.centers.tests.test_hot_paths import statements

LANGUAGES = ("en", "fa", "ps")


def feed(client: Client, etag: str = "", language: str = "en", slug: str = "kabul") -> Any:
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/{language}/centers/{slug}/board/feed/", headers=headers)


def shown(response: Any) -> list[tuple[str, int]]:
    return [(call["number"], call["counter"]) for call in json.loads(response.content)["calls"]]


def etags(client: Client) -> dict[str, str]:
    """Each language's board as a screen shows it (its ETag), after a first plain load."""
    return {language: feed(client, language=language)["ETag"] for language in LANGUAGES}


def assert_changed(client: Client, seen: dict[str, str], expected: list[tuple[str, int]]) -> None:
    for language, etag in seen.items():
        response = feed(client, etag, language)
        assert response.status_code == 200, language
        assert shown(response) == expected, language


def assert_kept(client: Client, seen: dict[str, str]) -> None:
    for language, etag in seen.items():
        with CaptureQueriesContext(connection) as captured:
            assert feed(client, etag, language).status_code == 304, language
        assert statements(captured) == [], language


@pytest.fixture
def called(hall: Hall) -> Ticket:
    for _ in range(3):
        ticket_issue(center=hall.center, service=hall.passport)
    ticket = ticket_call_next(counter=hall.open(3))
    assert ticket is not None
    return ticket


def test_a_kept_board_reads_nothing_and_a_new_ticket_in_the_queue_keeps_it(client: Client, hall: Hall,
                                                                           called: Ticket) -> None:
    seen = etags(client)
    assert_kept(client, seen)
    ticket_issue(center=hall.center, service=hall.passport)  # waits: not on the board
    assert_kept(client, seen)
    with CaptureQueriesContext(connection) as captured:
        response = feed(client)
    assert response.status_code == 200 and shown(response) == [("P-001", 3)]
    assert statements(captured) == []  # the calls kept too


Freeze = Callable[[datetime.datetime], datetime.datetime]


def test_every_call_recall_and_end_of_a_call_is_seen_at_once_in_every_language(
        client: Client, hall: Hall, called: Ticket, frozen_at: Freeze) -> None:
    start = timezone.now()
    seen = etags(client)
    frozen_at(start + datetime.timedelta(seconds=1))
    second = ticket_call_next(counter=hall.open(4))
    assert second is not None
    assert_changed(client, seen, [("P-002", 4), ("P-001", 3)])
    seen = etags(client)
    frozen_at(start + datetime.timedelta(seconds=2))
    ticket_recall(counter=hall.counter(3), ticket=called)  # a recall is a new call
    assert_changed(client, seen, [("P-001", 3), ("P-002", 4)])
    seen = etags(client)
    ticket_start(counter=hall.counter(3), ticket=called)  # at the counter: shown as it was
    ticket_finish(counter=hall.counter(3), ticket=called)
    assert_kept(client, seen)
    ticket_transfer(counter=hall.counter(4), ticket=second, service=hall.licence)  # sent on: waits again
    assert_changed(client, seen, [("P-001", 3)])
    seen = etags(client)
    third = ticket_call_next(counter=hall.counter(4))
    assert third is not None
    assert_changed(client, seen, [(third.display_number, 4), ("P-001", 3)])


def test_a_no_show_leaves_the_board(client: Client, hall: Hall, called: Ticket, settings: Any) -> None:
    settings.QUEUE_MAX_RECALLS = 0
    ticket_recall(counter=hall.counter(3), ticket=called)
    seen = etags(client)
    ticket_no_show(counter=hall.counter(3), ticket=called)
    assert_changed(client, seen, [])


def test_a_renumbered_counter_or_relettered_group_is_seen(client: Client, hall: Hall, called: Ticket) -> None:
    seen = etags(client)
    Counter.objects.filter(number=20).delete()
    counter = hall.counter(3)
    counter.number = 20
    counter.save()
    assert_changed(client, seen, [("P-001", 20)])
    seen = etags(client)
    hall.passports.letter = "Q"
    hall.passports.save()
    assert_changed(client, seen, [("Q-001", 20)])


def test_the_service_name_shown_follows_the_catalog(client: Client, hall: Hall, called: Ticket) -> None:
    assert json.loads(feed(client).content)["calls"][0]["service"] == hall.passport.name
    definition = dict(hall.passport.current_version.definition)  # type: ignore[union-attr]
    definition["name"] = {"en": "Passport, renewed", "fa": "پاسپورت نو", "ps": "نوی پاسپورټ"}
    catalog_services.service_publish(agency=hall.passport.agency, definition=definition)
    assert json.loads(feed(client).content)["calls"][0]["service"] == "Passport, renewed"
    assert json.loads(feed(client, language="fa").content)["calls"][0]["service"] == "پاسپورت نو"


def test_a_closed_or_moved_centre_is_not_answered_from_the_cache(client: Client, hall: Hall, called: Ticket) -> None:
    seen = etags(client)
    center_upsert(code="KBL", slug="kabul-city", name={"en": "Kabul", "fa": "Kabul", "ps": "Kabul"},
                  city={"en": "K", "fa": "K", "ps": "K"}, address={"en": "-", "fa": "-", "ps": "-"},
                  opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    assert feed(client, seen["en"]).status_code == 404
    assert feed(client).status_code == 404
    assert shown(feed(client, slug="kabul-city")) == [("P-001", 3)]
    # Another centre takes the old address: its own board, not the first centre's kept one.
    other = make_center(code="KB2", slug="kabul", name="Kabul 2")
    response = feed(client, seen["en"])
    assert response.status_code == 200 and shown(response) == []
    other.is_active = False
    other.save()
    assert feed(client, seen["en"]).status_code == 404


def test_a_new_day_starts_an_empty_board(client: Client, hall: Hall, frozen_at: Freeze) -> None:
    frozen_at(datetime.datetime.combine(timezone.localdate(), datetime.time(10)))
    ticket_issue(center=hall.center, service=hall.passport)
    assert ticket_call_next(counter=hall.open(3)) is not None
    seen = etags(client)
    assert shown(feed(client)) == [("P-001", 3)]
    frozen_at(datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=1), datetime.time(8)))
    assert_changed(client, seen, [])


def test_an_answer_read_before_a_call_committed_is_not_kept_after_it(client: Client, hall: Hall,
                                                                     called: Ticket) -> None:
    """A poll that read the calls just before a call committed, and kept them after the call's
    first token replacement, is not used once the call commits (its second replacement)."""
    before = feed(client)
    seen = before["ETag"]
    center_id = hall.center.pk
    ticket_call_next(counter=hall.open(4))  # (the test's transaction never commits)
    # The concurrent poll: it read the tokens after the first replacement, then the old calls.
    found = cache.get_many([fragments.VERSION_KEY, board_cache.token_key(center_id)])
    tokens = board_cache.current_tokens(center_id, found)
    old_calls = json.dumps(json.loads(before.content)["calls"], ensure_ascii=False)
    board_cache.keep(board_cache.calls_key(center_id, "en"), tokens, (seen.strip('"'), old_calls))
    assert feed(client, seen).status_code == 304  # (the call has not committed yet)
    pending = [callback for _savepoints, callback, _robust in connection.run_on_commit  # type: ignore[misc]
               if isinstance(callback, board_cache._ReplaceOnCommit) and callback.center_id == center_id]
    assert pending, "the call replaces the token again when it commits"
    for callback in pending:  # the commit (the board's part of it)
        callback()
    response = feed(client, seen)
    assert response.status_code == 200 and shown(response) == [("P-002", 4), ("P-001", 3)]


def test_the_feed_answers_from_the_database_while_the_cache_is_away(
        client: Client, hall: Hall, called: Ticket, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = etags(client)

    def away(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache away")

    for method in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, method, away)
    assert feed(client, seen["en"]).status_code == 304
    assert shown(feed(client)) == [("P-001", 3)]
    ticket_call_next(counter=hall.open(4))
    assert shown(feed(client, seen["en"])) == [("P-002", 4), ("P-001", 3)]


def test_a_call_written_without_the_models_save_is_seen_through_its_event(client: Client, hall: Hall,
                                                                          called: Ticket) -> None:
    """A call or recall written in plain SQL (no post_save) still publishes TicketCalled."""
    seen = etags(client)
    post_save.disconnect(sender=Ticket, dispatch_uid="centers-board-ticket-saved")
    try:
        ticket_call_next(counter=hall.open(4))
    finally:
        board_cache.register()
    assert_changed(client, seen, [("P-002", 4), ("P-001", 3)])


def test_a_process_answers_from_its_last_answer_for_a_moment_then_sees_the_call(
        client: Client, hall: Hall, called: Ticket, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decision 0031: the many screens of a hall are answered from the process's last answer
    for BOARD_MEMO_SECONDS, not even asking the cache; a call is seen once that moment passes."""
    from khedmat.centers.selectors import board as board_selectors

    settings.BOARD_MEMO_SECONDS = 0.25
    clock = [1000.0]
    monkeypatch.setattr(board_selectors.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(board_selectors, "_memo", {})
    seen = feed(client)["ETag"]
    reads: list[Any] = []
    read = board_cache.read

    def counted_read(keys: list[str]) -> dict[str, Any]:
        reads.append(keys)
        return read(keys)

    monkeypatch.setattr(board_cache, "read", counted_read)
    with CaptureQueriesContext(connection) as captured:
        assert feed(client, seen).status_code == 304
    assert reads == [] and statements(captured) == []  # neither the cache nor the database

    second = ticket_call_next(counter=hall.open(4))
    assert second is not None
    clock[0] += 0.1
    assert feed(client, seen).status_code == 304  # within the moment: the call not yet on this screen
    clock[0] += 0.2
    response = feed(client, seen)
    assert response.status_code == 200 and shown(response) == [("P-002", 4), ("P-001", 3)]
    assert feed(client, seen, language="fa").status_code == 200  # each language its own answer

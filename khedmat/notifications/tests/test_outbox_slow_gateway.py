"""A worker whose batch outlives its lease stops sending: another worker may have taken the
rest by then, and each message must still reach the phone once.

The gateway is a small local server speaking Kannel's sendsms that takes 0.6 s to answer.
One worker (a thread, its own connection) claims four messages with a 1 s lease; it sends
the first two, then finds its lease over. A second worker's sweep, once the lease and the
grace for a receipt have run out, takes the two left. Needs PostgreSQL (two workers at once).
"""

from __future__ import annotations

import collections
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connections, transaction

from khedmat.applications.tests.test_concurrency import needs_postgresql
from khedmat.notifications import tasks
from khedmat.notifications.delivery import DeliveryRun, deliver_messages
from khedmat.notifications.models import Message, Status
from khedmat.notifications.services import message_queue

pytestmark = [needs_postgresql, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ANSWER_SECONDS = 0.6
LEASE_SECONDS = 1
GRACE_SECONDS = 0.7  # longer than a send takes, as SMS_IN_DOUBT_GRACE_SECONDS must be


@pytest.fixture
def slow_sendsms() -> Iterator[tuple[str, list[str]]]:
    """A sendsms that accepts every message after ANSWER_SECONDS; the texts it took."""
    texts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(ANSWER_SECONDS)
            texts.append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["text"][0])
            body = b"0: Accepted for delivery"
            self.send_response(202)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms", texts
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_past_its_lease_sends_no_more_and_each_message_goes_once(
        settings: Any, monkeypatch: pytest.MonkeyPatch, slow_sendsms: tuple[str, list[str]]) -> None:
    url, texts = slow_sendsms
    settings.SMS_GATEWAYS = [{"name": "slow", "plugin": "kannel", "priority": 1, "url": url, "username": "u",
                              "password": "p", "dlr_mask": 0}]
    settings.SMS_LEASE_SECONDS = LEASE_SECONDS
    settings.SMS_IN_DOUBT_GRACE_SECONDS = GRACE_SECONDS
    monkeypatch.setattr(tasks, "deliver_soon", lambda ids: None)  # the workers below take them
    with transaction.atomic():
        bodies = [message.body for n in range(4) if (message := message_queue(
            to=f"+9370055500{n}", key="ticket.called", language="en", values={"number": f"L-00{n}", "counter": "2"}))]

    first: list[DeliveryRun] = []

    def slow_worker() -> None:
        try:
            first.append(deliver_messages(batch_size=4, worker="first"))
        finally:
            connections.close_all()

    worker = threading.Thread(target=slow_worker)
    worker.start()
    deadline = time.monotonic() + 10
    while Message.objects.filter(claimed_by="first").count() < 4:
        assert time.monotonic() < deadline, "the first worker never claimed the batch"
        time.sleep(0.01)
    # The second worker sweeps; it may take them once the first one's lease and grace are over.
    while Message.objects.exclude(status=Status.DELIVERED).exists():
        assert time.monotonic() < deadline, "the messages were never all handed over"
        deliver_messages(worker="second")
        time.sleep(0.05)
    worker.join(timeout=10)

    assert collections.Counter(texts) == collections.Counter(bodies)  # each once
    assert first[0].handed_over == 2  # it stopped when its lease ran out
    assert sorted(Message.objects.values_list("claimed_by", flat=True)) == ["first", "first", "second", "second"]

"""Every milestone's SMS, end to end: the real services write it into the outbox, delivery
hands it to a real Kannel (bearerbox + smsbox + fakesmsc), and Kannel's delivery receipts
come back to the platform's own receipt endpoint, served by pytest-django's live server.

A Dari-speaking and a Pashto-speaking citizen each file a passport application that owes a
fee, pay it, and are approved (then the document is revoked) or rejected; someone takes a
ticket from a phone in English and is called. Every message the outbox holds must reach the
fake SMSC byte for byte, to the right number, and end delivered by its receipt.

Skips without Kannel (apt-get install kannel kannel-extras); fails instead when CI is set.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import citizen_get_or_create, staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.applications.tests.conftest import approver, moi, officer, passport  # noqa: F401 (fixtures)
from khedmat.catalog.models import Service
from khedmat.centers.models import Ticket
from khedmat.centers.services import (
    center_offer_services,
    center_upsert,
    counter_open,
    counter_upsert,
    queue_group_upsert,
    ticket_call_next,
    ticket_issue,
)
from khedmat.core.formatting import format_amount
from khedmat.documents.models import IssuedDocument
from khedmat.documents.services import document_revoke
from khedmat.documents.tests.helpers import sent
from khedmat.notifications import message_templates
from khedmat.notifications.models import Message, MessageStatusChange, Status
from khedmat.notifications.services import receipt_url
from khedmat.notifications.tests.kannel import Kannel, require_kannel, running_kannel
from khedmat.payments.models import PaymentOrder

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit hand-offs run; the live server sees commits

DARI_PHONE, PASHTO_PHONE, ENGLISH_PHONE = "+93700500101", "+93700500102", "+93700500103"
EASTERN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")
UNKNOWN_ID = 987_654_321


@pytest.fixture(scope="module")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kannel]:
    require_kannel()
    workdir: Path = tmp_path_factory.mktemp("kannel")
    with running_kannel(workdir) as running:
        yield running


class ReceiptDoor:
    """When the platform may take Kannel's receipts.

    On SQLite's in-memory test database the live server answers with the test's own
    connection object (pytest-django shares it), and two threads in one connection's
    transactions corrupt each other: there the receipts wait at the door while the test
    works and come in only while it waits (`open`). On PostgreSQL they come in whenever
    Kannel sends them, racing the worker's own record of the hand-over, as in production."""

    def __init__(self, live_server: Any) -> None:
        self.url = str(live_server.url)
        self.shared_connection = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._httpd = live_server.thread.httpd
        self._app = self._httpd.get_app()

    def __enter__(self) -> ReceiptDoor:
        if self.shared_connection:
            app, lock = self._app, self._lock

            def one_at_a_time(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
                with lock:
                    response = app(environ, start_response)
                    try:
                        return list(response)
                    finally:
                        response.close()

            self._lock.acquire()
            self._httpd.set_app(one_at_a_time)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shared_connection:
            self._httpd.set_app(self._app)
            self._lock.release()

    @contextlib.contextmanager
    def open(self) -> Iterator[None]:
        if self.shared_connection:
            self._lock.release()
        try:
            yield
        finally:
            if self.shared_connection:
                self._lock.acquire()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        """Poll `predicate` (which may read the database) with the door open in between."""
        deadline = time.monotonic() + timeout
        while True:
            with self.open():
                time.sleep(0.05)
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def get(self, path: str) -> tuple[int, str]:
        """GET a path of the live server: (status, body)."""
        with self.open():
            try:
                with urllib.request.urlopen(self.url + path, timeout=10) as response:  # noqa: S310 (our server)
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                with error:
                    return error.code, error.read().decode()


@pytest.fixture
def door(settings: Any, kannel: Kannel, live_server: Any) -> Iterator[ReceiptDoor]:
    """The outbox sends through this Kannel only; its receipts come to the live server."""
    settings.SMS_GATEWAYS = [{"name": "kannel", "plugin": "kannel", "priority": 1, **kannel.gateway_options()}]
    settings.SMS_CALLBACK_BASE_URL = live_server.url
    settings.PAYMENT_PROVIDERS = ["demo"]
    settings.PAYMENT_DEMO_ENABLED = True
    settings.PAYMENT_ORDER_EXPIRY_DAYS = 7
    with ReceiptDoor(live_server) as receipt_door:
        yield receipt_door


def _reviewed(application: Application, officer: User) -> Application:  # noqa: F811
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    return application_transition(application=application, actor=officer, transition="recommend",
                                  expected_state="in_review")


def _phone_ticket_called(service: Service, phone: str, language: str) -> Ticket:
    center = center_upsert(code="KBL", slug="kabul", name={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                           city={"en": "Kabul", "fa": "کابل", "ps": "کابل"},
                           address={"en": "-", "fa": "-", "ps": "-"},
                           opens_at=datetime.time(0), closes_at=datetime.time(0), open_weekdays=range(7))
    center_offer_services(center=center, services=[service])
    queue_group_upsert(center=center, letter="P", name={"en": "Passports", "fa": "پاسپورت", "ps": "پاسپورټ"},
                       services=[service])
    counter = counter_upsert(center=center, number=7, services=[service])
    operator = staff_user_create(username="operator.kbl", password="pass-for-tests-1", role=Role.OPERATOR,
                                 center=center)
    counter = counter_open(counter=counter, operator=operator)
    ticket = ticket_issue(center=center, service=service, channel=Ticket.Channel.ONLINE, phone=phone,
                          language=language)
    called = ticket_call_next(counter=counter)
    assert called == ticket
    return ticket


def _literal_parts(template: str) -> list[str]:
    """The words of a wording between its {values}."""
    return [part for part in message_templates.PLACEHOLDER.split(template)[::2] if part]


def _in_order(parts: list[str], text: str) -> bool:
    position = 0
    for part in parts:
        position = text.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


def test_every_milestone_reaches_the_phone_in_its_language_and_comes_back_delivered(
        door: ReceiptDoor, kannel: Kannel, passport: Service, officer: User, approver: User) -> None:  # noqa: F811
    dari, _ = citizen_get_or_create(phone_number=DARI_PHONE, language="fa")
    pashto, _ = citizen_get_or_create(phone_number=PASHTO_PHONE, language="ps")

    # Dari: filed (a fee to pay), paid, approved (a certificate is issued), then the certificate revoked.
    filed = sent(passport, dari, key="dari-1")  # submits, then pays through the demo provider
    assert filed.state == "submitted"
    approved = application_transition(application=_reviewed(filed, officer), actor=approver,
                                      transition="approve", expected_state="awaiting_approval")
    document = IssuedDocument.objects.get(application=approved)
    document_revoke(document=document, actor=officer, reason="Issued on a forged Tazkira.")

    # Pashto: filed, paid, rejected with a reason.
    filed = sent(passport, pashto, key="pashto-1")
    in_review = application_transition(application=filed, actor=officer, transition="start_review",
                                       expected_state="submitted")
    application_transition(application=in_review, actor=officer, transition="reject",
                           expected_state="in_review", reason_code="not_eligible",
                           reason_text="You already hold a valid passport.")

    # English: a ticket taken from a phone, then called to a counter.
    _phone_ticket_called(passport, ENGLISH_PHONE, "en")

    messages = list(Message.objects.order_by("id"))
    by_phone: dict[str, list[str]] = {}
    for message in messages:
        by_phone.setdefault(message.to, []).append(message.template)
    assert by_phone == {
        DARI_PHONE: ["application.submitted_pay", "payment.received", "application.approved_document",
                     "document.revoked"],
        PASHTO_PHONE: ["application.submitted_pay", "payment.received", "application.rejected"],
        ENGLISH_PHONE: ["ticket.issued", "ticket.called"],
    }

    def all_delivered() -> bool:
        return not Message.objects.exclude(status=Status.DELIVERED).exists()

    door.wait_for(all_delivered, what="every message delivered by its receipt")

    # What the fake SMSC got, byte for byte (received_texts decodes exactly what Kannel sent).
    received = Counter((receiver, text) for _sender, receiver, text in kannel.received_texts())
    assert received == Counter((message.to, message.body) for message in messages)

    language_of = {DARI_PHONE: "fa", PASHTO_PHONE: "ps", ENGLISH_PHONE: "en"}
    fees = {order.application.applicant.phone_number: order.amount
            for order in PaymentOrder.objects.select_related("application__applicant")}
    for message in Message.objects.order_by("id"):
        language = language_of[message.to]
        assert message.language == language
        # The recipient's wording (the Dari and Pashto catalogs' where they have it).
        wording = message_templates.default_wording(message_templates.KINDS[message.template], language)
        assert _in_order(_literal_parts(wording), message.body), (message.template, language, message.body)
        if language == "en":
            assert not EASTERN_DIGITS & set(message.body), message.body
        if message.template in ("application.submitted_pay", "payment.received"):
            with translation.override(language):
                amount = format_amount(fees[message.to], language)
            assert amount in message.body, message.body
            assert (EASTERN_DIGITS & set(amount)) if language != "en" else not (EASTERN_DIGITS & set(amount))

        assert message.gateway == "kannel"
        assert message.handed_over_at and message.accepted_at and message.delivered_at
        assert message.handed_over_at <= message.delivered_at
        assert message.history.filter(status=Status.DELIVERED, detail__startswith="receipt: delivered").count() == 1



def test_a_replayed_receipt_changes_nothing_and_a_forged_or_unknown_one_is_refused(
        door: ReceiptDoor, passport: Service) -> None:  # noqa: F811
    _phone_ticket_called(passport, ENGLISH_PHONE, "en")
    door.wait_for(lambda: Message.objects.count() == Message.objects.filter(status=Status.DELIVERED).count() == 2,
                  what="both ticket messages delivered")
    first = Message.objects.order_by("id").first()
    assert first is not None
    before = list(MessageStatusChange.objects.values_list("pk", flat=True))

    def receipt(message_id: int, *, signed: bool = True) -> tuple[int, str]:
        url = receipt_url(gateway="kannel", message_id=message_id).removeprefix(door.url)
        if not signed:
            url = url.split("&sig=")[0] + "&sig=" + "0" * 32  # the length of a true one
        return door.get(url + "&type=1")

    assert receipt(first.pk) == (200, "no change\n")  # Kannel sending the same receipt again
    assert receipt(first.pk, signed=False)[0] == 403
    assert receipt(UNKNOWN_ID, signed=False)[0] == 403
    assert receipt(UNKNOWN_ID) == (404, "unknown message\n")
    assert list(MessageStatusChange.objects.values_list("pk", flat=True)) == before
    first.refresh_from_db()
    assert first.status == Status.DELIVERED

"""Signed bank callbacks: verified, idempotent, safe out of order; refusals are logged."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Service
from khedmat.payments.models import Payment, PaymentCallbackLog, PaymentOrder

from .conftest import notice, signed_post, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(passport: Service, citizen: User) -> PaymentOrder:
    return PaymentOrder.objects.get(application=submit(passport, citizen))


def test_a_signed_paid_notice_records_the_payment_and_moves_the_file(client: Client, order: PaymentOrder) -> None:
    response = signed_post(client, notice(order))
    assert response.status_code == 200 and response.json()["result"] == "recorded"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.provider_transaction_id, payment.amount) == ("azizi-bank", "TX-1", 5000)
    assert Application.objects.get(pk=order.application_id).state == "submitted"
    assert AuditEvent.objects.filter(action="payments.paid", target_id=order.reference).exists()


def test_the_same_notice_three_times_leaves_one_payment(client: Client, order: PaymentOrder) -> None:
    results = [signed_post(client, notice(order)).json()["result"] for _ in range(3)]
    assert results == ["recorded", "replayed", "replayed"]
    assert Payment.objects.filter(order=order).count() == 1
    application = Application.objects.get(pk=order.application_id)
    assert application.state == "submitted"
    assert application.events.filter(transition="record_payment").count() == 1
    assert PaymentCallbackLog.objects.filter(reference=order.reference).count() == 3


def test_a_late_failure_after_payment_changes_nothing(client: Client, order: PaymentOrder) -> None:
    signed_post(client, notice(order))
    for transaction_id in ("TX-1", "TX-0"):  # the same transaction, or an earlier attempt's
        response = signed_post(client, notice(order, status="failed", transaction_id=transaction_id))
        assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and Payment.objects.filter(order=order).count() == 1


def test_a_failure_first_then_the_payment_still_records_it(client: Client, order: PaymentOrder) -> None:
    assert signed_post(client, notice(order, status="failed", transaction_id="TX-9")).json()["result"] == "failed"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING
    assert signed_post(client, notice(order, transaction_id="TX-10")).json()["result"] == "recorded"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID


def test_a_wrong_signature_is_refused_and_logged(client: Client, order: PaymentOrder) -> None:
    response = signed_post(client, notice(order), secret="guessed")
    assert response.status_code == 401
    assert signed_post(client, notice(order), operator="unknown-bank").status_code == 401
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING and not Payment.objects.exists()
    log = PaymentCallbackLog.objects.filter(outcome="bad_signature").first()
    assert log is not None and log.http_status == 401 and order.reference in log.body
    assert AuditEvent.objects.filter(action="payments.notice_refused").count() == 2


def test_a_body_changed_after_signing_is_refused(client: Client, order: PaymentOrder) -> None:
    stamp = str(int(time.time()))
    good = signed_post(Client(), b"{}", timestamp=int(stamp))  # any signed body, to take its signature
    assert good.status_code == 400  # signed but malformed
    forged = signed_post(client, notice(order), timestamp=int(stamp),
                         signature=good.request["HTTP_X_KHEDMAT_SIGNATURE"])
    assert forged.status_code == 401 and not Payment.objects.exists()


def test_an_old_notice_is_refused_as_a_replay(client: Client, order: PaymentOrder) -> None:
    response = signed_post(client, notice(order), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400 and response.json()["error"] == "stale"
    assert not Payment.objects.exists()


def test_a_wrong_amount_is_refused_and_logged(client: Client, order: PaymentOrder) -> None:
    response = signed_post(client, notice(order, amount=4000))
    assert response.status_code == 409 and response.json()["error"] == "wrong_amount"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PENDING and not Payment.objects.exists()
    log = PaymentCallbackLog.objects.get(outcome="wrong_amount")
    assert (log.amount, log.order_id, log.agency_id) == (4000, order.pk, order.agency_id)


def test_an_unknown_reference_is_refused(client: Client, order: PaymentOrder) -> None:
    response = signed_post(client, {**notice(order), "reference": "PAY-MOI-1405-999999-1"})
    assert response.status_code == 404
    assert PaymentCallbackLog.objects.filter(outcome="unknown_reference").exists()


def test_a_malformed_body_is_refused(client: Client, order: PaymentOrder) -> None:
    assert signed_post(client, b"not json").status_code == 400
    assert signed_post(client, {**notice(order), "amount": "5000"}).status_code == 400
    assert not Payment.objects.exists()


def test_only_post_is_accepted(client: Client) -> None:
    assert client.get("/payments/callback/azizi-bank/").status_code == 405

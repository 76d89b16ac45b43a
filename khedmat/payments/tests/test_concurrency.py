"""Callbacks at the same moment (PostgreSQL): three identical ones record one payment, and
one racing an officer's step on the same file neither deadlocks nor loses anything."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.applications.tests.test_concurrency import in_parallel, needs_postgresql
from khedmat.catalog.models import Service
from khedmat.payments import services, subscribers
from khedmat.payments.models import Payment, PaymentCallbackLog, PaymentOrder, Refund

from .conftest import notice, signed_post, submit


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_identical_callbacks_at_once_record_one_payment(passport: Service, citizen: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    results = in_parallel(lambda _index: signed_post(Client(), notice(order)), 3)
    assert all(not isinstance(result, Exception) for result in results), results
    assert sorted(result.json()["result"] for result in results) == ["recorded", "replayed", "replayed"]
    assert Payment.objects.filter(order=order).count() == 1
    application = Application.objects.get(pk=order.application_id)
    assert application.state == "submitted" and application.events.filter(transition="record_payment").count() == 1
    assert PaymentCallbackLog.objects.filter(reference=order.reference).count() == 3


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_and_a_late_failure_at_once_leave_the_order_paid(passport: Service, citizen: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    bodies = [notice(order), notice(order, status="failed", transaction_id="TX-0"), notice(order)]
    results = in_parallel(lambda index: signed_post(Client(), bodies[index]), 3)
    assert all(result.status_code == 200 for result in results), results
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.PAID and Payment.objects.filter(order=order).count() == 1


# --- a bank's callback racing an officer's step on the same file -----------------------------------

DRL_ANSWERS = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}


def _slow_between_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each side waits a moment between its first row lock and its second, so that both hold
    their first when they ask for the second: the moment a deadlock needs. The officer's step
    waits after locking the file (before payments settles the order); the callback waits after
    its first lock (before it writes its audit record and takes the payment step)."""
    settle, record = subscribers.payment_step_settle, services.audit_record

    def slow_settle(**kwargs: Any) -> bool:
        time.sleep(0.4)
        return settle(**kwargs)

    def slow_record(**kwargs: Any) -> Any:
        time.sleep(0.4)
        return record(**kwargs)

    monkeypatch.setattr(subscribers, "payment_step_settle", slow_settle)
    monkeypatch.setattr(services, "audit_record", slow_record)


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_callback_racing_an_officers_step_neither_deadlocks_nor_loses_the_payment(
        driving_licence: Service, citizen: User, officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driving licence asks its fee after the test; the bank's notice of an early payment
    arrives while the officer records the pass (the step that brings the file to its payment
    step). Both touch the file and its order: they must queue, not deadlock."""
    _slow_between_locks(monkeypatch)
    for round_number in range(3):
        application = submit(driving_licence, citizen, answers=DRL_ANSWERS)
        application = application_transition(application=application, actor=officer, transition="schedule_test",
                                              expected_state="submitted")
        order = PaymentOrder.objects.get(application=application)

        def work(index: int, order: PaymentOrder = order, application: Application = application,
                 transaction_id: str = f"EARLY-{round_number}") -> Any:
            if index == 0:
                return signed_post(Client(), notice(order, transaction_id=transaction_id))
            return application_transition(application=application, actor=officer, transition="record_pass",
                                          expected_state="test_scheduled")

        callback, step = in_parallel(work, 2)
        assert not isinstance(callback, Exception), callback  # above all no DeadlockDetected
        assert not isinstance(step, Exception), step
        assert callback.status_code == 200 and callback.json()["result"] == "recorded"
        # Whichever went first, the file went past its payment step once, with one payment.
        order.refresh_from_db()
        assert order.status == PaymentOrder.Status.PAID
        assert Payment.objects.filter(order=order).count() == 1
        settled = Application.objects.get(pk=application.pk)
        assert settled.state == "paid", settled.state
        assert settled.events.filter(transition="record_pass").count() == 1
        assert settled.events.filter(transition="record_payment").count() == 1
        assert not Refund.objects.filter(order=order).exists()


@needs_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_arriving_while_the_file_is_rejected_is_always_one_refund_due(
        driving_licence: Service, citizen: User, officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paid early, rejected at the test at the same moment: whichever commits first, the money
    for a file that never reached its payment step is owed back, once."""
    _slow_between_locks(monkeypatch)
    for round_number in range(3):
        application = submit(driving_licence, citizen, answers=DRL_ANSWERS)
        application = application_transition(application=application, actor=officer, transition="schedule_test",
                                              expected_state="submitted")
        order = PaymentOrder.objects.get(application=application)

        def work(index: int, order: PaymentOrder = order, application: Application = application,
                 transaction_id: str = f"EARLY-R{round_number}") -> Any:
            if index == 0:
                return signed_post(Client(), notice(order, transaction_id=transaction_id))
            return application_transition(application=application, actor=officer, transition="reject",
                                          expected_state="test_scheduled", reason_text="Failed the eyesight test.")

        callback, step = in_parallel(work, 2)
        assert not isinstance(callback, Exception), callback
        assert not isinstance(step, Exception), step
        assert callback.status_code == 200, callback.content
        assert Application.objects.get(pk=application.pk).state == "rejected"
        payment = Payment.objects.get(order=order)
        refund = Refund.objects.get(order=order)
        assert (refund.payment_id, refund.amount, refund.status) == (payment.pk, order.amount, Refund.Status.DUE)

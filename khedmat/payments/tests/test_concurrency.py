"""Three identical callbacks at the same moment record one payment (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import Client

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.tests.test_concurrency import in_parallel, needs_postgresql
from khedmat.catalog.models import Service
from khedmat.payments.models import Payment, PaymentCallbackLog, PaymentOrder

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

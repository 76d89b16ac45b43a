"""Sending an application with a fee opens one payment order; paying it moves the file on."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.models import Application
from khedmat.applications.services import application_submit, application_transition
from khedmat.catalog.models import Service
from khedmat.payments.models import PaymentOrder
from khedmat.payments.references import reference_is_well_formed
from khedmat.payments.services import payment_demo_record, payment_orders_update, payment_step_settle

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_sending_a_passport_application_opens_an_order_for_its_fee(passport: Service, citizen: User) -> None:
    application = submit(passport, citizen)
    order = PaymentOrder.objects.get(application=application)
    assert re.fullmatch(r"PAY-MOI-1[34]\d\d-000001-\d", order.reference) and reference_is_well_formed(order.reference)
    assert (order.amount, order.currency, order.status) == (5000, "AFN", PaymentOrder.Status.PENDING)
    assert order.fee_line["label"]["en"] == "Passport issuance and renewal — 5 years"
    assert order.expires_at is not None
    assert abs(order.expires_at - order.created_at - datetime.timedelta(days=7)) < datetime.timedelta(seconds=5)
    # The file waits for the fee, with the time standard's clock stopped.
    assert application.state == "awaiting_payment" and application.clock_paused_on == timezone.localdate()


def test_sending_twice_with_the_same_key_opens_one_order(passport: Service, citizen: User) -> None:
    first = submit(passport, citizen, key="same")
    again = application_submit(application=first, idempotency_key="same", actor=citizen)
    assert again.pk == first.pk
    assert PaymentOrder.objects.filter(application=first).count() == 1
    second = submit(passport, citizen)
    assert PaymentOrder.objects.get(application=second).reference.split("-")[3] == "000002"


def test_an_order_is_looked_for_unless_the_file_was_just_sent(passport: Service, citizen: User) -> None:
    """Sending opens the order without looking for one (it cannot exist yet); asked again, the
    service returns it; told wrongly the file was just sent, the one-to-one column refuses a
    second order (the caller's transaction, the submission's, rolls back)."""
    from django.db import IntegrityError, transaction

    from khedmat.payments.services import payment_order_open

    application = submit(passport, citizen)
    order = PaymentOrder.objects.get(application=application)
    with transaction.atomic():
        assert payment_order_open(application=application) == order
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_order_open(application=application, just_sent=True)
    assert PaymentOrder.objects.filter(application=application).count() == 1


def test_paying_moves_the_file_to_review_and_restarts_the_clock(passport: Service, citizen: User) -> None:
    application = submit(passport, citizen)
    moved = payment_demo_record(application=application, transaction_id="t1")
    assert moved.state == "submitted" and moved.clock_paused_on is None
    event = moved.events.last()
    assert event is not None and (event.transition, event.actor_role, event.actor_id) == ("record_payment", "system",
                                                                                          None)
    order = PaymentOrder.objects.get(application=application)
    assert order.status == PaymentOrder.Status.PAID and order.paid_at is not None


def test_an_exempt_applicant_gets_no_order_and_goes_straight_on(vehicle_registration: Service,
                                                                citizen: User) -> None:
    answers = {"owner_name": "Ahmad", "vehicle_type": "car", "make_and_model": "Toyota Corolla",
               "year_of_manufacture": 2015, "chassis_number": "JT123456789", "engine_number": "1ZZ12345",
               "colour": "White", "fee_exemption": "persons_with_disabilities"}
    application = submit(vehicle_registration, citizen, answers=answers)
    assert not PaymentOrder.objects.filter(application=application).exists()
    # The vehicle registration asks for its fee later; nothing to pay there either.
    assert application.state == "submitted"


def test_a_file_rejected_before_its_payment_step_cancels_its_order(driving_licence: Service, citizen: User,
                                                                   officer: User) -> None:
    answers = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}
    application = submit(driving_licence, citizen, answers=answers)
    application_transition(application=application, actor=officer, transition="reject", expected_state="submitted",
                           reason_code="incomplete_documents", reason_text="The medical certificate is missing.")
    order = PaymentOrder.objects.get(application=application)
    assert order.status == PaymentOrder.Status.CANCELLED, "nobody may pay for a closed file"


def test_a_fee_asked_later_falls_due_when_the_file_reaches_the_payment_step(driving_licence: Service,
                                                                            citizen: User, officer: User) -> None:
    answers = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}
    application = submit(driving_licence, citizen, answers=answers)
    order = PaymentOrder.objects.get(application=application)
    assert order.amount == 2500 and order.expires_at is None  # not due yet
    application = application_transition(application=application, actor=officer, transition="schedule_test",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="record_pass",
                                         expected_state="test_scheduled")
    assert application.state == "awaiting_payment"
    payment_step_settle(application=application)
    order.refresh_from_db()
    assert order.expires_at is not None
    moved = payment_demo_record(application=application, transaction_id="drl")
    assert moved.state == "paid"


def test_a_fee_paid_before_the_payment_step_moves_the_file_when_it_gets_there(driving_licence: Service,
                                                                              citizen: User, officer: User) -> None:
    answers = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}
    application = submit(driving_licence, citizen, answers=answers)
    payment_demo_record(application=application, transaction_id="early")
    application = application_transition(application=application, actor=officer, transition="schedule_test",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="record_pass",
                                         expected_state="test_scheduled")
    assert application.state == "paid", "the step that reaches the payment step settles it at once"
    assert Application.objects.get(pk=application.pk).state == "paid"
    assert payment_orders_update() == {"moved": 0, "due": 0, "expired": 0}


def test_the_catch_up_moves_a_paid_file_whose_step_did_not_settle(
        driving_licence: Service, citizen: User, officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}
    application = submit(driving_licence, citizen, answers=answers)
    payment_demo_record(application=application, transaction_id="early")
    monkeypatch.setattr("khedmat.payments.subscribers.payment_step_settle", lambda **kwargs: False)
    application = application_transition(application=application, actor=officer, transition="schedule_test",
                                         expected_state="submitted")
    application = application_transition(application=application, actor=officer, transition="record_pass",
                                         expected_state="test_scheduled")
    assert application.state == "awaiting_payment"
    monkeypatch.undo()
    assert payment_orders_update() == {"moved": 1, "due": 0, "expired": 0}
    assert Application.objects.get(pk=application.pk).state == "paid"


def test_an_order_not_paid_in_time_expires_and_closes_the_file(passport: Service, citizen: User) -> None:
    application = submit(passport, citizen)
    later = timezone.now() + datetime.timedelta(days=8)
    assert payment_orders_update(now=later) == {"moved": 0, "due": 0, "expired": 1}
    assert PaymentOrder.objects.get(application=application).status == PaymentOrder.Status.EXPIRED
    assert Application.objects.get(pk=application.pk).state == "cancelled"

"""The daily reconciliation finds each kind of mismatch, per agency."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from khedmat.accounts.models import User
from khedmat.applications.services import application_transition
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.payments.models import PaymentOrder
from khedmat.payments.selectors import MismatchKind, reconciliation
from khedmat.payments.services import payment_demo_record

from .conftest import notice, signed_post, submit

pytestmark = pytest.mark.django_db


def kinds(agency: Agency) -> list[tuple[str, str]]:
    report = reconciliation(agency=agency, day=timezone.localdate())
    return sorted((m.kind, m.reference) for m in report.mismatches)


def test_a_clean_day_has_orders_and_payments_and_no_mismatch(passport: Service, citizen: User, moi: Agency) -> None:
    paid, unpaid = submit(passport, citizen), submit(passport, citizen)
    payment_demo_record(application=paid, transaction_id="a")
    report = reconciliation(agency=moi, day=timezone.localdate())
    assert [o.application_id for o in report.orders] == [paid.pk, unpaid.pk]
    assert len(report.payments) == 1 and report.paid_total == 5000 and report.ordered_total == 10000
    assert report.mismatches == []
    assert reconciliation(agency=moi, day=timezone.localdate() - datetime.timedelta(days=1)).orders == []


def test_a_refused_wrong_amount_and_a_reference_without_order_are_listed(client: Client, passport: Service,
                                                                         citizen: User, moi: Agency) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    signed_post(client, notice(order, amount=500, transaction_id="W1"))
    signed_post(client, {**notice(order), "reference": "PAY-MOI-1405-777777-1", "transaction_id": "W2"})
    signed_post(client, {**notice(order), "reference": "PAY-MOF-1405-777777-1", "transaction_id": "W3"})
    assert kinds(moi) == [(MismatchKind.WITHOUT_ORDER, "PAY-MOI-1405-777777-1"),
                          (MismatchKind.WRONG_AMOUNT, order.reference)]


def test_a_late_payment_and_a_double_payment_are_listed(client: Client, passport: Service, citizen: User,
                                                        moi: Agency) -> None:
    late = PaymentOrder.objects.get(application=submit(passport, citizen))
    PaymentOrder.objects.filter(pk=late.pk).update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    signed_post(client, notice(late, transaction_id="L1"))
    twice = PaymentOrder.objects.get(application=submit(passport, citizen))
    signed_post(client, notice(twice, transaction_id="D1"))
    signed_post(client, notice(twice, transaction_id="D2"))
    assert kinds(moi) == [(MismatchKind.DUPLICATE, twice.reference), (MismatchKind.LATE, late.reference)]


def test_a_paid_file_that_did_not_move_on_is_listed(driving_licence: Service, citizen: User, officer: User,
                                                   moi: Agency, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}
    application = submit(driving_licence, citizen, answers=answers)
    payment_demo_record(application=application, transaction_id="early")
    # as if the step that reached the payment step had not settled it (a crash in between)
    monkeypatch.setattr("khedmat.payments.subscribers.payment_step_settle", lambda **kwargs: False)
    application = application_transition(application=application, actor=officer, transition="schedule_test",
                                         expected_state="submitted")
    application_transition(application=application, actor=officer, transition="record_pass",
                           expected_state="test_scheduled")
    order = PaymentOrder.objects.get(application=application)
    assert kinds(moi) == [(MismatchKind.NOT_MOVED, order.reference)]


def test_the_command_prints_each_agency_s_day(client: Client, passport: Service, citizen: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    signed_post(client, notice(order, amount=1, transaction_id="W1"))
    out = StringIO()
    call_command("payments_reconcile", "--day", timezone.localdate().isoformat(), stdout=out)
    text = out.getvalue()
    assert "== MOI" in text and f"order    {order.reference}" in text
    assert "MISMATCH wrong_amount" in text and "expected 5000  paid 1" in text
    assert text.strip().endswith("1 mismatches in all.")


def test_the_agency_administrator_sees_the_reconciliation_page(passport: Service, citizen: User,
                                                               agency_admin: User, officer: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    page = verified_client(agency_admin).get("/en/office/payments/")
    assert page.status_code == 200 and order.reference in page.content.decode()
    assert verified_client(officer).get("/en/office/payments/").status_code == 403  # "not allowed" (issue 10)

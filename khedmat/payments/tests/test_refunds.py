"""Money a file cannot use is owed back, never kept in silence: a paid notice for a cancelled
order or a closed file, a fee paid before the file was rejected, a fee paid twice. The
agency's administrator pays each refund back (or cancels it, with a reason); the applicant
hears of every step and gets a receipt."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from khedmat.accounts.models import Role, User
from khedmat.accounts.services import staff_user_create
from khedmat.applications.models import Application
from khedmat.applications.services import application_transition
from khedmat.audit.models import AuditEvent
from khedmat.catalog.models import Agency, Service
from khedmat.catalog.tests.factories import verified_client
from khedmat.notifications.models import Message as Sms
from khedmat.payments.models import Payment, PaymentCallbackLog, PaymentOrder, Refund
from khedmat.payments.selectors import MismatchKind, reconciliation
from khedmat.payments.services import (
    RefundError,
    payment_demo_record,
    payment_orders_update,
    refund_cancel,
    refund_pay_out,
    refunds_backfill,
)

from .conftest import notice, signed_post, submit

pytestmark = pytest.mark.django_db

DRL_ANSWERS = {"full_name": "Ahmad Zia", "father_name": "Nabi", "date_of_birth": "1990-03-21",
               "blood_group": "O+", "licence_class": "car"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sms_to(user: User, template: str) -> list[Sms]:
    return list(Sms.objects.filter(to=user.phone_number, template=template).order_by("id"))


@pytest.fixture
def expired_order(passport: Service, citizen: User) -> PaymentOrder:
    """A passport order not paid in time: the order expired and the file was closed."""
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    payment_orders_update(now=timezone.now() + datetime.timedelta(days=8))
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.EXPIRED
    assert Application.objects.get(pk=order.application_id).state == "cancelled"
    return order


# --- the attack: money sent for an order that is closed --------------------------------------------

def test_a_signed_paid_notice_for_a_closed_order_opens_a_refund_instead_of_paying_it(
        client: Client, expired_order: PaymentOrder, citizen: User, moi: Agency) -> None:
    response = signed_post(client, notice(expired_order, transaction_id="AFTER-1"))
    assert response.status_code == 200
    assert response.json() == {"result": "refund_due", "reference": expired_order.reference,
                               "order_status": "expired"}
    expired_order.refresh_from_db()
    assert expired_order.status == PaymentOrder.Status.EXPIRED and expired_order.paid_at is None
    assert Application.objects.get(pk=expired_order.application_id).state == "cancelled"
    payment = Payment.objects.get(order=expired_order)  # the money was taken: it is on record
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status, refund.reason) == (5000, Refund.Status.DUE, Refund.Reason.FILE_CLOSED)
    assert refund.reference.startswith("RFD-MOI-") and refund.reference.count("-") == 4
    # Reconciliation shows it, with the refund, and counts what is owed.
    report = reconciliation(agency=moi, day=timezone.localdate())
    assert [(m.kind, m.reference, m.refund) for m in report.mismatches] == [
        (MismatchKind.CLOSED, expired_order.reference, refund)]
    assert report.refunds_due == [refund] and report.refunds_due_total == 5000
    # The applicant is told it will be paid back, not that the fee was paid.
    told = sms_to(citizen, "payment.refund_due")
    assert len(told) == 1 and refund.reference in told[0].body
    assert not sms_to(citizen, "payment.received")
    assert AuditEvent.objects.filter(action="payments.refund_due", target_id=refund.reference).exists()
    assert PaymentCallbackLog.objects.get(transaction_id="AFTER-1").outcome == "refund_due"
    # No fee receipt for money that is not kept as the fee; the order page says it goes back.
    page = signed_in(citizen).get(expired_order.get_absolute_url()).content.decode()
    assert "Money to be paid back to you" in page and refund.reference in page and "receipt.pdf" not in page
    assert signed_in(citizen).get(f"/en/payments/{expired_order.public_id}/receipt.pdf").status_code == 404
    # Sent again, nothing more is owed.
    assert signed_post(client, notice(expired_order, transaction_id="AFTER-1")).json()["result"] == "replayed"
    assert Refund.objects.count() == 1 and len(sms_to(citizen, "payment.refund_due")) == 1


def test_a_paid_notice_for_a_file_rejected_before_paying_is_owed_back(
        client: Client, driving_licence: Service, citizen: User, officer: User) -> None:
    application = submit(driving_licence, citizen, answers=DRL_ANSWERS)
    application_transition(application=application, actor=officer, transition="reject", expected_state="submitted",
                           reason_text="The Tazkira copy cannot be read.")
    order = PaymentOrder.objects.get(application=application)
    assert order.status == PaymentOrder.Status.CANCELLED
    assert signed_post(client, notice(order)).json()["result"] == "refund_due"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.CANCELLED
    assert Application.objects.get(pk=application.pk).state == "rejected"
    assert Refund.objects.get(order=order).status == Refund.Status.DUE


def test_a_fee_paid_early_then_the_file_rejected_is_owed_back(
        client: Client, driving_licence: Service, citizen: User, officer: User) -> None:
    """The licence fee is due after the test; paid before it and the file rejected at the test,
    the fee was never used."""
    application = submit(driving_licence, citizen, answers=DRL_ANSWERS)
    order = PaymentOrder.objects.get(application=application)
    assert signed_post(client, notice(order, transaction_id="EARLY")).json()["result"] == "recorded"
    application = application_transition(application=application, actor=officer, transition="schedule_test",
                                         expected_state="submitted")
    assert not Refund.objects.exists()
    application_transition(application=application, actor=officer, transition="reject",
                           expected_state="test_scheduled", reason_text="Failed the eyesight test.")
    refund = Refund.objects.get(order=order)
    assert (refund.payment.provider_transaction_id, refund.reason) == ("EARLY", Refund.Reason.FILE_CLOSED)
    assert len(sms_to(citizen, "payment.refund_due")) == 1


def test_a_fee_used_by_the_file_is_not_owed_back_when_it_is_rejected(
        passport: Service, citizen: User, officer: User) -> None:
    application = payment_demo_record(application=submit(passport, citizen), transaction_id="used")
    application = application_transition(application=application, actor=officer, transition="start_review",
                                         expected_state="submitted")
    application_transition(application=application, actor=officer, transition="reject", expected_state="in_review",
                           reason_text="The Tazkira copy cannot be read.")
    assert not Refund.objects.exists()


def test_a_fee_paid_twice_owes_the_second_payment_back(client: Client, passport: Service, citizen: User,
                                                      moi: Agency) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    assert signed_post(client, notice(order, transaction_id="D1")).json()["result"] == "recorded"
    assert signed_post(client, notice(order, transaction_id="D2")).json()["result"] == "refund_due"
    refund = Refund.objects.get()
    assert (refund.payment.provider_transaction_id, refund.reason) == ("D2", Refund.Reason.DUPLICATE)
    kinds = [(m.kind, m.refund) for m in reconciliation(agency=moi, day=timezone.localdate()).mismatches]
    assert kinds == [(MismatchKind.DUPLICATE, refund)]  # listed once, with its refund


# --- paying back -------------------------------------------------------------------------------------

@pytest.fixture
def refund(client: Client, expired_order: PaymentOrder) -> Refund:
    signed_post(client, notice(expired_order, transaction_id="AFTER-1"))
    return Refund.objects.get()


def test_the_agency_administrator_pays_a_refund_back_and_the_applicant_gets_a_receipt(
        refund: Refund, agency_admin: User, citizen: User) -> None:
    admin = verified_client(agency_admin)
    page = admin.get(refund.get_absolute_url()).content.decode()
    assert refund.reference in page and "Record the payout" in page and "5,000 AFN" in page
    response = admin.post(f"{refund.get_absolute_url()}pay-out/", {"provider": "Azizi Bank",
                                                                    "transaction": "AZB-RF-77"})
    assert response.status_code == 302 and response["Location"] == refund.get_absolute_url()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PAID_OUT and refund.settled_by == agency_admin
    assert (refund.payout_provider, refund.payout_transaction_id) == ("Azizi Bank", "AZB-RF-77")
    event = AuditEvent.objects.get(action="payments.refund_paid_out")
    assert event.actor == agency_admin and event.target_id == refund.reference
    told = sms_to(citizen, "payment.refund_paid_out")
    assert len(told) == 1 and refund.reference in told[0].body and "Azizi Bank" in told[0].body
    # The applicant sees it on the order's page and downloads the receipt.
    order_page = signed_in(citizen).get(refund.order.get_absolute_url()).content.decode()
    assert refund.reference in order_page and "Money paid back" in order_page
    pdf = signed_in(citizen).get(f"/en/payments/refunds/{refund.public_id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert text.count(refund.reference) == 3 and "AZB-RF-77" in text and "Refund receipt" in text
    # Paying it back a second time is refused and changes nothing.
    again = admin.post(f"{refund.get_absolute_url()}pay-out/", {"provider": "Azizi Bank", "transaction": "AZB-2"})
    assert again.status_code == 409 and "already settled" in again.content.decode()
    refund.refresh_from_db()
    assert refund.payout_transaction_id == "AZB-RF-77"
    assert AuditEvent.objects.filter(action="payments.refund_paid_out").count() == 1


def test_a_payout_without_its_transaction_is_refused_and_changes_nothing(refund: Refund,
                                                                          agency_admin: User) -> None:
    response = verified_client(agency_admin).post(f"{refund.get_absolute_url()}pay-out/",
                                                  {"provider": "Azizi Bank", "transaction": "   "})
    assert response.status_code == 400
    assert "transaction number" in response.content.decode()
    assert 'value="Azizi Bank"' in response.content.decode()  # what was typed is kept
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DUE
    assert not AuditEvent.objects.filter(action="payments.refund_paid_out").exists()


def test_one_payout_transaction_cannot_settle_two_refunds(client: Client, passport: Service, citizen: User,
                                                          agency_admin: User) -> None:
    order = PaymentOrder.objects.get(application=submit(passport, citizen))
    for transaction_id in ("P1", "P2", "P3"):
        signed_post(client, notice(order, transaction_id=transaction_id))
    first, second = Refund.objects.order_by("id")
    refund_pay_out(refund=first, actor=agency_admin, provider="Azizi Bank", transaction_id="AZB-9")
    with pytest.raises(RefundError) as refused:
        refund_pay_out(refund=second, actor=agency_admin, provider="Azizi Bank", transaction_id=" AZB-9 ")
    assert refused.value.code == "payout_used"
    second.refresh_from_db()
    assert second.status == Refund.Status.DUE


def test_only_the_agencys_administrator_may_settle_a_refund(refund: Refund, officer: User, approver: User,
                                                            citizen: User, other_agency: Agency) -> None:
    foreign_admin = staff_user_create(username="admin.other", password="pass-for-tests-1",
                                      role=Role.AGENCY_ADMIN, agency=other_agency)
    # An officer or approver is refused by role ("not allowed", 403); another agency's
    # administrator by the refund itself (404, no hint that it exists).
    for user, refused in ((officer, 403), (approver, 403), (foreign_admin, 404)):
        client = verified_client(user)
        assert client.get(refund.get_absolute_url()).status_code == refused
        assert client.post(f"{refund.get_absolute_url()}pay-out/",
                           {"provider": "x", "transaction": "y"}).status_code == refused
        assert client.post(f"{refund.get_absolute_url()}cancel/", {"reason": "x"}).status_code == refused
        with pytest.raises(RefundError):
            refund_pay_out(refund=refund, actor=user, provider="x", transaction_id="y")
    assert signed_in(citizen).get(refund.get_absolute_url()).status_code == 404
    anonymous = Client().post(f"{refund.get_absolute_url()}pay-out/", {"provider": "x", "transaction": "y"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:staff_login"))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DUE
    # No receipt for a refund not paid back, to anyone.
    assert signed_in(citizen).get(f"/en/payments/refunds/{refund.public_id}/receipt.pdf").status_code == 404


def test_a_refund_cancelled_needs_a_reason_which_the_applicant_reads(refund: Refund, agency_admin: User,
                                                                     citizen: User) -> None:
    admin = verified_client(agency_admin)
    empty = admin.post(f"{refund.get_absolute_url()}cancel/", {"reason": " "})
    assert empty.status_code == 400
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DUE
    refund_cancel(refund=refund, actor=agency_admin, reason="The bank returned the money to the payer itself.")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELLED
    told = sms_to(citizen, "payment.refund_cancelled")
    assert len(told) == 1 and "returned the money to the payer itself" in told[0].body
    assert AuditEvent.objects.filter(action="payments.refund_cancelled", actor=agency_admin).count() == 1


# --- reconciliation --------------------------------------------------------------------------------

def test_the_reconciliation_page_and_csv_list_what_is_owed(client: Client, expired_order: PaymentOrder,
                                                           agency_admin: User) -> None:
    signed_post(client, notice(expired_order, transaction_id="=HYPERLINK(\"http://evil.example\")"))
    refund = Refund.objects.get()
    admin = verified_client(agency_admin)
    page = admin.get("/en/office/payments/").content.decode()
    assert "Refunds to pay back" in page and refund.reference in page and refund.get_absolute_url() in page
    response = admin.get("/en/office/payments/reconciliation.csv", {"day": timezone.localdate().isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["day", "row", "kind"]
    owed = [row for row in rows if row[1] == "refund_due"]
    assert len(owed) == 1 and owed[0][9] == refund.reference and owed[0][8] == "5000"
    mismatch = next(row for row in rows if row[1] == "mismatch")
    assert mismatch[2] == MismatchKind.CLOSED and mismatch[9] == refund.reference
    # A transaction id from outside is text, never a formula.
    assert mismatch[6].startswith("'=")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "yesterday", "2026-02-30", "²⁰²⁶-11-28"])
def test_a_day_that_cannot_be_read_shows_today_with_a_word(day: str, agency_admin: User) -> None:
    admin = verified_client(agency_admin)
    page = admin.get("/en/office/payments/", {"day": day})
    assert page.status_code == 200 and "here is today" in page.content.decode()
    assert admin.get("/en/office/payments/reconciliation.csv", {"day": day}).status_code == 200


def test_a_day_typed_in_persian_digits_is_read(agency_admin: User) -> None:
    page = verified_client(agency_admin).get("/fa/office/payments/", {"day": "۲۰۲۶-۱۱-۲۸"})
    assert page.status_code == 200 and "?day=2026-11-27" in page.content.decode()


# --- money recorded before refunds existed -------------------------------------------------------

def test_the_backfill_opens_the_refunds_the_platform_used_to_forget(passport: Service, citizen: User,
                                                                   driving_licence: Service, officer: User) -> None:
    # A fee paid twice and a cancelled order marked paid, as the platform recorded them before.
    twice = payment_demo_record(application=submit(passport, citizen), transaction_id="one")
    order = PaymentOrder.objects.get(application=twice)
    Payment.objects.create(order=order, plugin="demo", provider="demo", provider_transaction_id="two",
                           amount=order.amount, duplicate=True)
    closed = submit(driving_licence, citizen, answers=DRL_ANSWERS)
    application_transition(application=closed, actor=officer, transition="reject", expected_state="submitted",
                           reason_text="Incomplete.")
    silent = PaymentOrder.objects.get(application=closed)
    PaymentOrder.objects.filter(pk=silent.pk).update(status=PaymentOrder.Status.PAID, paid_at=timezone.now())
    Payment.objects.create(order=silent, plugin="bank_callback", provider="azizi-bank",
                           provider_transaction_id="LATE", amount=silent.amount)
    assert refunds_backfill() == 2
    assert sorted(Refund.objects.values_list("reason", "payment__provider_transaction_id")) == [
        ("duplicate", "two"), ("file_closed", "LATE")]
    assert refunds_backfill() == 0  # harmless to repeat


def test_every_refund_page_is_known(refund: Refund, agency_admin: User) -> None:
    """The pages added for refunds answer, in Dari too, without error."""
    admin = verified_client(agency_admin)
    for language in ("en", "fa", "ps"):
        assert admin.get(f"/{language}/office/payments/refunds/{refund.public_id}/").status_code == 200
        assert admin.get(f"/{language}/office/payments/").status_code == 200
